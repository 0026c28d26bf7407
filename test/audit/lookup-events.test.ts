/* Live CloudTrail: LookupEvents page by page through its interface, and the SDK at its boundary when it is installed. */
import { isCliError } from '../../lib/cli/errors';
import { LookupEvents, LookupEventsInput, readLookupEvents, sdkLookupEvents } from '../../lib/audit/lookup-events';
import { startCloudTrailStandIn, withCloudTrailAt } from './cloudtrail-stand-in';
import { fixtureRecords, fixtureText } from './trail';

const START = new Date('2026-03-02T09:00:00Z');
const END = new Date('2026-03-02T12:00:00Z');
const events = JSON.parse(fixtureText('lookup-events.json')).Events as Array<{ EventId: string; CloudTrailEvent: string }>;

/** A fake LookupEvents serving `pages` in order, linked by NextToken, recording each request. */
function fakeLookup(pages: Array<Array<{ EventId?: string; CloudTrailEvent?: string }>>): { lookup: LookupEvents; inputs: LookupEventsInput[] } {
  const inputs: LookupEventsInput[] = [];
  const lookup: LookupEvents = async (input) => {
    inputs.push(input);
    const index = input.NextToken === undefined ? 0 : Number(input.NextToken.replace('token-', ''));
    return { Events: pages[index], NextToken: index + 1 < pages.length ? `token-${index + 1}` : undefined };
  };
  return { lookup, inputs };
}

describe('readLookupEvents', () => {
  test('reads every page, passing NextToken on, and spaces the calls', async () => {
    const { lookup, inputs } = fakeLookup([[events[0], events[1]], [events[2]], [events[3]]]);
    const waits: number[] = [];
    const pages: Array<[number, number]> = [];
    const records = await readLookupEvents(lookup, START, END, { sleep: async (ms) => void waits.push(ms), onPage: (page, n) => pages.push([page, n]) });
    expect(records.map((r) => r.eventId)).toEqual(events.map((e) => e.EventId));
    expect(inputs).toEqual([
      { StartTime: START, EndTime: END, MaxResults: 50, NextToken: undefined },
      { StartTime: START, EndTime: END, MaxResults: 50, NextToken: 'token-1' },
      { StartTime: START, EndTime: END, MaxResults: 50, NextToken: 'token-2' },
    ]);
    expect(waits).toEqual([500, 500]);
    expect(pages).toEqual([[1, 2], [2, 3], [3, 4]]);
  });

  test('reads an empty range', async () => {
    const { lookup } = fakeLookup([[]]);
    expect(await readLookupEvents(lookup, START, END, { sleep: async () => undefined })).toEqual([]);
  });

  test('fails when a page holds an event that is not a record, naming the page', async () => {
    const { lookup } = fakeLookup([[events[0]], [{ EventId: 'x', CloudTrailEvent: '{"eventName": "x"}' }]]);
    const error = await readLookupEvents(lookup, START, END, { sleep: async () => undefined }).catch((e) => e);
    expect(isCliError(error) && error.code).toBe('input');
    expect(error.message).toBe('LookupEvents page 2: Events[0].CloudTrailEvent is not a CloudTrail record (no eventTime, eventSource)');
  });

  test('fails when the range has more pages than the limit, and says to narrow it', async () => {
    const endless: LookupEvents = async () => ({ Events: [events[0]], NextToken: `t-${Math.random()}` });
    const error = await readLookupEvents(endless, START, END, { sleep: async () => undefined, maxPages: 3 }).catch((e) => e);
    expect(error.message).toBe('LookupEvents from 2026-03-02T09:00:00.000Z to 2026-03-02T12:00:00.000Z has more than 3 pages of 50 events; narrow --from and --to');
  });

  test('stops when CloudTrail gives the same NextToken again', async () => {
    let calls = 0;
    const stuck: LookupEvents = async () => (calls++, { Events: [], NextToken: 'same' });
    await readLookupEvents(stuck, START, END, { sleep: async () => undefined });
    expect(calls).toBe(2);
  });
});

test('fails when @aws-sdk/client-cloudtrail is missing, naming it and how to install it', () => {
  const missing = () => {
    throw Object.assign(new Error("Cannot find module '@aws-sdk/client-cloudtrail'"), { code: 'MODULE_NOT_FOUND' });
  };
  const error = (() => {
    try {
      sdkLookupEvents('eu-west-1', missing);
    } catch (e) {
      return e as Error;
    }
    return undefined;
  })();
  expect(isCliError(error) && error.code).toBe('usage');
  expect(error?.message).toBe('audit --from needs @aws-sdk/client-cloudtrail, a dependency of cdk-agent-guardrails that is not installed; install it with: npm install @aws-sdk/client-cloudtrail');
});

// At the SDK's boundary: a stand-in for CloudTrail on 127.0.0.1 that speaks its JSON protocol.
describe('sdkLookupEvents against a CloudTrail stand-in', () => {
  const records = fixtureRecords('agent-session.json');

  test('pages through LookupEvents with signed calls', async () => {
    const standIn = await startCloudTrailStandIn(records, { pageSize: 5 });
    try {
      const read = await withCloudTrailAt(standIn.url, () => readLookupEvents(sdkLookupEvents('eu-west-1'), START, END, { sleep: async () => undefined }));
      expect(read.map((r) => r.eventId)).toEqual(records.map((r) => r.eventID));
      expect(standIn.calls.map((c) => [c.target, c.body.NextToken])).toEqual([
        ['CloudTrail_20131101.LookupEvents', undefined],
        ['CloudTrail_20131101.LookupEvents', 'offset-5'],
        ['CloudTrail_20131101.LookupEvents', 'offset-10'],
      ]);
      expect(standIn.calls[0].body).toEqual({ StartTime: START.getTime() / 1000, EndTime: END.getTime() / 1000, MaxResults: 50 });
      expect(standIn.calls[0].authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/eu-west-1\/cloudtrail\/aws4_request/);
    } finally {
      await standIn.close();
    }
  });

  test('survives a throttled call: the SDK retries it', async () => {
    const standIn = await startCloudTrailStandIn(records, { failFirst: 'ThrottlingException' });
    try {
      const read = await withCloudTrailAt(standIn.url, () => readLookupEvents(sdkLookupEvents('eu-west-1'), START, END, { sleep: async () => undefined }));
      expect(read).toHaveLength(records.length);
      expect(standIn.calls).toHaveLength(2);
    } finally {
      await standIn.close();
    }
  });
});
