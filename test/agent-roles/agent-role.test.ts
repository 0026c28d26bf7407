import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { AgentPermissionsBoundary, AgentRole } from '../../lib';
import { ACCOUNT } from '../support/simulator';
import { resolveIntrinsics } from '../support/template';

const LAUNCHER = `arn:aws:iam::${ACCOUNT}:role/agent-launcher`;
const DENIES = { Ref: Match.stringLikeRegexp('^BoundaryDenies') };
const SERVICES = { Ref: Match.stringLikeRegexp('^BoundaryServices') };

function setup() {
  const app = new App();
  const stack = new Stack(app, 'Guardrails', { env: { account: ACCOUNT, region: 'us-east-1' } });
  const boundary = new AgentPermissionsBoundary(stack, 'Boundary');
  return { app, stack, boundary };
}

function agent(stack: Stack, boundary: AgentPermissionsBoundary, assumedBy: iam.IPrincipal = new iam.ArnPrincipal(LAUNCHER)) {
  return new AgentRole(stack, 'Agent', { agentName: 'coding-agent', boundary, assumedBy });
}

describe('AgentRole', () => {
  test('is a named role under the agent path, bounded, tagged, with one-hour sessions', () => {
    const { stack, boundary } = setup();
    agent(stack, boundary);

    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'coding-agent',
      Path: '/agent-guardrails/agent/',
      MaxSessionDuration: 3600,
      PermissionsBoundary: { Ref: Match.stringLikeRegexp('^Boundary') },
      Tags: Match.arrayWith([
        { Key: 'agent-guardrails:agent', Value: 'coding-agent' },
        { Key: 'agent-guardrails:role', Value: 'agent' },
      ]),
    });
  });

  test('trusts only the launcher, only with the agent as source identity, and with the task as the only session tag', async () => {
    const { stack, boundary } = setup();
    agent(stack, boundary);
    const template = Template.fromStack(stack).toJSON();
    const role = Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::IAM::Role' && r.Properties.RoleName === 'coding-agent');
    const trust = resolveIntrinsics(role.Properties.AssumeRolePolicyDocument, template as any);

    const decide = async (principal: string, action: string, sourceIdentity?: string, tagKeys?: string[]) => {
      const response = await runSimulation(
        {
          request: {
            principal,
            action,
            resource: { resource: `arn:aws:iam::${ACCOUNT}:role/agent-guardrails/agent/coding-agent`, accountId: ACCOUNT },
            contextVariables: { ...(sourceIdentity ? { 'sts:SourceIdentity': sourceIdentity } : {}), ...(tagKeys ? { 'aws:TagKeys': tagKeys } : {}) },
          },
          identityPolicies: [{ name: 'launcher', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:*', Resource: '*' }] } }],
          resourcePolicy: trust,
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        },
        {},
      );
      return response.resultType === 'error' ? JSON.stringify(response.errors) : response.overallResult;
    };

    expect(await decide(LAUNCHER, 'sts:AssumeRole', 'coding-agent')).toBe('Allowed');
    expect(await decide(LAUNCHER, 'sts:SetSourceIdentity', 'coding-agent')).toBe('Allowed');
    expect(await decide(LAUNCHER, 'sts:AssumeRole')).not.toBe('Allowed');
    expect(await decide(LAUNCHER, 'sts:AssumeRole', 'alice')).not.toBe('Allowed');
    expect(await decide(`arn:aws:iam::${ACCOUNT}:role/platform-admin`, 'sts:AssumeRole', 'coding-agent')).not.toBe('Allowed');
    // The session may carry its task, and no tag that attribute-based policies could grant on.
    expect(await decide(LAUNCHER, 'sts:TagSession', 'coding-agent', ['agent-guardrails:task'])).toBe('Allowed');
    expect(await decide(LAUNCHER, 'sts:TagSession', 'coding-agent', ['agent-guardrails:task', 'team'])).not.toBe('Allowed');
    expect(await decide(LAUNCHER, 'sts:TagSession', 'coding-agent', ['agent-guardrails:request-id'])).not.toBe('Allowed');
    expect(await decide(`arn:aws:iam::${ACCOUNT}:role/platform-admin`, 'sts:TagSession', 'coding-agent', ['agent-guardrails:task'])).not.toBe('Allowed');
  });

  test('accepts the account root with a condition, and an OIDC provider', () => {
    const { stack, boundary } = setup();
    new AgentRole(stack, 'Conditioned', {
      agentName: 'ci-agent',
      boundary,
      assumedBy: new iam.PrincipalWithConditions(new iam.AccountRootPrincipal(), { ArnEquals: { 'aws:PrincipalArn': LAUNCHER } }),
    });
    const provider = iam.OpenIdConnectProvider.fromOpenIdConnectProviderArn(stack, 'GitHub', `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`);
    new AgentRole(stack, 'Oidc', {
      agentName: 'github-agent',
      boundary,
      assumedBy: new iam.OpenIdConnectPrincipal(provider, { StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' } }),
    });

    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'ci-agent',
      AssumeRolePolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'sts:AssumeRole',
            Condition: { ArnEquals: { 'aws:PrincipalArn': LAUNCHER }, StringEquals: { 'sts:SourceIdentity': 'ci-agent' } },
          }),
        ]),
      },
    });
  });

  test.each([
    ['the account root without a condition', () => new iam.AccountRootPrincipal(), /account root .* without a condition/],
    ['an account id without a condition', () => new iam.AccountPrincipal(ACCOUNT), /account root .* without a condition/],
    ['a root ARN without a condition', () => new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:root`), /account root .* without a condition/],
    ['an IAM user (a human)', () => new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:user/alice`), /IAM user .* never runs with a human's credentials/],
    ['an IAM Identity Center role (humans sign in to it)', () => new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef`), /IAM Identity Center role/],
    ['SAML federation', () => new iam.SamlPrincipal(iam.SamlProvider.fromSamlProviderArn(new Stack(), 'Saml', `arn:aws:iam::${ACCOUNT}:saml-provider/Okta`), {}), /SAML provider/],
    ['any principal', () => new iam.AnyPrincipal(), /every AWS principal/],
    ['a star principal', () => new iam.StarPrincipal(), /every principal/],
    ['a service, which cannot set a source identity', () => new iam.ServicePrincipal('lambda.amazonaws.com'), /cannot set a source identity/],
  ])('fails when assumedBy is %s', (_name, principal, message) => {
    const { stack, boundary } = setup();
    expect(() => agent(stack, boundary, principal())).toThrow(message);
  });

  test('fails with every problem at once, naming the construct', () => {
    const { stack, boundary } = setup();
    expect(() => new AgentRole(stack, 'Bad', { agentName: 'a', boundary, assumedBy: new iam.AnyPrincipal() })).toThrow(
      /Invalid AgentRole at Guardrails\/Bad:\n- agentName must be 2-64 .* got "a"\n- assumedBy trusts every AWS principal/,
    );
  });

  test.each(['AdministratorAccess', 'PowerUserAccess', 'IAMFullAccess'])('fails when %s is attached', (name) => {
    const { stack, boundary } = setup();
    const role = agent(stack, boundary);
    expect(() => role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName(name))).toThrow(
      new RegExp(`refuses the AWS managed policy ${name}`),
    );
  });

  test('accepts other AWS managed policies', () => {
    const { stack, boundary } = setup();
    agent(stack, boundary).addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonS3ReadOnlyAccess'));
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [DENIES, SERVICES, { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonS3ReadOnlyAccess']] }],
    });
  });

  test('fails at synth when an escape hatch attaches AdministratorAccess', () => {
    const { app, stack, boundary } = setup();
    const role = agent(stack, boundary);
    (role.node.defaultChild as iam.CfnRole).managedPolicyArns = [`arn:${stack.partition}:iam::aws:policy/AdministratorAccess`];
    expect(() => app.synth()).toThrow(/has the AWS managed policy AdministratorAccess attached/);
  });

  test('fails at synth when a property override attaches AdministratorAccess', () => {
    const { app, stack, boundary } = setup();
    const role = agent(stack, boundary);
    (role.node.defaultChild as iam.CfnRole).addPropertyOverride('ManagedPolicyArns', ['arn:aws:iam::aws:policy/AdministratorAccess']);
    expect(() => app.synth()).toThrow(/has the AWS managed policy AdministratorAccess attached/);
  });

  test('fails at synth when its boundary is cleared', () => {
    const { app, stack, boundary } = setup();
    iam.PermissionsBoundary.of(agent(stack, boundary)).clear();
    expect(() => app.synth()).toThrow(/lives under \/agent-guardrails\/agent\/ but does not carry the guardrail boundary AgentPermissionsBoundary/);
  });

  test('carries both agent deny policies', () => {
    const { stack, boundary } = setup();
    agent(stack, boundary);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', { RoleName: 'coding-agent', ManagedPolicyArns: [DENIES, SERVICES] });
  });

  test('fails at synth when an override removes the agent deny policies', () => {
    const { app, stack, boundary } = setup();
    (agent(stack, boundary).node.defaultChild as iam.CfnRole).addPropertyOverride('ManagedPolicyArns', []);
    expect(() => app.synth()).toThrow(/is an agent role without the agent deny policy AgentPermissionsBoundary-Denies(.|\n)*is an agent role without the agent deny policy AgentPermissionsBoundary-Services/);
  });

  test('fails at synth when an override keeps only one of the agent deny policies', () => {
    const { app, stack, boundary } = setup();
    (agent(stack, boundary).node.defaultChild as iam.CfnRole).addPropertyOverride('ManagedPolicyArns', [boundary.denyPolicy.managedPolicyArn]);
    expect(() => app.synth()).toThrow(/is an agent role without the agent deny policy AgentPermissionsBoundary-Services/);
  });

  test('fails at synth when another boundary replaces it', () => {
    const { app, stack, boundary } = setup();
    agent(stack, boundary);
    iam.PermissionsBoundary.of(app).apply(new iam.ManagedPolicy(stack, 'Permissive', { statements: [new iam.PolicyStatement({ actions: ['*'], resources: ['*'] })] }));
    expect(() => app.synth()).toThrow(/does not carry the guardrail boundary AgentPermissionsBoundary/);
  });

  test('grantReadOnly gives metadata reads by default and data reads on request', () => {
    const { stack, boundary } = setup();
    agent(stack, boundary).grantReadOnly();
    new AgentRole(stack, 'DataAgent', { agentName: 'data-agent', boundary, assumedBy: new iam.ArnPrincipal(LAUNCHER) }).grantReadOnly({ includeData: true });

    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'coding-agent',
      ManagedPolicyArns: [DENIES, SERVICES, { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/job-function/ViewOnlyAccess']] }],
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'data-agent',
      ManagedPolicyArns: [DENIES, SERVICES, { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/ReadOnlyAccess']] }],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: Match.arrayWith(['cloudformation:Get*', 'logs:FilterLogEvents']) })] },
    });
  });
  describe('trust checked at synth, after everything added to it', () => {
    test('passes the launcher with the source identity', () => {
      const { app, stack, boundary } = setup();
      agent(stack, boundary);
      expect(() => app.synth()).not.toThrow();
    });

    test.each([
      ['a statement added later trusts everyone', (role: AgentRole) => role.assumeRolePolicy!.addStatements(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], principals: [new iam.AnyPrincipal()], conditions: { StringEquals: { 'sts:SourceIdentity': 'coding-agent' } } })), /trust statement 3 trusts everyone \(\*\)/],
      ['a statement added later trusts a human', (role: AgentRole) => role.assumeRolePolicy!.addStatements(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], principals: [new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:user/alice`)], conditions: { StringEquals: { 'sts:SourceIdentity': 'coding-agent' } } })), /trusts the IAM user arn:aws:iam::111122223333:user\/alice/],
      ['an override drops the source identity condition', (role: AgentRole) => (role.node.defaultChild as iam.CfnRole).addPropertyDeletionOverride('AssumeRolePolicyDocument.Statement.0.Condition'), /trust statement 0 does not require the source identity "coding-agent"/],
      ['an override trusts Identity Center', (role: AgentRole) => (role.node.defaultChild as iam.CfnRole).addPropertyOverride('AssumeRolePolicyDocument.Statement.0.Principal.AWS', `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef`), /trusts the IAM Identity Center role/],
    ])('fails when %s', (_name, change, message) => {
      const { app, stack, boundary } = setup();
      change(agent(stack, boundary));
      expect(() => app.synth()).toThrow(message);
    });
  });
});
