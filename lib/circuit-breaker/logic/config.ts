/*
 * Pure: what the circuit breaker runs with, as the construct writes it into its functions'
 * environment and as `agent-guardrails breaker replay` reads it back from a synthesized app.
 * No tokens: everything here is known at synth (roles by path and name, not by ARN).
 */

/** An agent the breaker watches: its name (the source identity of its sessions) and its role. */
export interface BreakerAgent {
  /** The agent's name: the role's name and the source identity every session of it carries. */
  readonly name: string;
  /** The role's name (an `AgentRole` is named after its agent). */
  readonly roleName: string;
  /** The role's path, `/agent-guardrails/agent/` for an `AgentRole`. */
  readonly rolePath: string;
}

/** A threshold: `count` calls within `windowSeconds` trip the breaker. */
export interface BreakerThreshold {
  readonly count: number;
  readonly windowSeconds: number;
}

/** What trips the breaker. */
export interface BreakerThresholdConfig {
  /** Denied calls (`AccessDenied` and the like), reads or writes, anywhere. */
  readonly deniedCalls: BreakerThreshold;
  /** Attempts, denied or not, to write to production. */
  readonly productionWrites: BreakerThreshold;
}

/** Production as the breaker recognises it in a CloudTrail record, known at synth. */
export interface ProductionIdentifiers {
  /**
   * Production stack names or `prefix*` patterns. A resource whose name CloudFormation generated
   * starts with its stack's name and a dash, so `orders-prod` also covers `orders-prod-Orders1A2B-XYZ`.
   */
  readonly stackNames: readonly string[];
  /** Physical names written out in production stacks (a `TableName`, a `QueueName`...). */
  readonly resourceNames: readonly string[];
}

/** The breaker's configuration. */
export interface BreakerConfig {
  readonly agents: readonly BreakerAgent[];
  readonly thresholds: BreakerThresholdConfig;
  readonly production: ProductionIdentifiers;
}

/** Why a breaker trips. */
export type TripReasonCode = 'denied-calls' | 'production-writes';

/** The error codes CloudTrail records for a call IAM (or the service) refused. */
export const DENIED_ERROR_CODES: readonly string[] = [
  // S3, IAM, STS, CloudFormation (Query and REST-XML services).
  'AccessDenied',
  // The JSON services: DynamoDB, Lambda, SQS (JSON protocol), Step Functions, KMS, Secrets Manager...
  'AccessDeniedException',
  // EC2, as its API returns it and as CloudTrail records it.
  'UnauthorizedOperation',
  'Client.UnauthorizedOperation',
];

/** The defaults: 5 denied calls in 10 minutes, or 1 write to production in 10 minutes. */
export const DEFAULT_THRESHOLDS: BreakerThresholdConfig = {
  deniedCalls: { count: 5, windowSeconds: 600 },
  productionWrites: { count: 1, windowSeconds: 600 },
};

/** The limits thresholds are validated against. */
export const THRESHOLD_LIMITS = { minCount: 1, maxCount: 100, minWindowSeconds: 60, maxWindowSeconds: 86400 } as const;
