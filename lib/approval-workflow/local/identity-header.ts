/* Pure: the header local mode reads the caller's identity from. Never accepted by the deployed API. */
export const IDENTITY_HEADER = 'x-agent-guardrails-identity';
