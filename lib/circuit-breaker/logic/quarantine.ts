/*
 * Pure: the inline policy that quarantines a tripped agent's role.
 */
import { QUARANTINE_POLICY_NAME } from '../../private/session-names';

export { QUARANTINE_POLICY_NAME };

/** How far past the trip the quarantine's cutoff lies: only a reset lifts it. */
const QUARANTINE_YEARS = 10;

/**
 * The quarantine: every action denied to every session of the role issued before a cutoff ten
 * years after the trip, so sessions already live and those issued later are denied alike, until
 * a reset removes the policy. It is written as AWS's own revocation is (`aws:TokenIssueTime`),
 * which every role session carries.
 */
export function quarantinePolicy(trippedAt: Date): Record<string, unknown> {
  const cutoff = new Date(trippedAt.getTime());
  cutoff.setUTCFullYear(cutoff.getUTCFullYear() + QUARANTINE_YEARS);
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AgentCircuitBreakerQuarantine',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': cutoff.toISOString() } },
      },
    ],
  };
}
