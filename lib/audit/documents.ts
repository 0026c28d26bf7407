/*
 * Pure: the CloudTrail records in one JSON document, in each form people have them: a log file as
 * CloudTrail delivers it to S3 (`{"Records": [...]}`), the output of `aws cloudtrail lookup-events`
 * or a page of LookupEvents (`{"Events": [{"CloudTrailEvent": "<the record as a JSON string>", ...}],
 * "NextToken": ...}`), or a plain array of either. A digest file (`CloudTrail-Digest/`) holds no
 * records and is recognised as such.
 */
import { narrowRecord, TrailRecord } from './records';

/** What a document held. */
export type DocumentKind = 'log-file' | 'lookup-events' | 'array' | 'digest';

/** The records of a document, or every problem with it. */
export type DocumentResult =
  | { readonly ok: true; readonly kind: DocumentKind; readonly records: readonly TrailRecord[]; readonly nextToken?: string }
  | { readonly ok: false; readonly problems: readonly string[] };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The most problems reported for one document: past these, the input is not what it should be. */
const MAX_PROBLEMS = 3;

/** The records of `document` (parsed JSON); `source` names it in problems (a file, a page). */
export function recordsOfDocument(document: unknown, source: string): DocumentResult {
  if (isObject(document) && Array.isArray(document.Records)) {
    return collect(document.Records.map((raw, i) => narrowRecord(raw, `${source}: Records[${i}]`)), 'log-file');
  }
  if (isObject(document) && Array.isArray(document.Events)) {
    const nextToken = typeof document.NextToken === 'string' && document.NextToken !== '' ? document.NextToken : undefined;
    const result = collect(document.Events.map((event, i) => fromLookupEvent(event, `${source}: Events[${i}]`)), 'lookup-events');
    return result.ok ? { ...result, nextToken } : result;
  }
  if (Array.isArray(document)) {
    // `lookup-events --query Events` prints the events alone; a tool may print records alone.
    const lookup = document.length > 0 && isObject(document[0]) && 'CloudTrailEvent' in document[0];
    return collect(document.map((item, i) => (lookup ? fromLookupEvent(item, `${source}: [${i}]`) : narrowRecord(item, `${source}: [${i}]`))), 'array');
  }
  if (isObject(document) && typeof document.digestStartTime === 'string') {
    return { ok: true, kind: 'digest', records: [] };
  }
  if (isObject(document) && typeof document.eventName === 'string') {
    return { ok: false, problems: [`${source} holds one record, not a log: wrap it as {"Records": [ ... ]}`] };
  }
  return { ok: false, problems: [`${source} is not CloudTrail records: expected a log file {"Records": [...]}, lookup-events output {"Events": [...]} or an array of records`] };
}

function fromLookupEvent(event: unknown, where: string) {
  if (!isObject(event) || typeof event.CloudTrailEvent !== 'string') {
    return { ok: false as const, problem: `${where} has no CloudTrailEvent string (the record, as LookupEvents returns it)` };
  }
  let record: unknown;
  try {
    record = JSON.parse(event.CloudTrailEvent);
  } catch (error) {
    return { ok: false as const, problem: `${where}: CloudTrailEvent is not JSON (${(error as Error).message})` };
  }
  return narrowRecord(record, `${where}.CloudTrailEvent`);
}

function collect(results: ReadonlyArray<ReturnType<typeof narrowRecord>>, kind: DocumentKind): DocumentResult {
  const problems = results.flatMap((r) => (r.ok ? [] : [r.problem]));
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_PROBLEMS);
    return { ok: false, problems: problems.length > MAX_PROBLEMS ? [...shown, `and ${problems.length - MAX_PROBLEMS} more`] : shown };
  }
  return { ok: true, kind, records: results.flatMap((r) => (r.ok ? [r.record] : [])) };
}
