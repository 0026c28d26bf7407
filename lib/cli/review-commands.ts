/*
 * The review commands of the CLI: `review` (every rule and the sweep, as text, JSON, SARIF or
 * Markdown), `simulate` (one request, offline) and `verify` (a deployed role against IAM's own
 * simulator). Exit codes: 0 passed; 1 errors found; 2 bad input.
 */
import { describeAssumption } from '../review/sweep/principals';
import * as fs from 'fs';
import { AssemblyError, loadAssembly } from '../review/assembly';
import { reviewAssembly } from '../review/review';
import { ReviewInputError, simulateRequest } from '../review/simulate';

/** Where a command writes. */
export interface ReviewIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

/** Parsed options of a review command. */
export interface ReviewArgs {
  readonly positional: readonly string[];
  readonly flags: Readonly<Record<string, string | true>>;
  /** Repeatable options (`--tag`). */
  readonly repeated: Readonly<Record<string, readonly string[]>>;
}

const FORMATS = ['text', 'json', 'sarif', 'markdown'] as const;

function assemblyDir(args: ReviewArgs): string {
  if (args.positional.length > 1) {
    throw new ReviewInputError(`expected one cloud assembly directory, got ${args.positional.length}: ${args.positional.join(' ')}`);
  }
  return args.positional[0] ?? 'cdk.out';
}

/** `--production-tag key=value[,value]`. */
export function productionTag(args: ReviewArgs): { tagKey?: string; tagValues?: string[] } {
  const value = args.flags['production-tag'];
  if (value === undefined) return {};
  const match = typeof value === 'string' ? /^([^=]+)=(.+)$/.exec(value) : null;
  if (!match) {
    throw new ReviewInputError(`--production-tag must be key=value[,value], got ${JSON.stringify(value)}`);
  }
  return { tagKey: match[1], tagValues: match[2].split(',').map((v) => v.trim()).filter(Boolean) };
}

/** `--production-stack NAME`, repeatable: stacks that must be production. */
function productionStacks(args: ReviewArgs): readonly string[] {
  const names = args.repeated['production-stack'] ?? [];
  for (const name of names) {
    if (!/^[A-Za-z*][A-Za-z0-9*-]{0,127}$/.test(name)) {
      throw new ReviewInputError(`--production-stack must be a stack name or pattern (letters, digits, - and *), got ${JSON.stringify(name)}`);
    }
  }
  return names;
}

/** `--tag key=value`, repeatable. */
function resourceTags(args: ReviewArgs): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const value of args.repeated.tag ?? []) {
    const match = /^([^=]+)=(.*)$/.exec(value);
    if (!match) throw new ReviewInputError(`--tag must be key=value, got ${JSON.stringify(value)}`);
    tags[match[1]] = match[2];
  }
  return tags;
}

function required(args: ReviewArgs, name: string, example: string): string {
  const value = args.flags[name];
  if (typeof value !== 'string' || value === '') {
    throw new ReviewInputError(`--${name} is required, e.g. --${name} ${example}`);
  }
  return value;
}

/** Runs `review`, `simulate` or `verify`; bad input is thrown as ReviewInputError or AssemblyError. */
export async function runReviewCommand(command: 'review' | 'simulate' | 'verify', args: ReviewArgs, io: ReviewIo): Promise<number> {
  const dir = assemblyDir(args);
  switch (command) {
    case 'review':
      return review(dir, args, io);
    case 'simulate':
      return simulate(dir, args, io);
    case 'verify':
      return verify(dir, args, io);
  }
}

async function review(dir: string, args: ReviewArgs, io: ReviewIo): Promise<number> {
  const format = (args.flags.format ?? 'text') as string;
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new ReviewInputError(`--format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  }
  const assembly = loadAssembly(dir);
  const formats = await import('../review/report-formats');
  const report = reviewAssembly(assembly, {
    ...productionTag(args),
    productionStacks: productionStacks(args),
    now: () => performance.now(),
    onProgress: (done, total, what) => io.err(`sweeping ${done}/${total}: ${what}`),
  });
  const readFile = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined);
  const options = { baseDir: process.cwd(), readFile };
  const render = { text: formats.formatText, json: formats.formatJson, sarif: formats.formatSarif, markdown: formats.formatMarkdown }[format as (typeof FORMATS)[number]];
  io.out(render(report, options));
  const failOnUnresolved = args.flags['fail-on-unresolved'] === true;
  return report.summary.errors > 0 || (failOnUnresolved && report.summary.unresolved > 0) ? 1 : 0;
}

async function simulate(dir: string, args: ReviewArgs, io: ReviewIo): Promise<number> {
  const role = required(args, 'role', 'AgentGuardrails/CodingAgent');
  const action = required(args, 'action', 'cloudformation:DeleteStack');
  const resource = required(args, 'resource', 'arn:aws:cloudformation:us-east-1:123456789012:stack/orders-prod/*');
  const result = simulateRequest(loadAssembly(dir), { role, action, resource, resourceTags: resourceTags(args) });
  if (args.flags.json) {
    io.out(JSON.stringify({ role: result.role.resource.constructPath, roleArn: result.role.arn, action, resource, decision: result.decision.result, decidedBy: result.decision.decidedBy, assumptions: result.role.assumptions }));
    return 0;
  }
  const by = result.decision.decidedBy.map((s) => `${s.policy} / ${s.statement}`);
  io.out(`${result.decision.result}: ${action} on ${resource}`);
  io.out(`  role: ${result.role.resource.constructPath} (${result.role.arn})`);
  io.out(
    result.decision.result === 'ImplicitlyDenied'
      ? `  decided by: no statement allows it${result.role.boundary ? ' in both the role\'s policies and its boundary' : ''}`
      : `  decided by: ${by.join('; ')}`,
  );
  for (const assumption of result.role.assumptions) io.out(`  assumed: ${describeAssumption(assumption)}`);
  return 0;
}

async function verify(dir: string, args: ReviewArgs, io: ReviewIo): Promise<number> {
  const roleArn = required(args, 'role-arn', 'arn:aws:iam::111122223333:role/agent-guardrails/agent/MyAgent-AbC123');
  const { IAMClient } = await import('@aws-sdk/client-iam');
  const { verifyRole, formatVerifyResult } = await import('../review/verify');
  const region = (args.flags.region as string | undefined) ?? io.env.AWS_REGION ?? 'us-east-1';
  const result = await verifyRole({
    iam: new IAMClient({ region }),
    roleArn,
    assembly: loadAssembly(dir),
    role: args.flags.role as string | undefined,
    onProgress: (done: number, total: number) => io.err(`checked ${done}/${total} requests`),
  });
  io.out(args.flags.json ? JSON.stringify(result) : formatVerifyResult(result));
  return result.ok ? 0 : 1;
}

/** Whether `error` is bad input to a review command (exit code 2). */
export function isReviewInputError(error: unknown): boolean {
  return error instanceof ReviewInputError || error instanceof AssemblyError;
}
