/**
 * What every measure returns, and the helpers they share (statistics, timing child processes).
 * I/O: spawns processes; no library code.
 */
import { spawn } from 'child_process';
import * as path from 'path';
import { performance } from 'perf_hooks';

/** The repository's root. */
export const ROOT = path.join(__dirname, '..', '..');

/** One row of the summary table: a measure of the issue, its value now and its target. */
export interface Row {
  readonly measure: string;
  /** The value measured before the work began, as the issue states it. */
  readonly before: string;
  readonly now: string;
  readonly target: string;
  /** Whether the target is met; undefined when it cannot be told from this run. */
  readonly met?: boolean;
}

/** What a measure reports: summary rows and a Markdown section of details. */
export interface Measured {
  readonly rows: Row[];
  readonly details: string[];
}

/** One measure of the bench. */
export interface Measure {
  /** For `--only`. */
  readonly name: string;
  /** Whether it runs without `--with-<name>` (slow measures do not). */
  readonly optIn?: boolean;
  run(): Promise<Measured>;
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** The `q` quantile by nearest rank (p95: `q = 0.95`); the median of an even count is the mean of the middle two. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (q === 0.5) {
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * q) - 1))];
}

/** The exponent `k` of the least-squares fit `y = c * n^k` (1 is linear growth). */
export function growthExponent(points: ReadonlyArray<readonly [number, number]>): number {
  const xs = points.map(([n]) => Math.log(n));
  const ys = points.map(([, y]) => Math.log(Math.max(y, 1e-9)));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const num = xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0);
  const den = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  return num / den;
}

export const fmt = (n: number, digits = 0): string => n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** Node with ts-node's transpiler, to run a TypeScript file of the bench as a child. */
export const TS_NODE = ['-r', 'ts-node/register/transpile-only'];

export interface ChildResult {
  readonly ms: number;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command` to its end; `ms` is wall time from spawn to exit. */
export function runChild(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - start, code, stdout, stderr }));
  });
}

/** Runs `command` until its first line on stdout, then stops it; returns the time to that line. */
export function timeToFirstLine(command: string, args: string[]): Promise<{ ms: number; line: string }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let done = false;
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      stdout += d;
      const end = stdout.indexOf('\n');
      if (end >= 0 && !done) {
        done = true;
        const ms = performance.now() - start;
        child.once('close', () => resolve({ ms, line: stdout.slice(0, end) }));
        child.kill('SIGTERM');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (!done) reject(new Error(`${command} ${args.join(' ')} exited ${code} before a line: ${stderr}`));
    });
  });
}
