// Runs in the browser: the approver console's calls to its own API on 127.0.0.1. The per-run
// token comes in the URL's fragment (which no browser sends anywhere), is kept for this tab only,
// and goes with every call in a header that no other site can set on a request to the console.

const TOKEN_HEADER = 'x-agent-guardrails-console-token';
const TOKEN_KEY = 'agent-guardrails-console-token';
/** The console's own refusals, which no retry mends. */
const SHUT_OUT = ['no-token', 'bad-token', 'bad-origin', 'bad-host', 'cross-site'];

/** The token from `#token=...` (then dropped from the address bar), or the one this tab kept. */
export function readToken() {
  const match = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(location.hash);
  try {
    if (match) {
      sessionStorage.setItem(TOKEN_KEY, match[1]);
      history.replaceState(null, '', location.pathname + location.search);
      return match[1];
    }
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return match ? match[1] : '';
  }
}

/** A function that calls the console's API and resolves to { status, ok, body }; `onShutOut` hears the console's own refusals. */
export function apiOf(token, onShutOut) {
  return async function api(method, path, body) {
    let response;
    try {
      response = await fetch(path, {
        method,
        headers: { [TOKEN_HEADER]: token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
      });
    } catch {
      return { status: 0, ok: false, body: { error: 'console-unreachable', message: 'the console does not answer: is agent-guardrails console still running?' } };
    }
    const answer = await response.json().catch(() => ({ error: 'invalid-response', message: `HTTP ${response.status} without JSON` }));
    if (response.status === 403 && SHUT_OUT.includes(answer.error)) onShutOut(answer.message);
    return { status: response.status, ok: response.ok, body: answer };
  };
}

/** A refusal as the person reads it: the status, the API's code and its message. */
export const refusalText = (answer) => `Refused (${answer.status} ${answer.body.error ?? 'error'}): ${answer.body.message ?? 'no message'}`;
