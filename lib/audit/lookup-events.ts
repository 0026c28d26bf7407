/*
 * I/O: CloudTrail records of a time range, read live with CloudTrail's LookupEvents (the last 90
 * days of management events in one region), page by page until NextToken runs out. LookupEvents
 * takes two calls a second per account and region, so pages are spaced; the SDK retries a throttled
 * call. The SDK client (`@aws-sdk/client-cloudtrail`) is loaded only when a live audit runs.
 */
import { CliError } from '../cli/errors';
import { recordsOfDocument } from './documents';
import { TrailRecord } from './records';

/** The request of one page, as the SDK's LookupEventsCommand takes it. */
export interface LookupEventsInput {
  readonly StartTime: Date;
  readonly EndTime: Date;
  readonly MaxResults?: number;
  readonly NextToken?: string;
}

/** One page, as the SDK returns it: each event carries its record as a JSON string. */
export interface LookupEventsPage {
  readonly Events?: ReadonlyArray<{ readonly EventId?: string; readonly CloudTrailEvent?: string }>;
  readonly NextToken?: string;
}

/** CloudTrail's LookupEvents, one page per call: the SDK in a live audit, a fake in tests. */
export type LookupEvents = (input: LookupEventsInput) => Promise<LookupEventsPage>;

/** Options of a live read. */
export interface ReadLookupOptions {
  /** Called after each page with the records read so far. */
  readonly onPage?: (page: number, records: number) => void;
  /** Waits between pages. @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Time between pages, in milliseconds. @default 500 (LookupEvents' two calls a second) */
  readonly intervalMs?: number;
  /** Stops after this many pages, as a safety net. @default 10000 (half a million events) */
  readonly maxPages?: number;
}

/** The most events LookupEvents returns in one page. */
const PAGE_SIZE = 50;

/** Every record from `start` to `end`, all pages. Bad pages and a page limit are thrown as input errors naming the page. */
export async function readLookupEvents(lookup: LookupEvents, start: Date, end: Date, options: ReadLookupOptions = {}): Promise<TrailRecord[]> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const maxPages = options.maxPages ?? 10_000;
  const records: TrailRecord[] = [];
  let nextToken: string | undefined;
  for (let page = 1; ; page++) {
    if (page > maxPages) {
      throw new CliError('input', `LookupEvents from ${start.toISOString()} to ${end.toISOString()} has more than ${maxPages} pages of ${PAGE_SIZE} events; narrow --from and --to`);
    }
    if (page > 1) await sleep(options.intervalMs ?? 500);
    const answer = await lookup({ StartTime: start, EndTime: end, MaxResults: PAGE_SIZE, NextToken: nextToken });
    const result = recordsOfDocument({ Events: answer.Events ?? [], NextToken: answer.NextToken }, `LookupEvents page ${page}`);
    if (!result.ok) throw new CliError('input', result.problems.join('; '));
    records.push(...result.records);
    options.onPage?.(page, records.length);
    if (answer.NextToken === undefined || answer.NextToken === '' || answer.NextToken === nextToken) return records;
    nextToken = answer.NextToken;
  }
}

type CloudTrailSdk = {
  CloudTrailClient: new (config: { region?: string }) => { send(command: unknown): Promise<LookupEventsPage> };
  LookupEventsCommand: new (input: LookupEventsInput) => unknown;
};

/**
 * LookupEvents through the AWS SDK, with the default credentials, in `region` (or the SDK's
 * default). The client is loaded here, not when the CLI starts; `load` is replaced in tests.
 */
export function sdkLookupEvents(region?: string, load: () => unknown = () => require('@aws-sdk/client-cloudtrail')): LookupEvents {
  let sdk: CloudTrailSdk;
  try {
    sdk = load() as CloudTrailSdk;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && (error as Error).message.includes('@aws-sdk/client-cloudtrail')) {
      throw new CliError('usage', 'audit --from needs @aws-sdk/client-cloudtrail, a dependency of cdk-agent-guardrails that is not installed; install it with: npm install @aws-sdk/client-cloudtrail', { cause: error });
    }
    throw error;
  }
  const client = new sdk.CloudTrailClient(region ? { region } : {});
  return (input) => client.send(new sdk.LookupEventsCommand(input));
}
