/*
 * I/O: the breaker's Lambda handler, a thin adapter. It receives one CloudTrail record in an
 * EventBridge event, classifies it and counts it (pure functions), writes the agent's state with
 * one conditional write, and, while the breaker is tripped, makes sure the quarantine is on the
 * role and the trip was published. Each of those is recorded once done, so that a retried
 * delivery finishes what a failed one started, and a breaker already tripped is never
 * quarantined or announced twice.
 */
import { AgentCall, classify, IgnoredReason } from '../logic/classify';
import { breakerStep, StepResult } from '../logic/counting';
import { BreakerDeps } from './deps';
import { BreakerRecord, BreakerVersionConflict } from './store';

/** What one delivery came to. */
export type BreakerOutcome =
  | { readonly result: 'ignored'; readonly reason: IgnoredReason }
  | { readonly result: StepResult['kind']; readonly agent: string; readonly reason?: string };

/** Attempts when another delivery changes the agent's state at the same time. */
export const MAX_ATTEMPTS = 10;

/** Waits a little longer after each conflict, with jitter, so that a burst of deliveries spreads out. */
export function backoff(d: BreakerDeps, attempt: number): Promise<void> {
  const ms = Math.round((10 + Math.random() * 40) * 2 ** Math.min(attempt, 5));
  return (d.sleep ?? ((t: number) => new Promise<void>((resolve) => setTimeout(resolve, t))))(ms);
}

/** Builds the breaker's handler around `deps`. */
export function makeBreakerHandler(deps: () => BreakerDeps) {
  return async (event: unknown): Promise<BreakerOutcome> => {
    const d = deps();
    const detail = typeof event === 'object' && event !== null ? (event as { detail?: unknown }).detail : undefined;
    const classified = classify(detail, d.config);
    if (classified.kind === 'ignored') {
      d.log?.('breaker: ignored', { reason: classified.reason });
      return { result: 'ignored', reason: classified.reason };
    }
    return count(d, classified.call);
  };
}

async function count(d: BreakerDeps, call: AgentCall): Promise<BreakerOutcome> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await d.store.get(call.agent);
    const now = d.now();
    const step = breakerStep(stored?.record.state, call, d.config.thresholds, now);
    let record: BreakerRecord | undefined = stored?.record;
    let version = stored?.version;
    if (step.kind !== 'not-counted') {
      const history = record?.history ?? [];
      const next: BreakerRecord =
        step.kind === 'tripped'
          ? { state: step.state, history: [...history, { at: now.toISOString(), event: 'tripped', detail: { reason: step.trip.reason, events: step.trip.calls.map((c) => c.eventId) } }] }
          : { ...record, state: step.state, history };
      try {
        version = await d.store.put(call.agent, next, version);
      } catch (error) {
        if (error instanceof BreakerVersionConflict) {
          await backoff(d, attempt);
          continue;
        }
        throw error;
      }
      record = next;
    }
    d.log?.('breaker: counted', { agent: call.agent, eventId: call.eventId, eventName: call.eventName, result: step.kind, ...(step.kind === 'not-counted' ? { reason: step.reason } : {}) });
    if (record && version !== undefined && record.state.status === 'tripped') {
      await completeTrip(d, call.agent, record, version);
    }
    return { result: step.kind, agent: call.agent, ...(step.kind === 'not-counted' ? { reason: step.reason } : {}) };
  }
  throw new Error(`the breaker of ${call.agent} kept changing during ${MAX_ATTEMPTS} attempts to count event ${call.eventId}; EventBridge delivers it again`);
}

/**
 * Quarantines the agent's role and publishes the trip, each unless already done for this trip.
 * A conflicting write means another delivery is doing the same; the next one finishes.
 */
async function completeTrip(d: BreakerDeps, agentName: string, record: BreakerRecord, version: number): Promise<void> {
  const agent = d.config.agents.find((a) => a.name === agentName);
  const trip = record.state.trip;
  if (!agent || !trip) return;
  let current = record;
  let currentVersion = version;
  const mark = async (event: 'quarantined' | 'notified', change: Partial<BreakerRecord>): Promise<boolean> => {
    const at = d.now().toISOString();
    const next: BreakerRecord = { ...current, ...change, history: [...current.history, { at, event }] };
    try {
      currentVersion = await d.store.put(agentName, next, currentVersion);
      current = next;
      return true;
    } catch (error) {
      if (error instanceof BreakerVersionConflict) return false;
      throw error;
    }
  };
  if (!current.quarantinedAt) {
    const at = d.now();
    await d.quarantine.quarantine(agent.roleName, at);
    d.log?.('breaker: quarantined', { agent: agentName, role: agent.roleName, reason: trip.reason });
    if (!(await mark('quarantined', { quarantinedAt: at.toISOString() }))) return;
  }
  if (!current.notifiedAt) {
    await d.notifier.tripped(trip);
    await mark('notified', { notifiedAt: d.now().toISOString() });
  }
}
