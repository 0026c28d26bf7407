/**
 * The AgentCircuitBreaker construct as it synthesizes: the rule, its pattern and state, the state
 * table, the functions and what they may do, the reset role, the tags; and its validation.
 */
import { App, Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AgentCircuitBreaker, AgentPermissionsBoundary, AgentRole, Approver, ProductionProtection, TwoPersonApproval } from '../../lib';
import { BREAKER_ENV } from '../../lib/circuit-breaker/handlers/env';
import { ACCOUNT } from './fixtures/records';
import { buildBreakerApp } from './support';

const COMPONENT = { Key: 'agent-guardrails:component', Value: 'circuit-breaker' };

function synth(props: Parameters<typeof buildBreakerApp>[1] = {}) {
  const built = buildBreakerApp(new App(), props);
  return { ...built, template: Template.fromStack(built.stack) };
}

function breakerConfig(template: Template): any {
  const fns = template.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.breaker' } });
  return JSON.parse(Object.values(fns)[0].Properties.Environment.Variables[BREAKER_ENV.config]);
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
    const { breaker, reviewer } = buildBreakerApp(new App());
    breaker.addAgent(reviewer);
    const template = Template.fromStack(Stack.of(breaker));
    const rule = Object.values(template.findResources('AWS::Events::Rule'))[0].Properties;
    expect(rule.EventPattern.detail.userIdentity.$or[1]).toEqual({ sessionContext: { sourceIdentity: ['coding-agent', 'review-agent'] } });
    expect(breakerConfig(template).agents.map((a: any) => a.name)).toEqual(['coding-agent', 'review-agent']);
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

  test('its thresholds and production live in its functions\' environment', () => {
    const { template } = synth({ thresholds: { deniedCalls: { count: 3, window: Duration.minutes(5) } } });
    expect(breakerConfig(template)).toEqual({
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

  test('fails when its configuration would not fit a Lambda environment', () => {
    const { app, stack, agent, approval } = base();
    const prod = new Stack(app, 'Prod', { env: { account: ACCOUNT, region: 'us-east-1' } });
    for (let i = 0; i < 120; i++) new sqs.Queue(prod, `Queue${i}`, { queueName: `orders-production-queue-number-${i}` });
    new ProductionProtection(prod, 'ProductionProtection');
    new AgentCircuitBreaker(stack, 'Breaker', { agents: [agent], approval });
    expect(() => app.synth()).toThrow(/the breaker's configuration is \d+ characters, more than the 3000 a Lambda environment leaves it/);
  });

  test('fails when the quarantine is left to something that is not a TwoPersonApproval', () => {
    const { stack, agent } = base();
    expect(() => new AgentCircuitBreaker(stack, 'Breaker', { agents: [agent], approval: {} as TwoPersonApproval })).toThrow(/approval must be a TwoPersonApproval/);
  });
});

