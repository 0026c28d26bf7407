const os = require('os');

/**
 * Transpile-only (esbuild, test/support/esbuild-transform.js): types are checked once, by
 * `tsc --noEmit`, which `npm test` runs beside jest (test/support/run-tests.js).
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': '<rootDir>/test/support/esbuild-transform.js',
  },
  setupFiles: ['<rootDir>/test/support/setup-env.js'],
  // One temporary directory for the run, removed at its end (test/support/temp-dir.js).
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  // At least two workers: jest's default (one less than the cores) is one on a 2-core machine, and
  // the package suite, which waits on npm much of its minute, then holds up every other suite.
  maxWorkers: Math.max(2, os.cpus().length - 1),
  testSequencer: '<rootDir>/test/support/slow-first-sequencer.js',
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
