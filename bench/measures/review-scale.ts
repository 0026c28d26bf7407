/**
 * The review of a generated app of 500 stacks (250 production), in this process, with the IAM
 * catalog loaded first: review time, the sweep's evaluations per second against the evaluator
 * alone on the same requests (the same compiled `ActionEvaluator`s, so both compile once), and
 * iam-simulate on a sample of the same requests with the same policies (both parsing per request).
 * Also the review at 10, 50 and 200 stacks, for its growth.
 */
import { performance } from 'perf_hooks';
import { generateApp } from '../app-generator';
import { loadAssembly, loadIamCatalog, reviewAssembly, sweepAssembly } from '../../lib';
import * as evaluator from '../../lib/review/policy-evaluator';
import { perRequestRates, PolicyRequest } from './iam-simulate';
import { fmt, growthExponent, Measure, Measured, median } from './measure';

const STACKS = Number(process.env.BENCH_REVIEW_STACKS ?? 500);
const GROWTH = (process.env.BENCH_REVIEW_GROWTH ?? '10,50,200').split(',').filter(Boolean).map(Number);
const ROUNDS = 3;
const SAMPLE = 500;

function synthesized(stacks: number): string {
  const saved = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    return generateApp(stacks).synth().directory;
  } finally {
    if (saved === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = saved;
  }
}

function timeReview(dir: string): { ms: number; evaluations: number; sweepMs: number } {
  const assembly = loadAssembly(dir);
  const start = performance.now();
  const report = reviewAssembly(assembly);
  const ms = performance.now() - start;
  const sweeps = [...report.sweep.roles, ...report.sweep.boundaries];
  // The sweep alone, on a fresh model (sweeps are cached per model).
  const fresh = loadAssembly(dir);
  const sweepStart = performance.now();
  sweepAssembly(fresh);
  return { ms, evaluations: sweeps.reduce((n, s) => n + s.result.evaluations, 0), sweepMs: performance.now() - sweepStart };
}

interface Captured {
  readonly evaluator: evaluator.ActionEvaluator;
  readonly request: Omit<evaluator.EvaluationRequest, 'action'>;
}

/**
 * Runs the sweep once, recording every decision's evaluator and request, and the documents each
 * evaluator was compiled from. It replaces the evaluator module's exports for the run, which the
 * CommonJS that ts-node emits allows (`npm run bench` runs under it; esbuild's exports are getters).
 */
function capture(dir: string) {
  const mutable = evaluator as { -readonly [K in keyof typeof evaluator]: (typeof evaluator)[K] };
  const original = { compilePolicy: mutable.compilePolicy, ActionEvaluator: mutable.ActionEvaluator, decide: evaluator.ActionEvaluator.prototype.decide };
  const documents = new WeakMap<evaluator.CompiledPolicy, unknown>();
  const compiledFrom = new WeakMap<evaluator.ActionEvaluator, { identity: readonly evaluator.CompiledPolicy[]; boundary?: evaluator.CompiledPolicy }>();
  const captured: Captured[] = [];
  mutable.compilePolicy = (name, document) => {
    const compiled = original.compilePolicy(name, document);
    documents.set(compiled, document);
    return compiled;
  };
  mutable.ActionEvaluator = class extends original.ActionEvaluator {
    constructor(action: string, identity: readonly evaluator.CompiledPolicy[], boundary: evaluator.CompiledPolicy | undefined) {
      super(action, identity, boundary);
      compiledFrom.set(this, { identity, boundary });
    }
  };
  original.ActionEvaluator.prototype.decide = function (this: evaluator.ActionEvaluator, request) {
    captured.push({ evaluator: this, request });
    return original.decide.call(this, request);
  };
  try {
    sweepAssembly(loadAssembly(dir));
  } finally {
    mutable.compilePolicy = original.compilePolicy;
    mutable.ActionEvaluator = original.ActionEvaluator;
    original.ActionEvaluator.prototype.decide = original.decide;
  }
  return { captured, documents, compiledFrom };
}

export const reviewScale: Measure = {
  name: 'review-scale',
  async run(): Promise<Measured> {
    let start = performance.now();
    loadIamCatalog();
    const catalogMs = performance.now() - start;
    const growth: Array<[number, number, number]> = [];
    for (const n of GROWTH) {
      const dir = synthesized(n);
      timeReview(dir);
      const times = Array.from({ length: ROUNDS }, () => timeReview(dir));
      growth.push([n, median(times.map((t) => t.ms)), times[0].evaluations]);
      process.stderr.write(`  review ${n} stacks: ${median(times.map((t) => t.ms)).toFixed(0)} ms\n`);
    }
    const dir = synthesized(STACKS);
    const reviews = Array.from({ length: ROUNDS }, () => timeReview(dir));
    const reviewMs = median(reviews.map((r) => r.ms));
    const sweepMs = median(reviews.map((r) => r.sweepMs));
    const evaluations = reviews[0].evaluations;
    growth.push([STACKS, reviewMs, evaluations]);

    // The evaluator alone on the sweep's own requests, with the sweep's own compiled evaluators.
    process.stderr.write(`  review ${STACKS} stacks: ${reviewMs.toFixed(0)} ms\n`);
    const { captured, documents, compiledFrom } = capture(dir);
    process.stderr.write(`  captured ${captured.length}\n`);
    const replays: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      start = performance.now();
      for (const c of captured) c.evaluator.decide(c.request);
      replays.push(performance.now() - start);
    }
    const evaluatorRate = captured.length / (median(replays) / 1000);
    // The sweep may decide a request once for resources its policies cannot tell apart: its rate
    // counts the evaluator's calls, as the replay does; the requests it stands for are `evaluations`.
    const sweepRate = captured.length / (sweepMs / 1000);
    // Like for like, per request decided: the sweep's requests per second against the evaluator's
    // own rate, which is what evaluating each request one by one would reach at best.
    const sweepRequestRate = evaluations / (sweepMs / 1000);

    // A sample of the same requests, with the policies they were decided against, for iam-simulate.
    const step = Math.max(1, Math.floor(captured.length / SAMPLE));
    const sample: PolicyRequest[] = [];
    for (let i = 0; i < captured.length && sample.length < SAMPLE; i += step) {
      const { evaluator: e, request } = captured[i];
      const from = compiledFrom.get(e)!;
      const identity = from.identity.map((p) => ({ name: p.name, document: documents.get(p) }));
      const boundary = from.boundary && { name: from.boundary.name, document: documents.get(from.boundary) };
      if (identity.some((p) => p.document === undefined) || (boundary && boundary.document === undefined)) continue;
      const principal = String(request.context?.['aws:principalarn'] ?? 'arn:aws:iam::111122223333:role/bench');
      sample.push({ principal, request: { ...request, action: e.action }, identity, boundary });
    }
    process.stderr.write(`  review: ${captured.length} decisions captured, ${sample.length} sampled for iam-simulate\n`);
    const rates = await perRequestRates(sample);

    const production = Math.ceil(STACKS / 2);
    const details = [
      `### Review at scale (generated apps, \`generateApp(n)\`, in process, catalog loaded once first in ${fmt(catalogMs)} ms; median of ${ROUNDS})`,
      '',
      '| stacks | review ms | requests decided | ms per stack |',
      '| ---: | ---: | ---: | ---: |',
      ...growth.map(([n, ms, e]) => `| ${n} | ${fmt(ms)} | ${fmt(e)} | ${(ms / n).toFixed(1)} |`),
      '',
      `Growth exponent of review time (time = c * n^k): ${growthExponent(growth.map(([n, ms]) => [n, ms] as const)).toFixed(2)}; of requests decided: ${growthExponent(growth.map(([n, , e]) => [n, e] as const)).toFixed(2)}.`,
      '',
      `| ${STACKS} stacks (${production} production) | evaluations per second | ratio |`,
      '| --- | ---: | ---: |',
      `| the sweep: ${fmt(captured.length)} evaluator calls (standing for ${fmt(evaluations)} requests) in ${fmt(sweepMs)} ms, catalog walk and request building included | ${fmt(sweepRate)} | 1x |`,
      `| the evaluator alone on the same ${fmt(captured.length)} calls, with the sweep's compiled evaluators | ${fmt(evaluatorRate)} | ${(evaluatorRate / sweepRate).toFixed(2)}x the sweep |`,
      '',
      `| ${STACKS} stacks, per request decided | requests per second | ratio |`,
      '| --- | ---: | ---: |',
      `| the sweep: ${fmt(evaluations)} requests decided in ${fmt(sweepMs)} ms | ${fmt(sweepRequestRate)} | ${(sweepRequestRate / evaluatorRate).toFixed(1)}x the evaluator |`,
      `| the evaluator alone, one call per request (its rate on the sweep's calls) | ${fmt(evaluatorRate)} | 1x |`,
      '',
      `| ${sample.length} of the same requests, same policies, each parsing the policies per request | evaluations per second |`,
      '| --- | ---: |',
      `| cdk-agent-guardrails (compile the documents, then decide) | ${fmt(rates.ours)} |`,
      `| @cloud-copilot/iam-simulate \`runSimulation\`${rates.theirsErrors ? ` (${rates.theirsErrors} returned errors)` : ''} | ${fmt(rates.theirs)} |`,
      `| ratio | ${(rates.ours / rates.theirs).toFixed(0)}x |`,
    ];
    return {
      rows: [
        {
          measure: `review of a ${STACKS}-stack app (${production} production)`,
          before: '10 s, 350,000 evaluations at 35,000/s',
          now: `${(reviewMs / 1000).toFixed(2)} s; the sweep decides ${fmt(evaluations)} requests (in ${fmt(captured.length)} evaluator calls) at ${fmt(sweepRequestRate)}/s, ${(sweepRequestRate / evaluatorRate).toFixed(1)}x the evaluator's own ${fmt(evaluatorRate)}/s`,
          target: "under 3 s; the sweep within 3x of the evaluator's own rate, per request decided",
          met: reviewMs < 3000 && sweepRequestRate * 3 >= evaluatorRate,
        },
      ],
      details,
    };
  },
};
