/*
 * `agent-guardrails`: ask for, approve, deny, revoke and collect elevated sessions, signing every
 * call with the caller's AWS credentials (SigV4); run the whole workflow locally; or review a
 * synthesized app (review, simulate, verify).
 *
 * Exit codes: 0 done; 1 refused by the workflow, or review errors found; 2 bad input.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';
import { DEFAULT_LOCAL_APPROVERS, IDENTITY_HEADER, startLocalServer } from '../approval-workflow/local/server';
import { workflowFromAssembly } from '../approval-workflow/local/from-assembly';
import { runImpactCommand } from './impact-command';
import { formatPending, formatRequest } from './request-format';
import { runReviewCommand } from './review-commands';

/** Where the CLI writes, and what it reads; replaced in tests. */
export interface Io {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Resolves when local mode should stop (Ctrl-C by default). */
  readonly untilStopped?: () => Promise<void>;
}

const USAGE = `usage: agent-guardrails <command> [options]

commands:
  request --role ROLE --justification TEXT [--duration SECONDS] [--ticket ID] [--change-set ARN] [--on-behalf-of ARN]
  approve ID [--comment TEXT] [--accept-risk]      deny ID [--comment TEXT]      revoke ID
  status ID                        credentials ID                 pending   (approvers: what waits for them)
  local [--port N] [--approvers ARN,ARN | --app CDK_OUT [--workflow PATH]] [--change-sets DIR]
  review [CDK_OUT] [--format text|json|sarif|markdown] [--production-tag KEY=VALUE[,VALUE]] [--production-stack NAME ...] [--fail-on-unresolved]
  simulate [CDK_OUT] --role PATH --action SERVICE:ACTION --resource ARN [--tag KEY=VALUE ...]
  verify [CDK_OUT] --role-arn ARN [--role PATH]     (checks a deployed role with IAM's simulator)
  impact FILE [NESTED_FILE ...] [--production-tag KEY=VALUE[,VALUE]]
                                   (a change set's impact, from describe-change-set --output json)

options:
  --url URL         the approval API (or AGENT_GUARDRAILS_URL)
  --json            machine-readable output
  --identity ARN    local mode only: act as this principal
  --region REGION   for signing (default: from the URL, or AWS_REGION)`;

class UsageError extends Error {}

interface Parsed {
  readonly command: string;
  readonly positional: string[];
  readonly flags: Record<string, string | true>;
  readonly repeated: Record<string, string[]>;
}

const VALUE_FLAGS = new Set([
  'role',
  'justification',
  'duration',
  'ticket',
  'change-set',
  'on-behalf-of',
  'comment',
  'url',
  'identity',
  'region',
  'port',
  'approvers',
  'format',
  'production-tag',
  'action',
  'resource',
  'role-arn',
  'change-sets',
  'app',
  'workflow',
]);
const REPEATED_FLAGS = new Set(['tag', 'production-stack']);
const BOOLEAN_FLAGS = new Set(['json', 'help', 'fail-on-unresolved', 'accept-risk']);

function parse(argv: string[]): Parsed {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  const repeated: Record<string, string[]> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (BOOLEAN_FLAGS.has(name)) {
      flags[name] = true;
    } else if (VALUE_FLAGS.has(name) || REPEATED_FLAGS.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith('--')) {
        throw new UsageError(`--${name} needs a value`);
      }
      if (REPEATED_FLAGS.has(name)) {
        (repeated[name] ??= []).push(value);
      } else {
        flags[name] = value;
      }
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  // Options may come before or after the command: the command is the first word.
  const [command = 'help', ...rest] = positional;
  return { command, positional: rest, flags, repeated };
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  try {
    const args = parse(argv);
    if (args.command === 'help' || args.flags.help) {
      io.out(USAGE);
      return 0;
    }
    if (args.command === 'local') {
      return await runLocal(args, io);
    }
    if (args.command === 'review' || args.command === 'simulate' || args.command === 'verify') {
      return await runReviewCommand(args.command, args, io);
    }
    if (args.command === 'impact') {
      return runImpactCommand(args, io);
    }
    return await runRemote(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`agent-guardrails: ${error.message}\n${USAGE}`);
      return 2;
    }
    io.err(`agent-guardrails: ${(error as Error).message}`);
    return 2;
  }
}

async function runLocal(args: Parsed, io: Io): Promise<number> {
  const port = args.flags.port === undefined ? 0 : Number(args.flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be a port number (0-65535), got ${JSON.stringify(args.flags.port)}`);
  }
  const approvers = typeof args.flags.approvers === 'string' ? args.flags.approvers.split(',').map((a) => a.trim()).filter(Boolean) : DEFAULT_LOCAL_APPROVERS;
  const app = args.flags.app;
  if (app !== undefined && args.flags.approvers !== undefined) {
    throw new UsageError('--approvers and --app do not go together: with --app, local mode runs the approvers of the app');
  }
  if (args.flags.workflow !== undefined && app === undefined) {
    throw new UsageError('--workflow chooses a TwoPersonApproval of the app given with --app CDK_OUT');
  }
  const source = typeof app === 'string' ? workflowFromAssembly(app, typeof args.flags.workflow === 'string' ? args.flags.workflow : undefined) : undefined;
  const server = await startLocalServer({
    port,
    approvers,
    ...(source ? { source } : {}),
    ...(typeof args.flags['change-sets'] === 'string' ? { changeSetsDir: args.flags['change-sets'] } : {}),
    onEvent: (event) => (args.flags.json ? undefined : io.err(`event: ${event.type} ${event.request.requestId} (${event.request.status})`)),
    onRefusal: (event) => (args.flags.json ? undefined : io.err(`refused: ${event.action} by ${event.by}: ${event.code}`)),
  });
  if (args.flags.json) {
    io.out(JSON.stringify({ url: server.url, roles: server.roles, approvers: server.approvers }));
  } else {
    io.out(`agent-guardrails local: listening on ${server.url}`);
    io.out(`  elevated roles a request may name: ${server.roles.join(', ')}`);
    io.out(`  eligible approvers: ${server.approvers.join(', ')}`);
    io.out(`  act as a principal with --identity ARN (header ${IDENTITY_HEADER}); credentials issued here are fake`);
  }
  await (io.untilStopped ?? untilSignal)();
  await server.close();
  return 0;
}

async function runRemote(args: Parsed, io: Io): Promise<number> {
  const url = (args.flags.url as string | undefined) ?? io.env.AGENT_GUARDRAILS_URL;
  if (!url) {
    throw new UsageError('--url (or AGENT_GUARDRAILS_URL) must name the approval API, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com/v1');
  }
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new UsageError(`--url is not a URL: ${JSON.stringify(url)}`);
  }
  const { method, path, body } = requestFor(args);
  const identity = args.flags.identity as string | undefined;
  if (identity && !['127.0.0.1', 'localhost', '[::1]'].includes(base.hostname)) {
    throw new UsageError('--identity works only against local mode (a loopback URL); the deployed API takes your identity from your AWS credentials');
  }
  const target = new URL(`${base.pathname.replace(/\/$/, '')}${path}`, base);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json', host: target.host };
  if (identity) {
    headers[IDENTITY_HEADER] = identity;
  } else {
    Object.assign(headers, await sign(target, method, headers, payload, (args.flags.region as string | undefined) ?? regionOf(target) ?? io.env.AWS_REGION));
  }
  const response = await fetch(target, { method, headers, body: payload });
  const result = (await response.json().catch(() => ({ error: 'invalid-response', message: `HTTP ${response.status} without JSON` }))) as Record<string, any>;
  if (args.flags.json) {
    io.out(JSON.stringify(result));
  } else {
    io.out(describe(args.command, response.status, result));
  }
  return response.ok ? 0 : 1;
}

function requestFor(args: Parsed): { method: string; path: string; body?: Record<string, unknown> } {
  const id = () => {
    const value = args.positional[0];
    if (!value || !/^[A-Za-z0-9-]{1,64}$/.test(value)) {
      throw new UsageError(`${args.command} needs a request id, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  const comment = typeof args.flags.comment === 'string' ? { comment: args.flags.comment } : {};
  switch (args.command) {
    case 'request': {
      const duration = args.flags.duration === undefined ? undefined : Number(args.flags.duration);
      if (duration !== undefined && !Number.isInteger(duration)) {
        throw new UsageError(`--duration must be whole seconds, got ${JSON.stringify(args.flags.duration)}`);
      }
      return {
        method: 'POST',
        path: '/requests',
        body: {
          role: args.flags.role,
          justification: args.flags.justification,
          ...(duration !== undefined ? { durationSeconds: duration } : {}),
          ...(args.flags.ticket ? { ticket: args.flags.ticket } : {}),
          ...(args.flags['change-set'] ? { changeSetArn: args.flags['change-set'] } : {}),
          ...(args.flags['on-behalf-of'] ? { onBehalfOf: args.flags['on-behalf-of'] } : {}),
        },
      };
    }
    case 'approve':
      return { method: 'POST', path: `/requests/${id()}/approve`, body: { ...comment, ...(args.flags['accept-risk'] ? { acceptRisk: true } : {}) } };
    case 'deny':
      return { method: 'POST', path: `/requests/${id()}/deny`, body: comment };
    case 'revoke':
      return { method: 'POST', path: `/requests/${id()}/revoke`, body: {} };
    case 'status':
      return { method: 'GET', path: `/requests/${id()}` };
    case 'pending':
      return { method: 'GET', path: '/requests?status=PENDING' };
    case 'credentials':
      return { method: 'GET', path: `/requests/${id()}/credentials` };
    default:
      throw new UsageError(`unknown command ${JSON.stringify(args.command)}`);
  }
}

function describe(command: string, status: number, result: Record<string, any>): string {
  if (result.error) {
    return `refused (${status} ${result.error}): ${result.message}`;
  }
  if (command === 'credentials') {
    const c = result.credentials;
    return [`export AWS_ACCESS_KEY_ID=${c.accessKeyId}`, `export AWS_SECRET_ACCESS_KEY=${c.secretAccessKey}`, `export AWS_SESSION_TOKEN=${c.sessionToken}`, `# expires ${c.expiration}`].join('\n');
  }
  if (command === 'status') {
    return formatRequest(result).join('\n');
  }
  if (command === 'pending') {
    return formatPending(result.requests ?? []).join('\n');
  }
  const approvals = Object.keys(result.approvals ?? {});
  return `${result.requestId}: ${result.status} (role ${result.role}; ${approvals.length} approval${approvals.length === 1 ? '' : 's'}${approvals.length ? `: ${approvals.join(', ')}` : ''})`;
}

function regionOf(url: URL): string | undefined {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(url.hostname)?.[1];
}

async function sign(url: URL, method: string, headers: Record<string, string>, body: string | undefined, region: string | undefined): Promise<Record<string, string>> {
  if (!region) {
    throw new UsageError('cannot tell the API region: pass --region or set AWS_REGION');
  }
  const signer = new SignatureV4({ service: 'execute-api', region, credentials: fromNodeProviderChain(), sha256: Sha256 });
  const query: Record<string, string> = Object.fromEntries(url.searchParams.entries());
  const signed = await signer.sign({ method, protocol: url.protocol, hostname: url.hostname, port: url.port ? Number(url.port) : undefined, path: url.pathname, query, headers, body });
  return signed.headers as Record<string, string>;
}

function defaultIo(): Io {
  return { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`), env: process.env };
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
