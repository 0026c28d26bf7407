/**
 * `agent-guardrails breaker replay` as a user runs it: on the synthesized example app and on
 * variants of it, with recorded CloudTrail events in the shapes people have them. Exit code 0 when
 * done, trips or not; 2 for bad input, in one line that names the input and the fix.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { App, Duration, Stack, Stage } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { buildApp as codingAgent } from '../../examples/coding-agent';
import { AgentCircuitBreaker, AgentPermissionsBoundary, AgentRole, Approver, ProductionProtection, TwoPersonApproval } from '../../lib';
import { main } from '../../lib/cli/main';
import { synthesizeApp } from '../support/assembly';
import { ACCOUNT, envelope, record } from './fixtures/records';
import { breakerCodeAsset, buildBreakerApp } from './support';

const ROOT = path.join(__dirname, '..', '..');
const SAMPLE = path.join(__dirname, 'fixtures', 'trail-sample.json');
const records: any[] = JSON.parse(fs.readFileSync(SAMPLE, 'utf8')).Records;
const id = (n: number) => `a1a1a1a1-0000-4000-8000-00000000000${n}`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agr-replay-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const file = (name: string, content: string | Uint8Array) => {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, content);
  return p;
};

/** The CLI as a user runs it. */
function cli(...argv: string[]) {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'agent-guardrails.js'), ...argv], { cwd: ROOT, encoding: 'utf8', input: '' });
  return { code: result.status, out: result.stdout.trim(), err: result.stderr.trim() };
}

/** The CLI in this process, for the error cases. */
async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: {} });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const breakerOf = (app: App) => (app.node.findChild('AgentGuardrails') as Stack).node.findChild('CircuitBreaker') as AgentCircuitBreaker;

let example: string;
beforeAll(() => {
  example = synthesizeApp((app) => codingAgent(app)).dir;
});

describe('breaker replay on the example app', () => {
  const expected = {
    trips: [
      { agent: 'coding-agent', at: '2026-11-30T10:04:12Z', reason: 'denied-calls', events: [id(1), id(2), id(5), id(6), id(7)] },
      { agent: 'coding-agent', at: '2026-11-30T10:20:00Z', reason: 'production-writes', events: [id(8)] },
    ],
  };

  test('--json prints when it would have tripped and on which events, and exits 0', () => {
    const result = cli('breaker', 'replay', '--app', example, '--events', SAMPLE, '--json');
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(result.out)).toEqual(expected);
  });

  test('prints, for people, the agent, the time, why and the calls', () => {
    const result = cli('breaker', 'replay', '--app', example, '--events', SAMPLE);
    expect(result.code).toBe(0);
    const lines = result.out.split('\n');
    expect(lines[0]).toBe('coding-agent would have tripped at 2026-11-30T10:04:12Z: 5 denied calls within 10 minutes (threshold: 5)');
    expect(lines).toContain(`  2026-11-30T10:02:30Z iam:GetRole AccessDenied through arn:aws:iam::111122223333:role/agent-workload/helper (event ${id(5)})`);
    expect(lines).toContain('coding-agent would have tripped at 2026-11-30T10:20:00Z: 1 write to production within 10 minutes (threshold: 1)');
    expect(lines[lines.length - 1]).toMatch(/^2 trips: 9 events read, 6 the breaker's rule would have delivered, 6 counted \(thresholds: 5 denied calls within 10 minutes, 1 write to production within 10 minutes/);
  });

  test.each([
    ['a gzipped CloudTrail log file', () => file('trail.json.gz', new Uint8Array(gzipSync(new Uint8Array(fs.readFileSync(SAMPLE)))))],
    ['JSON lines of EventBridge events', () => file('events.jsonl', records.map((r) => JSON.stringify(envelope(r))).join('\n'))],
    ['a JSON array of records', () => file('records.json', JSON.stringify(records))],
    ['aws cloudtrail lookup-events output', () => file('lookup.json', JSON.stringify({ Events: records.map((r) => ({ EventId: r.eventID, EventName: r.eventName, CloudTrailEvent: JSON.stringify(r) })) }))],
  ])('reads %s', async (_name, make) => {
    const result = await run('breaker', 'replay', '--app', example, '--events', make(), '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toEqual(expected);
  });

  test('no trip is a result too: exit 0', async () => {
    const quiet = file('quiet.json', JSON.stringify({ Records: records.filter((r) => r.eventID === id(4) || r.eventID === id(3)) }));
    const result = await run('breaker', 'replay', '--app', example, '--events', quiet, '--json');
    expect(result).toMatchObject({ code: 0, out: '{"trips":[]}' });
  });
});

describe('breaker replay runs the breaker as the app synthesized it', () => {
  test('its thresholds: six denied calls needed, the sample\'s five do not trip it', async () => {
    const dir = synthesizeApp((app) => buildBreakerApp(app, { thresholds: { deniedCalls: { count: 6, window: Duration.minutes(10) } } })).dir;
    const result = await run('breaker', 'replay', '--app', dir, '--events', SAMPLE, '--json');
    expect(JSON.parse(result.out).trips.map((t: any) => t.reason)).toEqual(['production-writes']);
  });

  test('its rule\'s state: a plain ENABLED rule never sees the denied reads', async () => {
    const dir = synthesizeApp((app) => {
      codingAgent(app);
      breakerOf(app).rule.addPropertyOverride('State', 'ENABLED');
    }).dir;
    const result = await run('breaker', 'replay', '--app', dir, '--events', SAMPLE, '--json');
    expect(JSON.parse(result.out).trips.map((t: any) => t.reason)).toEqual(['production-writes']);
  });

  test('its pattern: an agent it does not watch is not counted', async () => {
    const dir = synthesizeApp((app) => buildBreakerApp(app)).dir;
    const others = records.map((r) => JSON.parse(JSON.stringify(r).replace(/coding-agent/g, 'review-agent')));
    const result = await run('breaker', 'replay', '--app', dir, '--events', file('others.json', JSON.stringify(others)), '--json');
    expect(JSON.parse(result.out)).toEqual({ trips: [] });
  });
});

describe('breaker replay on an estate of 60 production stacks', () => {
  /** 60 production stacks, each with a table and a queue named in full (the 60th's sort last), then the guardrails. */
  function estate(app: App) {
    const env = { account: ACCOUNT, region: 'us-east-1' };
    for (let i = 1; i <= 60; i++) {
      const n = String(i).padStart(2, '0');
      const prod = new Stack(app, `Service${n}`, { stackName: `payments-production-service-${n}`, env });
      new dynamodb.Table(prod, 'Table', { tableName: `payments-ledger-${n}`, partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
      new sqs.Queue(prod, 'Queue', { queueName: `payments-incoming-${n}` });
      new ProductionProtection(prod, 'ProductionProtection');
    }
    const stack = new Stack(app, 'AgentGuardrails', { stackName: 'agent-guardrails', env });
    const boundary = new AgentPermissionsBoundary(stack, 'AgentBoundary');
    const agent = new AgentRole(stack, 'CodingAgent', { agentName: 'coding-agent', boundary, assumedBy: new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/agent-launcher`) });
    const approval = new TwoPersonApproval(stack, 'Approval', { approvers: [Approver.identityCenterUser('alice@example.com'), Approver.identityCenterUser('bob@example.com')] });
    new AgentCircuitBreaker(stack, 'CircuitBreaker', { agents: [agent], approval });
  }

  test('synthesizes, and replay runs the whole configuration: a write to the 60th stack trips it', async () => {
    const dir = synthesizeApp(estate).dir;
    const config = breakerCodeAsset(dir).config();
    expect(config.production.stackNames).toHaveLength(60);
    expect(config.production.resourceNames.slice(-1)).toEqual(['payments-ledger-60']);
    // Far more than a Lambda environment could hold (4 KB for every variable).
    expect(JSON.stringify(config).length).toBeGreaterThan(4096);
    const write = (id: string, tableName: string) =>
      record({ eventID: id, eventTime: '2026-11-30T10:00:00Z', eventSource: 'dynamodb.amazonaws.com', eventName: 'DeleteTable', readOnly: false, requestParameters: { tableName } });
    const events = file('estate.json', JSON.stringify({ Records: [write('dev-write', 'payments-ledger-staging'), write('prod-write', 'payments-ledger-60')] }));
    const result = await run('breaker', 'replay', '--app', dir, '--events', events, '--json');
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(result.out)).toEqual({ trips: [{ agent: 'coding-agent', at: '2026-11-30T10:00:00Z', reason: 'production-writes', events: ['prod-write'] }] });
  });
});

describe('breaker replay reads the configuration from the breaker\'s code asset', () => {
  /** A copy of the example's cdk.out, its breaker's code asset changed by `change`. */
  function exampleWith(change: (assetDir: string) => void): string {
    const dir = fs.mkdtempSync(path.join(tmp, 'app-'));
    fs.cpSync(example, dir, { recursive: true });
    change(breakerCodeAsset(dir).dir);
    return dir;
  }

  test.each([
    ['the code asset is missing', (asset: string) => fs.rmSync(asset, { recursive: true }), /--app: the code asset of the breaker AgentGuardrails\/CircuitBreaker in agent-guardrails is missing: .*asset\.[0-9a-f]{64} is not a directory; give replay the whole cdk\.out directory/],
    ['breaker-config.json is missing', (asset: string) => fs.rmSync(path.join(asset, 'breaker-config.json')), /--app: .*breaker-config\.json cannot be read \(ENOENT\): the code of the breaker AgentGuardrails\/CircuitBreaker in agent-guardrails holds no configuration; synthesize the app again/],
    ['breaker-config.json is garbled', (asset: string) => fs.writeFileSync(path.join(asset, 'breaker-config.json'), '{"agents": ['), /--app: .*breaker-config\.json, the configuration of the breaker AgentGuardrails\/CircuitBreaker in agent-guardrails, is not valid: it is not JSON/],
    ['breaker-config.json watches no agent', (asset: string) => fs.writeFileSync(path.join(asset, 'breaker-config.json'), '{"agents": []}'), /is not valid: agents must list at least one agent, got \[\]/],
  ])('fails when %s', async (_name, change, message) => {
    const result = await run('breaker', 'replay', '--app', exampleWith(change), '--events', SAMPLE);
    expect(result.code).toBe(2);
    expect(result.err.split('\n')).toHaveLength(1);
    expect(result.err).toMatch(message);
  });

  test('finds it in the root assembly for a breaker in a Stage (the nested assembly names ../asset.<hash>)', async () => {
    const dir = synthesizeApp((app) => void buildBreakerApp(new Stage(app, 'Prod'))).dir;
    const result = await run('breaker', 'replay', '--app', dir, '--events', SAMPLE, '--json');
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(result.out).trips.map((t: any) => t.reason)).toEqual(['denied-calls', 'production-writes']);
  });

  test('fails when no asset manifest publishes the function\'s code', async () => {
    const dir = exampleWith(() => undefined);
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.assets.json'))) fs.writeFileSync(path.join(dir, f), JSON.stringify({ version: '55.0.0', files: {} }));
    const result = await run('breaker', 'replay', '--app', dir, '--events', SAMPLE);
    expect(result).toMatchObject({ code: 2, err: expect.stringMatching(/--app: the code of the breaker AgentGuardrails\/CircuitBreaker in agent-guardrails \(S3 key [0-9a-f]{64}\.zip\) is in none of the asset manifests of /) });
  });

  test('reads it through the asset metadata when the S3 key is not literal (another stack synthesizer)', async () => {
    const dir = exampleWith(() => undefined);
    const templateFile = path.join(dir, 'AgentGuardrails.template.json');
    const template = JSON.parse(fs.readFileSync(templateFile, 'utf8'));
    const fn: any = Object.values(template.Resources).find((r: any) => r.Properties?.Handler === 'index.breaker');
    fn.Properties.Code.S3Key = { 'Fn::Join': ['', [{ Ref: 'AssetParametersKey' }, '.zip']] };
    fs.writeFileSync(templateFile, JSON.stringify(template));
    const result = await run('breaker', 'replay', '--app', dir, '--events', SAMPLE, '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out).trips).toHaveLength(2);
    delete fn.Metadata['aws:asset:path'];
    fs.writeFileSync(templateFile, JSON.stringify(template));
    const without = await run('breaker', 'replay', '--app', dir, '--events', SAMPLE);
    expect(without).toMatchObject({ code: 2, err: expect.stringMatching(/has no S3 key replay can read offline .* and no aws:asset:path metadata; synthesize the app with the default stack synthesizer/) });
  });
});

describe('breaker replay refuses bad input with exit 2 and one line', () => {
  test.each([
    ['an unknown action', ['breaker', 'rewind', '--app', 'cdk.out', '--events', SAMPLE], /breaker takes the action replay, got "rewind"/],
    ['no --app', ['breaker', 'replay', '--events', SAMPLE], /breaker replay needs --app CDK_OUT/],
    ['no --events', ['breaker', 'replay', '--app', 'cdk.out'], /breaker replay needs --events PATH/],
    ['an --app that is not a cloud assembly', ['breaker', 'replay', '--app', tmp, '--events', SAMPLE], /is not a cloud assembly \(no manifest.json\)/],
    ['events that do not exist', ['breaker', 'replay', '--app', '<example>', '--events', path.join(tmp, 'nope.json')], /--events .*nope.json: cannot be read \(ENOENT\)/],
    ['events that are not JSON', ['breaker', 'replay', '--app', '<example>', '--events', '<garbage>'], /--events .*garbage.txt: line 1 is not JSON/],
    ['events that are not events', ['breaker', 'replay', '--app', '<example>', '--events', '<number>'], /--events .*number.json: holds 42, not an event/],
  ])('fails when given %s', async (_name, argv, message) => {
    const args = argv.map((a) => (a === '<example>' ? example : a === '<garbage>' ? file('garbage.txt', 'not json\n{') : a === '<number>' ? file('number.json', '42') : a));
    const result = await run(...args);
    expect(result.code).toBe(2);
    expect(result.err.split('\n')).toHaveLength(1);
    expect(result.err).toMatch(message);
  });

  test('fails when the app has no circuit breaker', async () => {
    const dir = synthesizeApp((app) => {
      new Stack(app, 'Empty').node.addMetadata('x', 'y');
    }, { sketchResources: true }).dir;
    const result = await run('breaker', 'replay', '--app', dir, '--events', SAMPLE);
    expect(result).toMatchObject({ code: 2, err: expect.stringMatching(/--app: no AgentCircuitBreaker in .*; give the cdk.out of an app that has one/) });
  });

  test('fails when the rule\'s pattern holds a value that cannot be read offline', async () => {
    const dir = synthesizeApp((app) => {
      codingAgent(app);
      const breaker = breakerOf(app);
      breaker.rule.addPropertyOverride('EventPattern.detail.userIdentity.$or.0.sessionContext.sessionIssuer.arn', [{ 'Fn::GetAtt': ['CodingAgent', 'Arn'] }]);
    }, { skipSynthChecks: true }).dir;
    const result = await run('breaker', 'replay', '--app', dir, '--events', SAMPLE);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/the event pattern of the breaker AgentGuardrails\/CircuitBreaker in agent-guardrails holds a value replay cannot read offline/);
  });

  test('fails when the app has two breakers and none is chosen, and replays the one chosen', async () => {
    const dir = synthesizeApp((app) => {
      const { stack, reviewer } = buildBreakerApp(app);
      const second = new TwoPersonApproval(stack, 'Approval2', { approvers: [Approver.identityCenterUser('a@example.com'), Approver.identityCenterUser('b@example.com')] });
      new AgentCircuitBreaker(stack, 'Second', { agents: [reviewer], approval: second });
    }).dir;
    const ambiguous = await run('breaker', 'replay', '--app', dir, '--events', SAMPLE);
    expect(ambiguous).toMatchObject({ code: 2, err: expect.stringMatching(/holds 2 circuit breakers \(AgentGuardrails\/CircuitBreaker, AgentGuardrails\/Second\); choose one with --breaker PATH/) });
    const chosen = await run('breaker', 'replay', '--app', dir, '--events', SAMPLE, '--breaker', 'AgentGuardrails/CircuitBreaker', '--json');
    expect(chosen.code).toBe(0);
    expect(JSON.parse(chosen.out).trips).toHaveLength(2);
  });
});

test('the command is in the help', async () => {
  const result = await run('--help');
  expect(result.out).toMatch(/breaker \[options\] <action>\s+replay: when the app's circuit breaker would/);
});
