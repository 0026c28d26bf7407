/*
 * Construct API: the properties of `AgentCircuitBreaker`.
 */
import { Duration } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AgentRole } from '../agent-roles/agent-role';
import { TwoPersonApproval } from '../approval-workflow/two-person-approval';

/** `count` calls within `window` trip the breaker. */
export interface BreakerThreshold {
  /** How many calls: a whole number from 1 to 100. */
  readonly count: number;
  /** Within how long: 1 minute to 24 hours. */
  readonly window: Duration;
}

/** What trips the breaker. */
export interface BreakerThresholds {
  /**
   * Denied calls (`AccessDenied`, `AccessDeniedException`, `UnauthorizedOperation`,
   * `Client.UnauthorizedOperation`), reads and writes alike.
   *
   * @default - 5 within 10 minutes
   */
  readonly deniedCalls?: BreakerThreshold;

  /**
   * Attempts to write to production, denied or not.
   *
   * @default - 1 within 10 minutes
   */
  readonly productionWrites?: BreakerThreshold;
}

/** Properties for `AgentCircuitBreaker`. */
export interface AgentCircuitBreakerProps {
  /**
   * The agents to watch. At least one, here or with `addAgent`.
   *
   * @default - none yet: add them with `addAgent`
   */
  readonly agents?: AgentRole[];

  /**
   * The approval workflow. Its approvers hear of every trip (through its `topic`), and only a
   * session of the elevated role `circuit-breaker-reset`, which two of them must approve, can
   * reset a tripped breaker.
   */
  readonly approval: TwoPersonApproval;

  /**
   * Where the security team hears of every trip and reset, besides the approvers.
   *
   * @default - a new topic, `securityTopic`: subscribe to it
   */
  readonly securityTopic?: sns.ITopic;

  /**
   * When the breaker trips.
   *
   * @default - 5 denied calls within 10 minutes, or 1 write to production within 10 minutes
   */
  readonly thresholds?: BreakerThresholds;
}
