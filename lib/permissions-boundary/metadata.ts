/* Template metadata the guardrail policies carry, so that the review reads facts, not names. */

/** Which guardrail policy a managed policy is: `agent-boundary`, `agent-denies` or `workload-boundary`. */
export const GUARDRAIL_POLICY_METADATA = 'agent-guardrails:policy';

/** The production exceptions on the agent boundary: `[{ actions, reason }]`. */
export const PRODUCTION_EXCEPTIONS_METADATA = 'agent-guardrails:production-exceptions';
