/*
 * Pure: what the circuit breaker runs with, as the construct writes it into its functions' code
 * (`breaker-config.json`, next to the handler bundle) and as the functions and
 * `agent-guardrails breaker replay` read it back. No tokens: everything here is known at synth
 * (roles by path and name, not by ARN).
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

/**
 * The largest configuration the breaker writes into its functions' code, in bytes. Lambda would
 * take far more (250 MB unzipped), but each function instance reads and holds it whole, in 256 MB.
 */
export const CONFIG_LIMIT_BYTES = 10 * 1024 * 1024;

/** The file, next to the handler bundle in the breaker functions' code, that holds `BreakerConfig` as JSON. */
export const BREAKER_CONFIG_FILE = 'breaker-config.json';

/** A configuration read back: the configuration, or what is wrong with it. */
export type ParsedBreakerConfig = { readonly ok: true; readonly config: BreakerConfig } | { readonly ok: false; readonly problem: string };

/**
 * Reads the text of `breaker-config.json`. Anything a breaker could not count with (no agent, a
 * threshold out of range, a field missing) is a problem, never a default: the functions fail
 * closed on it, and synth fails on it.
 */
export function parseBreakerConfig(text: string): ParsedBreakerConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `it is not JSON (${(error as Error).message})` };
  }
  const problems: string[] = [];
  const object = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const nonEmpty = (v: unknown) => typeof v === 'string' && v.length > 0;
  const show = (v: unknown) => JSON.stringify(v)?.slice(0, 80) ?? String(v);
  if (!object(value)) return { ok: false, problem: `it holds ${show(value)}, not an object` };
  const { agents, thresholds, production } = value;
  if (!Array.isArray(agents) || agents.length === 0) {
    problems.push(`agents must list at least one agent, got ${show(agents)}`);
  } else {
    agents.forEach((a, i) => {
      if (!object(a) || !nonEmpty(a.name) || !nonEmpty(a.roleName) || !nonEmpty(a.rolePath)) problems.push(`agents[${i}] must have a name, a roleName and a rolePath, got ${show(a)}`);
    });
  }
  const { minCount, maxCount, minWindowSeconds, maxWindowSeconds } = THRESHOLD_LIMITS;
  for (const name of ['deniedCalls', 'productionWrites'] as const) {
    const t = object(thresholds) ? thresholds[name] : undefined;
    const whole = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
    if (!object(t) || !whole(t.count, minCount, maxCount) || !whole(t.windowSeconds, minWindowSeconds, maxWindowSeconds)) {
      problems.push(`thresholds.${name} must be a count from ${minCount} to ${maxCount} and a windowSeconds from ${minWindowSeconds} to ${maxWindowSeconds}, got ${show(t)}`);
    }
  }
  for (const name of ['stackNames', 'resourceNames'] as const) {
    const list = object(production) ? production[name] : undefined;
    if (!Array.isArray(list) || !list.every(nonEmpty)) problems.push(`production.${name} must be a list of names, got ${show(list)}`);
  }
  return problems.length > 0 ? { ok: false, problem: problems.join('; ') } : { ok: true, config: value as unknown as BreakerConfig };
}
