/*
 * Pure: recorded CloudTrail events run through a breaker as synthesized: the rule's pattern and
 * state decide what EventBridge would have delivered, then the breaker's own classification and
 * counting decide when it would have tripped. After a trip the agent's counts start again, as if
 * it had been reset at once, so that every crossing of a threshold is listed.
 */
import { classify } from '../logic/classify';
import { BreakerConfig } from '../logic/config';
import { BreakerState, breakerStep, resetState, Trip } from '../logic/counting';
import { API_CALL_DETAIL_TYPE, EventPattern, matchesPattern } from '../logic/event-pattern';
import { PatternEnvironment } from './from-assembly';

/** The breaker a replay runs. */
export interface ReplayedBreaker {
  readonly pattern: (env: PatternEnvironment) => EventPattern;
  readonly ruleState: string;
  readonly config: BreakerConfig;
}

/** What a replay found. */
export interface ReplayResult {
  readonly trips: readonly Trip[];
  /** Entries read, entries that are not CloudTrail records, records the rule would have delivered, and calls counted. */
  readonly read: number;
  readonly notRecords: number;
  readonly delivered: number;
  readonly counted: number;
}

/** Runs `entries` (CloudTrail records or EventBridge events holding them) through `breaker`, in the order the calls were made. */
export function replay(breaker: ReplayedBreaker, entries: readonly unknown[]): ReplayResult {
  const envelopes = entries.map(envelopeOf);
  const events = envelopes
    .map((event, index) => ({ event, index }))
    .filter((e): e is { event: Envelope; index: number } => e.event !== undefined)
    .sort((a, b) => time(a.event.detail.eventTime) - time(b.event.detail.eventTime) || a.index - b.index)
    .map((e) => e.event);
  const states = new Map<string, BreakerState>();
  const trips: Trip[] = [];
  let delivered = 0;
  let counted = 0;
  for (const event of events) {
    // Plain ENABLED rules receive no read-only management events.
    if (breaker.ruleState !== 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS' && event.detail.readOnly === true) continue;
    if (!matchesPattern(breaker.pattern(environmentOf(event)), event)) continue;
    delivered++;
    const classified = classify(event.detail, breaker.config);
    if (classified.kind === 'ignored') continue;
    const { call } = classified;
    const step = breakerStep(states.get(call.agent), call, breaker.config.thresholds, new Date(time(call.at)));
    if (step.kind === 'not-counted') continue;
    counted++;
    if (step.kind === 'tripped') {
      trips.push(step.trip);
      states.set(call.agent, resetState(step.state, call.agent, new Date(time(step.trip.at))));
    } else {
      states.set(call.agent, step.state);
    }
  }
  return { trips, read: entries.length, notRecords: envelopes.filter((e) => e === undefined).length, delivered, counted };
}

interface Envelope {
  readonly account?: string;
  readonly detail: Record<string, any>;
  readonly [key: string]: unknown;
}

/**
 * An entry as EventBridge delivers it: an EventBridge event as it is, a CloudTrail record wrapped
 * the way CloudTrail wraps it (source `aws.<service>`, the detail type of its event type).
 */
export function envelopeOf(entry: unknown): Envelope | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const object = entry as Record<string, any>;
  if (typeof object['detail-type'] === 'string' && typeof object.detail === 'object' && object.detail !== null) {
    return typeof object.detail.eventTime === 'string' ? (object as Envelope) : undefined;
  }
  if (typeof object.eventTime !== 'string' || typeof object.eventSource !== 'string') return undefined;
  const detailTypes: Record<string, string> = {
    AwsApiCall: API_CALL_DETAIL_TYPE,
    AwsServiceEvent: 'AWS Service Event via CloudTrail',
    AwsConsoleAction: 'AWS Console Action via CloudTrail',
    AwsConsoleSignIn: 'AWS Console Sign In via CloudTrail',
  };
  return {
    version: '0',
    id: typeof object.eventID === 'string' ? object.eventID : undefined,
    'detail-type': detailTypes[object.eventType] ?? API_CALL_DETAIL_TYPE,
    source: `aws.${object.eventSource.replace(/\.amazonaws\.com$/, '')}`,
    account: object.recipientAccountId,
    time: object.eventTime,
    region: object.awsRegion,
    resources: [],
    detail: object,
  };
}

/** The account and partition the event was recorded in. */
function environmentOf(event: Envelope): PatternEnvironment {
  const arn = [event.detail.userIdentity?.arn, event.detail.userIdentity?.sessionContext?.sessionIssuer?.arn].find((v) => typeof v === 'string') as string | undefined;
  const account = [event.account, event.detail.recipientAccountId, event.detail.userIdentity?.accountId].find((v) => typeof v === 'string') as string | undefined;
  return { account: account ?? '000000000000', partition: arn?.split(':')[1] || 'aws' };
}

function time(iso: unknown): number {
  const t = typeof iso === 'string' ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? 0 : t;
}
