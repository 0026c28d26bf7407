/**
 * The CLI's start, as `node bin/agent-guardrails.js` runs it, in a copy of this checkout (so that
 * builds and edits here disturb nothing else): `--version`, `--help` and usage errors load commander
 * and the command table alone, from dist/ and from the sources; and in a clone, dist/ runs only while
 * it was built from the sources as they are, so a stale build never runs.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const REPO = path.join(__dirname, '..', '..');
const VERSION: string = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version;

/** Everything of the package that `--version`, `--help` and usage errors may load: the table and what it declares with. */
const START_MODULES = ['cli/main', 'cli/command-spec', 'cli/errors', 'cli/commands/index', 'agent-access/credential-process', 'private/session-names'];

let root: string;
let recorder: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-guardrails-start-'));
  for (const entry of ['bin', 'lib', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) {
    fs.cpSync(path.join(REPO, entry), path.join(root, entry), { recursive: true });
  }
  fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'), 'junction');
  // Preloaded into the CLI: at exit, it writes the files the process loaded.
  recorder = path.join(root, 'record-modules.js');
  fs.writeFileSync(recorder, "process.on('exit', () => require('fs').writeFileSync(process.env.RECORD_MODULES, JSON.stringify(Object.keys(require.cache))));\n");
  build();
}, 120_000);

afterAll(() => {
  if (root) {
    removeBundleStamps(root);
    fs.rmSync(root, { recursive: true, force: true });
  }
});

/** Removes the handler bundle's stamps that copies under `dir` left in the node_modules they share with this checkout. */
function removeBundleStamps(dir: string): void {
  const cache = path.join(REPO, 'node_modules', '.cache', 'cdk-agent-guardrails');
  for (const file of fs.existsSync(cache) ? fs.readdirSync(cache) : []) {
    if (file.startsWith('handler-bundle-') && fs.readFileSync(path.join(cache, file), 'utf8').includes(dir)) fs.rmSync(path.join(cache, file));
  }
}

/** Builds the copy's dist/ as `npm ci` does (a no-op when it is current). */
function build(): void {
  const result = spawnSync(process.execPath, [path.join(root, 'bin', 'build.cjs'), '--transpile-only', '--if-stale'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`bin/build.cjs failed: ${result.stderr}`);
}

/** Runs the copy's CLI from `cwd`; returns its output and the files it loaded, relative to the copy. */
function cli(argv: string[], cwd = root) {
  const record = path.join(root, `modules-${process.hrtime.bigint()}.json`);
  const result = spawnSync(process.execPath, ['-r', recorder, path.join(root, 'bin', 'agent-guardrails.js'), ...argv], { cwd, encoding: 'utf8', env: { ...process.env, RECORD_MODULES: record } });
  const loaded = (JSON.parse(fs.readFileSync(record, 'utf8')) as string[]).filter((f) => f !== recorder).map((f) => path.relative(root, f));
  fs.rmSync(record);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, loaded };
}

/**
 * What of the package and of node_modules a run loaded: `dist/cli/main`, `lib/cli/main`, and package
 * names (but esbuild, which the sources' require hook loads when its cache misses a file).
 */
function shapeOf(loaded: readonly string[]) {
  const ours = loaded.filter((f) => /^(dist|lib)\//.test(f)).map((f) => f.replace(/\.(js|ts)$/, ''));
  const packages = new Set(loaded.map((f) => /(^|\/)node_modules\/((@[^/]+\/)?[^/]+)/.exec(f)?.[2]).filter((p): p is string => p !== undefined && p !== 'esbuild'));
  return { ours: ours.sort(), packages: [...packages].sort() };
}

const makeStale = (file = 'lib/cli/errors.ts') => {
  const future = new Date(Date.now() + 10_000);
  fs.utimesSync(path.join(root, file), future, future);
};

describe.each([
  ['dist/', 'dist', () => build()],
  ['the sources', 'lib', () => makeStale()],
])('start from %s', (_name, tree, prepare) => {
  beforeAll(prepare);

  test.each([
    ['--version', ['--version'], 0],
    ['--help', ['--help'], 0],
    ['a command\'s --help', ['audit', '--help'], 0],
    ['a missing argument', ['approve'], 2],
    ['an unknown option', ['review', '--no-such-option'], 2],
    ['an unknown command', ['reveiw'], 2],
    ['no command at all', [], 2],
  ])('fails when %s loads more than commander and the command table', (_what, argv, status) => {
    const run = cli(argv);
    expect(run.status).toBe(status);
    expect(shapeOf(run.loaded)).toEqual({ ours: START_MODULES.map((m) => `${tree}/${m}`).sort(), packages: ['commander'] });
  });

  test('--version prints the version, from any directory', () => {
    expect(cli(['--version'], os.tmpdir())).toMatchObject({ status: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  test('a command loads its implementation when it runs', () => {
    const run = cli(['impact', path.join(root, 'no-such-change-set.json')]);
    expect(run.status).toBe(2);
    expect(shapeOf(run.loaded).ours).toEqual(expect.arrayContaining([`${tree}/cli/commands/impact`, `${tree}/cli/impact-command`]));
  });
});

describe('a clone runs dist/ only while it was built from the sources as they are', () => {
  const runsFrom = () => {
    const { ours } = shapeOf(cli(['--version']).loaded);
    const trees = [...new Set(ours.map((m) => m.split('/')[0]))];
    if (trees.length !== 1) throw new Error(`loaded both dist/ and lib/: ${ours.join(', ')}`);
    return trees[0];
  };

  beforeEach(() => build());

  test('runs dist/ right after a build, and the sources after a source is touched', () => {
    expect(runsFrom()).toBe('dist');
    makeStale();
    expect(runsFrom()).toBe('lib');
    build();
    expect(runsFrom()).toBe('dist');
  });

  test('fails when an edit made after the build does not show: the edited summary is in the help', () => {
    const table = path.join(root, 'lib', 'cli', 'commands', 'index.ts');
    const text = fs.readFileSync(table, 'utf8');
    fs.writeFileSync(table, text.replace("summary: 'what waits for approval (approvers only)'", "summary: 'what waits for approval, edited after the build'"));
    try {
      expect(cli(['--help']).stdout).toMatch(/pending\s+what waits for approval, edited after the build/);
    } finally {
      fs.writeFileSync(table, text);
    }
  });

  test.each([
    ['a source is added', () => fs.writeFileSync(path.join(root, 'lib', 'added.ts'), 'export const ADDED = 1;\n'), () => fs.rmSync(path.join(root, 'lib', 'added.ts'))],
    ['a source is removed', () => fs.renameSync(path.join(root, 'lib', 'guardrail-paths.ts'), path.join(root, 'guardrail-paths.ts')), () => fs.renameSync(path.join(root, 'guardrail-paths.ts'), path.join(root, 'lib', 'guardrail-paths.ts'))],
    ['a compiler option changes', () => makeStale('tsconfig.json'), () => undefined],
    ['the build did not finish (no stamp)', () => fs.rmSync(path.join(root, 'dist', '.build-stamp')), () => undefined],
  ])('fails when %s and dist/ still runs', (_what, change, undo) => {
    change();
    try {
      expect(runsFrom()).toBe('lib');
    } finally {
      undo();
    }
  });
});
