/**
 * Every file in examples/ is synthesized here, so no example can go stale, and the main example's
 * promise is checked with the policy simulator on its synthesized templates.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { agentEvaluator, stackArn } from './support/template';

const EXAMPLES = path.join(__dirname, '..', 'examples');
const exampleFiles = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.ts'));

test('there are examples', () => {
  expect(exampleFiles.length).toBeGreaterThan(0);
});

describe.each(exampleFiles)('examples/%s', (file) => {
  test('synthesizes without errors or warnings, CDK\'s own CloudFormation validation included', () => {
    const { buildApp } = require(path.join(EXAMPLES, file)) as { buildApp: (app?: App) => App };
    // The other tests run without CDK's built-in validation (test/support/setup-env.js); here it runs.
    const saved = process.env.CDK_VALIDATION;
    process.env.CDK_VALIDATION = 'true';
    let assembly;
    try {
      assembly = buildApp(new App()).synth();
    } finally {
      process.env.CDK_VALIDATION = saved;
    }
    const messages = assembly.stacks.flatMap((s) => s.messages).filter((m) => m.level !== 'info');
    expect(messages.map((m) => `${m.id}: ${m.entry.data}`)).toEqual([]);
    expect(assembly.stacks.length).toBeGreaterThan(0);
    const report = path.join(assembly.directory, 'validation-report.json');
    const violations = fs.existsSync(report)
      ? (JSON.parse(fs.readFileSync(report, 'utf8')).pluginReports as Array<{ pluginName: string; violations: Array<{ ruleName: string; description: string }> }>).flatMap((p) => p.violations.map((v) => `${p.pluginName} ${v.ruleName}: ${v.description}`))
      : [];
    expect(violations).toEqual([]);
  });
});

describe('examples/coding-agent.ts', () => {
  let decide: ReturnType<typeof agentEvaluator>['decide'];
  let deployRole: string;

  beforeAll(() => {
    const { buildApp } = require(path.join(EXAMPLES, 'coding-agent.ts'));
    const template = (buildApp(new App()) as App).synth().getStackByName('agent-guardrails').template;
    ({ decide, deployRoleArn: deployRole } = agentEvaluator(template, 'coding-agent'));
  });

  test('the coding agent deploys the development stack through its deploy role', async () => {
    expect(await decide('cloudformation:UpdateStack', stackArn('orders-dev'), { 'cloudformation:RoleArn': deployRole })).toBe('Allowed');
    expect(await decide('cloudformation:DeleteStack', stackArn('orders-dev'), { 'cloudformation:RoleArn': deployRole })).toBe('Allowed');
  });

  test('the coding agent reads production but cannot delete, update or recreate it', async () => {
    const production = { 'aws:ResourceTag/Environment': 'production' };
    expect(await decide('cloudformation:GetTemplate', stackArn('orders-prod'), production)).toBe('Allowed');
    for (const action of ['cloudformation:DeleteStack', 'cloudformation:UpdateStack']) {
      expect(await decide(action, stackArn('orders-prod'), { ...production, 'cloudformation:RoleArn': deployRole })).toBe('ExplicitlyDenied');
    }
    // Recreating it: a new stack carrying the production tag.
    expect(await decide('cloudformation:CreateStack', stackArn('orders-prod-v2'), { 'aws:RequestTag/Environment': 'production', 'cloudformation:RoleArn': deployRole })).toBe('ExplicitlyDenied');
  });
});
