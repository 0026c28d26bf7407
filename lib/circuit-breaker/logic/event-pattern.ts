/*
 * Pure: the EventBridge pattern of the breaker's rule, and an offline matcher for exactly the
 * operators that pattern uses (exact values, `prefix`, `exists`, `$or`), so that a replay runs
 * recorded events through the pattern the app synthesized, not through a copy of it.
 */
import { BreakerAgent, DENIED_ERROR_CODES } from './config';

/** An EventBridge event pattern, as JSON. */
export type EventPattern = Record<string, unknown>;

/** The detail type of the API calls CloudTrail delivers to EventBridge. */
export const API_CALL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

/**
 * The breaker's pattern: API calls (from AWS itself: nobody can put an event whose source starts
 * with `aws.`) made by an agent, that were denied or that write.
 *
 * An agent is recognised two ways. A session of its role names the role (with its path) as
 * `sessionIssuer`. A session of any other role that an agent session assumed (role chaining)
 * carries the agent's name as its source identity, which cannot be changed along the chain, so
 * chaining into another role does not escape counting.
 *
 * Writes are calls CloudTrail marks `readOnly: false`, and calls it does not mark at all (the
 * handler decides those by their name). Reads are delivered only when they were denied, and only
 * to a rule in state `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`.
 *
 * `roleArn` renders an agent's role ARN: with the stack's partition and account in the construct,
 * with literal values offline.
 */
export function breakerEventPattern(agents: readonly BreakerAgent[], roleArn: (agent: BreakerAgent) => string): EventPattern {
  const names = agents.map((a) => a.name);
  return {
    source: [{ prefix: 'aws.' }],
    'detail-type': [API_CALL_DETAIL_TYPE],
    detail: {
      userIdentity: {
        $or: [
          { sessionContext: { sessionIssuer: { arn: agents.map(roleArn) } } },
          { sessionContext: { sourceIdentity: names } },
          { sourceIdentity: names },
        ],
      },
      $or: [{ errorCode: [...DENIED_ERROR_CODES] }, { readOnly: [false] }, { readOnly: [{ exists: false }] }],
    },
  };
}

/** A pattern holds an operator the offline matcher does not implement. */
export class UnsupportedPatternError extends Error {}

/** Whether `event` matches `pattern`, as EventBridge decides it for the operators above. */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  return matchObject(pattern, event);
}

function matchObject(pattern: Record<string, unknown>, value: unknown): boolean {
  const object = isObject(value) ? value : {};
  return Object.entries(pattern).every(([key, expected]) => {
    if (key === '$or') {
      if (!Array.isArray(expected)) throw new UnsupportedPatternError('$or must hold a list of patterns');
      return expected.some((alternative) => isObject(alternative) && matchObject(alternative, value));
    }
    const present = Object.prototype.hasOwnProperty.call(object, key);
    const actual = present ? object[key] : undefined;
    if (Array.isArray(expected)) {
      return expected.some((candidate) => matchLeaf(candidate, present, actual));
    }
    if (isObject(expected)) {
      return matchObject(expected, actual);
    }
    throw new UnsupportedPatternError(`the pattern's value for ${JSON.stringify(key)} is neither a list nor an object: ${JSON.stringify(expected)}`);
  });
}

/** One entry of a pattern's list against the event's value (any element, when the value is a list). */
function matchLeaf(candidate: unknown, present: boolean, actual: unknown): boolean {
  if (isObject(candidate)) {
    const operators = Object.keys(candidate);
    if (operators.length !== 1) throw new UnsupportedPatternError(`a matcher must hold one operator, got ${JSON.stringify(candidate)}`);
    const [operator] = operators;
    const operand = candidate[operator];
    switch (operator) {
      case 'exists':
        return operand === (present && actual !== undefined);
      case 'prefix':
        if (typeof operand !== 'string') throw new UnsupportedPatternError(`prefix takes a string, got ${JSON.stringify(operand)}`);
        return values(actual).some((v) => typeof v === 'string' && v.startsWith(operand));
      default:
        throw new UnsupportedPatternError(`the operator ${JSON.stringify(operator)} is not one replay implements (exact values, prefix, exists, $or)`);
    }
  }
  if (!present) return false;
  return values(actual).some((v) => v === candidate);
}

function values(actual: unknown): unknown[] {
  return Array.isArray(actual) ? actual : [actual];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
