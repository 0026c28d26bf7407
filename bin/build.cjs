/*
 * I/O: builds dist/ from lib/, then stamps it (bin/build-stamp.cjs) so that the CLI runs it only while
 * the sources are unchanged. A file of the repository, not of the package.
 *
 *   node bin/build.cjs                               tsc: JavaScript and declarations, what the package
 *                                                    ships (`npm run build`; `npm pack` through prepack)
 *   node bin/build.cjs --transpile-only --if-stale   esbuild: JavaScript only, in well under a second,
 *                                                    unless dist/ is current (`npm ci` through prepare)
 *
 * Both bundle the Lambda handlers first (a no-op when they are current) and copy the approver
 * console's assets and the handler bundle beside the compiled code. tsconfig.json has
 * isolatedModules on, so esbuild's file-by-file JavaScript is what tsc emits, less the types.
 */
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { isBuildCurrent, sourcesFingerprint, writeStamp } = require('./build-stamp.cjs');

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const BUILD_CONFIG = path.join(ROOT, 'tsconfig.build.json');
const FLAGS = ['--transpile-only', '--if-stale'];

const flags = process.argv.slice(2);
const unknown = flags.filter((flag) => !FLAGS.includes(flag));
if (unknown.length > 0) {
  process.stderr.write(`bin/build.cjs: unknown ${unknown.join(' ')}; it takes ${FLAGS.join(' and ')}\n`);
  process.exit(2);
}

require('./typescript-hook.cjs');
const { bundleHandlers } = require('../lib/approval-workflow/handlers/bundle.ts');
const bundle = bundleHandlers();
if (bundle.written) process.stdout.write(`bundled handlers: lib/approval-workflow/handlers/dist/index.js (${bundle.bytes} bytes)\n`);

if (flags.includes('--if-stale') && isBuildCurrent()) {
  process.exit(0);
}
// Taken before compiling: a source edited from here on leaves this build stale.
const sources = sourcesFingerprint();
fs.rmSync(DIST, { recursive: true, force: true });
const compiler = flags.includes('--transpile-only') ? transpile() : compile();
fs.cpSync(path.join(ROOT, 'lib', 'approver-console', 'assets'), path.join(DIST, 'approver-console', 'assets'), { recursive: true });
fs.cpSync(path.join(ROOT, 'lib', 'approval-workflow', 'handlers', 'dist', 'index.js'), path.join(DIST, 'approval-workflow', 'handlers', 'dist', 'index.js'));
writeStamp(sources, compiler);
process.stdout.write(`built dist/ with ${compiler}\n`);

/** tsc with tsconfig.build.json; exits with tsc's status when it fails. */
function compile() {
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', BUILD_CONFIG], { cwd: ROOT, stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  return 'tsc';
}

/** esbuild over the files tsconfig.build.json compiles, with its compiler options. */
function transpile() {
  const ts = require('typescript');
  const config = ts.getParsedCommandLineOfConfigFile(BUILD_CONFIG, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
  if (config.errors.length > 0) throw new Error(config.errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n'));
  const build = readConfig(BUILD_CONFIG);
  if (build.extends !== './tsconfig.json') throw new Error(`${BUILD_CONFIG} must extend ./tsconfig.json (bin/build.cjs reads the compiler options of both), got ${JSON.stringify(build.extends)}`);
  const compilerOptions = { ...readConfig(path.join(ROOT, 'tsconfig.json')).compilerOptions, ...build.compilerOptions };
  require('esbuild').buildSync({
    entryPoints: config.fileNames,
    outdir: DIST,
    outbase: path.join(ROOT, 'lib'),
    format: 'cjs',
    platform: 'node',
    target: compilerOptions.target.toLowerCase(),
    tsconfigRaw: { compilerOptions },
    // As tsc emits `import()` for CommonJS: a require, once the promise runs.
    supported: { 'dynamic-import': false },
    logLevel: 'warning',
  });
  return 'esbuild';

  function readConfig(file) {
    const { config: json, error } = ts.readConfigFile(file, ts.sys.readFile);
    if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
    return json;
  }
}
