import { apiRequestOf, ConsoleCall, CONTENT_SECURITY_POLICY, guard, SECURITY_HEADERS, TOKEN_HEADER, tokenMatches } from '../../lib/approver-console/guard';
import { consoleView } from '../../lib/approver-console/view';

const PORT = 4711;
const TOKEN = 'k7Vd3-aVeryRandomTokenOfThisRun_0123456789';
const context = { port: PORT, token: TOKEN };
const ID = '6f1c2a3e-1111-4222-8333-944445555666';

/** A call from the console's own page. */
function call(method: string, url: string, headers: Record<string, string | undefined> = {}): ConsoleCall {
  return { method, url, headers: { host: `127.0.0.1:${PORT}`, [TOKEN_HEADER]: TOKEN, 'sec-fetch-site': 'same-origin', ...headers } };
}

describe('guard: what passes', () => {
  test.each([
    ['the page', 'GET', '/', { kind: 'asset', path: '/' }],
    ['the script', 'GET', '/console.js', { kind: 'asset', path: '/console.js' }],
    ['the stylesheet, with a query', 'GET', '/console.css?v=1', { kind: 'asset', path: '/console.css' }],
    ['the session', 'GET', '/api/session', { kind: 'api', action: { kind: 'session' } }],
    ['the pending list', 'GET', '/api/requests', { kind: 'api', action: { kind: 'list' } }],
    ['one request', 'GET', `/api/requests/${ID}`, { kind: 'api', action: { kind: 'get', requestId: ID } }],
    ['an approval', 'POST', `/api/requests/${ID}/approve`, { kind: 'api', action: { kind: 'approve', requestId: ID } }],
    ['a denial', 'POST', `/api/requests/${ID}/deny`, { kind: 'api', action: { kind: 'deny', requestId: ID } }],
    ['a revocation', 'POST', `/api/requests/${ID}/revoke`, { kind: 'api', action: { kind: 'revoke', requestId: ID } }],
  ])('%s', (_name, method, url, expected) => {
    expect(guard(call(method, url, { 'content-type': 'application/json' }), context)).toEqual({ ok: true, ...expected });
  });

  test('the page needs no token, and loads from localhost too', () => {
    expect(guard({ method: 'GET', url: '/', headers: { host: `localhost:${PORT}` } }, context)).toMatchObject({ ok: true, kind: 'asset' });
  });

  test('an API call without Origin or Sec-Fetch-Site (a same-origin GET, or a tool holding the token)', () => {
    expect(guard({ method: 'GET', url: '/api/requests', headers: { host: `127.0.0.1:${PORT}`, [TOKEN_HEADER]: TOKEN } }, context)).toMatchObject({ ok: true });
  });

  test('an API call from the page on localhost', () => {
    expect(guard(call('POST', `/api/requests/${ID}/deny`, { host: `localhost:${PORT}`, origin: `http://localhost:${PORT}`, 'content-type': 'application/json; charset=utf-8' }), context)).toMatchObject({ ok: true });
  });
});

describe('guard: what is refused', () => {
  test.each([
    ['fails when the Host is another name (DNS rebinding)', call('GET', '/api/requests', { host: `evil.example:${PORT}` }), 403, 'bad-host'],
    ['fails when the Host is another port', call('GET', '/api/requests', { host: `127.0.0.1:${PORT + 1}` }), 403, 'bad-host'],
    ['fails when the Host has no port', call('GET', '/', { host: '127.0.0.1' }), 403, 'bad-host'],
    ['fails when there is no Host', call('GET', '/', { host: undefined }), 403, 'bad-host'],
    ['fails when even the page is asked for under another Host', call('GET', '/console.js', { host: `rebind.example:${PORT}` }), 403, 'bad-host'],
    ['fails when the Origin is another site (CSRF)', call('POST', `/api/requests/${ID}/approve`, { origin: 'https://evil.example', 'content-type': 'application/json' }), 403, 'bad-origin'],
    ['fails when the Origin is another port on 127.0.0.1', call('POST', `/api/requests/${ID}/approve`, { origin: `http://127.0.0.1:${PORT + 1}` }), 403, 'bad-origin'],
    ['fails when the Origin is "null" (a sandboxed frame, a file)', call('GET', '/api/requests', { origin: 'null' }), 403, 'bad-origin'],
    ['fails when the browser says the fetch is cross-site', call('GET', '/api/requests', { 'sec-fetch-site': 'cross-site' }), 403, 'cross-site'],
    ['fails when the token is missing', call('GET', '/api/requests', { [TOKEN_HEADER]: undefined }), 403, 'no-token'],
    ['fails when the token is empty', call('GET', '/api/requests', { [TOKEN_HEADER]: '' }), 403, 'no-token'],
    ['fails when the token is wrong', call('GET', '/api/requests', { [TOKEN_HEADER]: `${TOKEN.slice(0, -1)}X` }), 403, 'bad-token'],
    ['fails when the token is only a prefix', call('GET', '/api/session', { [TOKEN_HEADER]: TOKEN.slice(0, 8) }), 403, 'bad-token'],
    ['fails when the token comes in the query instead', call('GET', `/api/requests?token=${TOKEN}`, { [TOKEN_HEADER]: undefined }), 403, 'no-token'],
    ['fails when asked for credentials', call('GET', `/api/requests/${ID}/credentials`), 404, 'no-such-route'],
    ['fails when asked for credentials with a trailing slash', call('GET', `/api/requests/${ID}/credentials/`), 404, 'no-such-route'],
    ['fails when the request id is not one', call('GET', '/api/requests/..%2F..%2Fcredentials'), 404, 'no-such-route'],
    ['fails when creating a request (approvers do not ask here)', call('POST', '/api/requests', { 'content-type': 'application/json' }), 405, 'method-not-allowed'],
    ['fails when an action is asked with GET', call('GET', `/api/requests/${ID}/approve`), 405, 'method-not-allowed'],
    ['fails when the page is posted to', call('POST', '/'), 405, 'method-not-allowed'],
    ['fails when the body is a form, not JSON', call('POST', `/api/requests/${ID}/approve`, { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'not-json'],
    ['fails when the body has no content type', call('POST', `/api/requests/${ID}/deny`), 415, 'not-json'],
    ['fails when the path is not one of the page\'s files', call('GET', '/package.json'), 404, 'no-such-route'],
    ['fails when the target is an absolute URL', call('GET', 'http://evil.example/'), 404, 'no-such-route'],
  ])('%s', (_name, given, status, error) => {
    expect(guard(given, context)).toMatchObject({ ok: false, status, error, message: expect.any(String) });
  });
});

describe('tokenMatches', () => {
  test('matches the token', () => expect(tokenMatches(TOKEN, TOKEN)).toBe(true));
  test.each([
    ['fails when another token of the same length is given', 'x'.repeat(TOKEN.length)],
    ['fails when a longer one is given', `${TOKEN}x`],
    ['fails when nothing is given', undefined],
  ])('%s', (_name, given) => expect(tokenMatches(given, TOKEN)).toBe(false));
  test('fails when the console has no token', () => expect(tokenMatches('', '')).toBe(false));
});

describe('apiRequestOf: the one API call of each action', () => {
  test.each([
    ['the pending list', { kind: 'list' as const }, '', { method: 'GET', path: '/requests?status=PENDING' }],
    ['one request', { kind: 'get' as const, requestId: ID }, '', { method: 'GET', path: `/requests/${ID}` }],
    ['an approval accepting the risk', { kind: 'approve' as const, requestId: ID }, '{"comment":" looks right ","acceptRisk":true}', { method: 'POST', path: `/requests/${ID}/approve`, body: { comment: 'looks right', acceptRisk: true } }],
    ['an approval without a comment', { kind: 'approve' as const, requestId: ID }, '{"acceptRisk":false,"comment":"  "}', { method: 'POST', path: `/requests/${ID}/approve`, body: {} }],
    ['a denial with a comment', { kind: 'deny' as const, requestId: ID }, '{"comment":"not during the freeze"}', { method: 'POST', path: `/requests/${ID}/deny`, body: { comment: 'not during the freeze' } }],
    ['a revocation with an empty body', { kind: 'revoke' as const, requestId: ID }, '', { method: 'POST', path: `/requests/${ID}/revoke`, body: {} }],
  ])('%s', (_name, action, raw, expected) => {
    expect(apiRequestOf(action, raw)).toEqual({ ok: true, request: expected });
  });

  test.each([
    ['fails when the body is not JSON', 'approve', '{comment:', 400, 'not-json'],
    ['fails when the body is an array', 'approve', '[]', 400, 'invalid-body'],
    ['fails when a denial accepts a risk', 'deny', '{"acceptRisk":true}', 400, 'invalid-body'],
    ['fails when a revocation carries fields', 'revoke', '{"comment":"x"}', 400, 'invalid-body'],
    ['fails when acceptRisk is not a boolean', 'approve', '{"acceptRisk":"yes"}', 400, 'invalid-body'],
    ['fails when the comment is not text', 'approve', '{"comment":42}', 400, 'invalid-body'],
    ['fails when the comment is too long', 'deny', JSON.stringify({ comment: 'x'.repeat(1001) }), 400, 'invalid-body'],
    ['fails when the body is over the limit', 'deny', JSON.stringify({ comment: 'x'.repeat(20000) }), 413, 'body-too-large'],
  ])('%s', (_name, kind, raw, status, error) => {
    expect(apiRequestOf({ kind: kind as 'approve', requestId: ID }, raw)).toMatchObject({ ok: false, status, error });
  });

  test('lists every problem of a body at once', () => {
    const refused = apiRequestOf({ kind: 'approve', requestId: ID }, '{"comment":1,"acceptRisk":"y","role":"admin"}');
    expect(refused).toMatchObject({ ok: false, status: 400 });
    expect((refused as { message: string }).message.split('; ')).toHaveLength(3);
  });
});

describe('the security headers', () => {
  test('hold the strict policy and the rest', () => {
    expect(CONTENT_SECURITY_POLICY).toBe("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    expect(SECURITY_HEADERS).toMatchObject({ 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' });
  });
});

describe('consoleView', () => {
  test('adds each change\'s reasons as sentences', () => {
    const view = consoleView({ requestId: ID, impact: { risk: 'high', changes: [{ logicalResourceId: 'T', reasons: ['stateful-replaced', 'iam-changed'] }] } }) as any;
    expect(view.impact.changes[0].reasonTexts).toEqual(['replaces a resource that holds data: the new one starts empty', 'changes or removes IAM permissions, trust or identities']);
  });

  test.each([
    ['fails when a request carries credentials', { requestId: ID, credentials: { sealed: 'x' }, taskToken: 't' }],
    ['fails when a listed request carries them', { requests: [{ requestId: ID, credentials: { accessKeyId: 'A' }, taskToken: 't' }] }],
  ])('never passes secrets on: %s', (_name, body) => {
    expect(JSON.stringify(consoleView(body))).not.toMatch(/credentials|taskToken/);
  });
});
