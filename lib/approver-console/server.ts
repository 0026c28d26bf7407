/*
 * I/O: the approver console's HTTP adapter. Listens on 127.0.0.1 only, serves the page's files
 * and a small JSON API that `guard` checks call by call (host, origin, per-run token), then calls
 * the approval API through the CLI's client: signed with the approver's own AWS credentials, or,
 * against local mode, as `--identity`. It holds no state but the token.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { ApiClient } from '../cli/api-client';
import { isCliError } from '../cli/errors';
import { apiRequestOf, ASSETS, AssetPath, ConsoleAction, guard, GuardRefusal, MAX_BODY_BYTES, SECURITY_HEADERS } from './guard';
import { ConsoleSession, consoleView } from './view';

/** What the console reports as it runs: refused calls, and the calls it made to the API. */
export type ConsoleEvent =
  | { readonly type: 'refused'; readonly method: string; readonly path: string; readonly status: number; readonly error: string }
  | { readonly type: 'called'; readonly action: ConsoleAction['kind']; readonly requestId?: string; readonly status: number; readonly error?: string };

/** Options of the console. */
export interface ApproverConsoleOptions {
  /** The approval API, as the approver calls it. */
  readonly client: ApiClient;
  /** The port on 127.0.0.1. @default 0 - a free one */
  readonly port?: number;
  /** The principal ARN the client's calls are made as (asked once, when the page first wants it). */
  readonly actingAs: () => Promise<string>;
  /** Receives what the console does. */
  readonly onEvent?: (event: ConsoleEvent) => void;
}

/** A running console. */
export interface ApproverConsole {
  /** The URL to open, with the per-run token in its fragment (never sent to any server). */
  readonly url: string;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  readonly port: number;
  /** The per-run token. */
  readonly token: string;
  close(): Promise<void>;
}

type Answer = { readonly status: number; readonly body: Record<string, unknown> };

/** Where the page's files are, next to this file in the sources and in the package alike. */
const ASSETS_DIR = path.join(__dirname, 'assets');

/** Starts the console on 127.0.0.1. */
export async function startApproverConsole(options: ApproverConsoleOptions): Promise<ApproverConsole> {
  const files = new Map<AssetPath, Buffer>();
  for (const [urlPath, asset] of Object.entries(ASSETS)) {
    files.set(urlPath as AssetPath, fs.readFileSync(path.join(ASSETS_DIR, asset.file)));
  }
  const token = randomBytes(32).toString('base64url');
  let port = 0;
  let session: Promise<ConsoleSession> | undefined;
  const sessionOf = (): Promise<ConsoleSession> => {
    const mode = options.client.identity ? 'local' : 'aws';
    session ??= options.actingAs().then(
      (actingAs) => ({ actingAs, mode, api: options.client.url }),
      (error: Error) => {
        session = undefined; // ask again next time
        return { problem: `cannot tell who your AWS credentials are: ${error.message}`, mode, api: options.client.url };
      },
    );
    return session;
  };

  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const call = { method, url: req.url ?? '/', headers: req.headers };
    const verdict = guard(call, { port, token });
    if (!verdict.ok) {
      options.onEvent?.({ type: 'refused', method, path: call.url.split('?')[0].slice(0, 200), status: verdict.status, error: verdict.error });
      return sendJson(res, { status: verdict.status, body: { error: verdict.error, message: verdict.message } }, true);
    }
    if (verdict.kind === 'asset') {
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': ASSETS[verdict.path].contentType });
      return res.end(method === 'HEAD' ? undefined : files.get(verdict.path));
    }
    const action = verdict.action;
    answer(action, req, options.client, sessionOf)
      .then((result) => {
        if (action.kind !== 'session') {
          const error = typeof result.body.error === 'string' ? result.body.error : undefined;
          options.onEvent?.({ type: 'called', action: action.kind, ...('requestId' in action ? { requestId: action.requestId } : {}), status: result.status, ...(error ? { error } : {}) });
        }
        sendJson(res, result);
      })
      .catch((error: Error) => sendJson(res, { status: 500, body: { error: 'internal', message: error.message } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/#token=${token}`,
    origin,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Runs one API action: the session, or one call of the approval API. */
async function answer(action: ConsoleAction, req: http.IncomingMessage, client: ApiClient, sessionOf: () => Promise<ConsoleSession>): Promise<Answer> {
  if (action.kind === 'session') {
    return { status: 200, body: { ...(await sessionOf()) } };
  }
  const raw = req.method === 'POST' ? await readBody(req) : '';
  if (raw === undefined) {
    return { status: 413, body: { error: 'body-too-large', message: `the body is over ${MAX_BODY_BYTES} bytes` } };
  }
  const planned = apiRequestOf(action, raw);
  if (!planned.ok) return refusal(planned);
  try {
    const reply = await client.call(planned.request);
    return { status: reply.status, body: consoleView(reply.body) };
  } catch (error) {
    if (isCliError(error) && error.code === 'network') {
      return { status: 502, body: { error: 'network', message: error.message } };
    }
    // Most often the credential chain: no credentials, or expired ones.
    return { status: 502, body: { error: 'cannot-call-api', message: `the console cannot call the approval API: ${(error as Error).message}` } };
  }
}

function refusal(refused: GuardRefusal): Answer {
  return { status: refused.status, body: { error: refused.error, message: refused.message } };
}

/** The body as text, or undefined when it is over the limit (then the rest is not read). */
function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    let text = '';
    let size = 0;
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      size += Buffer.byteLength(chunk, 'utf8');
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
      } else {
        text += chunk;
      }
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

function sendJson(res: http.ServerResponse, answer: Answer, close = false): void {
  res.writeHead(answer.status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', ...(close ? { connection: 'close' } : {}) });
  res.end(JSON.stringify(answer.body));
}
