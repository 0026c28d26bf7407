/**
 * Environment variables the construct sets on the breaker's functions (no SDK here: the construct
 * imports it). The configuration itself (agents, thresholds, production) is a file in their code:
 * `BREAKER_CONFIG_FILE`.
 */
export const BREAKER_ENV = {
  table: 'AGENT_GUARDRAILS_BREAKER_TABLE',
  /** The approval workflow's topic: the approvers who reset the breaker. */
  approversTopic: 'AGENT_GUARDRAILS_BREAKER_APPROVERS_TOPIC',
  securityTopic: 'AGENT_GUARDRAILS_BREAKER_SECURITY_TOPIC',
  /** The approval workflow's event bus. */
  eventBus: 'AGENT_GUARDRAILS_BREAKER_EVENT_BUS',
  /** The elevated role that resets the breaker, and the reset function, for the commands in notifications. */
  resetRole: 'AGENT_GUARDRAILS_BREAKER_RESET_ROLE',
  resetFunction: 'AGENT_GUARDRAILS_BREAKER_RESET_FUNCTION',
  apiUrl: 'AGENT_GUARDRAILS_BREAKER_API_URL',
} as const;
