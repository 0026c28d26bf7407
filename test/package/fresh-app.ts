/*
 * I/O: the package as a user gets it. Packs this checkout (from a copy of its files, so that the
 * check that packing leaves the tree as it was cannot be disturbed by other tests), and installs
 * the tarball into a fresh CDK app in a temporary directory, with the oldest aws-cdk-lib and
 * constructs of the peer ranges. Needs the npm registry (or a warm npm cache). Shared by
 * test/package/package.test.ts and bench/install-size.ts.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const REPO = path.join(__dirname, '..', '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The oldest versions of the peer dependencies the constructs work with: the floors of the peer ranges. */
export function peerFloors(dir = REPO): { awsCdkLib: string; constructs: string } {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const floor = (name: string): string => {
    const range: string = manifest.peerDependencies[name];
    const match = /^\^(\d+\.\d+\.\d+)$/.exec(range);
    if (!match) throw new Error(`peerDependencies.${name} must be a caret range (^x.y.z), got ${JSON.stringify(range)}`);
    return match[1];
  };
  return { awsCdkLib: floor('aws-cdk-lib'), constructs: floor('constructs') };
}

/** A child environment without the variables `npm run` sets, so that a nested npm sees its own project. */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) || /^npm_config_(cache|registry|userconfig)$/i.test(key)) env[key] = value;
  }
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

/** Runs npm in `cwd`; throws with its output when it fails. */
export function npm(cwd: string, args: string[]): { stdout: string; stderr: string } {
  const result = spawnSync(NPM, args, { cwd, env: npmEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(`npm ${args.join(' ')} in ${cwd} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  }
  return { stdout: result.stdout, stderr: result.stderr };
}

/** Every file under `dir`, relative to it, except what is under `node_modules`. */
export function listFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = path.join(rel, entry.name);
      if (entry.name === 'node_modules') continue;
      if (entry.isDirectory()) walk(child);
      else files.push(child.split(path.sep).join('/'));
    }
  };
  walk('');
  return files.sort();
}

/**
 * A copy of the checkout as a fresh clone has it after `npm ci`: its files (those of commit `ref`,
 * or by default the working tree's, uncommitted changes included), the repository's node_modules,
 * the handler bundle.
 */
export function copyCheckout(dest: string, ref?: string): void {
  fs.mkdirSync(dest, { recursive: true });
  if (ref) {
    const archive = path.join(dest, '..', `${path.basename(dest)}.tar`);
    execFileSync('git', ['archive', '--format=tar', `--output=${archive}`, ref], { cwd: REPO });
    execFileSync('tar', ['-xf', archive, '-C', dest]);
    fs.rmSync(archive);
  } else {
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO, encoding: 'utf8' })
      .split('\0')
      .filter((f) => f && fs.existsSync(path.join(REPO, f)));
    for (const file of files) {
      fs.mkdirSync(path.dirname(path.join(dest, file)), { recursive: true });
      fs.copyFileSync(path.join(REPO, file), path.join(dest, file));
    }
  }
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dest, 'node_modules'), 'junction');
  npm(dest, ['run', '-s', 'bundle']); // what `npm ci` runs (prepare)
}

/** What `npm pack --json` reports of the tarball. */
export interface Packed {
  readonly tarball: string;
  readonly files: string[];
  readonly unpackedBytes: number;
}

/** Packs `dir` into `destination`. */
export function pack(dir: string, destination: string): Packed {
  fs.mkdirSync(destination, { recursive: true });
  // Lifecycle scripts print to stdout too; the report is the JSON array that ends it.
  const { stdout } = npm(dir, ['pack', '--json', '--pack-destination', destination]);
  const report = JSON.parse(stdout.slice(stdout.search(/^\[/m)))[0];
  return {
    tarball: path.join(destination, report.filename),
    files: report.files.map((f: { path: string }) => f.path).sort(),
    unpackedBytes: report.unpackedSize,
  };
}

/** Packages and bytes in an app's node_modules. */
export interface InstallSize {
  readonly packages: number;
  readonly bytes: number;
}

/** Every installed package under `nodeModules` (nested and bundled ones included), by directory. */
export function installedPackages(nodeModules: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const candidates = entry.name.startsWith('@')
        ? fs.readdirSync(path.join(dir, entry.name), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(dir, entry.name, e.name))
        : [path.join(dir, entry.name)];
      for (const candidate of candidates) {
        if (fs.existsSync(path.join(candidate, 'package.json'))) found.push(candidate);
        walk(path.join(candidate, 'node_modules'));
      }
    }
  };
  walk(nodeModules);
  return found.sort();
}

function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += bytesUnder(full);
    else if (entry.isFile()) total += fs.statSync(full).size;
  }
  return total;
}

/** Packages and bytes (file sizes, not blocks) of `app`'s node_modules. */
export function installSize(app: string): InstallSize {
  const nodeModules = path.join(app, 'node_modules');
  return { packages: installedPackages(nodeModules).length, bytes: fs.existsSync(nodeModules) ? bytesUnder(nodeModules) : 0 };
}

/** A fresh CDK app in `app` with only the peer dependencies, at their floors; then the tarball added. */
export interface FreshApp {
  readonly app: string;
  readonly before: InstallSize;
  readonly after: InstallSize;
  /** The package directories under node_modules (relative) before the tarball came. */
  readonly packagesBefore: string[];
  readonly installLog: string;
  readonly seconds: { readonly peers: number; readonly tarball: number };
}

/** Creates the app, installs the peers, measures, installs the tarball, measures. */
export function installIntoFreshApp(app: string, tarball: string, floors = peerFloors()): FreshApp {
  fs.mkdirSync(app, { recursive: true });
  fs.writeFileSync(path.join(app, 'package.json'), `${JSON.stringify({
    name: 'fresh-cdk-app',
    version: '0.0.0',
    private: true,
    dependencies: { 'aws-cdk-lib': floors.awsCdkLib, 'constructs': floors.constructs },
  }, null, 2)}\n`);
  const flags = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=warn'];
  let start = Date.now();
  const peersLog = npm(app, ['install', ...flags]).stderr;
  const peers = (Date.now() - start) / 1000;
  const before = installSize(app);
  const nodeModules = path.join(app, 'node_modules');
  const packagesBefore = installedPackages(nodeModules).map((dir) => path.relative(nodeModules, dir));
  start = Date.now();
  const tarballLog = npm(app, ['install', ...flags, tarball]).stderr;
  const seconds = { peers, tarball: (Date.now() - start) / 1000 };
  return { app, before, after: installSize(app), packagesBefore, installLog: `${peersLog}${tarballLog}`, seconds };
}

/** A fresh temporary directory. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
