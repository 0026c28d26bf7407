/*
 * I/O: the reset function, invoked by a session of the elevated role that only two approvers can
 * have issued. It lifts the quarantine, clears the counts, and publishes the reset. Lambda does
 * not tell a function who invoked it, so the elevation request is recorded as the caller gives
 * it; CloudTrail's Lambda data events, and the approval workflow's history, say who it was.
 */
import { resetState } from '../logic/counting';
import { BreakerDeps } from './deps';
import { BreakerVersionConflict } from './store';
import { backoff, MAX_ATTEMPTS } from './breaker-handler';

/** What the reset function takes. */
export interface ResetInput {
  /** The agent whose breaker to reset. */
  readonly agent: string;
  /** The elevation request whose session invokes the reset. */
  readonly requestId?: string;
  /** Why, for the record. */
  readonly reason?: string;
}

/** What a reset came to. */
export type ResetOutcome =
  | { readonly result: 'reset'; readonly agent: string; readonly wasTripped: boolean; readonly quarantine: 'released' | 'not-quarantined' }
  | { readonly result: 'refused'; readonly code: 'invalid-input' | 'unknown-agent'; readonly message: string };

/** Builds the reset handler around `deps`. */
export function makeResetHandler(deps: () => BreakerDeps) {
  return async (input: unknown, context?: { readonly awsRequestId?: string }): Promise<ResetOutcome> => {
    const d = deps();
    const parsed = parseInput(input);
    if ('message' in parsed) return { result: 'refused', code: 'invalid-input', message: parsed.message };
    const agent = d.config.agents.find((a) => a.name === parsed.agent);
    if (!agent) {
      return { result: 'refused', code: 'unknown-agent', message: `this breaker watches ${d.config.agents.map((a) => a.name).join(', ')}, not ${JSON.stringify(parsed.agent)}` };
    }
    let released = false;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const stored = await d.store.get(agent.name);
      released = (await d.quarantine.release(agent.roleName)) === 'released' || released;
      const quarantine = released ? 'released' : 'not-quarantined';
      const at = d.now();
      const previous = stored?.record.state;
      const detail = { requestId: parsed.requestId, reason: parsed.reason, invocation: context?.awsRequestId, wasTripped: previous?.status === 'tripped', quarantine };
      try {
        await d.store.put(agent.name, { state: resetState(previous, agent.name, at), history: [...(stored?.record.history ?? []), { at: at.toISOString(), event: 'reset', detail }] }, stored?.version);
      } catch (error) {
        if (error instanceof BreakerVersionConflict) {
          await backoff(d, attempt);
          continue;
        }
        throw error;
      }
      d.log?.('breaker: reset', { agent: agent.name, ...detail });
      await d.notifier.reset({ agent: agent.name, at: at.toISOString(), requestId: parsed.requestId, reason: parsed.reason, previous });
      return { result: 'reset', agent: agent.name, wasTripped: previous?.status === 'tripped', quarantine };
    }
    throw new Error(`the breaker of ${agent.name} kept changing during ${MAX_ATTEMPTS} attempts to reset it; invoke the reset again`);
  };
}

function parseInput(input: unknown): ResetInput | { message: string } {
  const value = typeof input === 'string' ? safeJson(input) : input;
  if (typeof value !== 'object' || value === null || typeof (value as ResetInput).agent !== 'string') {
    return { message: 'the payload must be {"agent": "<agent name>", "requestId": "<elevation request id>"}' };
  }
  const { agent, requestId, reason } = value as ResetInput;
  if (requestId !== undefined && typeof requestId !== 'string') return { message: 'requestId must be a string' };
  if (reason !== undefined && typeof reason !== 'string') return { message: 'reason must be a string' };
  return { agent, ...(requestId ? { requestId: requestId.slice(0, 128) } : {}), ...(reason ? { reason: reason.slice(0, 1000) } : {}) };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
