/*
 * What the breaker's handlers need from the world, as interfaces. The Lambda entry points build
 * them from AWS SDK clients (created lazily); tests pass their own.
 */
import { BreakerConfig } from '../logic/config';
import { BreakerState, Trip } from '../logic/counting';
import { BreakerStore } from './store';

/** Puts and lifts the quarantine policy on an agent's role. */
export interface RoleQuarantine {
  /** Puts the quarantine inline policy on `roleName` (again: it replaces itself, never stacks). */
  quarantine(roleName: string, at: Date): Promise<void>;
  /** Removes it; `not-quarantined` when the role did not hold it. */
  release(roleName: string): Promise<'released' | 'not-quarantined'>;
}

/** A reset, as it is published. */
export interface ResetEvent {
  readonly agent: string;
  readonly at: string;
  /** The elevation request the caller named (the reset function cannot see its caller). */
  readonly requestId?: string;
  readonly reason?: string;
  /** The state before the reset. */
  readonly previous?: BreakerState;
}

/** Tells the approvers and the security team. */
export interface BreakerNotifier {
  tripped(trip: Trip): Promise<void>;
  reset(event: ResetEvent): Promise<void>;
}

/** Everything the handlers depend on. */
export interface BreakerDeps {
  readonly config: BreakerConfig;
  readonly store: BreakerStore;
  readonly quarantine: RoleQuarantine;
  readonly notifier: BreakerNotifier;
  readonly now: () => Date;
  readonly log?: (message: string, detail?: Record<string, unknown>) => void;
  /** Waits before another attempt after a conflicting write. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}
