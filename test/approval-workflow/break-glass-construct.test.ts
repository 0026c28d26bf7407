/**
 * Break-glass in the construct: off unless a role opts in, a synth warning when one does, every
 * problem of its settings at once, the security topic's grants, and the policies that keep agents
 * away from the route (decided by iam-simulate): the API's resource policy, the agent's own
 * grants and boundary, and the handler agreeing with the policy in local mode.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AgentPermissionsBoundary, AgentRole, Approver, BreakGlassOptions, TwoPersonApproval } from '../../lib';
import { apiResourcePolicy } from '../../lib/approval-workflow/construct/api-policy';
import { IDENTITY_HEADER, startLocalServer, synthesizeLocalWorkflow } from '../../lib/approval-workflow/local/server';
import { sampleDocuments } from '../support/boundary';
import { ADMINISTRATOR_ACCESS, simulate } from '../support/simulator';
import { resolveIntrinsics } from '../support/template';

const ACCOUNT = '111122223333';
const IC_ROLE = 'AWSReservedSSO_Approver_0123456789abcdef';
const approvers = [Approver.iamUser(`arn:aws:iam::${ACCOUNT}:user/bob`), Approver.identityCenterUser('alice@example.com'), Approver.identityCenterUser('carol@example.com')];
const statements = [new iam.PolicyStatement({ actions: ['cloudformation:ExecuteChangeSet'], resources: ['*'] })];

function build(breakGlass?: BreakGlassOptions) {
  const app = new App();
  const stack = new Stack(app, 'Approval', { env: { account: ACCOUNT, region: 'us-east-1' } });
  const workflow = new TwoPersonApproval(stack, 'Approval', { approvers });
  workflow.addElevatedRole('deployer', { statements });
  if (breakGlass) workflow.addElevatedRole('responder', { statements, breakGlass });
  return { stack, workflow, template: Template.fromStack(stack) };
}

const functionsOf = (template: Template) => Object.values(template.findResources('AWS::Lambda::Function'));

describe('off by default', () => {
  test('no role allows it, nothing warns, and no function knows a security topic', () => {
    const { stack, workflow, template } = build();
    expect(stack.resolve(workflow.workflowConfig().roles).deployer.breakGlass).toBeUndefined();
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('break-glass'))).toHaveLength(0);
    expect(functionsOf(template).every((f) => f.Properties.Environment.Variables.AGENT_GUARDRAILS_SECURITY_TOPICS === undefined)).toBe(true);
  });
});

describe('a role that allows it', () => {
  test('warns at synth, names its limits, and writes them into the configuration', () => {
    const { stack, workflow } = build({});
    const roles = stack.resolve(workflow.workflowConfig().roles);
    expect(roles.responder.breakGlass).toEqual({ maxSessionSeconds: 900, rateLimit: { count: 1, perSeconds: 86400 } });
    expect(roles.deployer.breakGlass).toBeUndefined();
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('break-glass is enabled for elevated role "responder"'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].id).toBe('/Approval/Approval/ElevatedResponder');
    expect(warnings[0].entry.data).toMatch(/up to 15 minutes, 1 time\(s\) per 1 day\(s\), with every permission of the role when they name no change set; every approver \(no securityTopic: nobody else\)/);
    expect(warnings[0].entry.data).toMatch(/\[ack: cdk-agent-guardrails:breakGlass\]/);
  });

  test('lets every function publish to the security topic, and tells them which it is', () => {
    const app = new App();
    const stack = new Stack(app, 'Approval', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const security = new sns.Topic(stack, 'Security');
    const workflow = new TwoPersonApproval(stack, 'Approval', { approvers });
    workflow.addElevatedRole('responder', { statements, breakGlass: { securityTopic: security, maxSessionDuration: Duration.minutes(30), rateLimit: { count: 2, per: Duration.hours(12) } } });
    const template = Template.fromStack(stack);
    const topicId = stack.resolve((security.node.defaultChild as sns.CfnTopic).logicalId);
    const publishers = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      p.Properties.PolicyDocument.Statement.some((st: any) => st.Action === 'sns:Publish' && JSON.stringify(st.Resource) === JSON.stringify({ Ref: topicId })),
    );
    expect(publishers.flatMap((p) => p.Properties.Roles.map((r: any) => r.Ref)).sort()).toEqual(
      ['ApprovalApiHandlerServiceRole', 'ApprovalIssuerServiceRole', 'ApprovalTaskHandlerServiceRole'].map((prefix) => expect.stringMatching(new RegExp(`^${prefix}`))),
    );
    for (const fn of functionsOf(template)) {
      expect(fn.Properties.Environment.Variables.AGENT_GUARDRAILS_SECURITY_TOPICS).toEqual({ 'Fn::Join': ['', ['{"responder":"', { Ref: topicId }, '"}']] });
    }
    expect(stack.resolve(workflow.workflowConfig().roles).responder.breakGlass).toEqual({ maxSessionSeconds: 1800, rateLimit: { count: 2, perSeconds: 43200 } });
  });

  test('fails when its settings are out of bounds, naming every problem at once', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const workflow = new TwoPersonApproval(stack, 'Approval', {
      approvers: [...approvers, Approver.role(`arn:aws:iam::${ACCOUNT}:role/agent-guardrails/agent/coding-agent`)],
    });
    const attempt = () =>
      workflow.addElevatedRole('responder', {
        statements,
        maxSessionDuration: Duration.minutes(20),
        breakGlass: { maxSessionDuration: Duration.minutes(30), rateLimit: { count: 0, per: Duration.minutes(30) } },
      });
    expect(attempt).toThrow(/breakGlass\.maxSessionDuration \(30 minutes\) must not exceed the role's maxSessionDuration \(20 minutes\)/);
    expect(attempt).toThrow(/breakGlass\.rateLimit\.count must be a whole number from 1 to 10, got 0/);
    expect(attempt).toThrow(/breakGlass\.rateLimit\.per must be from 1 hour to 30 days, got 30 minutes/);
    expect(attempt).toThrow(/approvers must name no principal under \/agent-guardrails\/ or \/agent-workload\/ when a role allows break-glass, got arn:aws:iam::111122223333:role\/agent-guardrails\/agent\/coding-agent/);
  });

  test.each([
    ['a session over an hour', { maxSessionDuration: Duration.hours(2) }, /breakGlass\.maxSessionDuration must be from 15 minutes to 1 hour, got 2 hours/],
    ['a session under STS\'s shortest', { maxSessionDuration: Duration.minutes(5) }, /breakGlass\.maxSessionDuration must be from 15 minutes to 1 hour, got 5 minutes/],
    ['more than ten a window', { rateLimit: { count: 11 } }, /breakGlass\.rateLimit\.count must be a whole number from 1 to 10, got 11/],
  ])('fails when it allows %s', (_what, breakGlass, message) => {
    const workflow = new TwoPersonApproval(new Stack(new App(), 'S'), 'Approval', { approvers });
    expect(() => workflow.addElevatedRole('responder', { statements, breakGlass })).toThrow(message);
  });
});

describe('never for agents, decided by iam-simulate', () => {
  const identityCenter = `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/${IC_ROLE}`;
  const agentRole = `arn:aws:iam::${ACCOUNT}:role/agent-guardrails/agent/coding-agent`;
  const route = `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/v1/POST/requests/break-glass`;
  const INVOKE = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }] };
  const withApiId = (document: unknown, apiId: string) => JSON.parse(JSON.stringify(document).replace(/execute-api:\//g, `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/`).split(`:${apiId}/`).join(':abc123/'));

  let resourcePolicy: any;
  let agentPolicies: any[];
  beforeAll(() => {
    const app = new App();
    const stack = new Stack(app, 'Approval', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const boundary = new AgentPermissionsBoundary(stack, 'Boundary');
    const agent = new AgentRole(stack, 'Agent', { agentName: 'coding-agent', boundary, assumedBy: new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/agent-launcher`) });
    const workflow = new TwoPersonApproval(stack, 'Approval', { approvers });
    workflow.addElevatedRole('responder', { statements, breakGlass: {} });
    workflow.grantRequest(agent);
    const json = Template.fromStack(stack).toJSON() as any;
    const apiId = Object.keys(json.Resources).find((id) => json.Resources[id].Type === 'AWS::ApiGateway::RestApi')!;
    resourcePolicy = withApiId(resolveIntrinsics(json.Resources[apiId].Properties.Policy, json), apiId);
    const agentRoleId = stack.resolve((agent.node.defaultChild as iam.CfnRole).logicalId);
    agentPolicies = Object.values<any>(json.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((ref: any) => ref.Ref === agentRoleId))
      .map((p) => withApiId(resolveIntrinsics(p.Properties.PolicyDocument, json), apiId));
    expect(JSON.stringify(agentPolicies)).toContain(`abc123/*/POST/requests"`);
  });

  const decide = async (principal: string, policies: { identity: unknown[]; boundary?: unknown; resourcePolicy?: unknown }) => (await simulate({ principal, action: 'execute-api:Invoke', resource: route, accountId: ACCOUNT }, policies)).result;

  test.each([
    ['an Identity Center approver', identityCenter, 'Allowed'],
    ['an IAM user approver', `arn:aws:iam::${ACCOUNT}:user/bob`, 'Allowed'],
    ['the agent role', agentRole, 'ExplicitlyDenied'],
    ['a workload role', `arn:aws:iam::${ACCOUNT}:role/agent-workload/orders-writer`, 'ExplicitlyDenied'],
    ['a user who is no approver', `arn:aws:iam::${ACCOUNT}:user/mallory`, 'ExplicitlyDenied'],
  ])('the API\'s resource policy: POST /requests/break-glass by %s is %s', async (_who, principal, expected) => {
    expect(await decide(principal, { identity: [INVOKE], resourcePolicy })).toBe(expected);
  });

  test('fails when an agent role is configured as an approver: the resource policy still denies it break-glass, by its path', async () => {
    const misconfigured = [...approvers.map((a) => a.spec), { human: 'coding-agent', identities: [{ kind: 'role' as const, roleArn: agentRole }] }];
    const stack = new Stack(new App(), 'S', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const policy = withApiId(stack.resolve(apiResourcePolicy(misconfigured).toJSON()), 'none');
    const resolved = JSON.parse(JSON.stringify(policy).split('{"Ref":"AWS::AccountId"}').join(`"${ACCOUNT}"`));
    const rendered = resolveIntrinsics(resolved, { Resources: {} });
    const session = (path: string) => simulate({ principal: agentRole, action: 'execute-api:Invoke', resource: `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/v1/${path}`, accountId: ACCOUNT }, { identity: [INVOKE], resourcePolicy: rendered });
    expect((await session('POST/requests/r1/approve')).result).toBe('Allowed');
    expect((await session('POST/requests/break-glass')).result).toBe('ExplicitlyDenied');
  });

  test('an agent session: its own grants do not reach the route, and with every permission its boundary and the API still refuse it', async () => {
    const documents = sampleDocuments();
    const agentDenies = [documents.agentDenies, documents.agentServiceDenies];
    // What the agent was granted (grantRequest), within its boundary, with no resource policy at all.
    expect(await decide(agentRole, { identity: [...agentPolicies, ...agentDenies], boundary: documents.agentBoundary })).toBe('ImplicitlyDenied');
    expect(await decide(agentRole, { identity: [...agentPolicies, ...agentDenies], boundary: documents.agentBoundary, resourcePolicy })).not.toBe('Allowed');
    // An agent granted everything by mistake, still inside the agent boundary, meets the API's deny.
    expect(await decide(agentRole, { identity: [ADMINISTRATOR_ACCESS, ...agentDenies], boundary: documents.agentBoundary, resourcePolicy })).toBe('ExplicitlyDenied');
    // The request route the agent needs stays open to it.
    const request = await simulate(
      { principal: agentRole, action: 'execute-api:Invoke', resource: route.replace('/requests/break-glass', '/requests'), accountId: ACCOUNT },
      { identity: [...agentPolicies, ...agentDenies], boundary: documents.agentBoundary, resourcePolicy },
    );
    expect(request.result).toBe('Allowed');
  });
});

describe('the handler and the resource policy agree on break-glass, in local mode', () => {
  const aliceSession = `arn:aws:sts::${ACCOUNT}:assumed-role/${IC_ROLE}/alice@example.com`;
  const callers = {
    'an Identity Center approver': { principal: `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/${IC_ROLE}`, session: aliceSession },
    'an IAM user approver': { principal: `arn:aws:iam::${ACCOUNT}:user/bob`, session: `arn:aws:iam::${ACCOUNT}:user/bob` },
    'an agent': { principal: `arn:aws:iam::${ACCOUNT}:role/agent-guardrails/agent/coding-agent`, session: `arn:aws:sts::${ACCOUNT}:assumed-role/coding-agent/task-1` },
    'a user who is no approver': { principal: `arn:aws:iam::${ACCOUNT}:user/mallory`, session: `arn:aws:iam::${ACCOUNT}:user/mallory` },
  } as const;

  // One synthesis for every caller, frozen so that no test can change what the next one starts
  // from; each test starts its own server, so no state of a request carries over.
  let synthesized: ReturnType<typeof synthesizeLocalWorkflow>;
  beforeAll(() => {
    const approverArns = [aliceSession, `arn:aws:iam::${ACCOUNT}:user/bob`, `arn:aws:iam::${ACCOUNT}:user/carol`];
    synthesized = deepFreeze(synthesizeLocalWorkflow(approverArns, undefined, { configure: (w) => w.addElevatedRole('responder', { statements, breakGlass: {} }) }));
  });

  test.each(Object.keys(callers) as Array<keyof typeof callers>)('%s: whatever the handler accepts, the resource policy lets through', async (who) => {
    const server = await startLocalServer({ source: { path: 'AgentGuardrailsLocal/Approval', ...synthesized } });
    try {
      const response = await fetch(`${server.url}/requests/break-glass`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: callers[who].session },
        body: JSON.stringify({ role: 'responder', reason: 'INC-9: checkout is down and the second approver is asleep' }),
      });
      const api = Object.values<any>(synthesized.template.Resources).find((r) => r.Type === 'AWS::ApiGateway::RestApi');
      const policy = JSON.parse(JSON.stringify(resolveIntrinsics(api.Properties.Policy, synthesized.template as any)).replace(/execute-api:\//g, `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/`));
      const allowed = (await simulate({ principal: callers[who].principal, action: 'execute-api:Invoke', resource: `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/v1/POST/requests/break-glass`, accountId: ACCOUNT }, { identity: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }] }], resourcePolicy: policy })).result === 'Allowed';
      // Approvers only, in both; neither admits the agent or anyone else.
      const approver = who === 'an Identity Center approver' || who === 'an IAM user approver';
      expect(response.status < 400).toBe(approver);
      expect(allowed).toBe(approver);
    } finally {
      await server.close();
    }
  });
});

/** `value`, with every object in it frozen. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    Object.values(value).forEach(deepFreeze);
  }
  return value;
}
