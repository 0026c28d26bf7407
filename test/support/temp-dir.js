/*
 * I/O: one temporary directory for a whole jest run, and its removal at the end. Tests, and CDK's
 * apps synthesized without an outdir, write hundreds of directories under the system's temporary
 * directory (about 100 MB a run); CDK removes its own when a process exits, which jest's workers
 * do not do in a way that runs exit handlers. Jest's global setup points TMPDIR,
 * which os.tmpdir() reads, at a fresh directory before the workers start, so that they, and every
 * process they spawn, write there; the global teardown removes it. A run that is killed leaves it
 * behind, named agent-guardrails-tests-*.
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const VARIABLE = 'AGENT_GUARDRAILS_TEST_TMPDIR';

/** Jest's globalSetup: the run's temporary directory, as TMPDIR. */
async function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-guardrails-tests-'));
  process.env[VARIABLE] = dir;
  process.env.TMPDIR = dir;
}

/** Jest's globalTeardown: removes the run's temporary directory. */
async function teardown() {
  const dir = process.env[VARIABLE];
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

module.exports = { setup, teardown };
