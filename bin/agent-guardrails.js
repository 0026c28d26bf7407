#!/usr/bin/env node
// The agent-guardrails CLI. In a clone of the repository, where lib/ holds the TypeScript sources,
// it runs them through ts-node (a dev dependency), so that a stale build is never what runs; from
// the published package, which ships no sources, it runs the compiled code in dist/.
const fs = require('fs');
const path = require('path');

const sources = path.join(__dirname, '..', 'lib', 'cli', 'main.ts');
let main;
if (fs.existsSync(sources)) {
  require('ts-node').register({ transpileOnly: true });
  ({ main } = require(sources));
} else {
  ({ main } = require('../dist/cli/main.js'));
}
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
