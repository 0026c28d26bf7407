/*
 * Pure: the audit as one self-contained HTML page for people: the totals, a table of sessions, then
 * each agent's sessions with what they are (role, task, the chain of roles, the request with its
 * justification, impact and approvers) and their timelines, denied calls and the breaker's trips
 * highlighted. Inline CSS, no script, and a Content-Security-Policy that allows neither scripts
 * nor loads; every value is escaped by the `html` builder.
 */
import { Audit, AuditSession, RequestDetails } from '../model';
import { html, Html, htmlString, trusted } from './html-builder';
import { AUDIT_CSS } from './html-style';
import { agentOf, approversOf, byAgent, headline, impactText, kindLabel, lookupProblem, plural, productionText, requestOf, serviceOf, sessionLabel, timelineOf, tripText } from './shared';

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'";

/** The audit as an HTML page. */
export function formatAuditHtml(audit: Audit): string {
  const denied = audit.sessions.reduce((n, s) => n + s.summary.denied, 0);
  const trips = audit.trips.filter((t) => t.action === 'trip').length;
  const production = audit.sessions.filter((s) => s.summary.production === true).length;
  const groups = byAgent(audit);
  const agents = new Set(audit.sessions.filter((s) => s.kind === 'agent').map(agentOf)).size;
  const page = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Agent audit${audit.from ? ` ${audit.from.slice(0, 10)}` : ''}</title>
<style>${trusted(AUDIT_CSS)}</style>
</head>
<body>
<div class="page">
<header class="top">
<h1>Agent audit</h1>
<p class="sub">${headline(audit)}. Times are UTC.</p>
<div class="stats">
${stat(audit.sessions.length, 'sessions')}${stat(agents, agents === 1 ? 'agent' : 'agents')}${stat(denied, 'denied calls', denied > 0 ? 'bad' : '')}${stat(trips, 'breaker trips', trips > 0 ? 'warn' : '')}${stat(production, 'sessions that changed production or tried to', production > 0 ? 'warn' : '')}
</div>
</header>
${audit.sessions.length === 0 ? html`<p>No agent or elevated session in these records.</p>` : overview(audit)}
${groups.map((g) => html`<section class="agent" aria-label="${g.agent}">
<h2>${g.agent} <span class="count">${plural(g.sessions.length, 'session')}</span></h2>
${g.sessions.map(sessionCard)}
</section>
`)}
${orphanTrips(audit)}
${leftOut(audit)}
<footer>Built by <code>agent-guardrails audit</code> from CloudTrail records: a session is one assumed-role session; calls of other principals are left out, except the AssumeRole calls that began the sessions and the circuit breaker's quarantine policy.</footer>
</div>
</body>
</html>
`;
  return htmlString(page);
}

const stat = (value: number, label: string, tone = '') => html`<div class="stat ${tone}"><b>${value}</b><span>${label}</span></div>`;

function overview(audit: Audit): Html {
  return html`<nav class="overview" aria-label="Sessions"><table>
<thead><tr><th>Session</th><th>Agent</th><th>Kind</th><th>Task or request</th><th class="num">Calls</th><th class="num">Denied</th><th class="num">Writes</th><th>Production</th><th>Breaker</th></tr></thead>
<tbody>
${audit.sessions.map((s) => html`<tr><td><a href="#${s.id}">${sessionLabel(s)}</a>${s.chainedFrom ? html`<span class="msg">chained from ${s.chainedFrom}${accountOf(s.roleArn) ? ` · account ${accountOf(s.roleArn)}` : ''}</span>` : ''}</td><td>${agentOf(s)}</td><td><span class="badge ${s.kind}">${kindLabel(s)}</span></td><td>${s.requestId ?? s.task ?? ''}</td><td class="num">${s.summary.calls}</td><td class="num">${s.summary.denied > 0 ? html`<span class="bad">${s.summary.denied}</span>` : '0'}</td><td class="num">${s.summary.writes}</td><td>${productionBadge(s.summary.production)}</td><td>${s.trips.some((t) => t.action === 'trip') ? html`<span class="badge warn">tripped</span>` : ''}</td></tr>
`)}</tbody></table></nav>`;
}

const productionBadge = (production: boolean | null) =>
  production === true ? html`<span class="badge prod">production</span>` : html`<span class="note">${productionText(production)}</span>`;

const accountOf = (arn: string | undefined) => arn?.split(':')[4] || undefined;

function sessionCard(s: AuditSession): Html {
  const request = requestOf(s);
  const hasRequest = s.requestId !== undefined;
  const badges = [
    s.summary.denied > 0 ? html`<span class="badge deny">${plural(s.summary.denied, 'denied call')}</span>` : '',
    s.trips.some((t) => t.action === 'trip') ? html`<span class="badge warn">breaker tripped</span>` : '',
    s.summary.production === true ? html`<span class="badge prod">production</span>` : '',
    html`<span class="badge ${s.kind}">${kindLabel(s)}</span>`,
  ];
  return html`<article class="session ${s.kind}" id="${s.id}" aria-labelledby="${s.id}-title">
<header><h3 id="${s.id}-title"><span class="id">${s.id}</span>${sessionLabel(s)}</h3>${badges}</header>
${s.chain.length > 1 ? html`<div class="chain">Chain: <ol>${s.chain.map((arn) => html`<li><code>${chainLabel(arn)}</code></li>`)}</ol></div>` : ''}
<div class="body${hasRequest ? '' : ' single'}">
<dl>
${fact('Source identity', s.sourceIdentity ? html`<code>${s.sourceIdentity}</code>` : html`<span class="note">none</span>`)}
${fact('Role', html`<code>${s.roleArn ?? '(unknown)'}</code>`)}
${fact('Session', html`<code>${s.assumedRoleArn ?? s.sessionName ?? '(unknown)'}</code>`)}
${s.task ? fact('Task', s.task) : ''}
${fact('Issued', s.issuedAt ? html`<time datetime="${s.issuedAt}">${s.issuedAt}</time>${s.issuedBy ? html` by <code>${s.issuedBy}</code>` : ''}` : html`<span class="note">its AssumeRole is not in the records</span>`)}
${s.expiresAt ? fact('Expires', html`<time datetime="${s.expiresAt}">${s.expiresAt}</time>`) : ''}
${s.linkedBy === 'source-identity' ? fact('Linked by', html`<span class="note">the source identity alone: the AssumeRole that began the chain is not in the records</span>`) : ''}
</dl>
${hasRequest ? requestPanel(s, request) : ''}
</div>
<div class="summary"><span><b>${s.summary.calls}</b> calls</span><span class="${s.summary.denied > 0 ? 'bad' : ''}"><b>${s.summary.denied}</b> denied</span><span><b>${s.summary.failed}</b> failed</span><span><b>${s.summary.writes}</b> writes</span><span>production: <b>${productionText(s.summary.production)}</b></span>${s.summary.firstAt ? html`<span>from <time datetime="${s.summary.firstAt}">${s.summary.firstAt}</time> to <time datetime="${s.summary.lastAt}">${s.summary.lastAt}</time></span>` : ''}</div>
${timeline(s)}
</article>
`;
}

const fact = (name: string, value: Html | string) => html`<dt>${name}</dt><dd>${value}</dd>`;

/** `coding-agent/OPS-42` for an assumed-role ARN, the ARN otherwise. */
const chainLabel = (arn: string) => {
  const match = /:assumed-role\/(.+)$/.exec(arn);
  return match ? `${match[1]} (${arn.split(':')[4]})` : arn;
};

function requestPanel(s: AuditSession, request: RequestDetails | undefined): Html {
  const approvers = approversOf(s);
  const source = request ? 'from the approval API' : lookupProblem(s) ? `not read from the API: ${lookupProblem(s)}` : 'from the session tags; pass --url to read the request';
  return html`<div class="request">
<h4>Request <code>${s.requestId}</code></h4>
<dl>
${request?.status ? fact('Status', request.status) : ''}
${request?.requester ? fact('Asked by', html`<code>${request.requester}</code>${request.onBehalfOf ? html` for <code>${request.onBehalfOf}</code>` : ''}`) : ''}
${request ? fact('Justification', html`<blockquote class="justification">${request.justification ?? ''}</blockquote>`) : ''}
${request ? fact('Ticket', request.ticket ?? 'none') : ''}
${request?.changeSetArn ? fact('Change set', html`<code>${request.changeSetArn}</code>`) : ''}
${request && impactText(request) ? fact('Impact', html`${request.impact?.risk ? html`<span class="badge ${request.impact.risk === 'high' ? 'deny' : 'warn'}">${request.impact.risk.toUpperCase()} risk</span> ` : ''}${impactText(request)!.replace(/^\w+ risk on /, 'on ')}`) : ''}
${fact('Approvers', approvers.length === 0 ? html`<span class="note">none</span>` : html`<ul class="approvers">${approvers.map((a) => html`<li><b>${a.human}</b>${a.detail ? html` <span class="note">${a.detail}</span>` : ''}${a.comment ? html`<q class="comment">${a.comment}</q>` : ''}</li>`)}</ul>`)}
</dl>
<p class="note">${source}</p>
</div>`;
}

function timeline(s: AuditSession): Html {
  const rows = timelineOf(s);
  if (rows.length === 0) return html`<p class="note empty">No calls recorded in this session. Calls CloudTrail logs as data events (Lambda invocations, S3 objects) appear only when the trail records data events.</p>`;
  let day = '';
  const body = rows.map((row) => {
    const separator = row.at.slice(0, 10) !== day ? ((day = row.at.slice(0, 10)), html`<tr class="day"><td colspan="5">${day}</td></tr>`) : '';
    const time = html`<td class="time"><time datetime="${row.at}">${row.at.slice(11)}</time></td>`;
    if (row.kind === 'trip') {
      return html`${separator}<tr class="trip">${time}<td class="svc">breaker</td><td colspan="3">${tripText(row.trip)}${row.trip.by ? html`<span class="msg">by ${row.trip.by}</span>` : ''}</td></tr>`;
    }
    const e = row.event;
    const tone = e.outcome === 'denied' ? 'denied' : e.outcome === 'failed' ? 'failed' : e.readOnly ? 'read' : 'write';
    const outcome = e.outcome === 'allowed' ? html`<span class="ok">allowed</span>` : html`<span class="${e.outcome === 'denied' ? 'bad' : 'fail'}">${e.outcome} · ${e.errorCode}</span>`;
    const message = e.errorMessage ? html`<tr class="${tone} detail"><td></td><td></td><td colspan="3"><span class="msg">${e.errorMessage}</span></td></tr>` : '';
    return html`${separator}<tr class="${tone}${e.errorMessage ? ' has-detail' : ''}">${time}<td class="svc">${serviceOf(e.eventSource)}</td><td class="call">${e.eventName}${e.readOnly ? '' : html`<span class="pill">write</span>`}${e.production ? html`<span class="pill prod">production</span>` : ''}</td><td class="target">${e.target ?? ''}${e.opens ? html` <a class="opens" href="#${e.opens}">→ ${e.opens}</a>` : ''}</td><td class="outcome">${outcome}</td></tr>${message}`;
  });
  return html`<table class="timeline"><thead><tr><th>Time</th><th>Service</th><th>Call</th><th>Target</th><th>Outcome</th></tr></thead><tbody>
${body.map((r) => html`${r}
`)}</tbody></table>`;
}

function orphanTrips(audit: Audit): Html | '' {
  const shown = new Set(audit.sessions.flatMap((s) => s.trips.map((t) => t.eventId)));
  const orphan = audit.trips.filter((t) => !shown.has(t.eventId));
  if (orphan.length === 0) return '';
  return html`<h2>Circuit breaker <span class="count">roles with no session in these records</span></h2>
<div class="overview"><table><tbody>${orphan.map((t) => html`<tr><td class="mono">${t.at}</td><td>${tripText(t)}</td><td><code>${t.by ?? ''}</code></td></tr>`)}</tbody></table></div>`;
}

function leftOut(audit: Audit): Html | '' {
  if (audit.ignored.principals.length === 0) return '';
  return html`<details><summary>Left out: ${plural(audit.ignored.events, 'call')} of ${plural(audit.ignored.principals.length, 'other principal')}</summary>
<table><thead><tr><th>Principal</th><th class="num">Calls</th></tr></thead><tbody>${audit.ignored.principals.map((p) => html`<tr><td><code>${p.principal}</code></td><td class="num">${p.events}</td></tr>`)}</tbody></table>
</details>`;
}

