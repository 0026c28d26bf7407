/*
 * Pure: the audit in Markdown, for a ticket or a pull-request comment: a table of sessions, then
 * each session's facts and timeline, denied calls and trips in bold. Every value from the records
 * or the API is escaped for GitHub: Markdown and HTML characters, pipes, line breaks.
 */
import { Audit, AuditSession } from '../model';
import { agentOf, approversOf, byAgent, countsText, headline, impactText, kindLabel, lookupProblem, productionText, requestOf, serviceOf, sessionLabel, timelineOf, tripText } from './shared';

/**
 * Text safe in a GitHub table cell or line: Markdown and HTML characters escaped, pipes too, one
 * line, and no autolink (`://` and `www.` broken by escapes, which GitHub shows as the text).
 */
export function markdownText(text: string | undefined): string {
  return (text ?? '')
    .replace(/[\\`*_[\]~|#]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/:\/\//g, '\\:\\/\\/')
    .replace(/www\./gi, (w) => `${w.slice(0, 3)}\\.`)
    .replace(/\r?\n|\r|\u2028|\u2029/g, '<br>');
}

const table = (header: readonly string[], rows: readonly string[][]) =>
  [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

/** The audit in Markdown. */
export function formatAuditMarkdown(audit: Audit): string {
  const lines = [`## Agent audit`, '', `${markdownText(headline(audit))}.`];
  if (audit.sessions.length === 0) {
    lines.push('', 'No agent or elevated session in these records.');
  } else {
    lines.push(
      '',
      table(
        ['Session', 'Agent', 'Kind', 'Role / session', 'Task or request', 'Calls', 'Denied', 'Writes', 'Production', 'Trips'],
        audit.sessions.map((s) => [
          s.id,
          markdownText(agentOf(s)),
          kindLabel(s),
          markdownText(sessionLabel(s)),
          markdownText(s.requestId ?? s.task ?? ''),
          String(s.summary.calls),
          s.summary.denied > 0 ? `**${s.summary.denied}**` : '0',
          String(s.summary.writes),
          productionText(s.summary.production),
          s.trips.some((t) => t.action === 'trip') ? '**tripped**' : '',
        ]),
      ),
    );
  }
  for (const group of byAgent(audit)) {
    lines.push('', `### ${markdownText(group.agent)}`);
    for (const s of group.sessions) lines.push('', ...sessionLines(s));
  }
  if (audit.ignored.principals.length > 0) {
    lines.push('', '<details><summary>Left out: other principals</summary>', '', table(['Principal', 'Calls'], audit.ignored.principals.map((p) => [markdownText(p.principal), String(p.events)])), '', '</details>');
  }
  return lines.join('\n');
}

function sessionLines(s: AuditSession): string[] {
  const lines = [`#### ${s.id}: ${kindLabel(s)} ${markdownText(sessionLabel(s))}`, ''];
  const fact = (name: string, value: string) => lines.push(`- **${name}:** ${value}`);
  fact('role', markdownText(s.roleArn ?? '(unknown)'));
  if (s.chain.length > 1) fact('chain', s.chain.map(markdownText).join(' → '));
  if (s.task) fact('task', markdownText(s.task));
  fact('issued', markdownText([s.issuedAt ? `at ${s.issuedAt}` : '(its AssumeRole is not in the records)', s.issuedBy ? `by ${s.issuedBy}` : undefined, s.expiresAt ? `expires ${s.expiresAt}` : undefined].filter(Boolean).join(', ')));
  const request = requestOf(s);
  if (request) {
    fact('request', markdownText(`${request.requestId}: ${request.status ?? '?'}, role ${request.role ?? '?'}, asked by ${request.requester ?? '?'}${request.onBehalfOf ? ` for ${request.onBehalfOf}` : ''}`));
    fact('justification', markdownText(request.justification ?? '(none)'));
    fact('ticket', markdownText(request.ticket ?? '(none)'));
    const impact = impactText(request);
    if (impact) fact('impact', markdownText(impact));
  } else if (s.requestId) {
    fact('request', markdownText(`${s.requestId}${lookupProblem(s) ? ` (not read: ${lookupProblem(s)})` : ' (from the session tags)'}`));
  }
  const approvers = approversOf(s);
  if (s.requestId !== undefined || approvers.length > 0) fact('approvers', approvers.length === 0 ? '(none)' : approvers.map((a) => markdownText(`${a.human}${a.detail ? ` (${a.detail})` : ''}${a.comment ? `: ${JSON.stringify(a.comment)}` : ''}`)).join('; '));
  fact('calls', `${markdownText(countsText(s))}; production: ${productionText(s.summary.production)}`);
  const rows = timelineOf(s).map((row) => {
    if (row.kind === 'trip') return [row.at, '**breaker**', markdownText(row.trip.by ?? ''), `**${markdownText(tripText(row.trip))}**`];
    const e = row.event;
    const call = `${markdownText(serviceOf(e.eventSource))} ${markdownText(e.eventName)}`;
    const outcome = e.outcome === 'allowed' ? 'allowed' : `**${e.outcome}** ${markdownText(e.errorCode)}${e.errorMessage ? `: ${markdownText(e.errorMessage)}` : ''}`;
    return [e.eventTime, e.outcome === 'denied' ? `**${call}**` : call, markdownText(e.target ?? '') + (e.opens ? ` → ${e.opens}` : '') + (e.production ? ' (production)' : ''), outcome];
  });
  if (rows.length > 0) lines.push('', table(['Time (UTC)', 'Call', 'Target', 'Outcome'], rows));
  return lines;
}
