/* Records from files: gzipped logs, folders as a trail's bucket syncs, lookup-events output; problems name the file. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { readTrailFiles } from '../../lib/audit/read-records';
import { FIXTURES, fixtureRecords, trailFolder } from './trail';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'audit-read-'));

describe('readTrailFiles', () => {
  test('reads a synced bucket recursively: gzipped and unpacked logs, digests and other files skipped', () => {
    const result = readTrailFiles([trailFolder()]);
    if (!result.ok) throw new Error(result.problems.join('; '));
    expect(result.files).toBe(4);
    expect(result.records).toHaveLength(fixtureRecords('agent-session.json').length + fixtureRecords('other-principals.json').length + fixtureRecords('chained-session.json').length + fixtureRecords('elevated-session.json').length);
    expect(result.skipped.map((f) => path.basename(f)).sort()).toEqual(['111122223333_CloudTrail-Digest_eu-west-1_org-trail_us-east-1_20260302T110000Z.json.gz', 'README.txt']);
  });

  test('tells a gzipped file by its bytes, whatever its name, and reads files and lookup-events output together', () => {
    const dir = tmp();
    const file = path.join(dir, 'export.json');
    fs.writeFileSync(file, new Uint8Array(gzipSync(fs.readFileSync(path.join(FIXTURES, 'agent-session.json'), 'utf8'))));
    const result = readTrailFiles([file, path.join(FIXTURES, 'lookup-events.json')]);
    if (!result.ok) throw new Error(result.problems.join('; '));
    expect(result.records).toHaveLength(fixtureRecords('agent-session.json').length + 4);
  });

  test('reads a file named explicitly whatever its extension', () => {
    const dir = tmp();
    const file = path.join(dir, 'records.log');
    fs.writeFileSync(file, `\uFEFF${fs.readFileSync(path.join(FIXTURES, 'elevated-session.json'), 'utf8')}`);
    expect(readTrailFiles([file])).toMatchObject({ ok: true, files: 1 });
  });

  test.each([
    ['the path does not exist', () => '/nonexistent/trail', (p: string) => `--events ${p}: no such file or folder`],
    ['a folder holds no log', () => tmp(), (p: string) => `--events ${p}: the folder holds no .json or .json.gz file`],
    ['a file is empty', () => write('empty.json', ''), (p: string) => `${p} is empty; expected CloudTrail records`],
    ['a file is not JSON', () => write('bad.json', '{"Records": ['), (p: string) => expect.stringMatching(new RegExp(`^${escape(p)} is not JSON \\(.+\\); expected a CloudTrail log file or lookup-events --output json$`))],
    ['a gzip file is cut short', () => write('cut.json.gz', new Uint8Array(gzipSync('{"Records": []}')).subarray(0, 12)), (p: string) => expect.stringMatching(new RegExp(`^${escape(p)}: a gzip file that does not unpack \\(.+\\); download it again$`))],
    ['a file holds no records', () => write('other.json', '{"Items": []}'), (p: string) => `${p} is not CloudTrail records: expected a log file {"Records": [...]}, lookup-events output {"Events": [...]} or an array of records`],
  ])('fails when %s, naming it', (_name, make, problem) => {
    const given = make();
    expect(readTrailFiles([given])).toEqual({ ok: false, problems: [problem(given)] });
  });

  test('fails with every bad file of a folder, not only the first', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'a.json'), '[');
    fs.writeFileSync(path.join(dir, 'b.json'), '{"Records": [1]}');
    const result = readTrailFiles([dir]);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual([expect.stringContaining('a.json is not JSON'), `${path.join(dir, 'b.json')}: Records[0] is not a CloudTrail record (not an object)`]);
  });
});

function write(name: string, content: string | Uint8Array): string {
  const file = path.join(tmp(), name);
  fs.writeFileSync(file, content);
  return file;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
