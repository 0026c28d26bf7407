import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { ApiAnswer, ApiClient, ApiRequest } from '../../lib/cli/api-client';
import { CliError } from '../../lib/cli/errors';
import { main } from '../../lib/cli/main';
import { ASSETS, CONTENT_SECURITY_POLICY, TOKEN_HEADER } from '../../lib/approver-console/guard';
import { ApproverConsole, ConsoleEvent, startApproverConsole } from '../../lib/approver-console/server';
import { LocalServer, startLocalServer } from '../../lib/approval-workflow/local/server';

const APPROVER_1 = 'arn:aws:iam::000000000000:user/approver-1';
const ID = '6f1c2a3e-1111-4222-8333-944445555666';

/** An API client that records what it is asked and answers `reply`. */
function recordingClient(reply: (request: ApiRequest) => ApiAnswer | Promise<ApiAnswer> = () => ({ status: 200, ok: true, body: { requests: [] } })) {
  const calls: ApiRequest[] = [];
  const client: ApiClient = {
    url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1',
    async call(request) {
      calls.push(request);
      return reply(request);
    },
  };
  return { client, calls };
}

interface Raw {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  readonly json: () => any;
}

/** One HTTP call over a socket, with exactly the headers given (Host included). */
function raw(port: number, options: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: { host: `127.0.0.1:${port}`, ...options.headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

function expectSecurityHeaders(response: Raw) {
  expect(response.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  expect(response.headers['referrer-policy']).toBe('no-referrer');
  expect(response.headers['cache-control']).toBe('no-store');
  expect(response.headers['access-control-allow-origin']).toBeUndefined();
}

describe('the console over real sockets', () => {
  const recorded = recordingClient((request) =>
    request.path.endsWith('/approve')
      ? { status: 403, ok: false, body: { error: 'self-approval', message: 'the requester cannot approve their own request, under any of their identities' } }
      : { status: 200, ok: true, body: { requests: [{ requestId: ID, status: 'PENDING', credentials: { accessKeyId: 'AKIA' }, taskToken: 'secret' }] } },
  );
  const events: ConsoleEvent[] = [];
  let server: ApproverConsole;
  let asked = 0;
  beforeAll(async () => {
    server = await startApproverConsole({ client: recorded.client, actingAs: async () => (asked++, APPROVER_1), onEvent: (e) => events.push(e) });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    recorded.calls.length = 0;
  });
  const withToken = (headers: Record<string, string> = {}) => ({ [TOKEN_HEADER]: server.token, ...headers });

  test('listens on 127.0.0.1 with a random token of 256 bits in the URL\'s fragment', async () => {
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/#token=[A-Za-z0-9_-]{43}$`));
    const other = await startApproverConsole({ client: recorded.client, actingAs: async () => APPROVER_1 });
    expect(other.token).not.toBe(server.token);
    await other.close();
  });

  test('does not answer on any other interface', async () => {
    const external = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!external) return; // a machine with loopback only has nothing else to try
    await expect(
      new Promise((resolve, reject) => {
        const socket = net.connect(server.port, external.address, () => resolve('connected'));
        socket.on('error', reject);
      }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  test.each([
    ['/', 'text/html; charset=utf-8'],
    ['/console.js', 'text/javascript; charset=utf-8'],
    ['/render.js', 'text/javascript; charset=utf-8'],
    ['/calls.js', 'text/javascript; charset=utf-8'],
    ['/console.css', 'text/css; charset=utf-8'],
    ['/favicon.svg', 'image/svg+xml'],
  ])('serves %s without a token, with the security headers', async (urlPath, contentType) => {
    const response = await raw(server.port, { path: urlPath });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe(contentType);
    expectSecurityHeaders(response);
  });

  test('answers the pending list with the token, and nothing secret passes', async () => {
    const response = await raw(server.port, { path: '/api/requests', headers: withToken() });
    expect(response.status).toBe(200);
    expectSecurityHeaders(response);
    expect(response.json()).toEqual({ requests: [{ requestId: ID, status: 'PENDING' }] });
    expect(recorded.calls).toEqual([{ method: 'GET', path: '/requests?status=PENDING' }]);
  });

  test('says who it acts as, asking once', async () => {
    for (let i = 0; i < 2; i++) {
      expect((await raw(server.port, { path: '/api/session', headers: withToken() })).json()).toEqual({ actingAs: APPROVER_1, mode: 'aws', api: recorded.client.url });
    }
    expect(asked).toBe(1);
  });

  test.each([
    ['fails when /api is called without the token', { path: '/api/requests', headers: {} }, 'no-token'],
    ['fails when the token is wrong', { path: '/api/requests', headers: { [TOKEN_HEADER]: 'not-the-token' } }, 'bad-token'],
    ['fails when the session is asked without the token', { path: '/api/session', headers: {} }, 'no-token'],
    ['fails when the Host is another name (DNS rebinding)', { path: '/api/requests', headers: { host: 'evil.example:PORT', [TOKEN_HEADER]: 'TOKEN' } }, 'bad-host'],
    ['fails when the page is asked for under another Host', { path: '/', headers: { host: 'evil.example:PORT' } }, 'bad-host'],
    ['fails when the Origin is another site (CSRF)', { method: 'POST', path: `/api/requests/${ID}/deny`, headers: { origin: 'https://evil.example', 'content-type': 'application/json', [TOKEN_HEADER]: 'TOKEN' }, body: '{}' }, 'bad-origin'],
    ['fails when the browser says the call is cross-site', { path: '/api/requests', headers: { 'sec-fetch-site': 'cross-site', [TOKEN_HEADER]: 'TOKEN' } }, 'cross-site'],
  ])('%s: 403, with the security headers, and nothing forwarded', async (_name, given, error) => {
    const headers = Object.fromEntries(Object.entries(given.headers).map(([k, v]) => [k, v.replace('PORT', String(server.port)).replace('TOKEN', server.token)]));
    const response = await raw(server.port, { ...given, headers });
    expect(response.status).toBe(403);
    expect(response.json()).toMatchObject({ error, message: expect.any(String) });
    expectSecurityHeaders(response);
    expect(recorded.calls).toEqual([]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'refused', status: 403, error }));
  });

  test('a preflight gets no CORS answer', async () => {
    const response = await raw(server.port, { method: 'OPTIONS', path: '/api/requests', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': TOKEN_HEADER } });
    expect(response.status).toBe(403);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(response.headers['access-control-allow-headers']).toBeUndefined();
  });

  test.each([
    `/api/requests/${ID}/credentials`,
    `/api/requests/${ID}/credentials/`,
    `/api/requests/${ID}/credentials?x=1`,
    `/api/requests/${ID}/%63redentials`,
    `/api/requests/${ID}/approve/../credentials`,
    `/api/requests/..%2F${ID}%2Fcredentials`,
    `/api/credentials`,
    `/api/requests/${ID}/approve/credentials`,
  ])('no route forwards to the credentials: %s', async (urlPath) => {
    for (const method of ['GET', 'POST']) {
      const response = await raw(server.port, { method, path: urlPath, headers: withToken({ 'content-type': 'application/json' }), body: '{}' });
      expect([404, 405]).toContain(response.status);
      expectSecurityHeaders(response);
    }
    expect(recorded.calls).toEqual([]);
  });

  test('forwards a decision with only the fields it takes, and the API\'s refusal as it came', async () => {
    const response = await raw(server.port, { method: 'POST', path: `/api/requests/${ID}/approve`, headers: withToken({ 'content-type': 'application/json', origin: server.origin }), body: '{"comment":"ok","acceptRisk":true}' });
    expect(response.status).toBe(403);
    expect(response.json()).toEqual({ error: 'self-approval', message: 'the requester cannot approve their own request, under any of their identities' });
    expect(recorded.calls).toEqual([{ method: 'POST', path: `/requests/${ID}/approve`, body: { comment: 'ok', acceptRisk: true } }]);
  });

  test.each([
    ['fails when the body is a form', { 'content-type': 'application/x-www-form-urlencoded' }, 'comment=x', 415],
    ['fails when the body is not JSON', { 'content-type': 'application/json' }, '{comment', 400],
    ['fails when the body carries other fields', { 'content-type': 'application/json' }, '{"role":"admin"}', 400],
    ['fails when the body is over the limit', { 'content-type': 'application/json' }, JSON.stringify({ comment: 'x'.repeat(64 * 1024) }), 413],
  ])('%s', async (_name, headers, body, status) => {
    const response = await raw(server.port, { method: 'POST', path: `/api/requests/${ID}/deny`, headers: withToken(headers), body });
    expect(response.status).toBe(status);
    expectSecurityHeaders(response);
    expect(recorded.calls).toEqual([]);
  });
});

describe('when the API or the credentials fail', () => {
  test('a network failure is a 502 with the client\'s message, and who the console acts as is asked again', async () => {
    const { client } = recordingClient(() => {
      throw new CliError('network', 'cannot reach the approval API at https://abc123.execute-api.eu-west-1.amazonaws.com: ENOTFOUND; check --url and your network');
    });
    let attempts = 0;
    const server = await startApproverConsole({ client, actingAs: async () => { attempts++; throw new Error('Could not load credentials from any providers'); } });
    try {
      const headers = { [TOKEN_HEADER]: server.token };
      const list = await raw(server.port, { path: '/api/requests', headers });
      expect(list.status).toBe(502);
      expect(list.json()).toEqual({ error: 'network', message: expect.stringMatching(/cannot reach the approval API/) });
      for (let i = 0; i < 2; i++) {
        expect((await raw(server.port, { path: '/api/session', headers })).json()).toMatchObject({ problem: 'cannot tell who your AWS credentials are: Could not load credentials from any providers' });
      }
      expect(attempts).toBe(2);
    } finally {
      await server.close();
    }
  });
});

describe('the page\'s files', () => {
  const assets = path.join(__dirname, '..', '..', 'lib', 'approver-console', 'assets');
  const read = (name: string) => fs.readFileSync(path.join(assets, name), 'utf8');

  test('are each served, and nothing else is', () => {
    expect(Object.values(ASSETS).map((a) => a.file).sort()).toEqual(fs.readdirSync(assets).sort());
  });

  test('hold no inline script or style, and load nothing from elsewhere', () => {
    const html = read('console.html');
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son\w+=/i);
    for (const name of fs.readdirSync(assets)) {
      expect(read(name).replace('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\/|\/\/[a-z0-9.-]+\.[a-z]{2,}\//i);
    }
  });

  test('never turn text into markup', () => {
    for (const name of fs.readdirSync(assets).filter((n) => n.endsWith('.js'))) {
      expect(read(name)).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|DOMParser|createContextualFragment/);
    }
  });
});

describe('the console command', () => {
  let local: LocalServer;
  beforeAll(async () => {
    local = await startLocalServer();
  });
  afterAll(() => local.close());

  test('prints the URL with the token, calls local mode as --identity, and runs until stopped', async () => {
    const out: string[] = [];
    const err: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const running = main(['console', '--url', local.url, '--identity', APPROVER_1, '--port', '0'], { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, untilStopped: () => stopped });
    try {
      await waitFor(async () => out.length > 0);
      await expectAConsole(out, err);
    } finally {
      stop();
    }
    expect(await running).toBe(0);
    const url = new URL(/open (\S+)/.exec(out[0])![1]);
    await expect(fetch(`${url.origin}/`)).rejects.toThrow();
  });

  async function expectAConsole(out: string[], err: string[]) {
    const url = new URL(/open (\S+)/.exec(out[0])![1]);
    expect(url.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const token = /^#token=([A-Za-z0-9_-]{43})$/.exec(url.hash)![1];
    expect(out[1]).toBe(`  calls ${local.url} as ${APPROVER_1} (local mode)`);
    const session = await fetch(`${url.origin}/api/session`, { headers: { [TOKEN_HEADER]: token } });
    expect(await session.json()).toEqual({ actingAs: APPROVER_1, mode: 'local', api: local.url });
    const pending = await fetch(`${url.origin}/api/requests`, { headers: { [TOKEN_HEADER]: token } });
    expect(await pending.json()).toEqual({ requests: [] });
    expect((await fetch(`${url.origin}/api/requests`)).status).toBe(403);
    expect(err).toEqual(['console: refused GET "/api/requests" (403 no-token)']);
  }

  test.each([
    ['fails when --port is not a port', ['--port', '70000'], /--port must be a port number \(0-65535\), got "70000"/],
    ['fails when --identity names a principal against a deployed API', ['--url', 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1', '--identity', APPROVER_1], /--identity works only against local mode/],
    ['fails when no API is named', [], /--url \(or AGENT_GUARDRAILS_URL\) must name the approval API/],
  ])('%s', async (_name, argv, message) => {
    const err: string[] = [];
    const code = await main(['console', ...argv], { out: () => undefined, err: (l) => err.push(l), env: {}, untilStopped: async () => undefined });
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(message);
  });

  test('fails when the port is taken, naming it', async () => {
    const taken = http.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    const err: string[] = [];
    const code = await main(['console', '--url', local.url, '--identity', APPROVER_1, '--port', String(port)], { out: () => undefined, err: (l) => err.push(l), env: {}, untilStopped: async () => undefined });
    await new Promise<void>((resolve) => taken.close(() => resolve()));
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(new RegExp(`--port ${port}: cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\)`));
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
