/*
 * Pure: what the approver console answers, decided before anything is read or forwarded. Every
 * call must come to 127.0.0.1 or localhost on the console's own port (no DNS rebinding); every /api
 * call must also come from the console's own page (no other Origin, no cross-site fetch) and carry
 * the per-run token in a header. Each /api route maps to exactly one call of the approval API, and
 * none maps to `/credentials`: approvers never see issued credentials.
 */
import { createHash, timingSafeEqual } from 'crypto';
import type { ApiRequest } from '../cli/api-client';

/** The header the page sends the per-run token in. */
export const TOKEN_HEADER = 'x-agent-guardrails-console-token';

/** The largest body the console reads, in bytes. */
export const MAX_BODY_BYTES = 16 * 1024;

/** The longest comment the console forwards (the API keeps 1000 characters). */
export const MAX_COMMENT_LENGTH = 1000;

/** The Content-Security-Policy of every response: nothing but this console's own files and API. */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Headers of every response, refusals included. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** The files of the page, by URL path. */
export const ASSETS = {
  '/': { file: 'console.html', contentType: 'text/html; charset=utf-8' },
  '/console.js': { file: 'console.js', contentType: 'text/javascript; charset=utf-8' },
  '/calls.js': { file: 'calls.js', contentType: 'text/javascript; charset=utf-8' },
  '/render.js': { file: 'render.js', contentType: 'text/javascript; charset=utf-8' },
  '/console.css': { file: 'console.css', contentType: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', contentType: 'image/svg+xml' },
} as const;

/** A URL path of the page's files. */
export type AssetPath = keyof typeof ASSETS;

/** What the console was asked, as the HTTP adapter read it (header names in lower case). */
export interface ConsoleCall {
  readonly method: string;
  /** The request target: `/api/requests?x=1`. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** What the guard compares a call with. */
export interface GuardContext {
  /** The port the console listens on. */
  readonly port: number;
  /** The per-run token. */
  readonly token: string;
}

/** A console API action: which call of the approval API it becomes, once its body is checked. */
export type ConsoleAction =
  | { readonly kind: 'session' }
  | { readonly kind: 'list' }
  | { readonly kind: 'get'; readonly requestId: string }
  | { readonly kind: 'approve' | 'deny' | 'revoke'; readonly requestId: string };

/** Why the console refuses a call. */
export type GuardRefusalCode = 'bad-host' | 'bad-origin' | 'cross-site' | 'no-token' | 'bad-token' | 'no-such-route' | 'method-not-allowed' | 'not-json' | 'invalid-body' | 'body-too-large';

/** A refusal: its HTTP status, code and a message for the person. */
export interface GuardRefusal {
  readonly ok: false;
  readonly status: number;
  readonly error: GuardRefusalCode;
  readonly message: string;
}

/** What the guard lets through: one of the page's files, or an API action. */
export type GuardResult = GuardRefusal | { readonly ok: true; readonly kind: 'asset'; readonly path: AssetPath } | { readonly ok: true; readonly kind: 'api'; readonly action: ConsoleAction };

const REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;
const API_ROUTE = /^\/api\/requests(?:\/([^/]+))?(?:\/(approve|deny|revoke))?$/;

function refuse(status: number, error: GuardRefusalCode, message: string): GuardRefusal {
  return { ok: false, status, error, message };
}

function header(call: ConsoleCall, name: string): string | undefined {
  const value = call.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** The origins of the console itself. */
export function ownOrigins(port: number): string[] {
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
}

/** Whether `given` is the token, compared in constant time (over digests, so lengths do not show either). */
export function tokenMatches(given: string | undefined, token: string): boolean {
  if (given === undefined || token.length === 0) return false;
  const digest = (text: string) => new Uint8Array(createHash('sha256').update(text, 'utf8').digest());
  return timingSafeEqual(digest(given), digest(token));
}

/** Decides whether the console answers `call`, and with what. */
export function guard(call: ConsoleCall, context: GuardContext): GuardResult {
  const host = header(call, 'host')?.toLowerCase();
  if (!host || !ownOrigins(context.port).some((origin) => origin === `http://${host}`)) {
    return refuse(403, 'bad-host', `the console answers only on 127.0.0.1:${context.port} or localhost:${context.port}, not on host ${JSON.stringify(host ?? '')}`);
  }
  const path = pathOf(call.url);
  if (path !== undefined && (path === '/api' || path.startsWith('/api/'))) return guardApi(call, path, context);
  if (path !== undefined && Object.prototype.hasOwnProperty.call(ASSETS, path)) {
    if (call.method !== 'GET' && call.method !== 'HEAD') return refuse(405, 'method-not-allowed', `${path} is read with GET`);
    return { ok: true, kind: 'asset', path: path as AssetPath };
  }
  return refuse(404, 'no-such-route', `the console has no page ${JSON.stringify(path ?? call.url)}`);
}

function guardApi(call: ConsoleCall, path: string, context: GuardContext): GuardResult {
  const origin = header(call, 'origin');
  if (origin !== undefined && !ownOrigins(context.port).includes(origin)) {
    return refuse(403, 'bad-origin', `calls to the console's API come only from its own page, not from origin ${JSON.stringify(origin)}`);
  }
  const site = header(call, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') {
    return refuse(403, 'cross-site', `calls to the console's API come only from its own page, not from a ${site} one`);
  }
  const given = header(call, TOKEN_HEADER);
  if (given === undefined || given.length === 0) {
    return refuse(403, 'no-token', `the console's API needs the token of this run in the ${TOKEN_HEADER} header: open the URL the console printed`);
  }
  if (!tokenMatches(given, context.token)) {
    return refuse(403, 'bad-token', 'the token is not this run\'s: the console may have been restarted; open the URL it printed');
  }
  const action = actionOf(path);
  if (!action) return refuse(404, 'no-such-route', `the console's API has no route ${JSON.stringify(path)}`);
  const method = action.kind === 'session' || action.kind === 'list' || action.kind === 'get' ? 'GET' : 'POST';
  if (call.method !== method) return refuse(405, 'method-not-allowed', `${path} takes ${method}`);
  if (method === 'POST' && !/^application\/json(\s*;.*)?$/i.test(header(call, 'content-type') ?? '')) {
    return refuse(415, 'not-json', 'the console\'s API takes JSON bodies only (content-type: application/json)');
  }
  return { ok: true, kind: 'api', action };
}

/** The path of a request target, or undefined when it is not a plain absolute path. */
function pathOf(url: string): string | undefined {
  if (!url.startsWith('/') || url.startsWith('//')) return undefined;
  const path = url.split(/[?#]/, 1)[0];
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function actionOf(path: string): ConsoleAction | undefined {
  if (path === '/api/session') return { kind: 'session' };
  const match = API_ROUTE.exec(path);
  if (!match) return undefined;
  const [, requestId, verb] = match;
  if (requestId === undefined) return verb === undefined ? { kind: 'list' } : undefined;
  if (!REQUEST_ID.test(requestId)) return undefined;
  return verb === undefined ? { kind: 'get', requestId } : { kind: verb as 'approve' | 'deny' | 'revoke', requestId };
}

/** The approval API call of an action (all but `session`), from the body the page sent; a refusal when the body is not what the action takes. */
export function apiRequestOf(action: Exclude<ConsoleAction, { kind: 'session' }>, rawBody: string): { readonly ok: true; readonly request: ApiRequest } | GuardRefusal {
  switch (action.kind) {
    case 'list':
      return { ok: true, request: { method: 'GET', path: '/requests?status=PENDING' } };
    case 'get':
      return { ok: true, request: { method: 'GET', path: `/requests/${action.requestId}` } };
    default: {
      const body = decisionBody(action.kind, rawBody);
      return body.ok ? { ok: true, request: { method: 'POST', path: `/requests/${action.requestId}/${action.kind}`, body: body.body } } : body;
    }
  }
}

const ALLOWED_FIELDS: Readonly<Record<'approve' | 'deny' | 'revoke', readonly string[]>> = {
  approve: ['comment', 'acceptRisk'],
  deny: ['comment'],
  revoke: [],
};

/** The body of a decision, checked: only the fields the action takes, with their types; every problem at once. */
function decisionBody(kind: 'approve' | 'deny' | 'revoke', raw: string): { readonly ok: true; readonly body: Record<string, unknown> } | GuardRefusal {
  if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES) return refuse(413, 'body-too-large', `the body is over ${MAX_BODY_BYTES} bytes`);
  let parsed: unknown;
  try {
    parsed = raw.trim() === '' ? {} : JSON.parse(raw);
  } catch {
    return refuse(400, 'not-json', 'the body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return refuse(400, 'invalid-body', 'the body must be a JSON object');
  const fields = parsed as Record<string, unknown>;
  const problems: string[] = [];
  const unknown = Object.keys(fields).filter((k) => !ALLOWED_FIELDS[kind].includes(k));
  if (unknown.length > 0) {
    problems.push(`${kind} takes ${ALLOWED_FIELDS[kind].length ? `only ${ALLOWED_FIELDS[kind].join(' and ')}` : 'no fields'}, not ${unknown.map((k) => JSON.stringify(k)).join(', ')}`);
  }
  if (fields.comment !== undefined && (typeof fields.comment !== 'string' || fields.comment.length > MAX_COMMENT_LENGTH)) {
    problems.push(`comment must be text of at most ${MAX_COMMENT_LENGTH} characters`);
  }
  if (fields.acceptRisk !== undefined && typeof fields.acceptRisk !== 'boolean') problems.push('acceptRisk must be true or false');
  if (problems.length > 0) return refuse(400, 'invalid-body', problems.join('; '));
  const comment = typeof fields.comment === 'string' && fields.comment.trim() !== '' ? fields.comment.trim() : undefined;
  return { ok: true, body: { ...(comment ? { comment } : {}), ...(fields.acceptRisk === true ? { acceptRisk: true } : {}) } };
}
