/**
 * `agent-guardrails review`, `simulate` and `verify` as a user runs them: on synthesized apps,
 * with exit codes 0 (passed), 1 (errors found) and 2 (bad input, one line that says what to do).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { main } from '../../lib/cli/main';
import { buildApp as codingAgent } from '../../examples/coding-agent';
import { synthesizeApp } from '../support/assembly';

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: {} });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const example = synthesizeApp((app) => codingAgent(app)).dir;
const broken = synthesizeApp((app) => {
  codingAgent(app);
  const stack = app.node.findChild('AgentGuardrails') as Stack;
  new iam.CfnRole(stack, 'Unbounded', {
    path: '/agent-guardrails/agent/',
    assumeRolePolicyDocument: { Statement: [] },
    policies: [{ policyName: 'admin', policyDocument: { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }],
  });
}, { skipSynthChecks: true }).dir;

describe('review', () => {
  test('passes the example app, with a progress line per role swept', async () => {
    const result = await run(['review', example]);
    expect(result.code).toBe(0);
    expect(result.err).toMatch(/^sweeping 1\/\d+: /m);
    expect(result.out).toMatch(/0 errors/);
  });

  test('fails when an agent role escapes the boundary, in every format', async () => {
    const text = await run(['review', broken]);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/AGR-BOUNDARY-ATTACHED/);
    expect(text.out).toMatch(/AgentGuardrails\/Unbounded/);

    const json = await run(['review', broken, '--format', 'json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out).summary.errors).toBeGreaterThanOrEqual(2);
    // As people type it.
    const typed = await run(['review', broken, '--json']);
    expect(JSON.parse(typed.out).summary).toEqual(JSON.parse(json.out).summary);

    const sarif = await run(['review', broken, '--format=sarif']);
    const log = JSON.parse(sarif.out);
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0].results.map((r: any) => r.ruleId)).toEqual(expect.arrayContaining(['AGR-BOUNDARY-ATTACHED', 'AGR-EFFECTIVE-PERMISSIONS']));

    const markdown = await run(['review', broken, '--format', 'markdown']);
    expect(markdown.out).toMatch(/\| .*AGR-EFFECTIVE-PERMISSIONS.* \|/);
  });

  test.each([
    ['a missing cdk.out', () => ['review', path.join(os.tmpdir(), 'no-such-cdk-out')], /no manifest\.json.*npx cdk synth/],
    [
      'a corrupt manifest',
      () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agr-corrupt-'));
        fs.writeFileSync(path.join(dir, 'manifest.json'), '{ not json');
        return ['review', dir];
      },
      /manifest\.json is not valid JSON/,
    ],
    ['an unknown format', () => ['review', example, '--format', 'xml'], /--format must be one of text, json, sarif, markdown, got "xml"/],
    ['a malformed production tag', () => ['review', example, '--production-tag', 'production'], /--production-tag must be key=value/],
  ])('fails with exit code 2 and one line for %s', async (_name, argv, message) => {
    const result = await run(argv());
    expect(result.code).toBe(2);
    expect(result.err.split('\n')).toHaveLength(1);
    expect(result.err).toMatch(message);
  });

  test('fails when a stack named with --production-stack is not production, and refuses a bad name', async () => {
    expect((await run(['review', example, '--production-stack', 'orders-prod'])).code).toBe(0);
    const dev = await run(['review', example, '--production-stack', 'orders-prod', '--production-stack', 'orders-dev']);
    expect(dev.code).toBe(1);
    expect(dev.out).toMatch(/AGR-PROD-DECLARED/);
    expect(dev.out).toMatch(/stack orders-dev must be production/);
    const bad = await run(['review', example, '--production-stack', 'orders prod']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--production-stack must be a stack name or pattern .* got "orders prod"/);
  });
});

describe('simulate', () => {
  test('prints the decision and the statement that decided it', async () => {
    const result = await run([
      'simulate',
      example,
      '--role',
      'AgentGuardrails/CodingAgent',
      '--action',
      'cloudformation:DeleteStack',
      '--resource',
      'arn:aws:cloudformation:us-east-1:123456789012:stack/orders-prod/abc',
      '--tag',
      'Environment=production',
    ]);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^ExplicitlyDenied: cloudformation:DeleteStack on arn:aws:cloudformation:us-east-1:123456789012:stack\/orders-prod\/abc/);
    expect(result.out).toMatch(/decided by: .*permissions boundary \/ ProdReadOnly/);
  });

  test('answers in JSON', async () => {
    const result = await run(['simulate', example, '--role', 'AgentGuardrails/CodingAgent', '--action', 'dynamodb:DescribeTable', '--resource', 'arn:aws:dynamodb:us-east-1:123456789012:table/orders', '--json']);
    expect(JSON.parse(result.out)).toEqual(expect.objectContaining({ decision: 'Allowed', role: 'AgentGuardrails/CodingAgent/Resource' }));
  });

  test.each([
    [['--role', 'Nope'], /unknown role "Nope"/],
    [['--role', 'AgentGuardrails/CodingAgent', '--resource', 'stack/orders-prod'], /malformed resource ARN "stack\/orders-prod"/],
    [['--role', 'AgentGuardrails/CodingAgent', '--tag', 'Environment'], /--tag must be key=value/],
    [['--action', 'cloudformation:DeleteStack'], /--role is required/],
  ])('fails with exit code 2 and one line for %j', async (flags, message) => {
    const defaults: Record<string, string> = { '--action': 'cloudformation:DeleteStack', '--resource': 'arn:aws:cloudformation:us-east-1:123456789012:stack/orders-prod/abc' };
    const given = new Set(flags.filter((f) => f.startsWith('--')));
    const argv = ['simulate', example, ...flags, ...Object.entries(defaults).filter(([flag]) => !given.has(flag)).flat()];
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.err.split('\n')).toHaveLength(1);
    expect(result.err).toMatch(message);
  });
});

test('verify needs a role ARN, and says so in one line', async () => {
  const result = await run(['verify', example]);
  expect(result.code).toBe(2);
  expect(result.err).toMatch(/--role-arn is required/);
});
