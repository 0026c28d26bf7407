/*
 * Pure: the names that tie CloudTrail records to the guardrails: the session tags agent and
 * elevated sessions carry, and the inline policy the circuit breaker quarantines an agent role with.
 * The credential helper, the MCP server and the workflow write them; the audit and the breaker read them.
 */

/** The session tag that names an agent session's task or ticket (the rationale of its calls). */
export const TASK_TAG_KEY = 'agent-guardrails:task';

/** The session tag of an elevated session: the request it was issued for. */
export const REQUEST_ID_TAG_KEY = 'agent-guardrails:request-id';

/** The session tag of an elevated session: the humans who approved it. */
export const APPROVERS_TAG_KEY = 'agent-guardrails:approvers';

/** The inline policy on an agent role that quarantines it while its circuit breaker is tripped. */
export const QUARANTINE_POLICY_NAME = 'agent-guardrails-quarantine';

/** The source of the guardrails' own EventBridge events. */
export const EVENT_SOURCE = 'agent-guardrails';
