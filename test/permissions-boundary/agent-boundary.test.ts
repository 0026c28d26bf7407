import { App, CfnResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
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
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':policy/agent-guardrails/AgentPermissionsBoundary-Workload']],
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
    Template.fromStack(guardrails).hasResourceProperties('AWS::IAM::Role', { PermissionsBoundary: { Ref: Match.stringLikeRegexp('^BoundaryWorkload') } });
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

    expect(() => app.synth()).toThrow(/AWS::IAM::Role at Dev\/Role\/Resource lives under \/agent-workload\/ but does not carry the guardrail boundary AgentPermissionsBoundary-Workload/);
  });

  test('bounds the raw CfnResource roles of CDK custom-resource providers, so agents can deploy such stacks', () => {
    const { boundary, dev } = setup();
    new s3.Bucket(dev, 'Scratch', { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
    new ec2.Vpc(dev, 'Vpc', { maxAzs: 1, natGateways: 0, restrictDefaultSecurityGroup: true });
    AgentBoundary.of(dev).apply(boundary);

    const roles = Object.values(Template.fromStack(dev).findResources('AWS::IAM::Role'));
    expect(roles.length).toBeGreaterThanOrEqual(2);
    for (const role of roles) {
      expect(role.Properties).toMatchObject({ PermissionsBoundary: BOUNDARY_IN_OTHER_STACK, Path: '/agent-workload/' });
    }
  });

  test('moves managed policies under /agent-workload/, where agents may edit and delete them', () => {
    const { boundary, dev } = setup();
    new iam.ManagedPolicy(dev, 'Shared', { statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] })] });
    AgentBoundary.of(dev).apply(boundary);
    Template.fromStack(dev).hasResourceProperties('AWS::IAM::ManagedPolicy', { Path: '/agent-workload/' });
  });

  test('fails at synth when a plain role outside any aspect takes a guardrail path without the boundary', () => {
    const { app, dev } = setup();
    new iam.Role(dev, 'Sneaky', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), path: '/agent-workload/' });
    expect(() => app.synth()).toThrow(/AWS::IAM::Role at Dev\/Sneaky\/Resource lives under \/agent-workload\/ but does not carry the guardrail boundary/);
  });

  test('fails at synth when a raw CfnResource role takes the agent path', () => {
    const { app, dev } = setup();
    new CfnResource(dev, 'RawAgent', { type: 'AWS::IAM::Role', properties: { Path: '/agent-guardrails/agent/', AssumeRolePolicyDocument: { Statement: [] } } });
    expect(() => app.synth()).toThrow(/AWS::IAM::Role at Dev\/RawAgent lives under \/agent-guardrails\/agent\/ but does not carry the guardrail boundary AgentPermissionsBoundary of Guardrails\/Boundary;[^]*without the agent deny policy AgentPermissionsBoundary-Denies/);
  });
});
