/*
 * Pure: the views of an audit that every format shares: sessions grouped by agent, a session's
 * title, its timeline with the breaker's trips among the calls, its approvers, and the words for
 * outcomes. No escaping here: each format escapes for its own medium.
 */
import { Audit, AuditEvent, AuditSession, RequestDetails, Trip } from '../model';

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** `cloudformation` for `cloudformation.amazonaws.com`. */
export const serviceOf = (eventSource: string) => eventSource.replace(/\.amazonaws\.com$/, '');

/** The last part of a role or assumed-role ARN's name: `coding-agent` for `.../agent-guardrails/agent/coding-agent`. */
export const roleNameOf = (arn: string | undefined) => (arn === undefined ? undefined : /:role\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1] ?? /:assumed-role\/([^/]+)\//.exec(arn)?.[1]);

const KIND_LABEL = { agent: 'agent session', elevated: 'elevated session', chained: 'chained session' } as const;

/** `agent session`, `elevated session`, `chained session`. */
export const kindLabel = (session: AuditSession) => KIND_LABEL[session.kind];

/** `coding-agent/OPS-42`: the role's name and the session's. */
export const sessionLabel = (session: AuditSession) => `${roleNameOf(session.roleArn) ?? roleNameOf(session.assumedRoleArn) ?? '(unknown role)'}/${session.sessionName ?? '(unnamed)'}`;

/** The agent (source identity) a session is attributed to. */
export const agentOf = (session: AuditSession) => session.sourceIdentity ?? '(no source identity)';

/** Sessions by agent, agents in the order their first session began. */
export function byAgent(audit: Audit): Array<{ agent: string; sessions: AuditSession[] }> {
  const groups = new Map<string, AuditSession[]>();
  for (const s of audit.sessions) groups.set(agentOf(s), [...(groups.get(agentOf(s)) ?? []), s]);
  return [...groups].map(([agent, sessions]) => ({ agent, sessions }));
}

/** One row of a session's timeline: a call, or a trip or reset of its role's breaker. */
export type TimelineRow = { readonly kind: 'call'; readonly at: string; readonly event: AuditEvent } | { readonly kind: 'trip'; readonly at: string; readonly trip: Trip };

/** The session's calls and trips, by time (a trip after the calls of the same second). */
export function timelineOf(session: AuditSession): TimelineRow[] {
  const rows: TimelineRow[] = [...session.events.map((event) => ({ kind: 'call' as const, at: event.eventTime, event })), ...session.trips.map((trip) => ({ kind: 'trip' as const, at: trip.at, trip }))];
  return rows.map((row, i) => ({ row, i })).sort((a, b) => (a.row.at < b.row.at ? -1 : a.row.at > b.row.at ? 1 : a.i - b.i)).map(({ row }) => row);
}

/** `circuit breaker tripped: agent-guardrails-quarantine put on coding-agent`. */
export const tripText = (trip: Trip) =>
  trip.action === 'trip' ? `circuit breaker tripped: quarantine policy put on role ${trip.roleName}` : `circuit breaker reset: quarantine policy removed from role ${trip.roleName}`;

/** `allowed`, `denied`, `failed`, with the error code. */
export const outcomeText = (event: AuditEvent) => (event.outcome === 'allowed' ? 'allowed' : `${event.outcome} (${event.errorCode})`);

/** `yes`, `no`, or `unknown` (nothing told). */
export const productionText = (production: boolean | null) => (production === null ? 'unknown' : production ? 'yes' : 'no');

/** The request the session was issued for, when the API was read and answered. */
export const requestOf = (session: AuditSession): RequestDetails | undefined => (session.request?.ok ? session.request.request : undefined);

/** Who approved: from the API when read, else from the session's approvers tag. */
export function approversOf(session: AuditSession): Array<{ human: string; detail?: string; comment?: string }> {
  const request = requestOf(session);
  if (request) {
    return request.approvals.map((a) => ({
      human: a.human,
      detail: [a.callerArn, a.at ? `at ${a.at}` : undefined, a.acceptedRisk ? 'risk accepted' : undefined].filter(Boolean).join(', ') || undefined,
      comment: a.comment,
    }));
  }
  return session.approvers.map((human) => ({ human }));
}

/** `3 calls, 1 denied, 0 failed, 1 write`. */
export const countsText = (session: AuditSession) =>
  `${plural(session.summary.calls, 'call')}: ${session.summary.denied} denied, ${session.summary.failed} failed, ${plural(session.summary.writes, 'write')}`;

/** `HIGH risk on orders-prod (production): 0 added, 1 modified, 0 removed, 0 replaced`. */
export function impactText(request: RequestDetails): string | undefined {
  const impact = request.impact;
  if (impact === undefined) return undefined;
  const counts = impact.counts ? `: ${impact.counts.added} added, ${impact.counts.modified} modified, ${impact.counts.removed} removed, ${impact.counts.replaced} replaced` : '';
  const data = impact.riskToAccept.length > 0 ? `; production data at risk: ${impact.riskToAccept.join(', ')}` : '';
  return `${(impact.risk ?? 'unknown').toUpperCase()} risk on ${impact.stackName ?? '(unknown stack)'}${impact.production ? ' (production)' : ''}${counts}${data}`;
}

/** Why the request could not be read. */
export const lookupProblem = (session: AuditSession) => (session.request && !session.request.ok ? `${session.request.status ? `${session.request.status} ` : ''}${session.request.error}: ${session.request.message}` : undefined);

/** The line that opens every format: how many sessions, records and time range, and what was left out. */
export function headline(audit: Audit): string {
  const identities = byAgent(audit).length;
  const kinds = (['agent', 'elevated', 'chained'] as const).map((k) => [k, audit.sessions.filter((s) => s.kind === k).length] as const).filter(([, n]) => n > 0);
  const range = audit.from ? ` from ${audit.from} to ${audit.to}` : '';
  const left = audit.ignored.events > 0 ? `; ${plural(audit.ignored.events, 'call')} of ${plural(audit.ignored.principals.length, 'other principal')} left out` : '';
  const split = kinds.length > 0 ? ` (${kinds.map(([k, n]) => `${n} ${k}`).join(', ')})` : '';
  return `${plural(audit.sessions.length, 'session')}${split} of ${plural(identities, 'source identity', 'source identities')} in ${plural(audit.records, 'record')}${range}${left}`;
}
