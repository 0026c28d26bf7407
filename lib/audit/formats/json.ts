/*
 * Pure: the audit as JSON for scripts. The documented shape comes first and is stable:
 * `{ "sessions": [ { "sourceIdentity", "roleArn", "sessionName", "requestId", "events": [
 * { "eventTime", "eventName", "eventSource", "errorCode" } ] } ] }`, every one of these keys present
 * (null when the records do not tell). The other keys add what the text shows.
 */
import { Audit, AuditEvent, AuditSession, Trip } from '../model';

const orNull = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

function eventJson(e: AuditEvent) {
  return {
    eventTime: e.eventTime,
    eventName: e.eventName,
    eventSource: e.eventSource,
    errorCode: orNull(e.errorCode),
    eventId: e.eventId,
    awsRegion: orNull(e.awsRegion),
    outcome: e.outcome,
    readOnly: e.readOnly,
    target: orNull(e.target),
    production: e.production,
    errorMessage: orNull(e.errorMessage),
    opens: orNull(e.opens),
  };
}

const tripJson = (t: Trip) => ({ action: t.action, at: t.at, roleName: t.roleName, accountId: orNull(t.accountId), by: orNull(t.by), eventId: t.eventId });

function sessionJson(s: AuditSession) {
  return {
    sourceIdentity: orNull(s.sourceIdentity),
    roleArn: orNull(s.roleArn),
    sessionName: orNull(s.sessionName),
    requestId: orNull(s.requestId),
    events: s.events.map(eventJson),
    id: s.id,
    kind: s.kind,
    linkedBy: s.linkedBy,
    assumedRoleArn: orNull(s.assumedRoleArn),
    accessKeyId: orNull(s.accessKeyId),
    issuedAt: orNull(s.issuedAt),
    issuedBy: orNull(s.issuedBy),
    expiresAt: orNull(s.expiresAt),
    task: orNull(s.task),
    approvers: s.approvers,
    chainedFrom: orNull(s.chainedFrom),
    chain: s.chain,
    summary: { ...s.summary, firstAt: orNull(s.summary.firstAt), lastAt: orNull(s.summary.lastAt) },
    trips: s.trips.map(tripJson),
    request: s.request === undefined ? null : s.request.ok ? { ok: true, ...s.request.request } : s.request,
  };
}

/** The audit as JSON. */
export function formatAuditJson(audit: Audit): string {
  return JSON.stringify(
    {
      sessions: audit.sessions.map(sessionJson),
      trips: audit.trips.map(tripJson),
      records: audit.records,
      from: orNull(audit.from),
      to: orNull(audit.to),
      ignored: audit.ignored,
    },
    null,
    2,
  );
}
