/*
 * Pure: the circuit breaker in CloudTrail records. It quarantines an agent role by putting the
 * inline policy `agent-guardrails-quarantine` on it (a trip) and lifts the quarantine by deleting
 * that policy (a reset); each session of the role shows the trips and resets while it lasted, and
 * the trip in force when it began.
 */
import { QUARANTINE_POLICY_NAME } from '../private/session-names';
import { Trip } from './model';
import { TrailRecord } from './records';

/** The longest an agent session lasts (AgentRole's maximum), for sessions whose expiry is not in the records. */
const AGENT_SESSION_MS = 60 * 60 * 1000;

/** A trip or reset: the quarantine policy put on, or deleted from, a role, successfully. */
export function tripOf(record: TrailRecord): Trip | undefined {
  if (record.eventSource !== 'iam.amazonaws.com' || record.errorCode !== undefined) return undefined;
  const action = record.eventName === 'PutRolePolicy' ? 'trip' : record.eventName === 'DeleteRolePolicy' ? 'reset' : undefined;
  const roleName = record.requestParameters?.roleName;
  if (action === undefined || typeof roleName !== 'string' || roleName === '' || record.requestParameters?.policyName !== QUARANTINE_POLICY_NAME) return undefined;
  return { action, at: record.eventTime, roleName, accountId: record.accountId, by: record.caller.arn ?? record.caller.invokedBy, eventId: record.eventId };
}

/** What tells a session's life: its role, when it began, its expiry if recorded, its last call. */
export interface SessionSpan {
  readonly roleArn?: string;
  readonly start?: string;
  readonly expiresAt?: string;
  readonly lastAt?: string;
}

/** The trips and resets of the session's role (in its account) while it lasted, and the trip in force when it began. */
export function tripsDuring(span: SessionSpan, trips: readonly Trip[]): Trip[] {
  const roleName = span.roleArn?.split('/').pop();
  const account = span.roleArn?.split(':')[4] || undefined;
  const start = span.start;
  if (roleName === undefined || start === undefined) return [];
  const endMs = span.expiresAt ? Date.parse(span.expiresAt) : Math.max(Date.parse(span.lastAt ?? start), Date.parse(start) + AGENT_SESSION_MS);
  const ofRole = trips.filter((t) => t.roleName === roleName && (t.accountId === undefined || account === undefined || t.accountId === account));
  const before = ofRole.filter((t) => t.at < start).pop();
  return [...(before?.action === 'trip' ? [before] : []), ...ofRole.filter((t) => t.at >= start && Date.parse(t.at) <= endMs)];
}
