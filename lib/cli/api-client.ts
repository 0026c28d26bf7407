/*
 * I/O: the approval API's client. Every call is signed with the caller's AWS credentials (SigV4),
 * or, against local mode only, carries `--identity`. The CLI's commands, the MCP server and the
 * approver console all call the API through it, so a call means the same thing from each.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';
import { IDENTITY_HEADER } from '../approval-workflow/local/identity-header';
import { CliError } from './errors';

/** Where the API is and who calls it. */
export interface ApiClientOptions {
  /** The approval API's URL; falls back to `AGENT_GUARDRAILS_URL`. */
  readonly url?: string;
  /** The region to sign for. @default - from the URL, or AWS_REGION */
  readonly region?: string;
  /** Local mode only: act as this principal instead of signing. */
  readonly identity?: string;
  readonly env: NodeJS.ProcessEnv;
}

/** What to send. */
export interface ApiRequest {
  readonly method: 'GET' | 'POST';
  /** Below the API's base path: `/requests/ID/approve`. */
  readonly path: string;
  readonly body?: Record<string, unknown>;
}

/** What the API answered: its HTTP status and JSON body (errors carry `error` and `message`). */
export interface ApiAnswer {
  readonly status: number;
  readonly ok: boolean;
  readonly body: Record<string, any>;
}

/** A client of one approval API, for one caller. */
export interface ApiClient {
  /** The API's base URL. */
  readonly url: string;
  /** Whether calls go to local mode as `--identity`. */
  readonly identity?: string;
  call(request: ApiRequest): Promise<ApiAnswer>;
}

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];

/** A client for the API `options` name; throws a usage `CliError` when they cannot work. */
export function apiClient(options: ApiClientOptions): ApiClient {
  const url = options.url ?? options.env.AGENT_GUARDRAILS_URL;
  if (!url) {
    throw new CliError('usage', '--url (or AGENT_GUARDRAILS_URL) must name the approval API, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com/v1');
  }
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new CliError('usage', `--url is not a URL: ${JSON.stringify(url)}`);
  }
  if (options.identity && !LOOPBACK.includes(base.hostname)) {
    throw new CliError('usage', '--identity works only against local mode (a loopback URL); the deployed API takes your identity from your AWS credentials');
  }
  const region = options.region ?? regionOf(base) ?? options.env.AWS_REGION;
  const credentials = options.identity ? undefined : fromNodeProviderChain();
  return {
    url: base.toString().replace(/\/$/, ''),
    identity: options.identity,
    async call(request) {
      const target = new URL(`${base.pathname.replace(/\/$/, '')}${request.path}`, base);
      const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
      const headers: Record<string, string> = { 'content-type': 'application/json', host: target.host };
      if (options.identity) {
        headers[IDENTITY_HEADER] = options.identity;
      } else {
        if (!region) throw new CliError('usage', 'cannot tell the API region: pass --region or set AWS_REGION');
        const signer = new SignatureV4({ service: 'execute-api', region, credentials: credentials!, sha256: Sha256 });
        const query: Record<string, string> = Object.fromEntries(target.searchParams.entries());
        const signed = await signer.sign({ method: request.method, protocol: target.protocol, hostname: target.hostname, port: target.port ? Number(target.port) : undefined, path: target.pathname, query, headers, body: payload });
        Object.assign(headers, signed.headers);
      }
      let response: Response;
      try {
        response = await fetch(target, { method: request.method, headers, body: payload });
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        throw new CliError('network', `cannot reach the approval API at ${target.origin}: ${cause?.code ?? cause?.message ?? (error as Error).message}; check --url and your network`, { cause: error });
      }
      const body = (await response.json().catch(() => ({ error: 'invalid-response', message: `HTTP ${response.status} without JSON` }))) as Record<string, any>;
      return { status: response.status, ok: response.ok, body };
    },
  };
}

/** The client for a command's `--url`, `--region` and `--identity`. */
export function apiClientOf(flags: Readonly<Record<string, string | true>>, env: NodeJS.ProcessEnv): ApiClient {
  const text = (name: string) => (typeof flags[name] === 'string' ? (flags[name] as string) : undefined);
  return apiClient({ url: text('url'), region: text('region'), identity: text('identity'), env });
}

function regionOf(url: URL): string | undefined {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(url.hostname)?.[1];
}
