// Runs in the browser: the approver console's rendering, a request as a card, built with DOM
// calls only. Every value from a request is untrusted text: it becomes a text node (textContent)
// or a data attribute, never markup, a URL or an event handler.

/** Builds an element; strings and numbers among the children become text nodes. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false || value === null) continue;
    if (/^on/i.test(name) || name === 'href' || name === 'src' || name === 'style') throw new Error(`el: attribute ${name} is not set from here`);
    node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

const RELATIVE = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const ABSOLUTE = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const STEPS = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 7],
  ['week', 4.35],
  ['month', 12],
  ['year', Infinity],
];

/** "3 minutes ago", "in 12 minutes" for an ISO time, from `now` (milliseconds). */
export function relativeTime(iso, now = Date.now()) {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return String(iso);
  let amount = (then - now) / 1000;
  for (const [unit, size] of STEPS) {
    if (Math.abs(amount) < size) return RELATIVE.format(Math.round(amount), unit);
    amount /= size;
  }
  return ABSOLUTE.format(new Date(then));
}

/** A <time> that `refreshTimes` keeps relative; the exact time in its tooltip. */
export function timeEl(iso, { soonMs } = {}) {
  const then = Date.parse(iso);
  const node = el('time', { datetime: iso, 'data-relative': true, title: Number.isNaN(then) ? undefined : ABSOLUTE.format(new Date(then)) }, relativeTime(iso));
  if (soonMs !== undefined) node.dataset.soonMs = String(soonMs);
  markSoon(node, then);
  return node;
}

function markSoon(node, then) {
  const soon = Number(node.dataset.soonMs);
  if (Number.isFinite(soon)) node.classList.toggle('soon', then > Date.now() && then - Date.now() < soon);
}

/** Brings every relative time under `root` up to date. */
export function refreshTimes(root = document) {
  for (const node of root.querySelectorAll('time[data-relative]')) {
    node.textContent = relativeTime(node.getAttribute('datetime'));
    markSoon(node, Date.parse(node.getAttribute('datetime')));
  }
}

const STATUS = {
  PENDING: ['Waiting for approval', 'pending'],
  APPROVED: ['Approved: issuing the session', 'approved'],
  ISSUED: ['Session issued', 'issued'],
  DENIED: ['Denied', 'ended'],
  REVOKED: ['Revoked', 'ended'],
  EXPIRED: ['Expired', 'ended'],
  FAILED: ['Failed', 'failed'],
  REVIEWED: ['Reviewed', 'ended'],
};

const text = (value) => (value === undefined || value === null ? '' : String(value));
const seconds = (s) => (s >= 3600 && s % 3600 === 0 ? `${s / 3600} h` : s >= 60 ? `${Math.round(s / 60)} min` : `${s} s`);
let unique = 0;

/** Whether approving `request` means accepting a risk to production data. */
export function needsRiskAccepted(request) {
  return Array.isArray(request.impact?.riskToAccept) && request.impact.riskToAccept.length > 0;
}

/**
 * A request as a card. `outcome` is the last message for it ({ kind: 'ok' | 'error' | 'busy', text });
 * the buttons carry data-action, which the console listens for.
 */
export function requestCard(request, { outcome } = {}) {
  const n = ++unique;
  const [statusLabel, statusClass] = STATUS[request.status] ?? [text(request.status), 'ended'];
  const risk = request.impact ? text(request.impact.risk) : undefined;
  const card = el('article', { class: `card status-${statusClass}${risk ? ` risk-${risk}` : ''}`, 'data-request-id': text(request.requestId), 'aria-labelledby': `card-${n}-title` });

  card.append(
    el('header', { class: 'card-head' },
      el('div', { class: 'badges' },
        el('span', { class: `badge status ${statusClass}` }, statusLabel),
        risk ? el('span', { class: `badge risk ${risk}` }, `${risk.toUpperCase()} risk`) : el('span', { class: 'badge risk none' }, 'no change set'),
        needsRiskAccepted(request) ? el('span', { class: 'badge data' }, 'production data at risk') : null,
        request.breakGlass ? el('span', { class: 'badge risk high' }, 'BREAK-GLASS') : null,
        request.kind === 'review' ? el('span', { class: 'badge risk high' }, 'post-incident review: approving issues nothing') : null),
      el('h3', { id: `card-${n}-title` }, request.kind === 'review' ? `Review of break-glass ${text(request.reviewOf)}: ` : '', `${text(request.role)} for ${seconds(Number(request.durationSeconds) || 0)}`, el('span', { class: 'for' }, request.kind === 'review' || request.breakGlass ? ' broken by ' : ' asked by '), el('span', { class: 'who-name' }, shortName(request.requester?.callerArn))),
      el('p', { class: 'meta' },
        el('code', { class: 'request-id', title: 'request id' }, text(request.requestId)),
        ' · asked ', timeEl(request.createdAt),
        request.status === 'PENDING' && request.kind !== 'review' ? [' · expires ', timeEl(request.expiresAt, { soonMs: 5 * 60 * 1000 })] : null,
        request.status === 'ISSUED' && request.sessionExpiresAt ? [' · session ends ', timeEl(request.sessionExpiresAt, { soonMs: 5 * 60 * 1000 })] : null)),
    facts(request),
    request.impact ? impactSection(request.impact, n) : null,
    decisionsSection(request),
    actions(request, n),
    el('p', { class: `outcome ${outcome?.kind ?? ''}`, role: outcome?.kind === 'error' ? 'alert' : 'status', 'data-outcome': true }, outcome?.text ?? ''),
    historySection(request),
  );
  return card;
}

/** The part of a principal ARN people recognise: `coding-agent/task-7` of an assumed role, `alice` of a user. */
function shortName(arn) {
  const value = text(arn);
  const assumed = /:assumed-role\/(.+)$/.exec(value);
  if (assumed) return assumed[1];
  const slash = value.lastIndexOf('/');
  return slash >= 0 && slash < value.length - 1 ? value.slice(slash + 1) : value;
}

function fact(label, ...value) {
  return el('div', { class: 'fact' }, el('dt', {}, label), el('dd', {}, ...value));
}

function facts(request) {
  return el('dl', { class: 'facts' },
    fact('Requester', el('code', { class: 'arn', 'data-field': 'requester' }, text(request.requester?.callerArn))),
    fact('On behalf of', request.onBehalfOf ? el('code', { class: 'arn', 'data-field': 'on-behalf-of' }, text(request.onBehalfOf.callerArn)) : el('span', { class: 'muted' }, 'nobody named')),
    fact('Justification', el('blockquote', { class: 'justification', 'data-field': 'justification' }, text(request.justification))),
    fact('Ticket', request.ticket ? el('span', { 'data-field': 'ticket' }, text(request.ticket)) : el('span', { class: 'muted' }, 'none')),
    fact('Change set', request.changeSetArn
      ? el('code', { class: 'arn', 'data-field': 'change-set' }, text(request.changeSetArn))
      : el('span', { class: 'warning-text' }, 'none: the session would have every permission of the role')),
    request.failure ? fact('Failure', el('span', { class: 'error-text' }, `${text(request.failure.code)}: ${text(request.failure.message)}`)) : null,
  );
}

function impactSection(impact, n) {
  const counts = impact.counts ?? {};
  const changes = Array.isArray(impact.changes) ? impact.changes : [];
  return el('section', { class: 'impact', 'aria-labelledby': `card-${n}-impact` },
    el('h4', { id: `card-${n}-impact` }, 'What the change set does'),
    el('p', { class: 'impact-head' },
      el('strong', { class: `risk-text ${text(impact.risk)}` }, `${text(impact.risk).toUpperCase()} risk`),
      ' on stack ', el('strong', {}, text(impact.stackName)),
      impact.production ? el('span', { class: 'badge prod' }, 'production') : null),
    el('ul', { class: 'counts', 'aria-label': 'changes by kind' },
      ['added', 'modified', 'removed', 'replaced'].map((kind) =>
        el('li', { class: `count-${kind}${Number(counts[kind]) > 0 ? ' some' : ''}` }, el('span', { class: 'number' }, text(counts[kind] ?? 0)), ` ${kind === 'modified' ? 'modified in place' : kind === 'replaced' ? 'replaced (or may be)' : kind}`))),
    needsRiskAccepted({ impact })
      ? el('div', { class: 'at-risk', role: 'note' },
          el('strong', {}, 'Production data at risk'),
          el('p', {}, 'These production resources hold data, and the change set removes or replaces them. Each approver must accept this risk explicitly.'),
          el('ul', {}, impact.riskToAccept.map((r) => el('li', {}, el('code', {}, text(r))))))
      : null,
    changes.length === 0 ? el('p', { class: 'muted' }, 'No resource changes.') :
      el('table', { class: 'changes' },
        el('caption', { class: 'visually-hidden' }, 'Resource changes'),
        el('thead', {}, el('tr', {}, ['Risk', 'Change', 'Resource', 'Why'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, changes.map((c) =>
          el('tr', { class: `risk-${text(c.risk)}` },
            el('td', {}, el('span', { class: `badge risk ${text(c.risk)}` }, text(c.risk).toUpperCase())),
            el('td', {}, text(c.action), c.replacement && c.replacement !== 'False' ? el('span', { class: 'muted' }, ` (replacement: ${text(c.replacement)})`) : null),
            el('td', {}, el('code', {}, `${text(c.stackName)}/${text(c.logicalResourceId)}`), el('div', { class: 'muted type' }, text(c.resourceType)), c.stateful ? el('span', { class: 'badge data small' }, 'holds data') : null),
            el('td', {}, (c.reasonTexts ?? c.reasons ?? []).length ? el('ul', { class: 'reasons' }, (c.reasonTexts ?? c.reasons).map((r) => el('li', {}, text(r)))) : el('span', { class: 'muted' }, 'adds a resource'))))),
      ),
  );
}

function decisionsSection(request) {
  const approvals = Object.entries(request.approvals ?? {});
  return el('section', { class: 'decisions' },
    el('h4', {}, `Approvals (${approvals.length})`),
    approvals.length === 0 ? el('p', { class: 'muted' }, 'None yet.') :
      el('ul', { class: 'approvals' }, approvals.map(([human, a]) =>
        el('li', {}, el('strong', {}, text(human)), ' ', el('code', { class: 'arn' }, text(a?.callerArn)), ' · ', timeEl(a?.at),
          a?.acceptedRisk ? el('span', { class: 'badge data small' }, 'accepted the risk') : null,
          a?.comment ? el('q', { class: 'comment' }, text(a.comment)) : null))),
    request.deniedBy ? el('p', { class: 'denied' }, 'Denied by ', el('strong', {}, text(request.deniedBy.key)), ' · ', timeEl(request.deniedBy.at), request.deniedBy.comment ? el('q', { class: 'comment' }, text(request.deniedBy.comment)) : null) : null,
  );
}

function actions(request, n) {
  if (request.status === 'PENDING') {
    const risky = needsRiskAccepted(request);
    return el('div', { class: 'decide' },
      el('label', { for: `card-${n}-comment` }, 'Comment ', el('span', { class: 'muted' }, '(optional; recorded with your decision, and shown to the requester)')),
      el('textarea', { id: `card-${n}-comment`, 'data-input': 'comment', maxlength: 1000, rows: 2 }),
      risky ? el('div', { class: 'accept' },
        el('input', { type: 'checkbox', id: `card-${n}-accept`, 'data-input': 'accept-risk' }),
        el('label', { for: `card-${n}-accept` }, 'I accept the risk to the production data listed above')) : null,
      el('div', { class: 'buttons' },
        el('button', { type: 'button', class: 'button approve', 'data-action': 'approve' }, 'Approve'),
        el('button', { type: 'button', class: 'button deny', 'data-action': 'deny' }, 'Deny')));
  }
  if (request.status === 'ISSUED') {
    return el('div', { class: 'decide' },
      el('p', {}, 'A session was issued for this request. Revoking ends it now.'),
      el('div', { class: 'buttons' }, el('button', { type: 'button', class: 'button deny', 'data-action': 'revoke' }, 'Revoke session')));
  }
  return null;
}

function historySection(request) {
  if (!Array.isArray(request.history)) return el('p', { class: 'history muted' }, 'History: not read yet.');
  const events = request.history;
  return el('details', { class: 'history' },
    el('summary', {}, `History (${events.length} event${events.length === 1 ? '' : 's'})`),
    el('ol', {}, events.map((e) =>
      el('li', {},
        timeEl(e.at), ' ', el('strong', { class: 'event' }, text(e.event)),
        e.by ? [' by ', el('code', { class: 'arn' }, text(e.by))] : null,
        detailOf(e.detail)))));
}

function detailOf(detail) {
  if (!detail || typeof detail !== 'object') return null;
  const parts = [];
  for (const [key, value] of Object.entries(detail)) {
    if (key === 'comment') parts.push(el('q', { class: 'comment' }, text(value)));
    else if (key === 'acceptedRisk') parts.push(el('span', { class: 'badge data small' }, `accepted the risk to ${Array.isArray(value) ? value.join(', ') : text(value)}`));
    else parts.push(el('span', { class: 'muted detail' }, `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`));
  }
  return parts;
}
