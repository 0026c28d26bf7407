// Runs in the browser: the approver console's page. Keeps the pending requests, and those opened
// or decided here, up to date, and sends the approver's decisions. Calls to the console's own API
// are in calls.js (with the per-run token), rendering in render.js (DOM calls only, never markup).
import { apiOf, readToken, refusalText } from './calls.js';
import { el, refreshTimes, requestCard } from './render.js';

const REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;
const FINAL = new Set(['DENIED', 'REVOKED', 'EXPIRED', 'FAILED']);
const POLL_MS = 10000;
const POLL_WHILE_ISSUING_MS = 2000;

const $ = (id) => document.getElementById(id);
const token = readToken();
/** A refusal by the console itself (a stale token, say) stops the page. */
const api = apiOf(token, (message) => stop(`The console refused this page: ${message}`));
/** Rendered cards by request id, with the version they show: { version, node }. */
const pendingCards = new Map();
const followedCards = new Map();
/** Pending requests in full (the list holds no history), by id: re-read when their version changes. */
const details = new Map();
/** Requests opened or decided here, most recent first: id -> the last request read. */
const followed = new Map();
/** The last message of each request's card: { kind, text, n }, n counting messages. */
const outcomes = new Map();
let outcomeCount = 0;
let pendingIds = new Set();
let timer;
let stopped = false;

function stop(message) {
  stopped = true;
  clearTimeout(timer);
  banner(message);
}

function banner(message) {
  const node = $('banner');
  node.textContent = message ?? '';
  node.hidden = !message;
}

async function loadSession() {
  const answer = await api('GET', '/api/session');
  if (!answer.ok) return;
  const { actingAs, problem, mode, api: url } = answer.body;
  const who = $('acting-as');
  who.replaceChildren(actingAs ? el('code', { class: 'arn', 'data-field': 'acting-as' }, actingAs) : el('span', { class: 'error-text' }, problem ?? 'unknown'));
  if (mode === 'local') who.append(el('span', { class: 'badge local' }, 'local mode'));
  $('api-url').replaceChildren(el('code', {}, url ?? ''));
}

/** Puts `requests` into `container` in order, re-rendering only cards whose request changed. */
function renderCards(container, cards, requests, { followedList = false } = {}) {
  const seen = new Set();
  let previous = null;
  for (const request of requests) {
    const id = request.requestId;
    seen.add(id);
    const outcome = outcomes.get(id);
    const key = `${request.version}:${request.status}:${outcome?.n ?? ''}`;
    let entry = cards.get(id);
    if (!entry || entry.key !== key) {
      const node = requestCard(request, { outcome });
      if (followedList) node.querySelector('.badges').append(el('button', { type: 'button', class: 'button link', 'data-action': 'unfollow', 'aria-label': `Stop showing request ${id}` }, 'Close'));
      if (entry) carryComment(entry.node, node);
      entry = { key, node };
      cards.set(id, entry);
    }
    const at = previous ? previous.nextSibling : container.firstChild;
    if (entry.node !== at) container.insertBefore(entry.node, at);
    previous = entry.node;
  }
  for (const [id, entry] of cards) {
    if (!seen.has(id)) {
      entry.node.remove();
      cards.delete(id);
    }
  }
}

/** Keeps what the approver was typing when a card is drawn again. */
function carryComment(from, to) {
  const before = from.querySelector('[data-input="comment"]');
  const after = to.querySelector('[data-input="comment"]');
  if (before && after && before.value) {
    after.value = before.value;
    if (document.activeElement === before) queueMicrotask(() => after.focus());
  }
}

async function refreshPending() {
  const answer = await api('GET', '/api/requests');
  const container = $('pending');
  const empty = $('pending-empty');
  if (!answer.ok) {
    pendingIds = new Set();
    renderCards(container, pendingCards, []);
    empty.hidden = false;
    empty.textContent = answer.body.error === 'not-eligible'
      ? `Only eligible approvers see what waits for approval (${answer.body.message}). You can still open a request by its id.`
      : `Cannot list the pending requests. ${refusalText(answer)}`;
    empty.classList.add('error-text');
    $('pending-count').textContent = '';
    return;
  }
  const requests = await Promise.all((answer.body.requests ?? []).map(inFull));
  pendingIds = new Set(requests.map((r) => r.requestId));
  for (const id of details.keys()) if (!pendingIds.has(id)) details.delete(id);
  empty.classList.remove('error-text');
  empty.textContent = 'Nothing waits for approval.';
  empty.hidden = requests.length > 0;
  $('pending-count').textContent = `(${requests.length})`;
  renderCards(container, pendingCards, requests);
}

/** A listed request with its history, read once per version; as listed if it cannot be read. */
async function inFull(listed) {
  const known = details.get(listed.requestId);
  if (known && known.version === listed.version) return known;
  const answer = await api('GET', `/api/requests/${listed.requestId}`);
  if (!answer.ok) return listed;
  details.set(listed.requestId, answer.body);
  return answer.body;
}

async function refreshFollowed() {
  await Promise.all([...followed.entries()].map(async ([id, last]) => {
    if (last && FINAL.has(last.status) && !outcomes.get(id)?.stale) return;
    const answer = await api('GET', `/api/requests/${id}`);
    if (answer.ok) followed.set(id, answer.body);
    else if (!last) {
      followed.delete(id);
      showOpenProblem(refusalText(answer));
    }
  }));
  const shown = [...followed.values()].filter((r) => r?.status && !pendingIds.has(r.requestId));
  renderCards($('opened'), followedCards, shown, { followedList: true });
}

let refreshing = null;
let refreshAgain = false;

/** Brings both lists up to date; one pass at a time, and one more if asked meanwhile. */
function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      refreshAgain = false;
      await refreshOnce();
    } while (refreshAgain && !stopped);
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function refreshOnce() {
  if (stopped) return;
  clearTimeout(timer);
  try {
    await refreshPending();
    await refreshFollowed();
    refreshTimes();
    $('refreshed').textContent = `updated ${new Date().toLocaleTimeString()}`;
  } finally {
    if (!stopped) {
      // Faster while a session is being issued, so that the page shows it soon.
      const issuing = [...followed.values()].some((r) => r?.status === 'APPROVED');
      timer = setTimeout(refresh, issuing ? POLL_WHILE_ISSUING_MS : POLL_MS);
    }
  }
}

function showOpenProblem(message) {
  const node = $('open-problem');
  node.textContent = message ?? '';
  node.hidden = !message;
}

async function openRequest(id) {
  showOpenProblem();
  if (!REQUEST_ID.test(id)) {
    showOpenProblem('A request id is 1 to 64 letters, digits and dashes.');
    return;
  }
  const answer = await api('GET', `/api/requests/${id}`);
  if (!answer.ok) {
    showOpenProblem(refusalText(answer));
    return;
  }
  follow(answer.body);
  await refresh();
  const card = document.querySelector(`article[data-request-id="${CSS.escape(id)}"]`);
  card?.scrollIntoView({ block: 'nearest' });
  card?.classList.add('highlight');
}

function follow(request) {
  followed.delete(request.requestId);
  const rest = [...followed.entries()];
  followed.clear();
  followed.set(request.requestId, request);
  for (const [id, r] of rest) followed.set(id, r);
}

const DONE = {
  approve: (r) => {
    const count = Object.keys(r.approvals ?? {}).length;
    return r.status === 'PENDING'
      ? `You approved. ${count} approval${count === 1 ? '' : 's'} so far: it needs another approver.`
      : 'You approved, and enough approvers have: the session is being issued.';
  },
  deny: () => 'You denied the request: it has ended.',
  revoke: () => 'Revoked: the session has ended.',
};

async function decide(card, action) {
  const id = card.dataset.requestId;
  const comment = card.querySelector('[data-input="comment"]')?.value.trim();
  const accept = card.querySelector('[data-input="accept-risk"]');
  const outcome = card.querySelector('[data-outcome]');
  if (action === 'approve' && accept && !accept.checked) {
    outcome.className = 'outcome error';
    outcome.setAttribute('role', 'alert');
    outcome.textContent = 'This change set puts production data at risk: tick "I accept the risk" to approve it, or deny it.';
    accept.focus();
    return;
  }
  const body = action === 'revoke' ? {} : { ...(comment ? { comment } : {}), ...(action === 'approve' && accept?.checked ? { acceptRisk: true } : {}) };
  for (const button of card.querySelectorAll('button[data-action]')) button.disabled = true;
  outcome.className = 'outcome busy';
  outcome.textContent = action === 'approve' ? 'Approving…' : action === 'deny' ? 'Denying…' : 'Revoking…';
  const answer = await api('POST', `/api/requests/${id}/${action}`, body);
  // A new outcome draws the card again; what was typed stays after a refusal, to fix and try again.
  if (answer.ok) {
    outcomes.set(id, { kind: 'ok', text: DONE[action](answer.body), n: ++outcomeCount });
    const box = card.querySelector('[data-input="comment"]');
    if (box) box.value = '';
    follow(answer.body);
  } else {
    outcomes.set(id, { kind: 'error', text: refusalText(answer), n: ++outcomeCount, stale: true });
    if (!followed.has(id) && !pendingIds.has(id)) follow({ requestId: id, version: -1 });
  }
  await refresh();
}

document.addEventListener('click', (event) => {
  const button = event.target.closest?.('button[data-action]');
  const card = button?.closest('article[data-request-id]');
  if (!button || !card || button.disabled) return;
  if (button.dataset.action === 'unfollow') {
    followed.delete(card.dataset.requestId);
    outcomes.delete(card.dataset.requestId);
    refresh();
    return;
  }
  decide(card, button.dataset.action);
});

$('open-form').addEventListener('submit', (event) => {
  event.preventDefault();
  openRequest($('open-id').value.trim());
});
$('refresh').addEventListener('click', () => refresh());
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) refresh();
});
setInterval(() => refreshTimes(), 15000);

if (!token) {
  stop('This page has no token. Open the URL that agent-guardrails console printed (it ends in #token=…).');
} else {
  loadSession();
  refresh();
}
