/*
 * Pure: the requests of elevated sessions, as the approval API returns them (`GET /requests/{id}`),
 * narrowed to what an audit shows (justification, ticket, change set and impact, approvals,
 * history), and attached to the sessions they were issued for.
 */
import { Audit, AuditSession, RequestApproval, RequestDetails, RequestLookup } from './model';

const isObject = (value: unknown): value is Record<string, any> => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** What a request id looks like; a tag that is not one is never put in a URL. */
export const REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;

/** A request as the API returned it, narrowed; nothing in it is trusted to have a shape. */
export function requestDetailsOf(requestId: string, body: Record<string, unknown>): RequestDetails {
  const impact = isObject(body.impact) ? body.impact : undefined;
  const approvals = Object.entries(isObject(body.approvals) ? body.approvals : {}).map(
    ([human, a]): RequestApproval => ({
      human,
      callerArn: text(a?.callerArn),
      at: text(a?.at),
      acceptedRisk: a?.acceptedRisk === true ? true : undefined,
      comment: text(a?.comment),
    }),
  );
  return {
    requestId: text(body.requestId) ?? requestId,
    status: text(body.status),
    role: text(body.role),
    requester: isObject(body.requester) ? text(body.requester.callerArn) : undefined,
    onBehalfOf: isObject(body.onBehalfOf) ? text(body.onBehalfOf.callerArn) : undefined,
    justification: text(body.justification),
    ticket: text(body.ticket),
    changeSetArn: text(body.changeSetArn),
    impact: impact && {
      stackName: text(impact.stackName),
      production: typeof impact.production === 'boolean' ? impact.production : undefined,
      risk: text(impact.risk),
      counts: isObject(impact.counts)
        ? { added: count(impact.counts.added), modified: count(impact.counts.modified), removed: count(impact.counts.removed), replaced: count(impact.counts.replaced) }
        : undefined,
      riskToAccept: Array.isArray(impact.riskToAccept) ? impact.riskToAccept.filter((r: unknown): r is string => typeof r === 'string') : [],
    },
    approvals,
    history: (Array.isArray(body.history) ? body.history : []).filter(isObject).map((h) => ({ at: text(h.at), event: text(h.event), by: text(h.by) })),
  };
}

/** The request ids the audit's sessions carry in their tags, each once. */
export function requestIdsOf(audit: Audit): string[] {
  return [...new Set(audit.sessions.flatMap((s) => (s.requestId ? [s.requestId] : [])))];
}

/** The audit with each session's request attached, and whether it reached production told by its change set. */
export function withRequests(audit: Audit, lookups: ReadonlyMap<string, RequestLookup>): Audit {
  const attach = (session: AuditSession): AuditSession => {
    const request = session.requestId === undefined ? undefined : lookups.get(session.requestId);
    if (request === undefined) return session;
    const production = request.ok ? request.request.impact?.production : undefined;
    const summary = production === undefined || session.summary.production === true ? session.summary : { ...session.summary, production };
    return { ...session, request, summary };
  };
  return { ...audit, sessions: audit.sessions.map(attach) };
}
