/*
 * I/O: runs this repository's TypeScript without a build. Requiring this file registers a require
 * hook for .ts files: `node -r ./bin/typescript-hook.cjs bin/app.ts` (cdk.json), and the CLI when
 * dist/ is not current (bin/agent-guardrails.js). esbuild strips the types, file by file: tsconfig.json
 * has isolatedModules on, so that is exact; the compiler options esbuild honours (target,
 * decorators, class fields) come from tsconfig.json, so the code runs as tsc would emit it. A source
 * map per file makes stack traces point into the .ts sources. The options: bin/esbuild-options.cjs. Types are checked by `tsc --noEmit`,
 * not here. A file of the repository, not of the package: esbuild is a dev dependency.
 *
 * The JavaScript is cached in node_modules/.cache, under a digest of everything it is made of (the
 * source, its path, the options, esbuild's version), so an entry is never stale and a run whose
 * files are all cached does not start esbuild.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { createHash } = require('crypto');

const OPTIONS = {
  ...require('./esbuild-options.cjs').esbuildOptions('bin/typescript-hook.cjs').options,
  sourcemap: 'inline',
  sourcesContent: false,
};

const CACHE = path.join(__dirname, '..', 'node_modules', '.cache', 'cdk-agent-guardrails', 'typescript');
// esbuild itself loads only when an entry is missing.
const SALT = `${require('esbuild/package.json').version}\0${JSON.stringify(OPTIONS)}\0${fs.readFileSync(__filename, 'utf8')}`;

/** The JavaScript of one .ts file, from the cache or from esbuild (then cached). */
function javascriptOf(filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const cached = path.join(CACHE, `${createHash('sha256').update(SALT).update('\0').update(filename).update('\0').update(source).digest('hex')}.js`);
  try {
    return fs.readFileSync(cached, 'utf8');
  } catch {
    const { code } = require('esbuild').transformSync(source, { ...OPTIONS, sourcefile: filename });
    // Written whole, then renamed: processes running side by side never read half an entry.
    fs.mkdirSync(CACHE, { recursive: true });
    const temporary = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, code);
    fs.renameSync(temporary, cached);
    return code;
  }
}

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  module._compile(javascriptOf(filename), filename);
};
process.setSourceMapsEnabled(true);
