/*
 * Jest's test order, with the suites known to be slow first. Jest orders by the durations it keeps
 * in its cache, and by file size when the cache is cold (a fresh clone, CI), which puts a short
 * file that packs and installs the package last and leaves one worker idle at the end. Pure.
 */
const path = require('path');
const Sequencer = require('@jest/test-sequencer').default;

/** Slowest first: each takes from about 5 s to a minute; the rest take a few seconds or less. */
const SLOW = [
  'test/package/package.test.ts',
  'test/review/differential.test.ts',
  'test/approval-workflow/break-glass-construct.test.ts',
  'test/cli/start.test.ts',
  'test/circuit-breaker/replay-cli.test.ts',
  'test/readme.test.ts',
  'test/cli/cli.test.ts',
  'test/approval-workflow/workflow.test.ts',
  'test/agent-access/mcp.test.ts',
  'test/examples.test.ts',
  'test/approver-console/browser.test.ts',
];

class SlowFirstSequencer extends Sequencer {
  sort(tests) {
    const rank = (test) => {
      const i = SLOW.indexOf(path.relative(test.context.config.rootDir, test.path).split(path.sep).join('/'));
      return i < 0 ? SLOW.length : i;
    };
    return super.sort(tests)
      .map((test, order) => ({ test, order, rank: rank(test) }))
      .sort((a, b) => a.rank - b.rank || a.order - b.order)
      .map(({ test }) => test);
  }
}

module.exports = SlowFirstSequencer;
