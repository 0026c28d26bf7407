/**
 * The breaker's counting and classification, pure: which calls are an agent's, which count, and
 * when a threshold is crossed. Every case that trips has cases that do not.
 */
import { classify, AgentCall } from '../../lib/circuit-breaker/logic/classify';
import { BreakerConfig, DEFAULT_THRESHOLDS } from '../../lib/circuit-breaker/logic/config';
import { BreakerState, breakerStep, resetState, StepResult } from '../../lib/circuit-breaker/logic/counting';
import { BREAKER_TRIGGERS } from '../../lib/circuit-breaker/logic/triggers';
import { ACCOUNT, AGENT_ROLE, assumedRole, at, denied, record } from './fixtures/records';

const config: BreakerConfig = {
  agents: [
    { name: 'coding-agent', roleName: 'coding-agent', rolePath: '/agent-guardrails/agent/' },
    { name: 'review-agent', roleName: 'review-agent', rolePath: '/agent-guardrails/agent/' },
  ],
  thresholds: DEFAULT_THRESHOLDS,
  production: { stackNames: ['orders-prod', 'legacy-*'], resourceNames: ['payments-ledger'] },
};

/** Classifies `records` and counts them in order, each at its own time; returns every step. */
function run(records: Record<string, any>[], thresholds = config.thresholds): { steps: StepResult[]; state?: BreakerState } {
  let state: BreakerState | undefined;
  const steps: StepResult[] = [];
  for (const r of records) {
    const classified = classify(r, config);
    if (classified.kind === 'ignored') continue;
    const step = breakerStep(state, classified.call, thresholds, new Date(r.eventTime));
    steps.push(step);
    state = step.state;
  }
  return { steps, state };
}

const trips = (steps: StepResult[]) => steps.filter((s): s is Extract<StepResult, { kind: 'tripped' }> => s.kind === 'tripped').map((s) => s.trip);

function call(r: Record<string, any>): AgentCall {
  const classified = classify(r, config);
  if (classified.kind !== 'call') throw new Error(`not a call: ${classified.reason}`);
  return classified.call;
}

describe('attribution', () => {
  test('a session of the agent\'s role is the agent\'s', () => {
    expect(call(denied())).toMatchObject({ agent: 'coding-agent', denied: true, write: false });
  });

  test('a role-chained session is the agent\'s by its source identity, and names the role it went through', () => {
    const chained = denied({ userIdentity: assumedRole(`arn:aws:iam::${ACCOUNT}:role/agent-workload/helper`, 'chained', 'coding-agent') });
    expect(call(chained)).toMatchObject({ agent: 'coding-agent', via: `arn:aws:iam::${ACCOUNT}:role/agent-workload/helper` });
  });

  test('the source identity names the agent even through another agent\'s role', () => {
    const other = denied({ userIdentity: assumedRole(`arn:aws:iam::${ACCOUNT}:role/agent-guardrails/agent/review-agent`, 's', 'coding-agent') });
    expect(call(other).agent).toBe('coding-agent');
  });

  test.each([
    ['a human\'s session', assumedRole(`arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef`, 'alice@example.com')],
    ['a role named like the agent, on another path', assumedRole(`arn:aws:iam::${ACCOUNT}:role/coding-agent`, 'OPS-1')],
    ['a session whose source identity is not an agent', assumedRole(`arn:aws:iam::${ACCOUNT}:role/agent-workload/helper`, 's', 'coding-agent-2')],
    ['an IAM user', { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: `arn:aws:iam::${ACCOUNT}:user/bob`, accountId: ACCOUNT, userName: 'bob' }],
  ])('fails when %s is counted as the agent', (_name, userIdentity) => {
    expect(classify(denied({ userIdentity }), config)).toEqual({ kind: 'ignored', reason: 'not-an-agent' });
  });

  test('fails when the launcher\'s AssumeRole of the agent role, which names the agent in its request, counts as the agent\'s', () => {
    const launch = record({
      userIdentity: assumedRole(`arn:aws:iam::${ACCOUNT}:role/agent-launcher`, 'ci-7'),
      eventSource: 'sts.amazonaws.com',
      eventName: 'AssumeRole',
      requestParameters: { roleArn: AGENT_ROLE, roleSessionName: 'OPS-43', sourceIdentity: 'coding-agent' },
      errorCode: 'AccessDenied',
    });
    expect(classify(launch, config).kind).toBe('ignored');
  });

  test('fails when something that is not a CloudTrail record is classified', () => {
    expect(classify({ hello: 'world' }, config)).toEqual({ kind: 'ignored', reason: 'not-a-record' });
  });
});

describe('what counts', () => {
  test.each([
    ['AccessDenied (S3, IAM, STS)', 'AccessDenied'],
    ['AccessDeniedException (the JSON services)', 'AccessDeniedException'],
    ['UnauthorizedOperation (EC2)', 'UnauthorizedOperation'],
    ['Client.UnauthorizedOperation (EC2, as CloudTrail records it)', 'Client.UnauthorizedOperation'],
  ])('%s is a denied call', (_name, errorCode) => {
    expect(call(denied({ errorCode })).denied).toBe(true);
  });

  test('fails when a call that failed for another reason counts as denied', () => {
    expect(call(record({ errorCode: 'ThrottlingException' })).denied).toBe(false);
  });

  test.each([
    ['readOnly: false', { readOnly: false, eventName: 'GetObject' }, true],
    ['readOnly: true', { readOnly: true, eventName: 'DeleteObject' }, false],
    ['no readOnly, a write by its name', { readOnly: undefined, eventName: 'DeleteQueue' }, true],
    ['no readOnly, a read by its name', { readOnly: undefined, eventName: 'DescribeStacks' }, false],
  ])('%s', (_name, fields, write) => {
    expect(call(record(fields)).write).toBe(write);
  });

  test.each([
    ['a stack by name', { eventSource: 'cloudformation.amazonaws.com', eventName: 'DeleteStack', requestParameters: { stackName: 'orders-prod' } }],
    ['a stack by ARN', { eventSource: 'cloudformation.amazonaws.com', eventName: 'UpdateStack', requestParameters: { stackName: `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/orders-prod/4d3c2b1a` } }],
    ['a queue CloudFormation named, by URL', { eventSource: 'sqs.amazonaws.com', eventName: 'PurgeQueue', requestParameters: { queueUrl: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/orders-prod-OrdersIncoming1A2B-XyZ` } }],
    ['a table written out by name', { eventSource: 'dynamodb.amazonaws.com', eventName: 'DeleteTable', requestParameters: { tableName: 'payments-ledger' } }],
    ['a table in resources', { eventSource: 'dynamodb.amazonaws.com', eventName: 'UpdateTable', requestParameters: {}, resources: [{ ARN: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/payments-ledger`, type: 'AWS::DynamoDB::Table' }] }],
    ['a stack of a production prefix', { eventSource: 'cloudformation.amazonaws.com', eventName: 'DeleteStack', requestParameters: { stackName: 'legacy-billing' } }],
    ['a bucket CloudFormation named', { eventName: 'PutBucketPolicy', requestParameters: { bucketName: 'orders-prod-assetsbucket1a2b-xyz' } }],
  ])('a write naming production: %s', (_name, fields) => {
    expect(call(record({ readOnly: false, ...fields })).production).toBeDefined();
  });

  test.each([
    ['a development stack', { requestParameters: { stackName: 'orders-dev' } }],
    ['a key in a development bucket that looks like production', { requestParameters: { bucketName: 'orders-dev-assets', key: 'orders-prod-backup.json' } }],
    ['a description that mentions production', { requestParameters: { functionName: 'orders-dev-writer', description: 'copy of orders-prod' } }],
    ['a stack whose name only starts like production', { requestParameters: { stackName: 'orders-production' } }],
  ])('fails when a write naming %s counts as production', (_name, fields) => {
    expect(call(record({ readOnly: false, eventName: 'UpdateStack', ...fields })).production).toBeUndefined();
  });

  test('fails when a read of production counts as a write to it', () => {
    expect(call(record({ readOnly: true, eventName: 'DescribeStacks', requestParameters: { stackName: 'orders-prod' } })).production).toBeUndefined();
  });
});

describe('counting', () => {
  const deniedAt = (minutes: number, fields: Record<string, unknown> = {}) => denied({ eventTime: at(minutes), ...fields });

  test('trips at the fifth denied call within 10 minutes, with those five as evidence', () => {
    const records = [0, 1, 2, 3, 4].map((m) => deniedAt(m * 2));
    const { steps } = run(records);
    expect(steps.map((s) => s.kind)).toEqual(['counted', 'counted', 'counted', 'counted', 'tripped']);
    expect(trips(steps)).toEqual([
      expect.objectContaining({ agent: 'coding-agent', at: at(8), reason: { code: 'denied-calls', count: 5, windowSeconds: 600 }, calls: records.map((r) => expect.objectContaining({ eventId: r.eventID })) }),
    ]);
  });

  test('fails when four denied calls trip it', () => {
    expect(trips(run([0, 1, 2, 3].map((m) => deniedAt(m))).steps)).toEqual([]);
  });

  test('fails when five denied calls spread over more than the window trip it', () => {
    // 0, 2.5, 5, 7.5, 10: the first and the fifth are 10 minutes apart.
    expect(trips(run([0, 2.5, 5, 7.5, 10].map((m) => deniedAt(m))).steps)).toEqual([]);
  });

  test('the window slides: the first call drops out, the sixth completes five within 10 minutes', () => {
    const { steps } = run([0, 2.5, 5, 7.5, 10, 11].map((m) => deniedAt(m)));
    const [trip] = trips(steps);
    expect(trip.at).toBe(at(11));
    expect(trip.calls.map((c) => c.at)).toEqual([2.5, 5, 7.5, 10, 11].map(at));
  });

  test('calls that arrive out of order count at their own times', () => {
    const records = [0, 1, 2, 3, 4].map((m) => deniedAt(m));
    expect(trips(run([records[4], records[0], records[3], records[1], records[2]]).steps)).toHaveLength(1);
  });

  test('fails when a call EventBridge delivers twice counts twice', () => {
    const once = deniedAt(0);
    const { steps } = run([once, once, once, once, once]);
    expect(steps.map((s) => s.kind)).toEqual(['counted', 'not-counted', 'not-counted', 'not-counted', 'not-counted']);
  });

  test('fails when other principals\' denied calls count toward the agent', () => {
    const human = assumedRole(`arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef`, 'alice@example.com');
    const records = [0, 1, 2, 3].map((m) => deniedAt(m)).concat([5, 6, 7].map((m) => deniedAt(m, { userIdentity: human })));
    expect(trips(run(records).steps)).toEqual([]);
  });

  test('denied calls of a role-chained session count toward the agent', () => {
    const chained = assumedRole(`arn:aws:iam::${ACCOUNT}:role/agent-workload/helper`, 'chained', 'coding-agent');
    const records = [0, 1, 2].map((m) => deniedAt(m)).concat([3, 4].map((m) => deniedAt(m, { userIdentity: chained })));
    const [trip] = trips(run(records).steps);
    expect(trip.calls.filter((c) => c.via !== undefined)).toHaveLength(2);
  });

  test('each agent is counted apart', () => {
    const review = assumedRole(`arn:aws:iam::${ACCOUNT}:role/agent-guardrails/agent/review-agent`, 'r', 'review-agent');
    const records = [0, 1, 2].map((m) => deniedAt(m)).concat([3, 4].map((m) => deniedAt(m, { userIdentity: review })));
    let coding: BreakerState | undefined;
    let reviewState: BreakerState | undefined;
    const kinds = records.map((r) => {
      const c = call(r);
      const step = breakerStep(c.agent === 'coding-agent' ? coding : reviewState, c, config.thresholds, new Date(c.at));
      if (c.agent === 'coding-agent') coding = step.state;
      else reviewState = step.state;
      return step.kind;
    });
    expect(kinds).not.toContain('tripped');
  });

  test('one write to production trips it, denied or not', () => {
    const allowed = record({ eventTime: at(0), readOnly: false, eventSource: 'cloudformation.amazonaws.com', eventName: 'CreateChangeSet', requestParameters: { stackName: 'orders-prod' } });
    expect(trips(run([allowed]).steps)).toEqual([expect.objectContaining({ reason: { code: 'production-writes', count: 1, windowSeconds: 600 } })]);
    const refused = denied({ eventTime: at(0), readOnly: false, eventName: 'DeleteBucket', requestParameters: { bucketName: 'orders-prod-assetsbucket1a2b-xyz' } });
    expect(trips(run([refused]).steps)[0].reason.code).toBe('production-writes');
  });

  test('fails when a write that names no production resource counts as one to production', () => {
    const dev = record({ eventTime: at(0), readOnly: false, eventSource: 'cloudformation.amazonaws.com', eventName: 'UpdateStack', requestParameters: { stackName: 'orders-dev' } });
    expect(run([dev]).steps.map((s) => s.kind)).toEqual(['not-counted']);
  });

  test('fails when a second crossing while tripped trips it again', () => {
    const { steps } = run([0, 1, 2, 3, 4, 5, 6].map((m) => deniedAt(m)));
    expect(steps.map((s) => s.kind).slice(4)).toEqual(['tripped', 'counted-while-tripped', 'counted-while-tripped']);
    expect(steps[6].state.denied.length).toBe(7);
  });

  test('a higher threshold needs more calls', () => {
    const thresholds = { ...config.thresholds, deniedCalls: { count: 10, windowSeconds: 600 } };
    expect(trips(run([0, 1, 2, 3, 4, 5, 6, 7, 8].map((m) => deniedAt(m / 2)), thresholds).steps)).toEqual([]);
    expect(trips(run([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((m) => deniedAt(m / 2)), thresholds).steps)).toHaveLength(1);
  });

  test('after a reset, counting starts again and calls made before it do not count', () => {
    const records = [0, 1, 2, 3, 4].map((m) => deniedAt(m));
    const { state } = run(records);
    const reset = resetState(state, 'coding-agent', new Date(at(5)));
    expect(reset).toMatchObject({ status: 'closed', denied: [], productionWrites: [] });
    expect(breakerStep(reset, call(deniedAt(4.5)), config.thresholds, new Date(at(6))).kind).toBe('not-counted');
    expect(breakerStep(reset, call(records[0]), config.thresholds, new Date(at(6)))).toMatchObject({ kind: 'not-counted', reason: 'duplicate' });
    expect(breakerStep(reset, call(deniedAt(6)), config.thresholds, new Date(at(6))).kind).toBe('counted');
  });

  test('keeps only calls that can still count', () => {
    const { state } = run([0, 60, 120].map((m) => deniedAt(m)));
    expect(state!.denied.map((c) => c.at)).toEqual([at(120)]);
  });
});

describe('the triggers', () => {
  test('every trigger is counted against a threshold of its own, and says why and what to do', () => {
    for (const trigger of Object.values(BREAKER_TRIGGERS)) {
      expect(Object.keys(DEFAULT_THRESHOLDS)).toContain(trigger.threshold);
      expect(trigger.why.length).toBeGreaterThan(20);
      expect(trigger.fix).toMatch(/reset$/);
    }
    expect(Object.keys(BREAKER_TRIGGERS).sort()).toEqual(['denied-calls', 'production-writes']);
  });
});
