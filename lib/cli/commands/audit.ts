/*
 * I/O: the `audit` command: one timeline per agent session from CloudTrail records, read from files
 * (`--events`: log files, gzipped or not, folders of them, lookup-events output) or live from
 * LookupEvents (`--from`, `--to`), with each elevated session's request read from the approval
 * API when there is one (`--url`). Prints text, Markdown, JSON or an HTML page. Exit codes: 0
 * printed; 2 bad usage or input, or the network.
 */
import { ApiClient, apiClientOf } from '../api-client';
import { CommandInput, Io } from '../command-spec';
import { CliError, isCliError } from '../errors';
import { formatAuditHtml } from '../../audit/formats/html';
import { formatAuditJson } from '../../audit/formats/json';
import { formatAuditMarkdown } from '../../audit/formats/markdown';
import { formatAuditText } from '../../audit/formats/text';
import { LookupEvents, readLookupEvents, sdkLookupEvents } from '../../audit/lookup-events';
import { RequestLookup } from '../../audit/model';
import { readTrailFiles } from '../../audit/read-records';
import { TrailRecord } from '../../audit/records';
import { REQUEST_ID, requestDetailsOf, requestIdsOf, withRequests } from '../../audit/request-details';
import { buildAudit } from '../../audit/timeline';

const FORMATS = { text: formatAuditText, markdown: formatAuditMarkdown, json: formatAuditJson, html: formatAuditHtml } as const;

/** How far back LookupEvents reaches. */
const LOOKUP_DAYS = 90;

/** What the command does I/O through; replaced in tests. */
export interface AuditDeps {
  /** LookupEvents in a region. @default - the AWS SDK, with the default credentials */
  readonly lookupEvents: (region: string | undefined) => LookupEvents;
  /** Waits between LookupEvents pages. @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now: () => Date;
}

const DEFAULT_DEPS: AuditDeps = { lookupEvents: sdkLookupEvents, now: () => new Date() };

/** Runs `audit` with `deps`. */
export async function runAudit(input: CommandInput, io: Io, deps: AuditDeps = DEFAULT_DEPS): Promise<number> {
  const format = formatOf(input);
  const productionStacks = productionStacksOf(input);
  const records = await recordsOf(input, io, deps);
  let audit = buildAudit(records, { productionStacks });
  const client = requestClient(input, io);
  if (client) audit = withRequests(audit, await lookupRequests(client, requestIdsOf(audit)));
  io.out(FORMATS[format](audit));
  return 0;
}

function formatOf(input: CommandInput): keyof typeof FORMATS {
  const format = input.flags.format ?? (input.flags.json ? 'json' : 'text');
  if (typeof format !== 'string' || !(format in FORMATS)) {
    throw new CliError('usage', `--format must be one of ${Object.keys(FORMATS).join(', ')}, got ${JSON.stringify(format)}`);
  }
  return format as keyof typeof FORMATS;
}

function productionStacksOf(input: CommandInput): string[] {
  const names = input.repeated['production-stack'] ?? [];
  for (const name of names) {
    if (!/^[A-Za-z*][A-Za-z0-9*-]{0,127}$/.test(name)) {
      throw new CliError('usage', `--production-stack must be a stack name or pattern (letters, digits, - and *), got ${JSON.stringify(name)}`);
    }
  }
  return names;
}

async function recordsOf(input: CommandInput, io: Io, deps: AuditDeps): Promise<readonly TrailRecord[]> {
  const paths = input.repeated.events ?? [];
  const live = input.flags.from !== undefined || input.flags.to !== undefined;
  if (paths.length > 0 && live) throw new CliError('usage', 'audit reads --events files or live CloudTrail (--from, --to), not both; to audit part of a folder, pass the files of those days');
  if (paths.length === 0 && !live) {
    throw new CliError('usage', 'audit needs CloudTrail records: --events PATH (log files, a folder of them, or aws cloudtrail lookup-events output), or --from ISO [--to ISO] to read them live');
  }
  if (live) return liveRecords(input, io, deps);
  const result = readTrailFiles(paths);
  if (!result.ok) {
    const shown = result.problems.slice(0, 3);
    throw new CliError('input', `${shown.join('; ')}${result.problems.length > 3 ? `; and ${result.problems.length - 3} more problems` : ''}`);
  }
  if (result.skipped.length > 0) io.err(`audit: skipped ${result.skipped.length} file${result.skipped.length === 1 ? '' : 's'} that hold no records (digests, files that are not .json or .json.gz)`);
  return result.records;
}

function timeFlag(input: CommandInput, name: 'from' | 'to', fallback?: Date): Date {
  const value = input.flags[name];
  if (value === undefined && fallback) return fallback;
  const ms = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new CliError('usage', `--${name} must be an ISO time such as 2026-03-02T09:00:00Z, got ${JSON.stringify(value === true ? '' : value)}`);
  return new Date(ms);
}

async function liveRecords(input: CommandInput, io: Io, deps: AuditDeps): Promise<readonly TrailRecord[]> {
  const now = deps.now();
  const from = timeFlag(input, 'from');
  const to = timeFlag(input, 'to', now);
  if (from >= to) throw new CliError('usage', `--from (${from.toISOString()}) must be before --to (${to.toISOString()})`);
  if (now.getTime() - from.getTime() > LOOKUP_DAYS * 86_400_000) {
    io.err(`audit: LookupEvents holds the last ${LOOKUP_DAYS} days only; for older records, use the trail's log files with --events`);
  }
  const region = typeof input.flags.region === 'string' ? input.flags.region : undefined;
  const lookup = deps.lookupEvents(region);
  try {
    return await readLookupEvents(lookup, from, to, { sleep: deps.sleep, onPage: (page, n) => io.err(`audit: read ${n} events (${page} page${page === 1 ? '' : 's'})`) });
  } catch (error) {
    if (isCliError(error)) throw error;
    const e = error as Error;
    throw new CliError('network', `LookupEvents${region ? ` in ${region}` : ''} failed: ${e.name}: ${e.message}; check your AWS credentials, --region and cloudtrail:LookupEvents permission`, { cause: error });
  }
}

function requestClient(input: CommandInput, io: Io): ApiClient | undefined {
  const url = typeof input.flags.url === 'string' ? input.flags.url : io.env.AGENT_GUARDRAILS_URL;
  if (url === undefined) {
    if (input.flags.identity !== undefined) throw new CliError('usage', '--identity needs --url: it acts as a principal against local mode\'s API');
    return undefined;
  }
  return apiClientOf(input.flags, io.env);
}

/** Each request by id, from `GET /requests/{id}`; a refusal is kept as the reason, a network failure stops the audit. */
async function lookupRequests(client: ApiClient, ids: readonly string[]): Promise<Map<string, RequestLookup>> {
  const lookups = new Map<string, RequestLookup>();
  for (const id of ids) {
    if (!REQUEST_ID.test(id)) {
      lookups.set(id, { ok: false, error: 'invalid-id', message: 'the request-id tag is not a request id, so it was not looked up' });
      continue;
    }
    const answer = await client.call({ method: 'GET', path: `/requests/${id}` });
    lookups.set(
      id,
      answer.ok
        ? { ok: true, request: requestDetailsOf(id, answer.body) }
        : { ok: false, status: answer.status, error: typeof answer.body.error === 'string' ? answer.body.error : `http-${answer.status}`, message: typeof answer.body.message === 'string' ? answer.body.message : '' },
    );
  }
  return lookups;
}
