/*
 * I/O: what `npm test` runs after bundling the handlers: `tsc --noEmit` and jest side by side, since
 * neither needs the other, and the type check takes much of its time where jest's suites wait on
 * npm, sockets and child processes. Jest's output streams as it runs; tsc's is held and printed
 * after it, then one line saying whether the type check passed. Exits non-zero if either fails:
 * with jest's code when jest fails, else with tsc's.
 *
 *   node test/support/run-tests.js [jest arguments]
 */
'use strict';
const { spawn } = require('child_process');
const path = require('path');

const ROOT = path.join(__dirname, '..', '..');

/** Runs `args` with Node; resolves to its exit code (1 for a signal) and, unless `inherit`, its output. */
function run(args, inherit) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: inherit ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
    const output = [];
    if (!inherit) {
      child.stdout.on('data', (d) => output.push(d));
      child.stderr.on('data', (d) => output.push(d));
    }
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), signal, output: Buffer.concat(output).toString('utf8') }));
  });
}

async function main() {
  const tscArgs = [require.resolve('typescript/bin/tsc'), '--noEmit', ...(process.stdout.isTTY ? ['--pretty'] : [])];
  const typecheck = run(tscArgs, false);
  const jest = await run([require.resolve('jest/bin/jest'), ...process.argv.slice(2)], true);
  const tsc = await typecheck;
  if (tsc.output.trim()) process.stdout.write(`\n${tsc.output.trimEnd()}\n`);
  const how = tsc.signal ? `killed by ${tsc.signal}` : `exit code ${tsc.code}`;
  process.stdout.write(tsc.code === 0 ? 'tsc --noEmit: no type errors\n' : `tsc --noEmit: failed (${how})\n`);
  process.exitCode = jest.code !== 0 ? jest.code : tsc.code;
}

main().catch((error) => {
  process.stderr.write(`test/support/run-tests.js: ${error.stack ?? error}\n`);
  process.exitCode = 1;
});
