import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Approver, RiskyChangeSets, TwoPersonApproval, TwoPersonApprovalProps } from '../../lib';
import { ADMINISTRATOR_ACCESS, simulate } from '../support/simulator';
import { resolveIntrinsics } from '../support/template';

const ACCOUNT = '111122223333';
const approvers = [Approver.iamUser(`arn:aws:iam::${ACCOUNT}:user/bob`), Approver.identityCenterUser('alice@example.com')];

function build(props: Partial<TwoPersonApprovalProps> = {}) {
  const app = new App();
  const stack = new Stack(app, 'Approval', { env: { account: ACCOUNT, region: 'us-east-1' } });
  const workflow = new TwoPersonApproval(stack, 'Approval', { approvers, ...props });
  workflow.addElevatedRole('deployer', { statements: [new iam.PolicyStatement({ actions: ['cloudformation:ExecuteChangeSet'], resources: ['*'] })] });
  return { stack, workflow, template: Template.fromStack(stack) };
}

describe('TwoPersonApproval', () => {
  test('keeps requests in a protected table', () => {
    const { template } = build();
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      }),
    });
  });

  test('indexes requests by status without their credentials or task tokens', () => {
    const table = Object.values(build().template.findResources('AWS::DynamoDB::Table'))[0].Properties;
    const [index] = table.GlobalSecondaryIndexes;
    expect(index).toMatchObject({ IndexName: 'byStatus', Projection: { ProjectionType: 'INCLUDE' } });
    expect(index.Projection.NonKeyAttributes).toEqual(expect.arrayContaining(['requester', 'justification', 'impact', 'approvals']));
    expect(index.Projection.NonKeyAttributes).not.toContain('credentials');
    expect(index.Projection.NonKeyAttributes).not.toContain('taskToken');
  });

  test('writes API access logs with the caller\'s ARN, kept a year', () => {
    const { template } = build();
    const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0].Properties;
    expect(JSON.parse(stage.AccessLogSetting.Format)).toMatchObject({ caller: '$context.identity.userArn', status: '$context.status', path: '$context.path' });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
  });

  describe('the boundary of elevated roles, decided by iam-simulate for a session with every permission', () => {
    let boundary: any;
    const session = `arn:aws:sts::${ACCOUNT}:assumed-role/Approval-Approval-deployer/request-1`;
    beforeAll(() => {
      const { template } = build();
      const json = template.toJSON() as any;
      const role = Object.values<any>(json.Resources).find((r) => r.Type === 'AWS::IAM::Role' && r.Properties.Path === '/agent-guardrails/elevated/');
      const policy = json.Resources[role.Properties.PermissionsBoundary.Ref];
      boundary = resolveIntrinsics(policy.Properties.PolicyDocument, json);
    });
    const decide = async (action: string, resource: string, context: Record<string, string | string[]> = {}) =>
      (await simulate({ principal: session, action, resource, context }, { identity: [ADMINISTRATOR_ACCESS], boundary })).result;
    const role = (path: string) => `arn:aws:iam::${ACCOUNT}:role/${path}`;
    const viaCloudFormation = { 'aws:CalledVia': ['cloudformation.amazonaws.com'] };
    test.each([
      ['chains into another role', 'sts:AssumeRole', role('admin'), {}],
      ['mints an access key that outlives revocation', 'iam:CreateAccessKey', `arn:aws:iam::${ACCOUNT}:user/ops`, {}],
      ['removes its own revocation', 'iam:DeleteRolePolicy', role('agent-guardrails/elevated/Approval-Approval-deployer'), viaCloudFormation],
      ['widens its own role', 'iam:PutRolePolicy', role('agent-guardrails/elevated/Approval-Approval-deployer'), {}],
      ['creates an administrator role by hand', 'iam:CreateRole', role('shadow-admin'), {}],
      ['passes a role to run code by hand', 'iam:PassRole', role('prod-admin'), {}],
    ])('fails when a session %s', async (_what, action, resource, context) => {
      expect(await decide(action, resource, context)).toBe('ExplicitlyDenied');
    });
    test.each([
      ['executes the approved change set', 'cloudformation:ExecuteChangeSet', `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/orders-prod/abc`, {}],
      ['creates a role through the change set CloudFormation executes', 'iam:CreateRole', role('orders-writer'), viaCloudFormation],
      ['passes a role through CloudFormation', 'iam:PassRole', role('orders-writer'), viaCloudFormation],
    ])('allows a session that %s', async (_what, action, resource, context) => {
      expect(await decide(action, resource, context)).toBe('Allowed');
    });
  });

  describe('the requests table, decided by iam-simulate with its resource policy', () => {
    let resourcePolicy: any;
    let roleArns: Record<string, string>;
    const tableArn = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/Approval-Requests-ABC123`;
    beforeAll(() => {
      const json = build().template.toJSON() as any;
      const table = Object.values<any>(json.Resources).find((r) => r.Type === 'AWS::DynamoDB::Table');
      resourcePolicy = resolveIntrinsics(table.Properties.ResourcePolicy.PolicyDocument, json);
      const arnOf = (prefix: string) => resolveIntrinsics({ 'Fn::GetAtt': [Object.keys(json.Resources).find((id) => id.startsWith(prefix))!, 'Arn'] }, json);
      roleArns = { api: arnOf('ApprovalApiHandlerServiceRole'), task: arnOf('ApprovalTaskHandlerServiceRole'), issuer: arnOf('ApprovalIssuerServiceRole') };
    });
    const decide = async (principal: string, action: string) => (await simulate({ principal, action, resource: tableArn }, { identity: [ADMINISTRATOR_ACCESS], resourcePolicy })).result;
    const admin = `arn:aws:iam::${ACCOUNT}:role/Admin`;
    test.each(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:Scan', 'dynamodb:ExportTableToPointInTime', 'dynamodb:PartiQLUpdate'])(
      'fails when an administrator calls %s: no approval forged, no credentials read',
      async (action) => {
        expect(await decide(admin, action)).toBe('ExplicitlyDenied');
      },
    );
    test.each(['api', 'task', 'issuer'])('lets the %s function read and write', async (fn) => {
      expect(await decide(roleArns[fn], 'dynamodb:UpdateItem')).toBe('Allowed');
      expect(await decide(roleArns[fn], 'dynamodb:GetItem')).toBe('Allowed');
    });
    test('leaves the table\'s configuration to administrators', async () => {
      expect(await decide(admin, 'dynamodb:DescribeTable')).toBe('Allowed');
    });
  });

  describe('the approval key, decided by iam-simulate with its key policy', () => {
    let keyPolicy: any;
    let roleArns: Record<string, string>;
    const keyArn = `arn:aws:kms:us-east-1:${ACCOUNT}:key/0a1b2c3d-0000-1111-2222-333344445555`;
    beforeAll(() => {
      const json = build().template.toJSON() as any;
      const key = Object.values<any>(json.Resources).find((r) => r.Type === 'AWS::KMS::Key');
      expect(key.Properties).toMatchObject({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
      keyPolicy = resolveIntrinsics(key.Properties.KeyPolicy, json);
      const arnOf = (prefix: string) => resolveIntrinsics({ 'Fn::GetAtt': [Object.keys(json.Resources).find((id) => id.startsWith(prefix))!, 'Arn'] }, json);
      roleArns = { api: arnOf('ApprovalApiHandlerServiceRole'), issuer: arnOf('ApprovalIssuerServiceRole'), task: arnOf('ApprovalTaskHandlerServiceRole') };
    });
    const decide = async (principal: string, action: string) => (await simulate({ principal, action, resource: keyArn }, { identity: [ADMINISTRATOR_ACCESS], resourcePolicy: keyPolicy })).result;
    const admin = `arn:aws:iam::${ACCOUNT}:role/Admin`;
    test.each([
      ['an administrator signs an approval', () => admin, 'kms:GenerateMac'],
      ['an administrator grants itself the key', () => admin, 'kms:CreateGrant'],
      ['the issuer signs an approval', () => roleArns.issuer, 'kms:GenerateMac'],
      ['the task function signs an approval', () => roleArns.task, 'kms:GenerateMac'],
    ])('fails when %s', async (_what, principal, action) => {
      expect(await decide(principal(), action)).not.toBe('Allowed');
    });
    test.each([
      ['the API function signs approvals', () => roleArns.api, 'kms:GenerateMac'],
      ['the issuer verifies them', () => roleArns.issuer, 'kms:VerifyMac'],
      ['administrators manage the key', () => admin, 'kms:ScheduleKeyDeletion'],
    ])('allows that %s', async (_what, principal, action) => {
      expect(await decide(principal(), action)).toBe('Allowed');
    });
  });

  describe('the credentials key, decided by iam-simulate with its key policy', () => {
    let keyPolicy: any;
    let roleArns: Record<string, string>;
    const keyArn = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1a2b3c4d-0000-1111-2222-333344445555`;
    const bound = { 'kms:EncryptionContextKeys': ['requestId', 'requester'] };
    beforeAll(() => {
      const json = build().template.toJSON() as any;
      const key = Object.entries<any>(json.Resources).find(([id, r]) => r.Type === 'AWS::KMS::Key' && id.startsWith('ApprovalCredentialsKey'))![1];
      keyPolicy = resolveIntrinsics(key.Properties.KeyPolicy, json);
      const arnOf = (prefix: string) => resolveIntrinsics({ 'Fn::GetAtt': [Object.keys(json.Resources).find((id) => id.startsWith(prefix))!, 'Arn'] }, json);
      roleArns = { api: arnOf('ApprovalApiHandlerServiceRole'), issuer: arnOf('ApprovalIssuerServiceRole'), admin: `arn:aws:iam::${ACCOUNT}:role/Admin` };
    });
    const decide = async (who: string, action: string, context: Record<string, string | string[]>) =>
      (await simulate({ principal: roleArns[who], action, resource: keyArn, context }, { identity: [ADMINISTRATOR_ACCESS], resourcePolicy: keyPolicy })).result;
    test.each([
      ['an administrator opens credentials', 'admin', 'kms:Decrypt', bound],
      ['the issuer opens credentials', 'issuer', 'kms:Decrypt', bound],
      ['the API function opens without naming the request', 'api', 'kms:Decrypt', {}],
      ['the API function seals credentials', 'api', 'kms:Encrypt', bound],
    ])('fails when %s', async (_what, who, action, context) => {
      expect(await decide(who, action, context)).not.toBe('Allowed');
    });
    test.each([
      ['the issuer seals them for a request', 'issuer', 'kms:Encrypt', bound],
      ['the API function opens them for that request', 'api', 'kms:Decrypt', bound],
    ])('allows that %s', async (_what, who, action, context) => {
      expect(await decide(who, action, context)).toBe('Allowed');
    });
  });

  test('raises an alarm, to its topic, when a request fails', () => {
    const { template } = build();
    const topic = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecutionsFailed',
      Namespace: 'AWS/States',
      Threshold: 1,
      AlarmActions: [{ Ref: topic }],
    });
  });

  test('authorizes every API method with IAM (SigV4)', () => {
    const methods = Object.values(build().template.findResources('AWS::ApiGateway::Method'));
    expect(methods.map((m) => `${m.Properties.HttpMethod}`).sort()).toEqual(['GET', 'GET', 'GET', 'POST', 'POST', 'POST', 'POST', 'POST']);
    expect(methods.every((m) => m.Properties.AuthorizationType === 'AWS_IAM')).toBe(true);
  });

  test('runs a Standard state machine with logging (no execution data), tracing and a timeout', () => {
    const { template } = build({ requestTimeout: Duration.minutes(30) });
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
    const definition = JSON.stringify(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(definition).toContain('\\"TimeoutSeconds\\":6300'); // 30 min waiting + 1 h session + 15 min margin
    expect(definition).toContain('\\"TimeoutSeconds\\":1800'); // the approval wait
  });

  test('runs its handlers from the bundled code on Node.js 22, with no Docker', () => {
    const functions = Object.values(build().template.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(3);
    expect(functions.every((f) => f.Properties.Runtime === 'nodejs22.x')).toBe(true);
    expect(new Set(functions.map((f) => f.Properties.Handler))).toEqual(new Set(['index.api', 'index.task']));
  });

  test('elevated roles trust only the issuing function', async () => {
    const { template, workflow, stack } = build();
    const json = template.toJSON() as any;
    const elevated = Object.values<any>(json.Resources).find((r) => r.Type === 'AWS::IAM::Role' && r.Properties.Path === '/agent-guardrails/elevated/');
    expect(elevated.Properties.MaxSessionDuration).toBe(3600);
    const trust = resolveIntrinsics(elevated.Properties.AssumeRolePolicyDocument, json);
    const issuerRoleId = stack.resolve((workflow.issuer.role!.node.defaultChild as iam.CfnRole).logicalId);
    const roleArn = (logicalId: string) => resolveIntrinsics({ 'Fn::GetAtt': [logicalId, 'Arn'] }, json);
    const apiRoleId = Object.keys(json.Resources).find((id) => id.startsWith('ApprovalApiHandlerServiceRole'))!;

    const assume = async (principal: string, action = 'sts:AssumeRole') =>
      (await simulate({ principal, action, resource: `arn:aws:iam::${ACCOUNT}:role/agent-guardrails/elevated/x` }, { identity: [ADMINISTRATOR_ACCESS], resourcePolicy: trust })).result;
    expect(await assume(roleArn(issuerRoleId))).toBe('Allowed');
    expect(await assume(roleArn(issuerRoleId), 'sts:SetSourceIdentity')).toBe('Allowed');
    expect(await assume(roleArn(apiRoleId))).not.toBe('Allowed');
    expect(await assume(`arn:aws:iam::${ACCOUNT}:role/agent-guardrails/agent/coding-agent`)).not.toBe('Allowed');
  });

  test('the API handler may change inline policies only on this workflow\'s elevated roles', () => {
    const policies = Object.values(build().template.findResources('AWS::IAM::Policy')).map((p) => JSON.stringify(p.Properties.PolicyDocument));
    const revocation = policies.find((p) => p.includes('iam:PutRolePolicy'))!;
    expect(revocation).toMatch(/role\/agent-guardrails\/elevated\/Approval-[A-Za-z0-9]+-\*/);
  });

  test('only the issuer may call STS for the elevated roles', () => {
    const policies = Object.entries(build().template.findResources('AWS::IAM::Policy'));
    const withAssume = policies.filter(([, p]) => JSON.stringify(p.Properties.PolicyDocument).includes('sts:AssumeRole')).map(([id]) => id);
    expect(withAssume).toEqual([expect.stringMatching(/^ApprovalIssuerServiceRoleDefaultPolicy/)]);
  });

  describe('the API resource policy, decided by iam-simulate for every route and kind of caller', () => {
    const identityCenter = `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Approver_0123456789abcdef`;
    const callers = {
      'an Identity Center approver': identityCenter,
      'an IAM user approver': `arn:aws:iam::${ACCOUNT}:user/bob`,
      'the requesting agent role': `arn:aws:iam::${ACCOUNT}:role/agent-guardrails/agent/coding-agent`,
      'a user who is no approver': `arn:aws:iam::${ACCOUNT}:user/mallory`,
      'a role merely named like Identity Center': `arn:aws:iam::${ACCOUNT}:role/agent-workload/AWSReservedSSO_Approver_0123456789abcdef`,
      'a principal of another account': `arn:aws:iam::444455556666:user/bob`,
    } as const;
    type Caller = keyof typeof callers;
    const approversOnly = (who: Caller) => (who === 'an Identity Center approver' || who === 'an IAM user approver' ? 'Allowed' : 'ExplicitlyDenied');
    const anyoneHere = (who: Caller) => (who === 'a principal of another account' ? 'ImplicitlyDenied' : 'Allowed');
    // The handler decides what the policy lets through: requests and reads for participants, revoke for approvers and the requester.
    const routes: [string, (who: Caller) => string][] = [
      ['POST/requests', anyoneHere],
      ['GET/requests/r1', anyoneHere],
      ['GET/requests/r1/credentials', anyoneHere],
      ['POST/requests/r1/revoke', anyoneHere],
      ['GET/requests', approversOnly],
      ['POST/requests/r1/approve', approversOnly],
      ['POST/requests/r1/deny', approversOnly],
      ['POST/requests/break-glass', approversOnly],
    ];
    let policy: any;
    beforeAll(() => {
      const json = build().template.toJSON() as any;
      const api = Object.values<any>(json.Resources).find((r) => r.Type === 'AWS::ApiGateway::RestApi');
      policy = resolveIntrinsics(api.Properties.Policy, json);
    });
    /** Callers may invoke the API by their own policies; the API's policy decides the rest. */
    const INVOKE = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }] };
    const invoke = async (principalArn: string, path: string) =>
      (
        await simulate(
          { principal: principalArn, action: 'execute-api:Invoke', resource: `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/v1/${path}` },
          { identity: [INVOKE], resourcePolicy: JSON.parse(JSON.stringify(policy).replace(/execute-api:\//g, `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/`)) },
        )
      ).result;
    const cases = routes.flatMap(([path, expected]) => (Object.keys(callers) as Caller[]).map((who) => [path, who, expected(who)] as const));
    test.each(cases)('%s by %s: %s', async (path, who, expected) => {
      expect(await invoke(callers[who], path)).toBe(expected);
    });
  });

  test('tags everything it creates so that the agent boundary keeps agents away', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::DynamoDB::Table', { Tags: Match.arrayWith([{ Key: 'agent-guardrails:component', Value: 'approval-workflow' }]) });
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { Tags: Match.arrayWith([{ Key: 'agent-guardrails:component', Value: 'approval-workflow' }]) });
    template.hasResourceProperties('AWS::Lambda::Function', { Tags: Match.arrayWith([{ Key: 'agent-guardrails:component', Value: 'approval-workflow' }]) });
    template.hasResourceProperties('AWS::Events::EventBus', { Tags: Match.arrayWith([{ Key: 'agent-guardrails:component', Value: 'approval-workflow' }]) });
  });

  test.each([
    ['requiredApprovals is 1', { requiredApprovals: 1 }, /requiredApprovals must be at least 2, got 1/],
    ['there are fewer approvers than required approvals', { requiredApprovals: 3 }, /approvers must name at least requiredApprovals \(3\) distinct humans, got 2/],
    ['an approver ARN is not one', { approvers: [Approver.iamUser('bob'), approvers[1]] }, /approvers\[0\] \(bob\) identity 0 must be an IAM user ARN/],
    ['the request timeout is a day and more', { requestTimeout: Duration.hours(25) }, /requestTimeout must be from 5 minutes to 24 hours/],
    [
      'two approvers are one IAM user spelled twice',
      { approvers: [Approver.iamUser(`arn:aws:iam::${ACCOUNT}:user/alice`), Approver.iamUser(`arn:aws:iam::${ACCOUNT}:user/Alice`)] },
      /approvers\[1\] and approvers\[0\] are both named "Alice"(.|\n)*iam-user:111122223333:alice is an identity of both alice and Alice/,
    ],
    [
      'one human is listed twice under two names, so fewer distinct humans than required remain',
      { approvers: [Approver.human('bob', { iamUsers: [`arn:aws:iam::${ACCOUNT}:user/bob`] }), Approver.human('robert', { identityCenterUser: 'bob@example.com', iamUsers: [`arn:aws:iam::${ACCOUNT}:user/Bob`] })] },
      /iam-user:111122223333:bob is an identity of both bob and robert/,
    ],
    ['a human is given no identity', { approvers: [Approver.human('dave', {}), ...approvers] }, /approvers\[0\] \(dave\) has no identity/],
  ])('fails when %s', (_name, props, message) => {
    const stack = new Stack(new App(), 'S');
    expect(() => new TwoPersonApproval(stack, 'Approval', { approvers, ...props })).toThrow(message);
  });

  describe('approverPolicy, as an Identity Center permission set\'s inline policy, decided by iam-simulate with the API\'s policy', () => {
    const approver = `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ElevationApprover_0123456789abcdef`;
    let identity: any;
    let resourcePolicy: any;
    beforeAll(() => {
      const { workflow, stack, template } = build();
      const json = template.toJSON() as any;
      const apiId = Object.keys(template.findResources('AWS::ApiGateway::RestApi'))[0];
      identity = JSON.parse(JSON.stringify(resolveIntrinsics(stack.resolve(workflow.approverPolicy().toJSON()), json)).split(`:${apiId}/`).join(':abc123/'));
      const api = Object.values<any>(json.Resources).find((r) => r.Type === 'AWS::ApiGateway::RestApi');
      resourcePolicy = JSON.parse(JSON.stringify(resolveIntrinsics(api.Properties.Policy, json)).replace(/execute-api:\//g, `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/`));
    });
    test.each([
      ['POST/requests/r1/approve', 'Allowed'],
      ['POST/requests/r1/deny', 'Allowed'],
      ['POST/requests/r1/revoke', 'Allowed'],
      ['GET/requests', 'Allowed'],
      ['GET/requests/r1', 'Allowed'],
      // Ready for an incident, on roles that allow break-glass (the handler refuses it on others).
      ['POST/requests/break-glass', 'Allowed'],
      // Approvers do not ask for sessions with it.
      ['POST/requests', 'ImplicitlyDenied'],
    ])('%s: %s', async (route, expected) => {
      const decision = await simulate({ principal: approver, action: 'execute-api:Invoke', resource: `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/v1/${route}` }, { identity: [identity], resourcePolicy });
      expect(decision.result).toBe(expected);
    });
  });

  test('admits every identity of a human approver to approve, and warns when roles may ask for nobody', () => {
    const { template, stack } = build({
      approvers: [Approver.human('bob', { identityCenterUser: 'bob@example.com', iamUsers: [`arn:aws:iam::${ACCOUNT}:user/bob`] }), Approver.role(`arn:aws:iam::${ACCOUNT}:role/carol-approver`)],
      allowRequestsWithoutOnBehalfOf: true,
    });
    const policy = Object.values(template.findResources('AWS::ApiGateway::RestApi'))[0].Properties.Policy;
    const deny = policy.Statement.find((st: any) => st.Effect === 'Deny');
    expect(resolveIntrinsics(deny.Condition.ArnNotLike['aws:PrincipalArn'], template.toJSON() as any)).toEqual([
      `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/*`,
      `arn:aws:iam::${ACCOUNT}:user/bob`,
      `arn:aws:iam::${ACCOUNT}:role/carol-approver`,
    ]);
    expect(Annotations.fromStack(stack).findWarning('/Approval/Approval', Match.stringLikeRegexp('allowRequestsWithoutOnBehalfOf: true'))).toHaveLength(1);
  });

  test('binds every elevated role to change sets unless opted out by name, and lets the workflow describe them', () => {
    const { workflow, stack } = build();
    workflow.addElevatedRole('break-glass', {
      statements: [new iam.PolicyStatement({ actions: ['ec2:RebootInstances'], resources: ['*'] })],
      allowRequestsWithoutChangeSet: true,
      stackNames: ['orders-*'],
      riskyChangeSets: RiskyChangeSets.REFUSE,
    });
    const roles = stack.resolve(workflow.workflowConfig().roles);
    expect(roles.deployer).toMatchObject({ changeSetRequired: true, riskyChangeSets: 'accept' });
    expect(roles['break-glass']).toMatchObject({ changeSetRequired: false, stackNames: ['orders-*'], riskyChangeSets: 'refuse' });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('allowRequestsWithoutChangeSet: true'))).toHaveLength(1);
    const describers = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('cloudformation:DescribeChangeSet'),
    );
    expect(describers).toHaveLength(2);
  });

  test.each([
    ['a stack name that is not one', 'deployer', { stackNames: ['orders prod'] }, /stackNames must hold stack names or patterns/],
    ['a name that is not one', 'Prod Deployer', {}, /name must be 1-32 lower-case letters/],
    ['sessions longer than an hour', 'deployer', { maxSessionDuration: Duration.hours(2) }, /maxSessionDuration must be from 15 minutes to 1 hour/],
    ['no permissions', 'deployer', { statements: [] }, /give the role statements or managedPolicies/],
  ])('fails to add an elevated role with %s', (_name, name, options, message) => {
    const workflow = new TwoPersonApproval(new Stack(new App(), 'S'), 'Approval', { approvers });
    const statements = [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] })];
    expect(() => workflow.addElevatedRole(name, { statements, ...options })).toThrow(message);
  });
});
