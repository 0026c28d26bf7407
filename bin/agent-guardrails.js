#!/usr/bin/env node
// The agent-guardrails CLI. From the published package it runs the compiled code; from a clone of
// the repository, where nothing is compiled, it runs the TypeScript sources through ts-node.
let main;
try {
  ({ main } = require('../lib/cli/main.js'));
} catch (error) {
  if (error.code !== 'MODULE_NOT_FOUND') throw error;
  require('ts-node').register({ transpileOnly: true });
  ({ main } = require('../lib/cli/main.ts'));
}
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
