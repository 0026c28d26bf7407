/*
 * Pure: what trips the breaker, one registry entry per trigger, with why it trips and what to do,
 * as the notifications and the replay state them.
 */
import { BreakerThresholdConfig, TripReasonCode } from './config';

/** One trigger of the breaker. */
export interface BreakerTrigger {
  readonly id: TripReasonCode;
  /** The threshold it is counted against. */
  readonly threshold: keyof BreakerThresholdConfig;
  readonly title: string;
  readonly why: string;
  readonly fix: string;
}

/** Every trigger, by id. */
export const BREAKER_TRIGGERS: Readonly<Record<TripReasonCode, BreakerTrigger>> = {
  'denied-calls': {
    id: 'denied-calls',
    threshold: 'deniedCalls',
    title: 'Denied calls',
    why: 'an agent that keeps running into its boundary is probing it, or looping on a refusal, not doing its task',
    fix: 'read the calls below: fix the agent\'s task or give its role what the task needs, then reset',
  },
  'production-writes': {
    id: 'production-writes',
    threshold: 'productionWrites',
    title: 'Writes to production',
    why: 'production changes only through a change set two humans approved; an agent that writes to it directly has gone wrong, or was told to',
    fix: 'find what told the agent to change production and propose the change as a change set, then reset',
  },
};
