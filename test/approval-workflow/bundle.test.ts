/**
 * The handler bundle (lib/approval-workflow/handlers/bundle.ts), run as cdk.json runs it before
 * every synth, in a copy of this checkout's lib/ and bin/ (so that its rebuilds disturb nothing
 * else): it does nothing while its inputs are unchanged, and rebuilds as soon as one changes, so a
 * synth never stages stale handlers.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const REPO = path.join(__dirname, '..', '..');

let root: string;
let bundle: string;

let scratch: string;

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-guardrails-bundle-'));
  // Another checkout that shares node_modules, bundled first: its stamp must not stand for this one's.
  runBundle(copy('other'));
  root = copy('checkout');
  bundle = path.join(root, 'lib', 'approval-workflow', 'handlers', 'dist', 'index.js');
  fs.rmSync(bundle, { force: true });
}, 60_000);

afterAll(() => {
  if (scratch) {
    removeBundleStamps(scratch);
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});

/** Removes the handler bundle's stamps that copies under `dir` left in the node_modules they share with this checkout. */
function removeBundleStamps(dir: string): void {
  const cache = path.join(REPO, 'node_modules', '.cache', 'cdk-agent-guardrails');
  for (const file of fs.existsSync(cache) ? fs.readdirSync(cache) : []) {
    if (file.startsWith('handler-bundle-') && fs.readFileSync(path.join(cache, file), 'utf8').includes(dir)) fs.rmSync(path.join(cache, file));
  }
}

function copy(name: string): string {
  const dir = path.join(scratch, name);
  for (const entry of ['bin', 'lib', 'tsconfig.json']) fs.cpSync(path.join(REPO, entry), path.join(dir, entry), { recursive: true });
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'junction');
  return dir;
}

/** Runs the bundle step of the copy in `dir`; returns what it printed. */
function runBundle(dir = root): string {
  const result = spawnSync(process.execPath, ['-r', './bin/typescript-hook.cjs', 'lib/approval-workflow/handlers/bundle.ts'], { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`bundle.ts failed: ${result.stderr}`);
  return result.stdout;
}

const written = () => fs.statSync(bundle).mtimeMs;

/** The copy's stamp: the one whose files include its bundle. */
function stampOf(): { files: string[]; digest: string } {
  const dir = path.join(root, 'node_modules', '.cache', 'cdk-agent-guardrails');
  const stamps = fs.readdirSync(dir).filter((f) => f.startsWith('handler-bundle-')).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
  const ours = stamps.filter((s) => s.files.includes(bundle));
  if (ours.length !== 1) throw new Error(`expected one stamp for ${bundle}, found ${ours.length}`);
  return ours[0];
}

test('writes the bundle (though another checkout sharing node_modules has one), then does nothing while its inputs are unchanged', () => {
  expect(runBundle()).toMatch(/^bundled handlers: lib\/approval-workflow\/handlers\/dist\/index\.js \(\d+ bytes\)\n$/);
  const first = written();
  expect(runBundle()).toBe('');
  expect(written()).toBe(first);
});

test('fails when a changed input does not reach the bundle', () => {
  runBundle();
  const input = path.join(root, 'lib', 'approval-workflow', 'handlers', 'actions.ts');
  fs.appendFileSync(input, "\n(globalThis as Record<string, unknown>).bundleProbe = 'changed after the last bundle';\n");
  expect(runBundle()).toMatch(/^bundled handlers: /);
  expect(fs.readFileSync(bundle, 'utf8')).toContain('changed after the last bundle');
});

test('fails when a new file beside an input is not noticed (it may change what an import resolves to)', () => {
  runBundle();
  const before = { bytes: fs.readFileSync(bundle, 'utf8'), mtime: written(), stamp: stampOf() };
  const beside = path.join(root, 'lib', 'approval-workflow', 'handlers', 'unrelated.ts');
  fs.writeFileSync(beside, 'export {};\n');
  try {
    runBundle();
    // Built again (a new stamp), to the same bytes, which are not rewritten: the asset hash stays.
    expect(stampOf()).not.toEqual(before.stamp);
    expect({ bytes: fs.readFileSync(bundle, 'utf8'), mtime: written() }).toEqual({ bytes: before.bytes, mtime: before.mtime });
  } finally {
    fs.rmSync(beside);
  }
});

test('fails when a deleted or edited bundle is left as it is', () => {
  runBundle();
  const good = fs.readFileSync(bundle, 'utf8');
  fs.writeFileSync(bundle, 'tampered');
  expect(runBundle()).toMatch(/^bundled handlers: /);
  expect(fs.readFileSync(bundle, 'utf8')).toBe(good);
  fs.rmSync(bundle);
  expect(runBundle()).toMatch(/^bundled handlers: /);
  expect(fs.readFileSync(bundle, 'utf8')).toBe(good);
});
