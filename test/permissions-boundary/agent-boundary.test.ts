import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AgentBoundary, AgentPermissionsBoundary, ProductionProtection } from '../../lib';

function setup() {
  const app = new App();
  const guardrails = new Stack(app, 'Guardrails');
  const boundary = new AgentPermissionsBoundary(guardrails, 'Boundary');
  return {
    app,
    guardrails,
    boundary,
    get dev() {
      return (app.node.tryFindChild('Dev') as Stack | undefined) ?? new Stack(app, 'Dev', { stackName: 'orders-dev' });
    },
  };
}

const BOUNDARY_IN_OTHER_STACK = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':policy/agent-guardrails/AgentPermissionsBoundary']],
};

describe('AgentBoundary', () => {
  test('bounds L2 roles, L1 roles and users, and moves roles under /agent-workload/', () => {
    const { boundary, dev } = setup();
    new lambda.Function(dev, 'Fn', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {}') });
    new iam.CfnRole(dev, 'Raw', { assumeRolePolicyDocument: { Statement: [] } });
    new iam.User(dev, 'Ci');
    AgentBoundary.of(dev).apply(boundary);

    const template = Template.fromStack(dev);
    const roles = template.findResources('AWS::IAM::Role');
    expect(Object.keys(roles)).toHaveLength(2);
    for (const role of Object.values(roles)) {
      expect(role.Properties).toMatchObject({ PermissionsBoundary: BOUNDARY_IN_OTHER_STACK, Path: '/agent-workload/' });
    }
    template.hasResourceProperties('AWS::IAM::User', { PermissionsBoundary: BOUNDARY_IN_OTHER_STACK });
  });

  test('references the boundary without cross-stack exports and deploys after it', () => {
    const { app, boundary, dev } = setup();
    new iam.Role(dev, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    AgentBoundary.of(dev).apply(boundary);
    const assembly = app.synth();

    expect(JSON.stringify(assembly.getStackByName('orders-dev').template)).not.toContain('Fn::ImportValue');
    expect(assembly.getStackByName('orders-dev').dependencies.map((d) => d.id)).toContain('Guardrails');
  });

  test('uses the policy reference in the boundary own stack', () => {
    const { guardrails, boundary } = setup();
    new iam.Role(guardrails, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    AgentBoundary.of(guardrails).apply(boundary);
    Template.fromStack(guardrails).hasResourceProperties('AWS::IAM::Role', { PermissionsBoundary: { Ref: Match.stringLikeRegexp('^Boundary') } });
  });

  test('leaves roles in production stacks alone', () => {
    const { app, boundary } = setup();
    const prod = new Stack(app, 'Prod', { stackName: 'orders-prod' });
    new ProductionProtection(prod, 'ProductionProtection', { disableStackPolicy: true });
    new iam.Role(prod, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    AgentBoundary.of(app).apply(boundary);

    Template.fromStack(prod).hasResourceProperties('AWS::IAM::Role', { PermissionsBoundary: Match.absent(), Path: Match.absent() });
  });

  test('keeps explicit role paths when asked, and warns that agents cannot pass those roles', () => {
    const { boundary, dev } = setup();
    new iam.Role(dev, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), path: '/platform/' });
    AgentBoundary.of(dev).apply(boundary, { keepRolePaths: true });

    Template.fromStack(dev).hasResourceProperties('AWS::IAM::Role', { Path: '/platform/', PermissionsBoundary: BOUNDARY_IN_OTHER_STACK });
    Annotations.fromStack(dev).hasWarning('/Dev/Role/Resource', Match.stringLikeRegexp('agents cannot pass this role'));
  });

  test('fails at synth when a bounded workload role loses its boundary to an override', () => {
    const { app, boundary, dev } = setup();
    const role = new iam.Role(dev, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    AgentBoundary.of(dev).apply(boundary);
    (role.node.defaultChild as iam.CfnRole).addPropertyDeletionOverride('PermissionsBoundary');

    expect(() => app.synth()).toThrow(/AWS::IAM::Role at Dev\/Role\/Resource lives under \/agent-workload\/ but does not carry the agent permissions boundary/);
  });
});
