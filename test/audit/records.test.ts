/* A CloudTrail record narrowed to what the audit reads, and the documents records come in. */
import { recordsOfDocument } from '../../lib/audit/documents';
import { isoTime, isReadOnly, narrowRecord, outcomeOf, stackNamesOf, targetOf, TrailRecord } from '../../lib/audit/records';
import { fixtureRecords, fixtureText } from './trail';

const agentRecords = fixtureRecords('agent-session.json');
const narrow = (raw: unknown): TrailRecord => {
  const result = narrowRecord(raw, 'test');
  if (!result.ok) throw new Error(result.problem);
  return result.record;
};

describe('narrowRecord', () => {
  test('reads the caller of a role session from userIdentity and its sessionContext', () => {
    const record = narrow(agentRecords[1]);
    expect(record).toMatchObject({ eventName: 'DescribeStacks', eventSource: 'cloudformation.amazonaws.com', eventTime: '2026-03-02T09:59:10Z', readOnly: true, accountId: '111122223333' });
    expect(record.caller).toEqual({
      type: 'AssumedRole',
      arn: 'arn:aws:sts::111122223333:assumed-role/coding-agent/OPS-42',
      accountId: '111122223333',
      accessKeyId: 'ASIA3AGENTOPS42EXMPL',
      issuerArn: 'arn:aws:iam::111122223333:role/agent-guardrails/agent/coding-agent',
      issuedAt: '2026-03-02T09:58:00Z',
      sourceIdentity: 'coding-agent',
      invokedBy: undefined,
    });
  });

  test('takes a source identity beside sessionContext too', () => {
    const raw = { ...agentRecords[1], userIdentity: { ...agentRecords[1].userIdentity, sessionContext: { ...agentRecords[1].userIdentity.sessionContext, sourceIdentity: undefined }, sourceIdentity: 'coding-agent' } };
    expect(narrow(raw).caller.sourceIdentity).toBe('coding-agent');
  });

  test.each([
    ['not an object', 'x', 'test is not a CloudTrail record (not an object)'],
    ['it has no eventName', { eventTime: '2026-03-02T09:59:10Z', eventSource: 's3.amazonaws.com' }, 'test is not a CloudTrail record (no eventName)'],
    ['its eventTime is not a time', { eventTime: 'yesterday', eventSource: 's3.amazonaws.com', eventName: 'ListBuckets' }, 'test has an eventTime that is not a time: "yesterday"'],
  ])('fails when the record is %s', (_name, raw, problem) => {
    expect(narrowRecord(raw, 'test')).toEqual({ ok: false, problem });
  });
});

describe('isoTime', () => {
  test.each([
    ['2026-03-02T09:58:00Z', '2026-03-02T09:58:00Z'],
    ['20131102T010628Z', '2013-11-02T01:06:28Z'],
    // STS credential expirations, in UTC without a zone.
    ['Mar 2, 2026, 10:58:00 AM', '2026-03-02T10:58:00Z'],
    ['Jul 18, 2019 4:42:06 PM', '2019-07-18T16:42:06Z'],
    ['2026-03-02T11:00:30+00:00', '2026-03-02T11:00:30Z'],
  ])('reads %s', (value, iso) => expect(isoTime(value)).toBe(iso));

  test('fails when the value is no time', () => expect(isoTime('soon')).toBeUndefined());
});

describe('outcomes', () => {
  test.each([
    [undefined, 'allowed'],
    ['AccessDenied', 'denied'],
    ['AccessDeniedException', 'denied'],
    ['Client.UnauthorizedOperation', 'denied'],
    ['AuthorizationError', 'denied'],
    ['ValidationError', 'failed'],
    ['NoSuchEntityException', 'failed'],
  ])('errorCode %s is %s', (errorCode, outcome) => {
    expect(outcomeOf(narrow({ ...agentRecords[1], errorCode }))).toBe(outcome);
  });

  test('takes readOnly as recorded, and guesses it from the name only when it is absent', () => {
    expect(isReadOnly(narrow({ ...agentRecords[1], readOnly: false }))).toBe(false);
    expect(isReadOnly(narrow({ ...agentRecords[1], readOnly: undefined }))).toBe(true);
    expect(isReadOnly(narrow({ ...agentRecords[4], readOnly: undefined }))).toBe(false);
  });

  test('names the target: a resource ARN, a telling parameter, EC2 instances', () => {
    expect(targetOf(narrow(agentRecords[0]))).toBe('arn:aws:iam::111122223333:role/agent-guardrails/agent/coding-agent');
    expect(targetOf(narrow(agentRecords[4]))).toBe('stackName=orders-prod');
    expect(targetOf(narrow(agentRecords[5]))).toBe('i-0a1b2c3d4e5f60718');
    expect(stackNamesOf(narrow({ ...agentRecords[4], requestParameters: { stackName: 'arn:aws:cloudformation:eu-west-1:111122223333:stack/orders-prod/4d3c2b1a-0000-1111-2222-333344445555' } }))).toEqual(['orders-prod']);
  });
});

describe('recordsOfDocument', () => {
  test('reads a log file, lookup-events output and plain arrays', () => {
    const log = recordsOfDocument({ Records: agentRecords }, 'log.json');
    expect(log).toMatchObject({ ok: true, kind: 'log-file' });
    expect(log.ok && log.records).toHaveLength(agentRecords.length);
    const lookup = recordsOfDocument(JSON.parse(fixtureText('lookup-events.json')), 'lookup.json');
    expect(lookup).toMatchObject({ ok: true, kind: 'lookup-events' });
    expect(lookup.ok && lookup.records.map((r) => r.eventName)).toEqual(['UpdateFunctionCode20150331v2', 'DescribeStackEvents', 'ListBuckets', 'DeleteStack']);
    expect(recordsOfDocument(agentRecords, 'records.json')).toMatchObject({ ok: true, kind: 'array' });
    expect(recordsOfDocument(JSON.parse(fixtureText('lookup-events.json')).Events, 'events.json')).toMatchObject({ ok: true, kind: 'array' });
    expect(recordsOfDocument({ Events: [], NextToken: 'abc' }, 'page')).toEqual({ ok: true, kind: 'lookup-events', records: [], nextToken: 'abc' });
    expect(recordsOfDocument({ digestStartTime: '2026-03-02T10:00:00Z', logFiles: [] }, 'digest')).toEqual({ ok: true, kind: 'digest', records: [] });
  });

  test.each([
    ['a lone record', agentRecords[1], 'one.json holds one record, not a log: wrap it as {"Records": [ ... ]}'],
    ['something else', { hello: 'world' }, 'one.json is not CloudTrail records: expected a log file {"Records": [...]}, lookup-events output {"Events": [...]} or an array of records'],
    ['an event without its record', { Events: [{ EventId: 'x' }] }, 'one.json: Events[0] has no CloudTrailEvent string (the record, as LookupEvents returns it)'],
    ['an event whose record is not JSON', { Events: [{ CloudTrailEvent: '{nope' }] }, expect.stringMatching(/^one\.json: Events\[0\]: CloudTrailEvent is not JSON \(/)],
  ])('fails when the document is %s', (_name, document, problem) => {
    expect(recordsOfDocument(document, 'one.json')).toEqual({ ok: false, problems: [problem] });
  });

  test('fails when records are not records, naming at most three and counting the rest', () => {
    expect(recordsOfDocument({ Records: [1, 2, 3, 4, 5] }, 'x.json')).toEqual({
      ok: false,
      problems: ['x.json: Records[0] is not a CloudTrail record (not an object)', 'x.json: Records[1] is not a CloudTrail record (not an object)', 'x.json: Records[2] is not a CloudTrail record (not an object)', 'and 2 more'],
    });
  });
});
