/*
 * Pure: CloudTrail records to one timeline per agent session. A session is one assumed-role
 * session: found by the access key of the AssumeRole call that created it when that call is in the
 * records (its tags give the task, the request id and the approvers), else by what every call
 * carries in `userIdentity`: the role (with its path), the source identity and the issue time.
 *
 * Agent sessions are sessions of roles under /agent-guardrails/agent/, elevated sessions those of
 * roles under /agent-guardrails/elevated/. A session assumed from one of them (role chaining) keeps
 * the source identity and is attributed to the same agent, with the chain shown. Calls of every
 * other principal (humans, services, the workflow's own functions) are left out, except the
 * AssumeRole calls that create the sessions and the circuit breaker's quarantine policy on an
 * agent role (`PutRolePolicy` trips it, `DeleteRolePolicy` resets it).
 */
import { GuardrailPaths } from '../guardrail-paths';
import { APPROVERS_TAG_KEY, REQUEST_ID_TAG_KEY, TASK_TAG_KEY } from '../private/session-names';
import { Audit, AuditEvent, AuditSession, IgnoredPrincipal, LinkedBy, SessionKind, SessionSummary, Trip } from './model';
import { Caller, isoTime, isReadOnly, outcomeOf, stackNamesOf, targetOf, TrailRecord } from './records';
import { tripOf, tripsDuring } from './trips';

/** Options of the audit. */
export interface AuditOptions {
  /** Stack names or patterns (`*`) that are production. @default - none: production is told only by the requests' change sets */
  readonly productionStacks?: readonly string[];
}

interface Origin {
  readonly accessKeyId: string;
  readonly roleArn?: string;
  readonly assumedRoleArn?: string;
  readonly sessionName?: string;
  readonly sourceIdentity?: string;
  readonly tags: ReadonlyMap<string, string>;
  readonly issuedAt: string;
  readonly expiresAt?: string;
  readonly record: TrailRecord;
}

interface Draft {
  kind: SessionKind;
  linkedBy: LinkedBy;
  sourceIdentity?: string;
  roleArn?: string;
  assumedRoleArn?: string;
  sessionName?: string;
  accessKeyId?: string;
  issuedAt?: string;
  expiresAt?: string;
  issuedBy?: string;
  tags: ReadonlyMap<string, string>;
  parent?: Draft;
  events: AuditEvent[];
}

const isObject = (value: unknown): value is Record<string, any> => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** `agent` or `elevated` for a role ARN under the guardrails' paths. */
export function roleKind(roleArn: string | undefined): 'agent' | 'elevated' | undefined {
  const path = roleArn === undefined ? undefined : /^arn:[\w-]+:iam::\d*:role(\/.*\/)[^/]+$/.exec(roleArn)?.[1];
  if (path === undefined) return undefined;
  return path.startsWith(GuardrailPaths.AGENT_ROLES) ? 'agent' : path.startsWith(GuardrailPaths.ELEVATED_ROLES) ? 'elevated' : undefined;
}


/** The session tags of an AssumeRole call, as CloudTrail records them (`[{ "key", "value" }]`). */
function tagsOf(parameters: Readonly<Record<string, unknown>> | undefined): Map<string, string> {
  const tags = new Map<string, string>();
  for (const tag of Array.isArray(parameters?.tags) ? parameters!.tags : []) {
    const key = text(tag?.key ?? tag?.Key);
    const value = tag?.value ?? tag?.Value;
    if (key !== undefined && typeof value === 'string') tags.set(key, value);
  }
  return tags;
}

/** The session an AssumeRole call created, when it succeeded. */
function originOf(record: TrailRecord): Origin | undefined {
  if (record.eventSource !== 'sts.amazonaws.com' || record.eventName !== 'AssumeRole' || record.errorCode !== undefined) return undefined;
  const response = record.responseElements ?? {};
  const credentials = isObject(response.credentials) ? response.credentials : {};
  const accessKeyId = text(credentials.accessKeyId);
  if (accessKeyId === undefined) return undefined;
  const parameters = record.requestParameters ?? {};
  return {
    accessKeyId,
    roleArn: text(parameters.roleArn),
    assumedRoleArn: isObject(response.assumedRoleUser) ? text(response.assumedRoleUser.arn) : undefined,
    sessionName: text(parameters.roleSessionName),
    // Set on the call, echoed in the answer, or kept from the calling session (role chaining).
    sourceIdentity: text(parameters.sourceIdentity) ?? text(response.sourceIdentity) ?? record.caller.sourceIdentity,
    tags: tagsOf(parameters),
    issuedAt: record.eventTime,
    expiresAt: isoTime(credentials.expiration),
    record,
  };
}

const keyOf = (accessKeyId: string) => `key:${accessKeyId}`;
const contextKeyOf = (caller: Caller) => (caller.arn && caller.issuedAt ? `context:${caller.arn}|${caller.sourceIdentity ?? ''}|${caller.issuedAt}` : undefined);

/** The audit of `records`, in any order; a record given twice (by `eventID`) counts once. */
export function buildAudit(records: readonly TrailRecord[], options: AuditOptions = {}): Audit {
  const sorted = [...new Map(records.map((r) => [r.eventId, r])).values()].sort((a, b) => compare(a.eventTime, b.eventTime) || compare(a.eventId, b.eventId));
  const origins = new Map(sorted.flatMap((r) => { const o = originOf(r); return o ? [[o.accessKeyId, o] as const] : []; }));
  const drafts: Draft[] = [];
  const byKey = new Map<string, Draft>();
  const isProduction = productionMatcher(options.productionStacks ?? []);

  // The agents' names: source identities of sessions of agent roles. A chain keeps them.
  const agents = new Set<string>();
  for (const o of origins.values()) if (roleKind(o.roleArn) === 'agent' && o.sourceIdentity) agents.add(o.sourceIdentity);
  for (const r of sorted) if (roleKind(r.caller.issuerArn) === 'agent' && r.caller.sourceIdentity) agents.add(r.caller.sourceIdentity);

  const add = (draft: Draft, ...keys: Array<string | undefined>) => {
    drafts.push(draft);
    keys.forEach((k) => k !== undefined && byKey.set(k, draft));
    return draft;
  };

  /** The tracked session that made a call, creating it from the call's identity when it is one. */
  const sessionOf = (caller: Caller): Draft | undefined => {
    if (caller.type !== 'AssumedRole') return undefined;
    const contextKey = contextKeyOf(caller);
    const known = (caller.accessKeyId && byKey.get(keyOf(caller.accessKeyId))) || (contextKey && byKey.get(contextKey));
    if (known) {
      if (caller.accessKeyId && !byKey.has(keyOf(caller.accessKeyId))) byKey.set(keyOf(caller.accessKeyId), known);
      if (contextKey && !byKey.has(contextKey)) byKey.set(contextKey, known);
      return known;
    }
    const pathKind = roleKind(caller.issuerArn);
    const byIdentity = pathKind === undefined && caller.sourceIdentity !== undefined && agents.has(caller.sourceIdentity);
    if (pathKind === undefined && !byIdentity) return undefined;
    return add(
      {
        kind: pathKind ?? 'chained',
        linkedBy: pathKind ? 'session-context' : 'source-identity',
        sourceIdentity: caller.sourceIdentity,
        roleArn: caller.issuerArn,
        assumedRoleArn: caller.arn,
        sessionName: caller.arn?.split('/').slice(2).join('/') || undefined,
        accessKeyId: caller.accessKeyId,
        issuedAt: caller.issuedAt,
        tags: new Map(),
        events: [],
      },
      caller.accessKeyId ? keyOf(caller.accessKeyId) : undefined,
      contextKey,
    );
  };

  // Sessions created by AssumeRole calls in the records, in the order they were issued, so that a chain's parent comes first.
  for (const origin of origins.values()) {
    const pathKind = roleKind(origin.roleArn);
    const parent = sessionOf(origin.record.caller);
    if (pathKind === undefined && parent === undefined) continue;
    const draft: Draft = {
      kind: pathKind ?? 'chained',
      linkedBy: 'assume-role',
      sourceIdentity: origin.sourceIdentity,
      roleArn: origin.roleArn,
      assumedRoleArn: origin.assumedRoleArn,
      sessionName: origin.sessionName,
      accessKeyId: origin.accessKeyId,
      issuedAt: origin.issuedAt,
      expiresAt: origin.expiresAt,
      issuedBy: origin.record.caller.arn ?? origin.record.caller.invokedBy,
      tags: origin.tags,
      parent,
      events: [],
    };
    // A call of the session recorded in the same second as its AssumeRole, and sorted before it, made a draft already.
    const seen = byKey.get(keyOf(origin.accessKeyId));
    if (seen) Object.assign(seen, { ...draft, events: seen.events });
    else add(draft, keyOf(origin.accessKeyId));
  }

  const trips: Trip[] = [];
  const ignored = new Map<string, number>();
  const linking = new Set([...origins.values()].filter((o) => byKey.has(keyOf(o.accessKeyId))).map((o) => o.record.eventId));
  for (const record of sorted) {
    const trip = tripOf(record);
    if (trip) trips.push(trip);
    const session = sessionOf(record.caller);
    if (session) {
      session.events.push(eventOf(record, isProduction));
    } else if (!trip && !linking.has(record.eventId)) {
      const principal = record.caller.arn ?? record.caller.invokedBy ?? record.caller.type ?? 'unknown';
      ignored.set(principal, (ignored.get(principal) ?? 0) + 1);
    }
  }

  const ordered = [...new Set(drafts)].sort((a, b) => compare(startOf(a) ?? '', startOf(b) ?? ''));
  const ids = new Map(ordered.map((d, i) => [d, `s${i + 1}`]));
  // An AssumeRole a session made links to the session it began.
  const opened = new Map([...origins.values()].flatMap((o) => { const d = byKey.get(keyOf(o.accessKeyId)); return d ? [[o.record.eventId, ids.get(d)!] as const] : []; }));
  const withLinks = (events: readonly AuditEvent[]) => events.map((e) => (opened.has(e.eventId) ? { ...e, opens: opened.get(e.eventId) } : e));
  const sessions = ordered.map((d): AuditSession => {
    const summary = summaryOf(d.events, (options.productionStacks ?? []).length > 0 ? false : null);
    return {
      id: ids.get(d)!,
      kind: d.kind,
      linkedBy: d.linkedBy,
      sourceIdentity: d.sourceIdentity,
      roleArn: d.roleArn,
      assumedRoleArn: d.assumedRoleArn,
      sessionName: d.sessionName,
      accessKeyId: d.accessKeyId,
      issuedAt: d.issuedAt,
      expiresAt: d.expiresAt,
      issuedBy: d.issuedBy,
      task: d.tags.get(TASK_TAG_KEY),
      requestId: d.tags.get(REQUEST_ID_TAG_KEY),
      approvers: (d.tags.get(APPROVERS_TAG_KEY) ?? '').split(' ').filter(Boolean),
      chainedFrom: d.parent ? ids.get(d.parent) : undefined,
      chain: chainOf(d),
      events: withLinks(d.events),
      trips: tripsDuring({ roleArn: d.roleArn, start: startOf(d), expiresAt: d.expiresAt, lastAt: summary.lastAt }, trips),
      summary,
    };
  });
  const principals: IgnoredPrincipal[] = [...ignored].map(([principal, events]) => ({ principal, events })).sort((a, b) => b.events - a.events || compare(a.principal, b.principal));
  return {
    sessions,
    trips,
    records: sorted.length,
    from: sorted[0]?.eventTime,
    to: sorted[sorted.length - 1]?.eventTime,
    ignored: { events: principals.reduce((n, p) => n + p.events, 0), principals },
  };
}

/** The counts of a session's calls; `production` is what to say when no call changes, or tries to change, a production stack. */
export function summaryOf(events: readonly AuditEvent[], production: boolean | null): SessionSummary {
  return {
    calls: events.length,
    denied: events.filter((e) => e.outcome === 'denied').length,
    failed: events.filter((e) => e.outcome === 'failed').length,
    writes: events.filter((e) => e.outcome === 'allowed' && !e.readOnly).length,
    production: events.some((e) => e.production && !e.readOnly) ? true : production,
    firstAt: events[0]?.eventTime,
    lastAt: events[events.length - 1]?.eventTime,
  };
}

function eventOf(record: TrailRecord, isProduction: (stack: string) => boolean): AuditEvent {
  return {
    eventId: record.eventId,
    eventTime: record.eventTime,
    eventSource: record.eventSource,
    eventName: record.eventName,
    awsRegion: record.awsRegion,
    errorCode: record.errorCode,
    errorMessage: record.errorMessage,
    outcome: outcomeOf(record),
    readOnly: isReadOnly(record),
    target: targetOf(record),
    production: stackNamesOf(record).some(isProduction),
  };
}

const startOf = (d: Draft) => d.issuedAt ?? d.events[0]?.eventTime;

function chainOf(d: Draft): string[] {
  const chain: string[] = [];
  for (let at: Draft | undefined = d; at !== undefined && chain.length < 16; at = at.parent) chain.unshift(at.assumedRoleArn ?? at.roleArn ?? '(unknown)');
  return chain;
}

/** Whether a stack name is production, given names or patterns with `*`. */
function productionMatcher(patterns: readonly string[]): (stack: string) => boolean {
  const regexes = patterns.map((p) => new RegExp(`^${p.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
  return (stack) => regexes.some((r) => r.test(stack));
}

/** Locale-independent ordering. */
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
