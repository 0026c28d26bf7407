/**
 * Runs every measure of the bench in one run (bench/measures/, one module per measure) and writes
 * a Markdown report to bench/results/latest.md: a summary table (the measure, its value before the
 * work began, now, the target, whether it is met) and a section of details per measure.
 *
 *   npm run bench                                  every measure but the test suite's
 *   npm run bench -- --only=synth-scale,review-scale
 *   npm run bench -- --with-test-suite             also the wall time of `npx jest` (minutes)
 *   npm run bench -- --update-readme               then regenerate the README's "## Benchmarks"
 *   npm run bench:readme                           regenerate it from bench/results/latest.md
 *
 * Where a ratio applies, both sides are measured in the same run, alternating where they repeat.
 * Timed assertions live here, never in tests. `npm run bench:install` measures the install size.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { cliStart } from './measures/cli-start';
import { evaluatorShapes } from './measures/evaluator';
import { localApproval } from './measures/local-approval';
import { localStart } from './measures/local-start';
import { Measure, Measured, ROOT, Row } from './measures/measure';
import { policySizes } from './measures/policy-sizes';
import { reviewScale } from './measures/review-scale';
import { synthExample } from './measures/synth-example';
import { synthScale } from './measures/synth-scale';
import { testSuite } from './measures/test-suite';

const MEASURES: readonly Measure[] = [cliStart, localStart, localApproval, evaluatorShapes, policySizes, synthExample, synthScale, reviewScale, testSuite];
const LATEST = path.join(ROOT, 'bench', 'results', 'latest.md');
const README = path.join(ROOT, 'README.md');

function summary(rows: readonly Row[]): string[] {
  const met = (r: Row) => (r.met === undefined ? '' : r.met ? 'yes' : '**no**');
  return ['| measure | before | now | target | met |', '| --- | --- | --- | --- | --- |', ...rows.map((r) => `| ${r.measure} | ${r.before} | ${r.now} | ${r.target} | ${met(r)} |`)];
}

/** Replaces the README's "## Benchmarks" section (up to the next `## ` heading) with `body`. */
export function updateReadme(body: string): void {
  const readme = fs.readFileSync(README, 'utf8');
  const start = readme.indexOf('\n## Benchmarks\n');
  if (start < 0) throw new Error('README.md has no "## Benchmarks" section');
  const next = readme.indexOf('\n## ', start + 1);
  const end = next < 0 ? readme.length : next;
  fs.writeFileSync(README, `${readme.slice(0, start)}\n## Benchmarks\n\n${body.trim()}\n${readme.slice(end)}`);
}

async function main(args: string[]): Promise<void> {
  if (args.includes('--readme-only')) {
    updateReadme(fs.readFileSync(LATEST, 'utf8'));
    return;
  }
  const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
  const chosen = MEASURES.filter((m) => (only ? only.includes(m.name) : !m.optIn || args.includes(`--with-${m.name}`)));
  const start = performance.now();
  const results: Array<{ measure: Measure; result: Measured; seconds: number }> = [];
  for (const measure of chosen) {
    const begun = performance.now();
    process.stderr.write(`${measure.name}...\n`);
    const result = await measure.run();
    results.push({ measure, result, seconds: (performance.now() - begun) / 1000 });
    for (const row of result.rows) process.stderr.write(`  ${row.measure}: ${row.now} (target ${row.target})\n`);
  }
  const total = (performance.now() - start) / 1000;
  const skipped = MEASURES.filter((m) => !chosen.includes(m));
  const lines = [
    `\`npm run bench\` runs every measure below in one run and writes this section to \`bench/results/latest.md\`; \`npm run bench -- --update-readme\` also puts it here. ` +
      `This run: ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus().length} cores, ${Math.round(total)} s in all ` +
      `(${results.map((r) => `${r.measure.name} ${Math.round(r.seconds)} s`).join(', ')}).` +
      (skipped.length ? ` Not run: ${skipped.map((m) => `${m.name}${m.optIn ? ` (\`--with-${m.name}\`)` : ''}`).join(', ')}.` : ''),
    '',
    '"Before" is the state the targets were set against. CDK\'s built-in validation is on where a row says so, and off (`CDK_VALIDATION=false`) in the scale rows, whose apps it would otherwise dominate.',
    '',
    ...summary(results.flatMap((r) => r.result.rows)),
    ...results.flatMap((r) => (r.result.details.length ? ['', ...r.result.details] : [])),
  ];
  fs.mkdirSync(path.dirname(LATEST), { recursive: true });
  fs.writeFileSync(LATEST, `${lines.join('\n')}\n`);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (args.includes('--update-readme')) updateReadme(lines.join('\n'));
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exitCode = 1;
});
