/**
 * The circuit breaker's policies, decided by iam-simulate on the synthesized templates: the
 * quarantine denies the agent's live and new sessions and the reset restores the agent; agents
 * cannot touch the breaker; only the reset role's sessions can reset it, and they can do nothing
 * else of the breaker's; the breaker quarantines the watched agents and no one else.
 */
import { App } from 'aws-cdk-lib';
import { quarantinePolicy } from '../../lib/circuit-breaker/logic/quarantine';
import { QUARANTINE_POLICY_NAME } from '../../lib/private/session-names';
import { simulate } from '../support/simulator';
import { guardrailDocuments, inlinePoliciesOf, resolveIntrinsics, resourcesOfType, stackArn, Template } from '../support/template';
import { ACCOUNT, AGENT_ROLE } from './fixtures/records';
import { buildBreakerApp, REGION } from './support';

let template: Template;
const BREAKER = { 'aws:ResourceTag/agent-guardrails:component': 'circuit-breaker' };
const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
const TABLE = arn('dynamodb', 'table/agent-guardrails-CircuitBreakerState-1A2B3C');
const RULE = arn('events', 'rule/agent-guardrails-CircuitBreakerRule-1A2B3C');
const FUNCTION = (id: string) => arn('lambda', `function:${id}`);

/**
 * The ARNs of resources other than roles and policies, which the shared resolver leaves to the
 * caller: the names above for the breaker's own, `<type>/<logical id>` for the others.
 */
function withArns(value: any): any {
  if (Array.isArray(value)) return value.map(withArns);
  if (value === null || typeof value !== 'object') return value;
  const getAtt = value['Fn::GetAtt'];
  const type = Array.isArray(getAtt) && getAtt[1] === 'Arn' ? template.Resources[getAtt[0]]?.Type : undefined;
  if (type === 'AWS::Lambda::Function') return FUNCTION(getAtt[0]);
  if (type === 'AWS::DynamoDB::Table') return String(getAtt[0]).startsWith('CircuitBreakerState') ? TABLE : arn('dynamodb', `table/${getAtt[0]}`);
  if (type !== undefined && !type.startsWith('AWS::IAM::')) return arn(type.split('::')[1].toLowerCase(), String(getAtt[0]));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withArns(v)]));
}
const resolve = (value: unknown) => resolveIntrinsics(withArns(value), template);
/** The inline policies attached to role `roleId`, resolved. */
const policiesOf = (roleId: string) => resourcesOfType(template, 'AWS::IAM::Policy').filter(([, r]) => (r.Properties.Roles ?? []).some((ref: any) => ref.Ref === roleId)).map(([, r]) => resolve(r.Properties.PolicyDocument));
const logicalId = (prefix: string) => Object.keys(template.Resources).find((id) => id.startsWith(prefix) && template.Resources[id].Type === 'AWS::Lambda::Function')!;

beforeAll(() => {
  const { app } = buildBreakerApp(new App());
  template = app.synth().getStackByName('agent-guardrails').template as Template;
});

/** The coding agent's session as IAM evaluates it: its policies, the agent denies, the boundary, and the quarantine when it holds it. */
function agent(quarantine?: unknown) {
  const id = resourcesOfType(template, 'AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === 'coding-agent')![0];
  const { agentBoundary, agentDenies, agentServiceDenies } = guardrailDocuments(template);
  const identity = [...inlinePoliciesOf(template, id), agentDenies, agentServiceDenies, ...(quarantine ? [quarantine] : [])];
  return (action: string, resource: string, context: Record<string, string | string[]> = {}, resourcePolicy?: unknown) =>
    simulate({ action, resource, context, principal: AGENT_ROLE }, { identity, boundary: agentBoundary, resourcePolicy }).then((d) => d);
}

describe('the quarantine', () => {
  const trippedAt = new Date('2026-11-30T10:04:12Z');
  const read = ['cloudformation:DescribeStacks', stackArn('orders-dev')] as const;
  const issued = (iso: string) => ({ 'aws:TokenIssueTime': iso });

  test('is put on the role under the shared name, as a Deny of every action', () => {
    expect(QUARANTINE_POLICY_NAME).toBe('agent-guardrails-quarantine');
    expect(quarantinePolicy(trippedAt)).toEqual({
      Version: '2012-10-17',
      Statement: [{ Sid: 'AgentCircuitBreakerQuarantine', Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': '2036-11-30T10:04:12.000Z' } } }],
    });
  });

  test('before the trip, the agent reads (the request the quarantine must stop)', async () => {
    expect((await agent()(...read, issued('2026-11-30T09:55:00Z'))).result).toBe('Allowed');
  });

  test.each([
    ['a session live before the trip', '2026-11-30T09:55:00Z'],
    ['a session issued a minute after the trip', '2026-11-30T10:05:12Z'],
    ['a session issued a month after the trip', '2026-12-30T10:00:00Z'],
  ])('fails when %s is still allowed', async (_name, issuedAt) => {
    const decision = await agent(quarantinePolicy(trippedAt))(...read, issued(issuedAt));
    expect(decision).toMatchObject({ result: 'ExplicitlyDenied', deniedBy: expect.arrayContaining(['AgentCircuitBreakerQuarantine']) });
  });

  test.each([
    ['deploy the development stack', 'cloudformation:UpdateStack', stackArn('orders-dev')],
    ['ask for an elevated session', 'execute-api:Invoke', arn('execute-api', 'a1b2c3d4e5/v1/POST/requests')],
    ['chain into another agent role', 'sts:AssumeRole', `arn:aws:iam::${ACCOUNT}:role/agent-guardrails/agent/review-agent`],
  ])('fails when a quarantined session may still %s', async (_name, action, resource) => {
    expect((await agent(quarantinePolicy(trippedAt))(action, resource, issued('2026-11-30T10:05:00Z'))).result).toBe('ExplicitlyDenied');
  });

  test('after the reset (the policy removed), the agent\'s sessions work again', async () => {
    expect((await agent()(...read, issued('2026-11-30T11:00:00Z'))).result).toBe('Allowed');
  });

  test('fails when the quarantined agent may remove its quarantine', async () => {
    const decision = await agent(quarantinePolicy(trippedAt))('iam:DeleteRolePolicy', AGENT_ROLE, issued('2026-11-30T10:05:00Z'));
    expect(decision).toMatchObject({ result: 'ExplicitlyDenied', deniedBy: expect.arrayContaining(['GuardrailReadOnly']) });
  });
});

describe('an agent session and the breaker\'s own resources', () => {
  let tablePolicy: unknown;
  beforeAll(() => {
    const table = resourcesOfType(template, 'AWS::DynamoDB::Table').find(([id]) => id.startsWith('CircuitBreakerState'))![1];
    tablePolicy = resolve(table.Properties.ResourcePolicy.PolicyDocument);
  });

  test.each([
    ['reading its state', 'dynamodb:GetItem', () => TABLE],
    ['clearing its counts', 'dynamodb:PutItem', () => TABLE],
    ['deleting its state', 'dynamodb:DeleteItem', () => TABLE],
    ['disabling the rule', 'events:DisableRule', () => RULE],
    ['rewriting the rule\'s pattern', 'events:PutRule', () => RULE],
    ['removing the rule\'s target', 'events:RemoveTargets', () => RULE],
    ['deleting the rule', 'events:DeleteRule', () => RULE],
    ['invoking the reset function', 'lambda:InvokeFunction', () => FUNCTION(logicalId('CircuitBreakerReset'))],
    ['invoking the breaker with a forged event', 'lambda:InvokeFunction', () => FUNCTION(logicalId('CircuitBreakerHandler'))],
    ['changing the breaker\'s code', 'lambda:UpdateFunctionCode', () => FUNCTION(logicalId('CircuitBreakerHandler'))],
    ['changing the thresholds in its environment', 'lambda:UpdateFunctionConfiguration', () => FUNCTION(logicalId('CircuitBreakerHandler'))],
    ['publishing a fake all-clear to the security topic', 'sns:Publish', () => arn('sns', 'agent-guardrails-CircuitBreakerSecurityTopic-1A2B')],
    ['draining the dead-letter queue', 'sqs:PurgeQueue', () => arn('sqs', 'agent-guardrails-CircuitBreakerDeadLetters-1A2B')],
    ['silencing its alarm', 'cloudwatch:DisableAlarmActions', () => arn('cloudwatch', 'alarm:agent-guardrails-CircuitBreakerFailures-1A2B')],
  ])('fails when an agent session may go %s', async (_name, action, resource) => {
    const decision = await agent()(action, resource(), BREAKER, action.startsWith('dynamodb:') ? tablePolicy : undefined);
    expect(decision).toMatchObject({ result: 'ExplicitlyDenied', deniedBy: expect.arrayContaining(['GuardrailOffLimits']) });
  });

  test('fails when an agent session may remove the component tag', async () => {
    const decision = await agent()('events:UntagResource', RULE, { ...BREAKER, 'aws:TagKeys': ['agent-guardrails:component'] });
    expect(decision.result).toBe('ExplicitlyDenied');
  });

  test('fails when the table would let anyone but the breaker\'s functions at its items, administrators included', async () => {
    const admin = `arn:aws:iam::${ACCOUNT}:role/Admin`;
    const everything = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
    for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan']) {
      expect((await simulate({ principal: admin, action, resource: TABLE }, { identity: [everything], resourcePolicy: tablePolicy })).result).toBe('ExplicitlyDenied');
    }
    const handlerRole = resolve({ 'Fn::GetAtt': [Object.keys(template.Resources).find((id) => id.startsWith('CircuitBreakerHandlerServiceRole') && template.Resources[id].Type === 'AWS::IAM::Role')!, 'Arn'] });
    const handlerPolicies = policiesOf(Object.keys(template.Resources).find((id) => id.startsWith('CircuitBreakerHandlerServiceRole') && template.Resources[id].Type === 'AWS::IAM::Role')!);
    expect((await simulate({ principal: handlerRole, action: 'dynamodb:PutItem', resource: TABLE }, { identity: handlerPolicies, resourcePolicy: tablePolicy })).result).toBe('Allowed');
  });
});

describe('a session of the reset role, with the elevated boundary', () => {
  let decide: (action: string, resource: string, context?: Record<string, string>) => Promise<string>;
  beforeAll(() => {
    const [, role] = resourcesOfType(template, 'AWS::IAM::Role').find(([, r]) => String(r.Properties.RoleName).endsWith('circuit-breaker-reset'))!;
    const identity = resolve(role.Properties.Policies.map((p: any) => p.PolicyDocument));
    const boundaryId = role.Properties.PermissionsBoundary.Ref;
    const boundary = resolve(template.Resources[boundaryId].Properties!.PolicyDocument);
    const session = `arn:aws:sts::${ACCOUNT}:assumed-role/${role.Properties.RoleName}/request-1`;
    decide = async (action, resource, context = {}) => (await simulate({ principal: session, action, resource, context }, { identity, boundary })).result;
  });

  test('invokes the reset function', async () => {
    expect(await decide('lambda:InvokeFunction', FUNCTION(logicalId('CircuitBreakerReset')), BREAKER)).toBe('Allowed');
  });

  test.each([
    ['invoke the breaker itself', 'lambda:InvokeFunction', () => FUNCTION(logicalId('CircuitBreakerHandler'))],
    ['change the reset function', 'lambda:UpdateFunctionCode', () => FUNCTION(logicalId('CircuitBreakerReset'))],
    ['write the breaker\'s state', 'dynamodb:PutItem', () => TABLE],
    ['lift a quarantine by hand', 'iam:DeleteRolePolicy', () => AGENT_ROLE],
    ['disable the rule', 'events:DisableRule', () => RULE],
  ])('fails when a reset session may also %s', async (_name, action, resource) => {
    expect(await decide(action, resource(), BREAKER)).not.toBe('Allowed');
  });
});

describe('the breaker\'s own roles', () => {
  const roleDecider = (prefix: string) => {
    const id = Object.keys(template.Resources).find((k) => k.startsWith(prefix) && template.Resources[k].Type === 'AWS::IAM::Role')!;
    const identity = policiesOf(id);
    const principal = resolve({ 'Fn::GetAtt': [id, 'Arn'] });
    return async (action: string, resource: string) => (await simulate({ principal, action, resource }, { identity })).result;
  };

  test('the breaker quarantines the watched agent\'s role', async () => {
    expect(await roleDecider('CircuitBreakerHandlerServiceRole')('iam:PutRolePolicy', AGENT_ROLE)).toBe('Allowed');
  });

  test.each([
    ['an agent it does not watch', `arn:aws:iam::${ACCOUNT}:role/agent-guardrails/agent/review-agent`],
    ['an elevated role', `arn:aws:iam::${ACCOUNT}:role/agent-guardrails/elevated/Approval-circuit-breaker-reset`],
    ['an administrator\'s role', `arn:aws:iam::${ACCOUNT}:role/Admin`],
  ])('fails when the breaker may put policies on %s', async (_name, resource) => {
    expect(await roleDecider('CircuitBreakerHandlerServiceRole')('iam:PutRolePolicy', resource)).toBe('ImplicitlyDenied');
  });

  test('fails when the reset function may quarantine, rather than only lift', async () => {
    const decide = roleDecider('CircuitBreakerResetServiceRole');
    expect(await decide('iam:DeleteRolePolicy', AGENT_ROLE)).toBe('Allowed');
    expect(await decide('iam:PutRolePolicy', AGENT_ROLE)).toBe('ImplicitlyDenied');
  });
});
