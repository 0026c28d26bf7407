/*
 * I/O: recorded events from a file, in the shapes people have them: a CloudTrail log file
 * (`{"Records": [...]}`, gzipped as CloudTrail delivers it, or unpacked), `aws cloudtrail
 * lookup-events` output (`{"Events": [{"CloudTrailEvent": "..."}]}`), a JSON array, or JSON lines;
 * each entry a CloudTrail record or an EventBridge event holding one. A file is gzipped when its
 * first bytes say so, whatever its name.
 */
import { readTrailFileText } from '../../private/trail-file';

/** The input cannot be read: which file, what is wrong, and what to give instead. */
export class ReplayInputError extends Error {}

const SHAPES = 'a CloudTrail log file ({"Records": [...]}, gzipped or not), aws cloudtrail lookup-events output, a JSON array or JSON lines of records or EventBridge events';

/** The entries of the file at `file`: CloudTrail records and EventBridge events, as read. */
export function readEventsFile(file: string): unknown[] {
  const read = readTrailFileText(file);
  if (!read.ok && read.reason === 'unreadable') {
    throw new ReplayInputError(`--events ${file}: cannot be read (${read.detail}); name ${SHAPES}`);
  }
  if (!read.ok) {
    throw new ReplayInputError(`--events ${file}: looks gzipped but does not unpack (${read.detail}); download the log file again`);
  }
  return entriesOf(read.text, file);
}

/** The entries of a file's text. */
export function entriesOf(text: string, file: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new ReplayInputError(`--events ${file}: is empty; name ${SHAPES}`);
  try {
    return unwrap(JSON.parse(trimmed), file);
  } catch (error) {
    if (error instanceof ReplayInputError) throw error;
  }
  // JSON lines: one document per line.
  const entries: unknown[] = [];
  trimmed.split(/\r?\n/).forEach((line, index) => {
    if (line.trim().length === 0) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new ReplayInputError(`--events ${file}: line ${index + 1} is not JSON (${(error as Error).message}); name ${SHAPES}`);
    }
    entries.push(...unwrap(value, `${file} line ${index + 1}`));
  });
  return entries;
}

function unwrap(value: unknown, where: string): unknown[] {
  if (Array.isArray(value)) return value.flatMap((v) => unwrap(v, where));
  if (typeof value !== 'object' || value === null) throw new ReplayInputError(`--events ${where}: holds ${JSON.stringify(value)}, not an event; name ${SHAPES}`);
  const object = value as Record<string, unknown>;
  if (Array.isArray(object.Records)) return object.Records;
  if (Array.isArray(object.Events)) {
    return object.Events.map((e, i) => {
      const inner = (e as { CloudTrailEvent?: unknown })?.CloudTrailEvent;
      if (typeof inner !== 'string') throw new ReplayInputError(`--events ${where}: Events[${i}] has no CloudTrailEvent; give aws cloudtrail lookup-events output as it prints it`);
      try {
        return JSON.parse(inner);
      } catch (error) {
        throw new ReplayInputError(`--events ${where}: Events[${i}].CloudTrailEvent is not JSON (${(error as Error).message})`);
      }
    });
  }
  return [object];
}
