#!/usr/bin/env node
// The agent-guardrails CLI: the compiled code in dist/. In a clone of the repository, where lib/
// holds the TypeScript sources, dist/ runs only while its build stamp matches the sources as they
// are now (`npm ci` and `npm run build` write it); otherwise the sources run, through a require
// hook on esbuild, so that a stale build never runs. Those helpers (bin/build-stamp.cjs,
// bin/typescript-hook.cjs) are files of the repository, not of the package: required by a computed
// path, only when the sources are there.
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const sources = path.join(root, 'lib', 'cli', 'main.ts');
let main;
if (fs.existsSync(sources) && !require(path.join(__dirname, 'build-stamp.cjs')).isBuildCurrent()) {
  require(path.join(__dirname, 'typescript-hook.cjs'));
  ({ main } = require(sources));
} else {
  ({ main } = require('../dist/cli/main.js'));
}
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
