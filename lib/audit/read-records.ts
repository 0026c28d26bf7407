/*
 * I/O: CloudTrail records from files: log files as CloudTrail delivers them (`.json.gz`, or
 * `.json` once unpacked), `lookup-events` output, and folders of them read recursively (an
 * `aws s3 sync` of the trail's bucket: digest files are recognised and skipped, other files
 * ignored). A file is gzipped when its first bytes say so, whatever its name.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readTrailFileText } from '../private/trail-file';
import { recordsOfDocument } from './documents';
import { TrailRecord } from './records';

/** The records read, or every problem found. */
export type ReadResult =
  | {
      readonly ok: true;
      /** The records, in the order read (the audit counts a record read twice once). */
      readonly records: readonly TrailRecord[];
      /** How many files held records. */
      readonly files: number;
      /** Files of a folder that were not read: digests and files that are not JSON logs. */
      readonly skipped: readonly string[];
    }
  | { readonly ok: false; readonly problems: readonly string[] };

const LOG_FILE = /\.json(\.gz)?$|\.gz$/i;

/** Reads every path (a file or a folder). */
export function readTrailFiles(paths: readonly string[]): ReadResult {
  const problems: string[] = [];
  const skipped: string[] = [];
  const records: TrailRecord[] = [];
  let files = 0;
  for (const given of paths) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(given);
    } catch {
      problems.push(`--events ${given}: no such file or folder`);
      continue;
    }
    const candidates = stat.isDirectory() ? filesUnder(given) : [given];
    if (stat.isDirectory() && candidates.length === 0) problems.push(`--events ${given}: the folder holds no .json or .json.gz file`);
    for (const file of candidates) {
      if (stat.isDirectory() && !LOG_FILE.test(file)) {
        skipped.push(file);
        continue;
      }
      const result = readFile(file);
      if (!result.ok) {
        problems.push(...result.problems);
      } else if (result.kind === 'digest') {
        skipped.push(file);
      } else {
        files += 1;
        records.push(...result.records);
      }
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, records, files, skipped };
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? filesUnder(full) : entry.isFile() ? [full] : [];
    });
}

function readFile(file: string) {
  const read = readTrailFileText(file);
  if (!read.ok && read.reason === 'unreadable') {
    return { ok: false as const, problems: [`${file}: cannot read it (${read.detail})`] };
  }
  if (!read.ok) {
    return { ok: false as const, problems: [`${file}: a gzip file that does not unpack (${read.detail}); download it again`] };
  }
  const text = read.text.replace(/^\uFEFF/, '');
  if (text.trim() === '') return { ok: false as const, problems: [`${file} is empty; expected CloudTrail records`] };
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { ok: false as const, problems: [`${file} is not JSON (${(error as Error).message}); expected a CloudTrail log file or lookup-events --output json`] };
  }
  return recordsOfDocument(document, file);
}
