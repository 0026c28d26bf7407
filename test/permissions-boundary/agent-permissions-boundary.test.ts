import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AgentPermissionsBoundary, MANAGED_POLICY_SIZE_LIMIT, ProductionProtection } from '../../lib';
import { ACCOUNT, ADMINISTRATOR_ACCESS, simulate } from '../support/simulator';
import { boundaryDocument, REGION, stackArn, synthTemplates } from '../support/template';

function productionStacks(app: App, count: number, prefix = 'orders-production-service-') {
  for (let i = 0; i < count; i++) {
    const stack = new Stack(app, `${prefix}${i}`, { stackName: `${prefix}${i}` });
    new ProductionProtection(stack, 'ProductionProtection');
  }
}

describe('AgentPermissionsBoundary', () => {
  test('is a managed policy under the guardrail path with a fixed name', () => {
    const app = new App();
    const stack = new Stack(app, 'Guardrails');
    new AgentPermissionsBoundary(stack, 'Boundary');
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::ManagedPolicy', {
      ManagedPolicyName: 'AgentPermissionsBoundary',
      Path: '/agent-guardrails/',
      PolicyDocument: { Statement: Match.arrayWith([{ Sid: 'Ceiling', Effect: 'Allow', Action: '*', Resource: '*' }]) },
    });
  });

  test('finds production stacks declared after it', async () => {
    const app = new App();
    const guardrails = new Stack(app, 'Guardrails', { stackName: 'agent-guardrails' });
    new AgentPermissionsBoundary(guardrails, 'Boundary');
    const late = new Stack(app, 'Late', { stackName: 'declared-later' });
    new ProductionProtection(late, 'ProductionProtection');

    const boundary = boundaryDocument(synthTemplates(app).get('agent-guardrails')!);
    const decision = await simulate({ action: 'cloudformation:DeleteStack', resource: stackArn('declared-later') }, { identity: [ADMINISTRATOR_ACCESS], boundary });
    expect(decision.deniedBy).toContain('ProdStackByName');
  });

  test('protects a custom production tag, in any case', async () => {
    const app = new App();
    const guardrails = new Stack(app, 'Guardrails', { stackName: 'agent-guardrails' });
    new AgentPermissionsBoundary(guardrails, 'Boundary', { productionTag: { key: 'stage', values: ['prod', 'live'] } });
    const boundary = boundaryDocument(synthTemplates(app).get('agent-guardrails')!);

    const deleteTable = (context: Record<string, string>) =>
      simulate({ action: 'dynamodb:DeleteTable', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/t`, context }, { identity: [ADMINISTRATOR_ACCESS], boundary });
    expect((await deleteTable({ 'aws:ResourceTag/stage': 'Live' })).result).toBe('ExplicitlyDenied');
    expect((await deleteTable({ 'aws:ResourceTag/stage': 'PROD' })).result).toBe('ExplicitlyDenied');
    expect((await deleteTable({ 'aws:ResourceTag/stage': 'dev' })).result).toBe('Allowed');
    expect((await deleteTable({ 'aws:ResourceTag/Environment': 'production' })).result).toBe('Allowed');
  });

  test('appends additional Deny statements', async () => {
    const app = new App();
    const guardrails = new Stack(app, 'Guardrails', { stackName: 'agent-guardrails' });
    new AgentPermissionsBoundary(guardrails, 'Boundary', {
      additionalStatements: [new iam.PolicyStatement({ sid: 'NoRoute53Deletes', effect: iam.Effect.DENY, actions: ['route53:DeleteHostedZone'], resources: ['*'] })],
    });
    const boundary = boundaryDocument(synthTemplates(app).get('agent-guardrails')!);
    const decision = await simulate({ action: 'route53:DeleteHostedZone', resource: 'arn:aws:route53:::hostedzone/Z0123456789' }, { identity: [ADMINISTRATOR_ACCESS], boundary });
    expect(decision.deniedBy).toEqual(['NoRoute53Deletes']);
  });

  test('fails when an additional statement allows', () => {
    const stack = new Stack(new App(), 'Guardrails');
    expect(
      () => new AgentPermissionsBoundary(stack, 'Boundary', { additionalStatements: [new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] })] }),
    ).toThrow(/additionalStatements\[0\] has Effect Allow; only Deny statements are accepted/);
  });

  test.each([
    ['managedPolicyName has a space', { managedPolicyName: 'agent boundary' }, /managedPolicyName must be a literal of 1-128 .* got "agent boundary"/],
    ['the tag key is reserved by AWS', { productionTag: { key: 'aws:cloudformation:stack-name' } }, /productionTag.key must be .* got "aws:cloudformation:stack-name"/],
    ['no production value is given', { productionTag: { values: [] } }, /productionTag.values must name at least one value/],
    ['a production stack name is not a stack name', { productionStackNames: ['orders prod'] }, /productionStackNames must hold literal stack names .* got "orders prod"/],
  ])('fails when %s', (_name, props, message) => {
    const stack = new Stack(new App(), 'Guardrails');
    expect(() => new AgentPermissionsBoundary(stack, 'Boundary', props)).toThrow(message);
  });

  test('fails at synth when a production stack uses another tag', () => {
    const app = new App();
    new AgentPermissionsBoundary(new Stack(app, 'Guardrails'), 'Boundary');
    new ProductionProtection(new Stack(app, 'Prod', { stackName: 'orders-prod' }), 'ProductionProtection', { productionTag: { key: 'Stage', values: ['prod'] } });
    expect(() => app.synth()).toThrow(/is tagged Stage=prod, which this boundary \(productionTag Environment=production\) does not recognise/);
  });

  test('fails at synth with the fix when the document exceeds the IAM limit', () => {
    const app = new App();
    new AgentPermissionsBoundary(new Stack(app, 'Guardrails'), 'Boundary');
    productionStacks(app, 60);
    expect(() => app.synth()).toThrow(
      new RegExp(`the agent permissions boundary is \\d+ characters minified, over IAM's ${MANAGED_POLICY_SIZE_LIMIT}-character limit .*60 production stacks.*common name prefix`),
    );
  });

  test('fits the same 60 stacks once their common prefix is listed, and still protects each', async () => {
    const app = new App();
    new AgentPermissionsBoundary(new Stack(app, 'Guardrails', { stackName: 'agent-guardrails' }), 'Boundary', {
      productionStackNames: ['orders-production-*'],
    });
    productionStacks(app, 60);
    const boundary = boundaryDocument(synthTemplates(app).get('agent-guardrails')!);

    expect(JSON.stringify(boundary).length).toBeLessThan(MANAGED_POLICY_SIZE_LIMIT);
    const decision = await simulate({ action: 'cloudformation:DeleteStack', resource: stackArn('orders-production-service-42') }, { identity: [ADMINISTRATOR_ACCESS], boundary });
    expect(decision.deniedBy).toContain('ProdStackByName');
  });

  test('warns when little room is left below the limit', () => {
    const app = new App();
    const guardrails = new Stack(app, 'Guardrails');
    const boundary = new AgentPermissionsBoundary(guardrails, 'Boundary');
    let count = 0;
    while (MANAGED_POLICY_SIZE_LIMIT - boundary.minifiedSize() >= 500) {
      productionStacks(app, 1, `near-limit-${count++}-`);
    }
    app.synth();
    Annotations.fromStack(guardrails).hasWarning('/Guardrails/Boundary', Match.stringLikeRegexp('little room is left'));
  });
});
