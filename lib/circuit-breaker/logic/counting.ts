/*
 * Pure: the breaker's counting. One step takes an agent's state and one of its calls and returns
 * the new state, and the trip when the call completes a threshold. No SDK, no clock: `now` is a
 * parameter. Windows are measured on the calls' own times (CloudTrail's `eventTime`), so a late
 * or out-of-order delivery counts as the call happened, and a replay of recorded events decides
 * exactly as the deployed breaker would have.
 */
import { AgentCall } from './classify';
import { BreakerThreshold, BreakerThresholdConfig, TripReasonCode } from './config';

/** A call kept as evidence: what approvers and the security team are shown. */
export interface CountedCall {
  readonly eventId: string;
  readonly at: string;
  readonly eventSource: string;
  readonly eventName: string;
  readonly errorCode?: string;
  readonly production?: string;
  readonly via?: string;
}

/** Why a breaker tripped: the threshold crossed, as data. */
export interface TripReason {
  readonly code: TripReasonCode;
  /** The threshold: `count` calls within `windowSeconds`. */
  readonly count: number;
  readonly windowSeconds: number;
}

/** A trip: which agent, when (the time of the call that completed the threshold), why, and the calls. */
export interface Trip {
  readonly agent: string;
  readonly at: string;
  readonly reason: TripReason;
  readonly calls: readonly CountedCall[];
}

/** An agent's breaker: closed (counting) or tripped (quarantined until two people reset it). */
export interface BreakerState {
  readonly agent: string;
  readonly status: 'closed' | 'tripped';
  /** Recent denied calls, oldest first. */
  readonly denied: readonly CountedCall[];
  /** Recent writes to production, oldest first. */
  readonly productionWrites: readonly CountedCall[];
  /** Ids of the calls seen lately, so that a call EventBridge delivers twice counts once. */
  readonly seen: readonly string[];
  readonly trip?: Trip;
  /** When the breaker was last reset: calls made before are not counted again. */
  readonly resetAt?: string;
}

/** The outcome of one step. */
export type StepResult =
  | { readonly kind: 'not-counted'; readonly reason: 'allowed-call' | 'duplicate' | 'before-reset'; readonly state: BreakerState }
  | { readonly kind: 'counted'; readonly state: BreakerState }
  | { readonly kind: 'tripped'; readonly state: BreakerState; readonly trip: Trip }
  /** Counted as evidence while the breaker is already tripped: no second trip, no second quarantine. */
  | { readonly kind: 'counted-while-tripped'; readonly state: BreakerState };

/** How long a call is kept past its window, for deliveries that arrive late. */
export const LATE_DELIVERY_SECONDS = 15 * 60;

/** Calls kept per kind, and ids remembered, at most. */
const MAX_KEPT = 200;
const MAX_SEEN = 500;

/** A closed breaker with nothing counted. */
export function closedState(agent: string, resetAt?: string): BreakerState {
  return { agent, status: 'closed', denied: [], productionWrites: [], seen: [], ...(resetAt ? { resetAt } : {}) };
}

/** Counts `call` against `thresholds`. */
export function breakerStep(state: BreakerState | undefined, call: AgentCall, thresholds: BreakerThresholdConfig, now: Date): StepResult {
  const current = state ?? closedState(call.agent);
  if (current.seen.includes(call.eventId)) {
    return { kind: 'not-counted', reason: 'duplicate', state: current };
  }
  const productionWrite = call.write && call.production !== undefined;
  if (!call.denied && !productionWrite) {
    return { kind: 'not-counted', reason: 'allowed-call', state: current };
  }
  if (current.resetAt !== undefined && time(call.at) < time(current.resetAt)) {
    return { kind: 'not-counted', reason: 'before-reset', state: current };
  }
  const evidence = counted(call);
  const denied = call.denied ? keep(current.denied, evidence, thresholds.deniedCalls, now) : prune(current.denied, thresholds.deniedCalls, now);
  const productionWrites = productionWrite
    ? keep(current.productionWrites, evidence, thresholds.productionWrites, now)
    : prune(current.productionWrites, thresholds.productionWrites, now);
  const next: BreakerState = { ...current, denied, productionWrites, seen: [...current.seen, call.eventId].slice(-MAX_SEEN) };
  if (current.status === 'tripped') {
    return { kind: 'counted-while-tripped', state: next };
  }
  // A write to production is the graver reason: it is reported when both thresholds are crossed.
  const crossed =
    (productionWrite ? crossing(productionWrites, evidence, thresholds.productionWrites, 'production-writes') : undefined) ??
    (call.denied ? crossing(denied, evidence, thresholds.deniedCalls, 'denied-calls') : undefined);
  if (!crossed) {
    return { kind: 'counted', state: next };
  }
  const trip: Trip = { agent: current.agent, at: crossed.calls[crossed.calls.length - 1].at, reason: crossed.reason, calls: crossed.calls };
  return { kind: 'tripped', state: { ...next, status: 'tripped', trip }, trip };
}

/** The state after a reset: closed, nothing counted, calls made before `at` not counted again. */
export function resetState(state: BreakerState | undefined, agent: string, at: Date): BreakerState {
  return { ...closedState(agent, at.toISOString()), seen: state?.seen ?? [] };
}

function counted(call: AgentCall): CountedCall {
  return {
    eventId: call.eventId,
    at: call.at,
    eventSource: call.eventSource,
    eventName: call.eventName,
    ...(call.errorCode ? { errorCode: call.errorCode } : {}),
    ...(call.production ? { production: call.production } : {}),
    ...(call.via ? { via: call.via } : {}),
  };
}

/** `calls` with `call` added in time order, without those too old to count with anything still to come. */
function keep(calls: readonly CountedCall[], call: CountedCall, threshold: BreakerThreshold, now: Date): CountedCall[] {
  const added = [...calls, call].sort((a, b) => time(a.at) - time(b.at) || a.eventId.localeCompare(b.eventId));
  return prune(added, threshold, now);
}

function prune(calls: readonly CountedCall[], threshold: BreakerThreshold, now: Date): CountedCall[] {
  const newest = Math.max(now.getTime(), ...calls.map((c) => time(c.at)));
  const cutoff = newest - (threshold.windowSeconds + LATE_DELIVERY_SECONDS) * 1000;
  return calls.filter((c) => time(c.at) >= cutoff).slice(-MAX_KEPT);
}

/**
 * The first run of `threshold.count` consecutive calls, the new one among them, that spans less
 * than the window; undefined when there is none.
 */
function crossing(calls: readonly CountedCall[], call: CountedCall, threshold: BreakerThreshold, code: TripReasonCode): { reason: TripReason; calls: CountedCall[] } | undefined {
  const index = calls.findIndex((c) => c.eventId === call.eventId);
  const windowMs = threshold.windowSeconds * 1000;
  for (let start = Math.max(0, index - threshold.count + 1); start <= index; start++) {
    const end = start + threshold.count - 1;
    if (end >= calls.length) break;
    if (time(calls[end].at) - time(calls[start].at) < windowMs) {
      return { reason: { code, count: threshold.count, windowSeconds: threshold.windowSeconds }, calls: calls.slice(start, end + 1) };
    }
  }
  return undefined;
}

function time(iso: string): number {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
}
