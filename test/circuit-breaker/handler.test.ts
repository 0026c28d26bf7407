/**
 * The breaker's handlers with real parts where they exist: the synthesized state table's schema in
 * dynalite on 127.0.0.1, the real handlers; IAM, SNS and EventBridge faked at the SDK boundary with
 * aws-sdk-client-mock. The quarantine policy IAM receives is then evaluated by the simulator.
 */
import { randomUUID } from 'crypto';
import { App } from 'aws-cdk-lib';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { IamRoleQuarantine, SnsBreakerNotifier } from '../../lib/circuit-breaker/handlers/aws';
import { makeBreakerHandler } from '../../lib/circuit-breaker/handlers/breaker-handler';
import { BreakerDeps } from '../../lib/circuit-breaker/handlers/deps';
import { makeResetHandler } from '../../lib/circuit-breaker/handlers/reset-handler';
import { DynamoBreakerStore } from '../../lib/circuit-breaker/handlers/store';
import { BreakerConfig } from '../../lib/circuit-breaker/logic/config';
import { QUARANTINE_POLICY_NAME } from '../../lib/private/session-names';
import { startDynalite } from '../approval-workflow/harness';
import { simulate } from '../support/simulator';
import { Template } from '../support/template';
import { ACCOUNT, AGENT_ROLE, assumedRole, at, denied, envelope, record } from './fixtures/records';
import { breakerCodeAsset, buildBreakerApp } from './support';

const APPROVERS_TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:agent-guardrails-ApprovalEvents`;
const SECURITY_TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:agent-guardrails-CircuitBreakerSecurityTopic`;

let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let template: Template;
let config: BreakerConfig;

beforeAll(async () => {
  dynamo = await startDynalite();
  const { app } = buildBreakerApp(new App());
  template = app.synth().getStackByName('agent-guardrails').template as Template;
  config = breakerCodeAsset(app.outdir).config();
});

afterAll(async () => {
  await dynamo.close();
});

/** A breaker on a fresh table with the synthesized key schema, IAM, SNS and EventBridge faked; the clock at `now`. */
async function breakerUnderTest() {
  const table = Object.values(template.Resources).find((r) => r.Type === 'AWS::DynamoDB::Table' && r.Properties.KeySchema[0].AttributeName === 'agent')!.Properties;
  const tableName = `breaker-${randomUUID()}`;
  await dynamo.client.send(new CreateTableCommand({ TableName: tableName, KeySchema: table.KeySchema, AttributeDefinitions: table.AttributeDefinitions, BillingMode: 'PAY_PER_REQUEST' }));
  const iam = mockClient(IAMClient);
  const sns = mockClient(SNSClient);
  const events = mockClient(EventBridgeClient);
  const rolePolicies = new Map<string, string>();
  iam.on(PutRolePolicyCommand).callsFake((input) => {
    rolePolicies.set(`${input.RoleName}/${input.PolicyName}`, input.PolicyDocument);
    return {};
  });
  iam.on(DeleteRolePolicyCommand).callsFake((input) => {
    if (!rolePolicies.delete(`${input.RoleName}/${input.PolicyName}`)) {
      throw Object.assign(new Error(`The role policy with name ${input.PolicyName} cannot be found.`), { name: 'NoSuchEntityException' });
    }
    return {};
  });
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
  const clock = { now: new Date(at(0)) };
  const store = new DynamoBreakerStore(tableName, dynamo.client);
  const deps: BreakerDeps = {
    config,
    store,
    quarantine: new IamRoleQuarantine(new IAMClient({ region: 'us-east-1' })),
    notifier: new SnsBreakerNotifier(new SNSClient({ region: 'us-east-1' }), new EventBridgeClient({ region: 'us-east-1' }), [APPROVERS_TOPIC, SECURITY_TOPIC], 'agent-guardrails-ApprovalEventBus', {
      resetRole: 'circuit-breaker-reset',
      resetFunction: 'agent-guardrails-CircuitBreakerReset-1A2B',
      apiUrl: 'https://abc123.execute-api.us-east-1.amazonaws.com/v1',
    }),
    now: () => clock.now,
  };
  const breaker = makeBreakerHandler(() => deps);
  const reset = makeResetHandler(() => deps);
  /** Delivers `detail` as EventBridge would, the clock a minute past the call. */
  const deliver = (detail: Record<string, any>) => {
    clock.now = new Date(Date.parse(detail.eventTime) + 60_000);
    return breaker(envelope(detail));
  };
  const restore = () => [iam, sns, events].forEach((m) => m.restore());
  return { deps, store, breaker, reset, deliver, iam, sns, events, rolePolicies, clock, restore };
}

type Harness = Awaited<ReturnType<typeof breakerUnderTest>>;
let h: Harness;
afterEach(() => h?.restore());

const deniedAt = (minutes: number, fields: Record<string, unknown> = {}) => denied({ eventTime: at(minutes), ...fields });

/** The agent's session, with the quarantine IAM holds now (if any), deciding a read. */
async function agentRead(rolePolicies: Map<string, string>, issuedAt: string) {
  const policy = rolePolicies.get(`coding-agent/${QUARANTINE_POLICY_NAME}`);
  const allowRead = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'cloudformation:Describe*', Resource: '*' }] };
  const decision = await simulate(
    { action: 'cloudformation:DescribeStacks', resource: `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/orders-dev/x`, context: { 'aws:TokenIssueTime': issuedAt } },
    { identity: [allowRead, ...(policy ? [JSON.parse(policy)] : [])] },
  );
  return decision.result;
}

describe('the breaker handler', () => {
  test('trips on the fifth denied call: quarantines the role once, tells both topics and the event bus with the evidence', async () => {
    h = await breakerUnderTest();
    const calls = [0, 1, 2, 3, 4].map((m) => deniedAt(m));
    const results = [];
    for (const c of calls) results.push((await h.deliver(c)).result);
    expect(results).toEqual(['counted', 'counted', 'counted', 'counted', 'tripped']);

    expect(h.iam.commandCalls(PutRolePolicyCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: 'coding-agent', PolicyName: 'agent-guardrails-quarantine', PolicyDocument: expect.any(String) }]);
    expect(await agentRead(h.rolePolicies, '2026-11-30T09:55:00Z')).toBe('ExplicitlyDenied');
    expect(await agentRead(h.rolePolicies, '2026-11-30T10:30:00Z')).toBe('ExplicitlyDenied');

    const published = h.sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(published.map((p) => p.TopicArn).sort()).toEqual([APPROVERS_TOPIC, SECURITY_TOPIC].sort());
    const email = JSON.parse(published[0].Message!).email as string;
    expect(published[0].Subject).toBe('Circuit breaker tripped: coding-agent is quarantined (denied-calls)');
    for (const c of calls) expect(email).toContain(c.eventID);
    expect(email).toContain('5 denied calls within 10 minutes (threshold: 5)');
    expect(email).toContain('Why it trips:  an agent that keeps running into its boundary');
    expect(email).toContain('agent-guardrails request --role circuit-breaker-reset');
    expect(email).toContain('aws lambda invoke --function-name agent-guardrails-CircuitBreakerReset-1A2B');
    const [entry] = h.events.commandCalls(PutEventsCommand)[0].args[0].input.Entries!;
    expect(entry).toMatchObject({ Source: 'agent-guardrails', DetailType: 'Agent Circuit Breaker Tripped', EventBusName: 'agent-guardrails-ApprovalEventBus' });
    expect(JSON.parse(entry.Detail!)).toMatchObject({ agent: 'coding-agent', reason: { code: 'denied-calls' }, events: calls.map((c) => c.eventID) });

    const stored = await h.store.get('coding-agent');
    expect(stored!.record).toMatchObject({ state: { status: 'tripped', trip: { at: at(4) } }, quarantinedAt: expect.any(String), notifiedAt: expect.any(String) });
    expect(stored!.record.history.map((e) => e.event)).toEqual(['tripped', 'quarantined', 'notified']);
  });

  test('fails when calls made while quarantined stack a second policy or a second notification', async () => {
    h = await breakerUnderTest();
    for (const m of [0, 1, 2, 3, 4, 5, 6, 7]) await h.deliver(deniedAt(m));
    expect(h.iam.commandCalls(PutRolePolicyCommand)).toHaveLength(1);
    expect(h.sns.commandCalls(PublishCommand)).toHaveLength(2);
    expect((await h.store.get('coding-agent'))!.record.state.denied).toHaveLength(8);
  });

  test('fails when a call EventBridge delivers twice counts twice', async () => {
    h = await breakerUnderTest();
    const once = deniedAt(0);
    for (let i = 0; i < 5; i++) await h.deliver(once);
    expect((await h.store.get('coding-agent'))!.record.state.denied).toHaveLength(1);
    expect(h.iam.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
  });

  test('fails when another principal\'s calls are stored or counted', async () => {
    h = await breakerUnderTest();
    const human = assumedRole(`arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef`, 'alice@example.com');
    for (const m of [0, 1, 2, 3, 4]) expect(await h.deliver(deniedAt(m, { userIdentity: human }))).toEqual({ result: 'ignored', reason: 'not-an-agent' });
    expect(await h.store.get('coding-agent')).toBeUndefined();
  });

  test('one write to production trips it', async () => {
    h = await breakerUnderTest();
    const write = record({ eventTime: at(0), readOnly: false, eventSource: 'dynamodb.amazonaws.com', eventName: 'DeleteTable', requestParameters: { tableName: 'payments-ledger' } });
    expect((await h.deliver(write)).result).toBe('tripped');
    expect(JSON.parse(h.sns.commandCalls(PublishCommand)[0].args[0].input.Message!).email).toContain('1 write to production within 10 minutes');
  });

  test('calls of a role-chained session count toward the agent, and the evidence names the role', async () => {
    h = await breakerUnderTest();
    const chained = assumedRole(`arn:aws:iam::${ACCOUNT}:role/agent-workload/helper`, 'chained', 'coding-agent');
    for (const m of [0, 1, 2, 3, 4]) await h.deliver(deniedAt(m, { userIdentity: chained }));
    expect(h.iam.commandCalls(PutRolePolicyCommand)).toHaveLength(1);
    expect(JSON.parse(h.sns.commandCalls(PublishCommand)[0].args[0].input.Message!).email).toContain(`through arn:aws:iam::${ACCOUNT}:role/agent-workload/helper`);
  });

  test('a delivery that failed to quarantine is finished by EventBridge\'s retry, and announced once', async () => {
    h = await breakerUnderTest();
    h.iam.on(PutRolePolicyCommand).rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    for (const m of [0, 1, 2, 3]) await h.deliver(deniedAt(m));
    const fifth = deniedAt(4);
    await expect(h.deliver(fifth)).rejects.toThrow('Rate exceeded');
    expect(h.sns.commandCalls(PublishCommand)).toHaveLength(0);
    h.iam.on(PutRolePolicyCommand).callsFake((input) => {
      h.rolePolicies.set(`${input.RoleName}/${input.PolicyName}`, input.PolicyDocument);
      return {};
    });
    expect((await h.deliver(fifth)).result).toBe('not-counted');
    expect(h.rolePolicies.has(`coding-agent/${QUARANTINE_POLICY_NAME}`)).toBe(true);
    expect(h.sns.commandCalls(PublishCommand)).toHaveLength(2);
    await h.deliver(deniedAt(5));
    expect(h.sns.commandCalls(PublishCommand)).toHaveLength(2);
  });

  test('concurrent deliveries trip it once (conditional writes, no transactions)', async () => {
    h = await breakerUnderTest();
    h.clock.now = new Date(at(10));
    const results = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((m) => h.breaker(envelope(deniedAt(m)))));
    expect(results.filter((r) => r.result === 'tripped')).toHaveLength(1);
    expect(h.iam.commandCalls(PutRolePolicyCommand)).toHaveLength(1);
    expect((await h.store.get('coding-agent'))!.record.state.denied).toHaveLength(12);
  });
});

describe('the reset handler', () => {
  test('lifts the quarantine, clears the counts, records the request and tells both topics', async () => {
    h = await breakerUnderTest();
    for (const m of [0, 1, 2, 3, 4]) await h.deliver(deniedAt(m));
    expect(await agentRead(h.rolePolicies, '2026-11-30T10:30:00Z')).toBe('ExplicitlyDenied');
    h.sns.resetHistory();
    h.clock.now = new Date(at(30));

    expect(await h.reset({ agent: 'coding-agent', requestId: 'req-42', reason: 'a test loop, fixed' }, { awsRequestId: 'lambda-1' })).toEqual({ result: 'reset', agent: 'coding-agent', wasTripped: true, quarantine: 'released' });
    expect(h.iam.commandCalls(DeleteRolePolicyCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: 'coding-agent', PolicyName: 'agent-guardrails-quarantine' }]);
    expect(await agentRead(h.rolePolicies, '2026-11-30T10:30:00Z')).toBe('Allowed');
    const stored = (await h.store.get('coding-agent'))!.record;
    expect(stored.state).toMatchObject({ status: 'closed', denied: [], resetAt: at(30).replace('Z', '.000Z') });
    expect(stored.history[stored.history.length - 1]).toMatchObject({ event: 'reset', detail: { requestId: 'req-42', invocation: 'lambda-1', wasTripped: true } });
    const published = h.sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(published.map((p) => p.Subject)).toEqual(['Circuit breaker reset: coding-agent', 'Circuit breaker reset: coding-agent']);

    // Counting starts again: four new denied calls do not trip it, the calls before the reset are not counted again.
    for (const m of [31, 32, 33, 34]) expect((await h.deliver(deniedAt(m))).result).toBe('counted');
    expect((await h.deliver(deniedAt(29))).result).toBe('not-counted');
    expect(h.iam.commandCalls(PutRolePolicyCommand)).toHaveLength(1);
  });

  test('a breaker that is not tripped is reset all the same, and says so', async () => {
    h = await breakerUnderTest();
    expect(await h.reset({ agent: 'coding-agent' })).toEqual({ result: 'reset', agent: 'coding-agent', wasTripped: false, quarantine: 'not-quarantined' });
  });

  test.each([
    ['an agent it does not watch', { agent: 'review-agent' }, 'unknown-agent'],
    ['no agent', { requestId: 'r' }, 'invalid-input'],
    ['a payload that is not JSON', 'not json', 'invalid-input'],
  ])('fails when asked to reset %s', async (_name, input, code) => {
    h = await breakerUnderTest();
    expect(await h.reset(input)).toMatchObject({ result: 'refused', code });
    expect(h.iam.commandCalls(DeleteRolePolicyCommand)).toHaveLength(0);
  });
});

test('the agent whose role the fixtures name is the one the breaker watches', () => {
  expect(config.agents.map((a) => `arn:aws:iam::${ACCOUNT}:role${a.rolePath}${a.roleName}`)).toContain(AGENT_ROLE);
});
