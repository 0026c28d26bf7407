/*
 * Pure: the audit for a terminal: sessions by agent, each with what it is, its request and
 * approvers, and its timeline, denied calls and trips in capitals. Text from the records and the
 * API is untrusted: control characters (a terminal's escape sequences) are shown escaped, and
 * free text (justifications, error messages) is quoted.
 */
import { Audit, AuditSession } from '../model';
import { approversOf, byAgent, countsText, headline, impactText, kindLabel, lookupProblem, outcomeText, productionText, requestOf, serviceOf, sessionLabel, timelineOf, tripText } from './shared';

/** A value on one line, with control characters escaped. */
const clean = (value: string | undefined) => (value ?? '').replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
/** Free text, quoted as JSON, with the control characters JSON leaves alone escaped too. */
const quoted = (value: string | undefined) => (value === undefined ? '(none)' : clean(JSON.stringify(value)));

/** The audit for a terminal. */
export function formatAuditText(audit: Audit): string {
  const lines = [`agent-guardrails audit: ${clean(headline(audit))}`];
  if (audit.sessions.length === 0) lines.push('', 'no agent or elevated session in these records');
  for (const group of byAgent(audit)) {
    lines.push('', clean(group.agent));
    for (const session of group.sessions) lines.push(...sessionLines(session));
  }
  const orphan = audit.trips.filter((t) => !audit.sessions.some((s) => s.trips.some((x) => x.eventId === t.eventId)));
  if (orphan.length > 0) {
    lines.push('', 'Circuit breaker, roles with no session in these records');
    for (const trip of orphan) lines.push(`  ${trip.at}  ${clean(tripText(trip))} by ${clean(trip.by)}`);
  }
  if (audit.ignored.principals.length > 0) {
    lines.push('', 'Left out (other principals)');
    for (const p of audit.ignored.principals) lines.push(`  ${clean(p.principal)}: ${p.events}`);
  }
  return lines.join('\n');
}

function sessionLines(s: AuditSession): string[] {
  const lines = [`  ${s.id} ${kindLabel(s)} ${clean(sessionLabel(s))}${s.task ? ` (task ${clean(s.task)})` : ''}${s.requestId ? ` for request ${clean(s.requestId)}` : ''}${s.chainedFrom ? `, chained from ${s.chainedFrom}` : ''}`];
  const fact = (name: string, value: string) => lines.push(`    ${`${name}:`.padEnd(15)}${value}`);
  fact('role', clean(s.roleArn ?? '(unknown)'));
  if (s.chain.length > 1) fact('chain', s.chain.map(clean).join(' -> '));
  if (s.linkedBy === 'source-identity') fact('linked by', 'the source identity alone (the AssumeRole that began the chain is not in the records)');
  const issued = [s.issuedAt ? `at ${s.issuedAt}` : undefined, s.issuedBy ? `by ${clean(s.issuedBy)}` : undefined, s.expiresAt ? `expires ${s.expiresAt}` : undefined].filter(Boolean);
  fact('issued', issued.length > 0 ? issued.join(', ') : '(its AssumeRole is not in the records)');
  const request = requestOf(s);
  if (request) {
    fact('request', `${clean(request.status ?? '?')}, role ${clean(request.role ?? '?')}, asked by ${clean(request.requester ?? '?')}${request.onBehalfOf ? ` for ${clean(request.onBehalfOf)}` : ''}`);
    fact('justification', quoted(request.justification));
    fact('ticket', clean(request.ticket ?? '(none)'));
    if (request.changeSetArn) fact('change set', clean(request.changeSetArn));
    const impact = impactText(request);
    if (impact) fact('impact', clean(impact));
  } else if (lookupProblem(s)) {
    fact('request', `not read: ${clean(lookupProblem(s))}`);
  }
  const approvers = approversOf(s);
  if (s.requestId !== undefined || approvers.length > 0) {
    fact('approvers', approvers.length === 0 ? '(none)' : approvers.map((a) => `${clean(a.human)}${a.detail ? ` (${clean(a.detail)})` : ''}${a.comment ? `: ${quoted(a.comment)}` : ''}`).join('; '));
  }
  fact('calls', `${clean(countsText(s))}; production: ${productionText(s.summary.production)}`);
  for (const row of timelineOf(s)) {
    if (row.kind === 'trip') {
      lines.push(`    ${row.at}  ${row.trip.action === 'trip' ? 'TRIPPED' : 'RESET  '}  ${clean(tripText(row.trip))} by ${clean(row.trip.by)}`);
      continue;
    }
    const e = row.event;
    const outcome = e.outcome === 'allowed' ? 'allowed' : e.outcome.toUpperCase();
    const detail = e.outcome === 'allowed' ? '' : ` ${clean(outcomeText(e).replace(/^\w+ /, ''))}${e.errorMessage ? ` ${quoted(e.errorMessage)}` : ''}`;
    lines.push(`    ${e.eventTime}  ${outcome.padEnd(7)}  ${clean(serviceOf(e.eventSource))} ${clean(e.eventName)}${e.target ? `  ${clean(e.target)}` : ''}${e.opens ? ` -> ${e.opens}` : ''}${e.production ? '  [production]' : ''}${detail}`);
  }
  return lines;
}
