/*
 * I/O: one call to the approval API, signed with the caller's AWS credentials (SigV4), or, against
 * local mode only, sent as `--identity`. Shared by the commands that talk to the workflow.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';
import { IDENTITY_HEADER } from '../../approval-workflow/local/server';
import { CommandInput, Io } from '../command-spec';
import { CliError } from '../errors';

/** What to send. */
export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly body?: Record<string, unknown>;
}

/** Sends `request` and prints the answer with `describe` (or as JSON); resolves to 0, or 1 when the workflow refuses. */
export async function callApi(input: CommandInput, io: Io, request: ApiRequest, describe: (result: Record<string, any>) => string): Promise<number> {
  const url = (input.flags.url as string | undefined) ?? io.env.AGENT_GUARDRAILS_URL;
  if (!url) {
    throw new CliError('usage', '--url (or AGENT_GUARDRAILS_URL) must name the approval API, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com/v1');
  }
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new CliError('usage', `--url is not a URL: ${JSON.stringify(url)}`);
  }
  const identity = input.flags.identity as string | undefined;
  if (identity && !['127.0.0.1', 'localhost', '[::1]'].includes(base.hostname)) {
    throw new CliError('usage', '--identity works only against local mode (a loopback URL); the deployed API takes your identity from your AWS credentials');
  }
  const target = new URL(`${base.pathname.replace(/\/$/, '')}${request.path}`, base);
  const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
  const headers: Record<string, string> = { 'content-type': 'application/json', host: target.host };
  if (identity) {
    headers[IDENTITY_HEADER] = identity;
  } else {
    Object.assign(headers, await sign(target, request.method, headers, payload, (input.flags.region as string | undefined) ?? regionOf(target) ?? io.env.AWS_REGION));
  }
  let response: Response;
  try {
    response = await fetch(target, { method: request.method, headers, body: payload });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError('network', `cannot reach the approval API at ${target.origin}: ${cause?.code ?? cause?.message ?? (error as Error).message}; check --url and your network`, { cause: error });
  }
  const result = (await response.json().catch(() => ({ error: 'invalid-response', message: `HTTP ${response.status} without JSON` }))) as Record<string, any>;
  if (input.flags.json) {
    io.out(JSON.stringify(result));
  } else {
    io.out(result.error ? `refused (${response.status} ${result.error}): ${result.message}` : describe(result));
  }
  return response.ok ? 0 : 1;
}

/** The request id argument, checked. */
export function requestId(input: CommandInput): string {
  const value = input.positional[0];
  if (!value || !/^[A-Za-z0-9-]{1,64}$/.test(value)) {
    throw new CliError('usage', `${input.command} needs a request id (letters, digits and -), got ${JSON.stringify(value)}`);
  }
  return value;
}

/** One line for a request: id, status, role, approvals. */
export function requestLine(result: Record<string, any>): string {
  const approvals = Object.keys(result.approvals ?? {});
  return `${result.requestId}: ${result.status} (role ${result.role}; ${approvals.length} approval${approvals.length === 1 ? '' : 's'}${approvals.length ? `: ${approvals.join(', ')}` : ''})`;
}

function regionOf(url: URL): string | undefined {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(url.hostname)?.[1];
}

async function sign(url: URL, method: string, headers: Record<string, string>, body: string | undefined, region: string | undefined): Promise<Record<string, string>> {
  if (!region) {
    throw new CliError('usage', 'cannot tell the API region: pass --region or set AWS_REGION');
  }
  const signer = new SignatureV4({ service: 'execute-api', region, credentials: fromNodeProviderChain(), sha256: Sha256 });
  const query: Record<string, string> = Object.fromEntries(url.searchParams.entries());
  const signed = await signer.sign({ method, protocol: url.protocol, hostname: url.hostname, port: url.port ? Number(url.port) : undefined, path: url.pathname, query, headers, body });
  return signed.headers as Record<string, string>;
}
