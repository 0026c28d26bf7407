/*
 * Pure: what one CloudTrail record means to the breaker: which agent made the call (through its
 * own role, or through a role it chained into), whether it was denied, whether it writes, and
 * whether it writes to production.
 */
import { BreakerAgent, BreakerConfig, DENIED_ERROR_CODES, ProductionIdentifiers } from './config';

/** A call the breaker counts, reduced to what the counting and the evidence need. */
export interface AgentCall {
  readonly eventId: string;
  /** The agent it is attributed to. */
  readonly agent: string;
  /** CloudTrail's `eventTime` (ISO 8601). */
  readonly at: string;
  readonly eventSource: string;
  readonly eventName: string;
  readonly errorCode?: string;
  readonly denied: boolean;
  readonly write: boolean;
  /** The production identifier the call names, when it writes to production. */
  readonly production?: string;
  /** The role whose session made the call, when it is not the agent's own (a chained session). */
  readonly via?: string;
}

/** Why a record is not one of an agent's calls. */
export type IgnoredReason = 'not-a-record' | 'not-an-agent';

/** A record classified: an agent's call, or ignored with the reason. */
export type Classified = { readonly kind: 'call'; readonly call: AgentCall } | { readonly kind: 'ignored'; readonly reason: IgnoredReason };

/** Names of calls that read, for records CloudTrail does not mark `readOnly`. */
const READ_NAME = /^(Get|List|Describe|Head|Lookup|Search|Scan|Query|BatchGet|Select|Check|Test|Validate|Estimate|Preview|Simulate|View|Read|Download|Filter|Poll|Receive|Verify)/;

/** Identifiers looked at in `requestParameters`, at most, and how deep. */
const MAX_IDENTIFIERS = 200;
const MAX_DEPTH = 5;

/** Classifies a CloudTrail record (the `detail` of an EventBridge event). */
export function classify(record: unknown, config: BreakerConfig): Classified {
  if (!isObject(record) || typeof record.eventID !== 'string' || typeof record.eventTime !== 'string' || typeof record.eventName !== 'string') {
    return { kind: 'ignored', reason: 'not-a-record' };
  }
  const attributed = attribute(record, config.agents);
  if (!attributed) return { kind: 'ignored', reason: 'not-an-agent' };
  const errorCode = typeof record.errorCode === 'string' ? record.errorCode : undefined;
  const write = isWrite(record);
  const production = write ? productionIdentifier(record, config.production) : undefined;
  return {
    kind: 'call',
    call: {
      eventId: record.eventID,
      agent: attributed.agent.name,
      at: record.eventTime,
      eventSource: typeof record.eventSource === 'string' ? record.eventSource : 'unknown',
      eventName: record.eventName,
      ...(errorCode ? { errorCode } : {}),
      denied: errorCode !== undefined && DENIED_ERROR_CODES.includes(errorCode),
      write,
      ...(production ? { production } : {}),
      ...(attributed.via ? { via: attributed.via } : {}),
    },
  };
}

/**
 * The agent that made the call: the one named as the session's source identity (which survives
 * role chaining), else the one whose role issued the session. Other principals are not agents.
 */
export function attribute(record: Record<string, unknown>, agents: readonly BreakerAgent[]): { agent: BreakerAgent; via?: string } | undefined {
  const identity = isObject(record.userIdentity) ? record.userIdentity : {};
  const context = isObject(identity.sessionContext) ? identity.sessionContext : {};
  const issuer = isObject(context.sessionIssuer) && typeof context.sessionIssuer.arn === 'string' ? context.sessionIssuer.arn : undefined;
  const own = issuer === undefined ? undefined : agents.find((a) => roleResource(issuer) === `role${a.rolePath}${a.roleName}`);
  const sourceIdentity = [context.sourceIdentity, identity.sourceIdentity].find((v): v is string => typeof v === 'string');
  const named = sourceIdentity === undefined ? undefined : agents.find((a) => a.name === sourceIdentity);
  if (named) {
    return named === own || issuer === undefined ? { agent: named } : { agent: named, via: issuer };
  }
  return own ? { agent: own } : undefined;
}

/** The resource part of an IAM role ARN (`role/path/name`), or undefined. */
function roleResource(arn: string): string | undefined {
  const parts = arn.split(':');
  return parts.length >= 6 && parts[0] === 'arn' && parts[2] === 'iam' ? parts.slice(5).join(':') : undefined;
}

/** Whether the call writes: as CloudTrail marks it, or by its name when it does not. */
export function isWrite(record: Record<string, unknown>): boolean {
  if (record.readOnly === false) return true;
  if (record.readOnly === true) return false;
  if (record.eventType !== undefined && record.eventType !== 'AwsApiCall') return false;
  return typeof record.eventName === 'string' && !READ_NAME.test(record.eventName);
}

/**
 * The production identifier a call names, if any: in `resources` (ARNs) and in
 * `requestParameters` (names, ARNs, URLs), compared by the whole value and by its last segment.
 */
export function productionIdentifier(record: Record<string, unknown>, production: ProductionIdentifiers): string | undefined {
  const candidates: string[] = [];
  if (Array.isArray(record.resources)) {
    for (const resource of record.resources) {
      if (isObject(resource) && typeof resource.ARN === 'string') candidates.push(resource.ARN);
    }
  }
  collectStrings(record.requestParameters, candidates, 0);
  return candidates.find((value) => namesProduction(value, production));
}

/** Request parameters that identify a resource: `stackName`, `queueUrl`, `topicArn`, `instanceId`, `resourceArns`... */
const IDENTIFIER_KEY = /(name|arn|url|id|identifier|resource)s?$/i;

/**
 * The values of request parameters that identify resources. Values under other keys (an object
 * key, a prefix, a description, a policy) are the caller's text, and may look like anything.
 */
function collectStrings(value: unknown, into: string[], depth: number, key?: string): void {
  if (into.length >= MAX_IDENTIFIERS || depth > MAX_DEPTH) return;
  if (typeof value === 'string') {
    if (key !== undefined && IDENTIFIER_KEY.test(key) && value.length > 0 && value.length <= 2048 && !/\s/.test(value)) into.push(value);
  } else if (Array.isArray(value)) {
    value.forEach((v) => collectStrings(v, into, depth + 1, key));
  } else if (isObject(value)) {
    Object.entries(value).forEach(([k, v]) => collectStrings(v, into, depth + 1, k));
  }
}

/** Whether `value` (a name, an ARN or a URL) names a production stack or resource. */
export function namesProduction(value: string, production: ProductionIdentifiers): boolean {
  for (const name of nameCandidates(value)) {
    if (production.resourceNames.includes(name)) return true;
    for (const stack of production.stackNames) {
      if (stack.endsWith('*') ? name.startsWith(stack.slice(0, -1)) : name === stack || name.startsWith(`${stack}-`)) return true;
    }
  }
  return false;
}

/**
 * The value, and the names inside it: an ARN's resource name (a bucket's name, not its keys'), a
 * URL's last segment (an SQS queue URL).
 */
function nameCandidates(value: string): string[] {
  const found = new Set<string>([value]);
  if (value.startsWith('arn:')) {
    const parts = value.split(':');
    const segments = parts.slice(5).join(':').split(/[/:]/).filter((s) => s.length > 0);
    if (parts[2] === 's3' || segments.length === 1) {
      if (segments[0]) found.add(segments[0]);
    } else if (segments.length > 1) {
      // `table/orders`, `stack/orders-prod/<id>`, `function:orders-writer:live`: the name follows the type.
      found.add(segments[1]);
      if (parts[2] !== 'cloudformation') found.add(segments[segments.length - 1]);
    }
  } else if (/^https:\/\//.test(value)) {
    const last = value.replace(/\/+$/, '').split('/').pop();
    if (last) found.add(last);
  }
  return [...found];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
