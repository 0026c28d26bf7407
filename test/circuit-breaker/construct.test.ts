/**
 * The AgentCircuitBreaker construct as it synthesizes: the rule, its pattern and state, the state
 * table, the functions and what they may do, the reset role, the tags; and its validation.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Aspects, CfnParameter, Duration, IAspect, Lazy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AgentCircuitBreaker, AgentPermissionsBoundary, AgentRole, Approver, ProductionProtection, TwoPersonApproval } from '../../lib';
import { CONFIG_LIMIT_BYTES } from '../../lib/circuit-breaker/logic/config';
import { HANDLER_BUNDLE_DIR } from '../../lib/approval-workflow/two-person-approval';
import { synthesizeApp } from '../support/assembly';
import { ACCOUNT } from './fixtures/records';
import { breakerCodeAsset, buildBreakerApp } from './support';

const COMPONENT = { Key: 'agent-guardrails:component', Value: 'circuit-breaker' };

function synth(props: Parameters<typeof buildBreakerApp>[1] = {}) {
  const built = buildBreakerApp(new App(), props);
  return { ...built, template: Template.fromStack(built.stack) };
}

/** The configuration in the breaker's code asset, once `app` is synthesized. */
function breakerConfig(app: App): any {
  return breakerCodeAsset(app.outdir).config();
}

describe('AgentCircuitBreaker', () => {
  test('a rule on the default bus that also receives read-only management events (denied reads)', () => {
    const { template } = synth();
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      State: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
      EventBusName: Match.absent(),
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CircuitBreakerHandler'), 'Arn'] }, DeadLetterConfig: Match.anyValue() })],
    });
  });

  test('matches the agents\' API calls by role ARN with its path, and by source identity', () => {
    const { template } = synth();
    const rule = Object.values(template.findResources('AWS::Events::Rule'))[0].Properties;
    expect(rule.EventPattern).toMatchObject({
      source: [{ prefix: 'aws.' }],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        userIdentity: {
          $or: [
            { sessionContext: { sessionIssuer: { arn: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/agent-guardrails/agent/coding-agent']] }] } } },
            { sessionContext: { sourceIdentity: ['coding-agent'] } },
            { sourceIdentity: ['coding-agent'] },
          ],
        },
        $or: [{ errorCode: ['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'Client.UnauthorizedOperation'] }, { readOnly: [false] }, { readOnly: [{ exists: false }] }],
      },
    });
  });

  test('addAgent watches another agent', () => {
    const { app, breaker, reviewer } = buildBreakerApp(new App());
    breaker.addAgent(reviewer);
    const template = Template.fromStack(Stack.of(breaker));
    const rule = Object.values(template.findResources('AWS::Events::Rule'))[0].Properties;
    expect(rule.EventPattern.detail.userIdentity.$or[1]).toEqual({ sessionContext: { sourceIdentity: ['coding-agent', 'review-agent'] } });
    expect(breakerConfig(app).agents.map((a: any) => a.name)).toEqual(['coding-agent', 'review-agent']);
  });

  test('keeps its state in a table only its functions read or write, kept with its history', () => {
    const { template } = synth();
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [{ AttributeName: 'agent', KeyType: 'HASH' }],
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        Tags: Match.arrayWith([COMPONENT]),
        ResourcePolicy: {
          PolicyDocument: Match.objectLike({
            Statement: [Match.objectLike({ Effect: 'Deny', Principal: { AWS: '*' }, Condition: { ArnNotEquals: { 'aws:PrincipalArn': [Match.anyValue(), Match.anyValue()] } } })],
          }),
        },
      }),
    });
  });

  test('tags everything it creates with the guardrails\' component tag, which agents cannot touch', () => {
    const { template } = synth();
    for (const type of ['AWS::Events::Rule', 'AWS::Lambda::Function', 'AWS::DynamoDB::Table', 'AWS::SNS::Topic', 'AWS::SQS::Queue', 'AWS::CloudWatch::Alarm', 'AWS::Logs::LogGroup']) {
      const untagged = Object.entries(template.findResources(type))
        .filter(([id]) => id.startsWith('CircuitBreaker'))
        .filter(([, r]) => !(r.Properties.Tags ?? []).some((t: any) => t.Key === COMPONENT.Key && t.Value === COMPONENT.Value));
      expect({ type, untagged: untagged.map(([id]) => id) }).toEqual({ type, untagged: [] });
    }
  });

  test('its thresholds and production live in its functions\' code, not their environment', () => {
    const { app, template } = synth({ thresholds: { deniedCalls: { count: 3, window: Duration.minutes(5) } } });
    template.allResourcesProperties('AWS::Lambda::Function', { Environment: { Variables: Match.not(Match.objectLike({ AGENT_GUARDRAILS_BREAKER_CONFIG: Match.anyValue() })) } });
    expect(breakerConfig(app)).toEqual({
      agents: [{ name: 'coding-agent', roleName: 'coding-agent', rolePath: '/agent-guardrails/agent/' }],
      thresholds: { deniedCalls: { count: 3, windowSeconds: 300 }, productionWrites: { count: 1, windowSeconds: 600 } },
      production: { stackNames: ['orders-prod'], resourceNames: ['payments-ledger'] },
    });
  });

  test('the breaker may quarantine the watched agents\' roles only; the reset may only lift it', () => {
    const { template } = synth();
    const policyOf = (prefix: string) => {
      const [policy] = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith(prefix));
      return policy[1].Properties.PolicyDocument.Statement;
    };
    const agentArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/agent-guardrails/agent/coding-agent']] };
    expect(policyOf('CircuitBreakerHandlerServiceRole')).toContainEqual({ Sid: 'QuarantineAgents', Effect: 'Allow', Action: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'], Resource: agentArn });
    expect(policyOf('CircuitBreakerResetServiceRole')).toContainEqual({ Sid: 'ReleaseAgents', Effect: 'Allow', Action: 'iam:DeleteRolePolicy', Resource: agentArn });
    expect(JSON.stringify(policyOf('CircuitBreakerResetServiceRole'))).not.toContain('iam:PutRolePolicy');
  });

  test('the workflow gets an elevated role whose sessions may only invoke the reset function, without a warning', () => {
    const { template, app } = synth();
    template.hasResourceProperties('AWS::IAM::Role', {
      Path: '/agent-guardrails/elevated/',
      RoleName: Match.stringLikeRegexp('circuit-breaker-reset$'),
      Policies: [
        {
          PolicyName: 'Elevated',
          PolicyDocument: { Version: '2012-10-17', Statement: [{ Sid: 'ResetCircuitBreaker', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CircuitBreakerReset'), 'Arn'] } }] },
        },
      ],
    });
    const config = JSON.parse(Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.api' } }))[0].Properties.Environment.Variables.AGENT_GUARDRAILS_CONFIG['Fn::Join'][1].join(''));
    expect(config.roles['circuit-breaker-reset']).toMatchObject({ changeSetRequired: false, maxSessionSeconds: 900 });
    const warnings = app.synth().stacks.flatMap((s) => s.messages).filter((m) => m.level === 'warning');
    expect(warnings.map((w) => w.entry.data)).toEqual([]);
  });

  test('tells a security topic of its own by default, or the one given', () => {
    const built = buildBreakerApp(new App());
    expect(built.breaker.securityTopic).toBeInstanceOf(sns.Topic);
    const other = buildBreakerApp(new App(), { securityTopic: undefined });
    const topic = new sns.Topic(other.stack, 'Security');
    const third = new AgentCircuitBreaker(other.stack, 'Second', { agents: [other.reviewer], approval: new TwoPersonApproval(other.stack, 'Approval2', { approvers: [Approver.identityCenterUser('a@example.com'), Approver.identityCenterUser('b@example.com')] }), securityTopic: topic });
    expect(third.securityTopic).toBe(topic);
  });
});

describe('AgentCircuitBreaker code', () => {
  /** Synthesizes `build`'s app as cdk synth does (asset metadata included) into a new directory. */
  function synthesized(build: (app: App) => AgentCircuitBreaker, context: Record<string, unknown> = {}) {
    let breaker!: AgentCircuitBreaker;
    const { dir } = synthesizeApp((app) => {
      for (const [key, value] of Object.entries(context)) app.node.setContext(key, value);
      breaker = build(app);
    });
    const template = JSON.parse(fs.readFileSync(path.join(dir, 'AgentGuardrails.template.json'), 'utf8'));
    const fn = (handler: string): any => Object.values(template.Resources).find((r: any) => r.Type === 'AWS::Lambda::Function' && r.Properties.Handler === handler);
    return { dir, breaker, fn, asset: breakerCodeAsset(dir) };
  }

  test('both functions run one asset: the handler bundle and breaker-config.json, which is breakerConfig()', () => {
    const { breaker, fn, asset } = synthesized((app) => buildBreakerApp(app).breaker);
    expect(asset.config()).toEqual(breaker.breakerConfig());
    expect(breaker.breakerConfig().production).toEqual({ stackNames: ['orders-prod'], resourceNames: ['payments-ledger'] });
    expect(fs.readdirSync(asset.dir).sort()).toEqual(['breaker-config.json', 'index.js']);
    expect(fs.readFileSync(path.join(asset.dir, 'index.js'), 'utf8') === fs.readFileSync(path.join(HANDLER_BUNDLE_DIR, 'index.js'), 'utf8')).toBe(true);
    expect(fn('index.breakerReset').Properties.Code).toEqual(fn('index.breaker').Properties.Code);
    expect(fn('index.api').Properties.Code.S3Key).not.toEqual(asset.key);
    // Tools that run functions locally (sam local) find the code by its metadata.
    for (const handler of ['index.breaker', 'index.breakerReset']) {
      expect(fn(handler).Metadata).toMatchObject({ 'aws:asset:path': path.basename(asset.dir), 'aws:asset:property': 'Code' });
    }
  });

  test('the same app gives the same asset; production that differs by one name gives another', () => {
    const plain = (app: App) => buildBreakerApp(app).breaker;
    const first = synthesized(plain);
    const again = synthesized(plain);
    const renamed = synthesized((app) => {
      const built = buildBreakerApp(app);
      new sqs.Queue(built.prod, 'Outgoing', { queueName: 'orders-outgoing' });
      return built.breaker;
    });
    expect(again.asset.key).toBe(first.asset.key);
    expect(fs.readFileSync(path.join(again.dir, 'AgentGuardrails.template.json'), 'utf8')).toBe(fs.readFileSync(path.join(first.dir, 'AgentGuardrails.template.json'), 'utf8'));
    expect(renamed.asset.key).not.toBe(first.asset.key);
    expect(renamed.asset.config().production.resourceNames).toEqual(['orders-outgoing', 'payments-ledger']);
  });

  test('leaves nothing of its own in the assembly but the staged asset', () => {
    const { dir } = synthesized((app) => buildBreakerApp(app).breaker);
    expect(fs.readdirSync(dir).filter((f) => !/^asset\.[0-9a-f]{64}$/.test(f) && !/\.(json|out)$/.test(f))).toEqual([]);
  });

  test('with asset staging disabled (sam local), the asset is the directory it wrote, kept in the assembly', () => {
    const { dir, breaker, fn, asset } = synthesized((app) => buildBreakerApp(app).breaker, { 'aws:cdk:disable-asset-staging': true });
    expect(path.isAbsolute(fn('index.breaker').Metadata['aws:asset:path'])).toBe(true);
    expect(asset.dir.startsWith(dir + path.sep)).toBe(true);
    expect(asset.config()).toEqual(breaker.breakerConfig());
  });

  test('reads production after every other aspect: a name an aspect gives a later production stack counts', () => {
    const { asset } = synthesized((app) => {
      const stack = new Stack(app, 'AgentGuardrails', { env: { account: ACCOUNT, region: 'us-east-1' } });
      const boundary = new AgentPermissionsBoundary(stack, 'Boundary');
      const agent = new AgentRole(stack, 'Agent', { agentName: 'coding-agent', boundary, assumedBy: new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/launcher`) });
      const approval = new TwoPersonApproval(stack, 'Approval', { approvers: [Approver.identityCenterUser('a@example.com'), Approver.identityCenterUser('b@example.com')] });
      const breaker = new AgentCircuitBreaker(stack, 'CircuitBreaker', { agents: [agent], approval });
      const prod = new Stack(app, 'Prod', { stackName: 'orders-prod', env: { account: ACCOUNT, region: 'us-east-1' } });
      new dynamodb.Table(prod, 'Ledger', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
      new ProductionProtection(prod, 'ProductionProtection');
      const naming: IAspect = { visit: (node) => void (node instanceof dynamodb.CfnTable && (node.tableName = 'orders-ledger')) };
      Aspects.of(prod).add(naming);
      return breaker;
    });
    expect(asset.config().production.resourceNames).toEqual(['orders-ledger']);
  });

  test('an aspect that resolves the functions before their code is built does not stop synth', () => {
    const seen: unknown[] = [];
    const { fn, asset } = synthesized((app) => {
      const built = buildBreakerApp(app);
      Aspects.of(app).add({ visit: (node) => void (node instanceof lambda.CfnFunction && seen.push(Stack.of(node).resolve(node.code))) });
      return built.breaker;
    });
    expect(seen.length).toBeGreaterThan(0);
    expect(fn('index.breaker').Properties.Code.S3Key).toBe(asset.key);
  });
});

describe('AgentCircuitBreaker validation', () => {
  function base() {
    const app = new App();
    const stack = new Stack(app, 'G', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const boundary = new AgentPermissionsBoundary(stack, 'Boundary');
    const agent = new AgentRole(stack, 'Agent', { agentName: 'coding-agent', boundary, assumedBy: new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/launcher`) });
    const approval = new TwoPersonApproval(stack, 'Approval', { approvers: [Approver.identityCenterUser('a@example.com'), Approver.identityCenterUser('b@example.com')] });
    return { app, stack, boundary, agent, approval };
  }

  test('fails when thresholds are out of range, naming every problem at once', () => {
    const { stack, agent, approval } = base();
    expect(() => new AgentCircuitBreaker(stack, 'Breaker', {
      agents: [agent],
      approval,
      thresholds: { deniedCalls: { count: 0, window: Duration.seconds(30) }, productionWrites: { count: 1.5, window: Duration.hours(25) } },
    })).toThrow(
      new RegExp([
        'thresholds.deniedCalls.count must be a whole number from 1 to 100, got 0',
        'thresholds.deniedCalls.window must be from 1 minute to 24 hours, got 30 seconds',
        'thresholds.productionWrites.count must be a whole number from 1 to 100, got 1.5',
        'thresholds.productionWrites.window must be from 1 minute to 24 hours, got 1 day 1 hour',
      ].map((p) => p.replace(/\./g, '\\.')).join('[\\s\\S]*')),
    );
  });

  test('skips values that are still tokens', () => {
    const { stack, agent, approval } = base();
    expect(() => new AgentCircuitBreaker(stack, 'Breaker', { agents: [agent], approval, thresholds: { deniedCalls: { count: Lazy.number({ produce: () => 5 }), window: Duration.minutes(10) } } })).not.toThrow();
  });

  test('fails when no agent is watched, at synth', () => {
    const { app, stack, approval } = base();
    new AgentCircuitBreaker(stack, 'Breaker', { approval });
    expect(() => app.synth()).toThrow(/agents must name at least one AgentRole, got none; pass agents: \[agent\] or call addAgent\(agent\)/);
  });

  test('fails when an agent is watched twice', () => {
    const { app, stack, agent, approval } = base();
    const breaker = new AgentCircuitBreaker(stack, 'Breaker', { agents: [agent], approval });
    breaker.addAgent(agent);
    expect(() => app.synth()).toThrow(/names coding-agent \(G\/Agent\) twice/);
  });

  test('fails when an agent is in another account', () => {
    const { app, stack, boundary, approval } = base();
    const elsewhere = new Stack(app, 'Elsewhere', { env: { account: '444455556666', region: 'us-east-1' } });
    const remote = new AgentRole(elsewhere, 'Agent', { agentName: 'remote-agent', boundary: new AgentPermissionsBoundary(elsewhere, 'Boundary'), assumedBy: new iam.ArnPrincipal('arn:aws:iam::444455556666:role/launcher') });
    void boundary;
    new AgentCircuitBreaker(stack, 'Breaker', { agents: [remote], approval });
    expect(() => app.synth()).toThrow(/remote-agent is in account 444455556666, the breaker in 111122223333/);
  });

  test('fails when a second breaker would reset through the same workflow', () => {
    const { stack, agent, approval } = base();
    new AgentCircuitBreaker(stack, 'Breaker', { agents: [agent], approval });
    expect(() => new AgentCircuitBreaker(stack, 'Another', { agents: [agent], approval })).toThrow(/already resets another AgentCircuitBreaker/);
  });

  test('fails when its configuration is larger than its functions load', () => {
    const { app, stack, agent, approval } = base();
    const prod = new Stack(app, 'Prod', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const long = 'q'.repeat(Math.ceil(CONFIG_LIMIT_BYTES / 100));
    for (let i = 0; i < 101; i++) new sqs.CfnQueue(prod, `Queue${i}`, { queueName: `${long}${i}` });
    new ProductionProtection(prod, 'ProductionProtection');
    new AgentCircuitBreaker(stack, 'Breaker', { agents: [agent], approval });
    try {
      expect(() => app.synth()).toThrow(/its configuration is \d+ bytes, more than the 10485760 its functions load: it lists every production stack and every physical name/);
    } finally {
      fs.rmSync(app.outdir, { recursive: true, force: true });
    }
  });

  test('a configuration of hundreds of kilobytes is written whole', () => {
    const { app, stack, agent, approval } = base();
    const prod = new Stack(app, 'Prod', { env: { account: ACCOUNT, region: 'us-east-1' } });
    for (let i = 0; i < 400; i++) new sqs.CfnQueue(prod, `Queue${i}`, { queueName: `orders-production-queue-${i}-${'x'.repeat(600)}` });
    new ProductionProtection(prod, 'ProductionProtection');
    new AgentCircuitBreaker(stack, 'Breaker', { agents: [agent], approval });
    app.synth();
    const config = breakerCodeAsset(app.outdir, 'G').config();
    expect(config.production.resourceNames).toHaveLength(400);
    expect(JSON.stringify(config).length).toBeGreaterThan(240_000);
  });

  test('fails when a threshold is a value its functions could not read (a parameter)', () => {
    const { app, stack, agent, approval } = base();
    const count = new CfnParameter(stack, 'Count', { type: 'Number' }).valueAsNumber;
    new AgentCircuitBreaker(stack, 'Breaker', { agents: [agent], approval, thresholds: { deniedCalls: { count, window: Duration.minutes(10) } } });
    expect(() => app.synth()).toThrow(/its configuration is one its functions would refuse: thresholds\.deniedCalls must be a count from 1 to 100 and a windowSeconds from 60 to 86400, got \{"count":\{"Ref":"Count"\}/);
  });

  test('fails when production changes after the breaker wrote its configuration', () => {
    const { app, stack, agent, approval } = base();
    const prod = new Stack(app, 'Prod', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const queue = new sqs.CfnQueue(prod, 'Queue', { queueName: 'orders-incoming' });
    new ProductionProtection(prod, 'ProductionProtection');
    new AgentCircuitBreaker(stack, 'Breaker', { agents: [agent], approval });
    // A validation is too late to change the app: the functions' code is built by then.
    app.node.addValidation({ validate: () => ((queue.queueName = 'orders-renamed'), []) });
    expect(() => app.synth()).toThrow(/the agents or production changed after the breaker wrote its configuration at the end of the aspects: its functions would run without the change/);
  });

  test('fails when the quarantine is left to something that is not a TwoPersonApproval', () => {
    const { stack, agent } = base();
    expect(() => new AgentCircuitBreaker(stack, 'Breaker', { agents: [agent], approval: {} as TwoPersonApproval })).toThrow(/approval must be a TwoPersonApproval/);
  });
});

