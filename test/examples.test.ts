/**
 * Every file in examples/ is synthesized here, so no example can go stale, and the main example's
 * promise is checked with the policy simulator on its synthesized templates.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { ACCOUNT, AGENT_ROLE_ARN, simulate } from './support/simulator';
import { boundaryDocument, inlinePoliciesOf, REGION, resourcesOfType } from './support/template';

const EXAMPLES = path.join(__dirname, '..', 'examples');
const exampleFiles = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.ts'));

test('there are examples', () => {
  expect(exampleFiles.length).toBeGreaterThan(0);
});

describe.each(exampleFiles)('examples/%s', (file) => {
  test('synthesizes without errors or warnings', () => {
    const { buildApp } = require(path.join(EXAMPLES, file)) as { buildApp: (app?: App) => App };
    const assembly = buildApp(new App()).synth();
    const messages = assembly.stacks.flatMap((s) => s.messages).filter((m) => m.level !== 'info');
    expect(messages.map((m) => `${m.id}: ${m.entry.data}`)).toEqual([]);
    expect(assembly.stacks.length).toBeGreaterThan(0);
  });
});

describe('examples/coding-agent.ts', () => {
  let identity: any[];
  let boundary: any;
  let deployRole: string;

  beforeAll(() => {
    const { buildApp } = require(path.join(EXAMPLES, 'coding-agent.ts'));
    const template = (buildApp(new App()) as App).synth().getStackByName('agent-guardrails').template;
    const agentId = resourcesOfType(template, 'AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === 'coding-agent')![0];
    identity = inlinePoliciesOf(template, agentId);
    boundary = boundaryDocument(template);
    const deployId = resourcesOfType(template, 'AWS::IAM::Role').find(([, r]) => r.Properties.Path === '/agent-guardrails/service/')![0];
    deployRole = `arn:aws:iam::${ACCOUNT}:role/agent-guardrails/service/${deployId}`;
  });

  const stack = (name: string) => `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${name}/4d3c2b1a-0000-1111-2222-333344445555`;
  const decide = (action: string, resource: string, context: Record<string, string | string[]> = {}) =>
    simulate({ action, resource, context, principal: AGENT_ROLE_ARN }, { identity, boundary }).then((d) => d.result);

  test('the coding agent deploys the development stack through its deploy role', async () => {
    expect(await decide('cloudformation:UpdateStack', stack('orders-dev'), { 'cloudformation:RoleArn': deployRole })).toBe('Allowed');
    expect(await decide('cloudformation:DeleteStack', stack('orders-dev'), { 'cloudformation:RoleArn': deployRole })).toBe('Allowed');
  });

  test('the coding agent reads production but cannot delete, update or recreate it', async () => {
    expect(await decide('cloudformation:GetTemplate', stack('orders-prod'))).toBe('Allowed');
    for (const action of ['cloudformation:DeleteStack', 'cloudformation:UpdateStack', 'cloudformation:CreateStack']) {
      expect(await decide(action, stack('orders-prod'), { 'cloudformation:RoleArn': deployRole })).toBe('ExplicitlyDenied');
    }
  });
});
