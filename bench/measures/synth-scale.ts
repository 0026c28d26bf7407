/**
 * Synth of generated apps of 10, 50, 200 and 500 stacks (bench/app-generator.ts), each variant in
 * a child process of its own, the variants alternating round by round so that machine noise hits
 * them alike: time from building the app to the end of synth, and peak resident memory.
 * CDK's built-in CloudFormation validation is off (`CDK_VALIDATION=false`) in every variant: it is
 * CDK's cost, not the guardrails', and the example-app measure shows it.
 */
import * as path from 'path';
import { fmt, growthExponent, Measure, Measured, median, Row, runChild, TS_NODE } from './measure';

const SIZES: ReadonlyArray<readonly [number, number]> = (process.env.BENCH_SCALE ?? '10:3,50:5,200:2,500:1').split(',').map((s) => s.split(':').map(Number) as [number, number]);
const VARIANTS = ['without', 'core', 'every', 'review'] as const;
type Variant = (typeof VARIANTS)[number];
const LABELS: Record<Variant, string> = {
  without: 'without guardrails (the same services, every library construct empty)',
  core: '`generateApp(n)`: production protection, boundary, agent and deploy roles',
  every: '`generateApp(n, { guardrails: true })`: every guardrail',
  review: '`generateApp(n)` with the review plugin',
};

interface Sample {
  readonly ms: number;
  readonly rssMiB: number;
  readonly resources: number;
}
type Outcome = { samples: Sample[]; failure?: string };

async function synthOnce(stacks: number, variant: Variant): Promise<Sample | string> {
  const child = await runChild(process.execPath, [...TS_NODE, path.join(__dirname, 'synth-child.ts'), String(stacks), variant], { CDK_VALIDATION: 'false' });
  if (child.code !== 0) {
    const reason = child.stderr.split('\n').find((l) => /Error|errors|failed/.test(l) && !l.includes('    at ')) ?? `exit ${child.code}`;
    const detail = child.stderr.split('\n').find((l) => l.trim().startsWith('['))?.trim();
    return `${reason.trim()}${detail ? ` ${detail.slice(0, 220)}${detail.length > 220 ? '...' : ''}` : ''}`;
  }
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as Sample;
}

const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

export const synthScale: Measure = {
  name: 'synth-scale',
  async run(): Promise<Measured> {
    const results = new Map<number, Record<Variant, Outcome>>();
    for (const [stacks, rounds] of SIZES) {
      const outcome = Object.fromEntries(VARIANTS.map((v) => [v, { samples: [] }])) as unknown as Record<Variant, Outcome>;
      for (let round = 0; round < rounds; round++) {
        for (const variant of VARIANTS) {
          if (outcome[variant].failure) continue;
          const sample = await synthOnce(stacks, variant);
          if (typeof sample === 'string') outcome[variant].failure = sample;
          else outcome[variant].samples.push(sample);
          process.stderr.write(`  synth ${stacks} stacks ${variant}: ${typeof sample === 'string' ? 'fails' : `${sample.ms.toFixed(0)} ms, ${sample.rssMiB.toFixed(0)} MiB`}\n`);
        }
      }
      results.set(stacks, outcome);
    }
    const ms = (n: number, v: Variant) => (results.get(n)![v].samples.length ? median(results.get(n)![v].samples.map((s) => s.ms)) : NaN);
    const resources = (n: number, v: Variant) => results.get(n)![v].samples[0]?.resources ?? NaN;
    const mib = (n: number, v: Variant) => (results.get(n)![v].samples.length ? median(results.get(n)![v].samples.map((s) => s.rssMiB)) : NaN);
    const sizes = SIZES.map(([n]) => n);
    const cell = (n: number, v: Variant, value: (n: number, v: Variant) => number, unit: string) =>
      results.get(n)![v].failure ? 'fails' : `${fmt(value(n, v))} ${unit}`;

    const details = [
      `### Synth at scale (generated apps, half production, about ten resources per stack; median of ${SIZES.map(([n, r]) => `${r} at ${n}`).join(', ')}; CDK's built-in validation off)`,
      '',
      'Time from building the app to the end of `app.synth()`, and peak resident memory of the process (module loading included), one child process per synth.',
      '',
      `| variant | ${sizes.map((n) => `${n} stacks`).join(' | ')} | growth exponent |`,
      `| --- | ${sizes.map(() => '---:').join(' | ')} | ---: |`,
    ];
    const exponent = (v: Variant, value: (n: number, v: Variant) => number) => {
      const points = sizes.filter((n) => !results.get(n)![v].failure).map((n) => [n, value(n, v)] as const);
      return points.length >= 2 ? growthExponent(points).toFixed(2) : 'n/a';
    };
    for (const v of VARIANTS) details.push(`| ${LABELS[v]}, time | ${sizes.map((n) => cell(n, v, ms, 'ms')).join(' | ')} | ${exponent(v, ms)} |`);
    for (const v of VARIANTS) details.push(`| ${LABELS[v]}, ms per stack | ${sizes.map((n) => (results.get(n)![v].failure ? 'fails' : (ms(n, v) / n).toFixed(1))).join(' | ')} | |`);
    for (const v of VARIANTS) details.push(`| ${LABELS[v]}, peak memory | ${sizes.map((n) => cell(n, v, mib, 'MiB')).join(' | ')} | |`);
    for (const v of VARIANTS) details.push(`| ${LABELS[v]}, resources | ${sizes.map((n) => (results.get(n)![v].failure ? 'fails' : fmt(resources(n, v)))).join(' | ')} | |`);
    const ratios: Array<[string, (n: number) => string]> = [
      ['time ratio, core guardrails / without', (n) => ratio(ms(n, 'core'), ms(n, 'without'))],
      ['time ratio, every guardrail / without', (n) => (results.get(n)!.every.failure ? 'fails' : ratio(ms(n, 'every'), ms(n, 'without')))],
      ['time ratio, review plugin / core', (n) => ratio(ms(n, 'review'), ms(n, 'core'))],
      ['memory ratio, review plugin / core', (n) => ratio(mib(n, 'review'), mib(n, 'core'))],
    ];
    for (const [label, f] of ratios) details.push(`| ${label} | ${sizes.map(f).join(' | ')} | |`);
    const failures = sizes.flatMap((n) => VARIANTS.filter((v) => results.get(n)![v].failure).map((v) => `${n} stacks, ${v}: ${results.get(n)![v].failure}`));
    if (failures.length) details.push('', 'Synths that fail:', '', ...failures.map((f) => `- ${f}`));
    details.push('', 'The growth exponent is k in time = c * n^k, fitted by least squares over the sizes above: 1 is linear.');
    if (results.has(50) && !results.get(50)!.every.failure) {
      // What CDK's own work on the resources the guardrails add comes to, at the rate the app without them synthesizes.
      const perResource = ms(50, 'without') / resources(50, 'without');
      const added = resources(50, 'every') - resources(50, 'without');
      details.push(
        '',
        `At 50 stacks the app without the library holds ${fmt(resources(50, 'without'))} resources and synthesizes in ${fmt(ms(50, 'without'))} ms, ` +
          `${perResource.toFixed(2)} ms a resource. Every guardrail adds ${fmt(added)} resources (the core guardrails ${fmt(resources(50, 'core') - resources(50, 'without'))}): ` +
          `at that rate alone ${fmt(added * perResource)} ms, ${ratio(ms(50, 'without') + added * perResource, ms(50, 'without'))} the time without them, against the 1.10x the target allows.`,
      );
    }

    const rows: Row[] = [];
    if (results.has(50)) {
      const every = results.get(50)!.every;
      const core = ms(50, 'core') / ms(50, 'without');
      rows.push({
        measure: 'synth of a 50-stack app with every guardrail / without (validation off)',
        before: '1.3x-1.6x',
        now: every.failure ? `every guardrail: synth fails; core guardrails ${core.toFixed(2)}x` : `${(ms(50, 'every') / ms(50, 'without')).toFixed(2)}x (core guardrails ${core.toFixed(2)}x)`,
        target: 'at most 1.10x',
        met: every.failure ? false : ms(50, 'every') / ms(50, 'without') <= 1.1,
      });
    }
    if (results.has(500)) {
      const r = mib(500, 'review') / mib(500, 'core');
      rows.push({
        measure: 'synth memory with the review plugin at 500 stacks / without (validation off)',
        before: '654 MiB (314 MiB without)',
        now: Number.isNaN(r) ? 'fails' : `${fmt(mib(500, 'review'))} MiB (${fmt(mib(500, 'core'))} MiB without): ${r.toFixed(2)}x`,
        target: 'at most 1.3x without',
        met: Number.isNaN(r) ? false : r <= 1.3,
      });
    }
    return { rows, details };
  },
};
