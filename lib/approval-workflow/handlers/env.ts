/** Environment variables the construct sets on every handler (no SDK here: the construct imports it). */
export const ENV = {
  config: 'AGENT_GUARDRAILS_CONFIG',
  table: 'AGENT_GUARDRAILS_TABLE',
  stateMachine: 'AGENT_GUARDRAILS_STATE_MACHINE',
  topic: 'AGENT_GUARDRAILS_TOPIC',
  eventBus: 'AGENT_GUARDRAILS_EVENT_BUS',
  approvalKey: 'AGENT_GUARDRAILS_APPROVAL_KEY',
  credentialsKey: 'AGENT_GUARDRAILS_CREDENTIALS_KEY',
  /** The approval API's URL, for the commands in notifications. */
  apiUrl: 'AGENT_GUARDRAILS_API_URL',
  /** Security topics of break-glass roles, as JSON `{ "role": "topic ARN" }`. */
  securityTopics: 'AGENT_GUARDRAILS_SECURITY_TOPICS',
} as const;
