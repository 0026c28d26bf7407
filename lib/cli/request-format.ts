/*
 * Pure: a request as approvers read it in a terminal: who asks and for whom, why, which change set
 * and what it does, who approved, and what happened.
 */
import { ChangeSetImpact } from '../approval-workflow/logic/impact';
import { formatImpact } from '../approval-workflow/logic/impact-text';

/** One line per request waiting for approvers: id, role, who asks for whom, risk, approvals, expiry, justification. */
export function formatPending(requests: ReadonlyArray<Record<string, any>>): string[] {
  if (requests.length === 0) return ['nothing waits for approval'];
  return requests.map((r) => {
    const risk = r.impact ? `${String(r.impact.risk).toUpperCase()} risk${r.impact.riskToAccept?.length ? ', production data at risk' : ''}` : 'no change set';
    const approvals = Object.keys(r.approvals ?? {}).length;
    if (r.kind === 'review') {
      return `${r.requestId}  POST-INCIDENT REVIEW of break-glass ${r.reviewOf} by ${r.requester?.callerArn} on ${r.role}  ${approvals} review${approvals === 1 ? '' : 's'}  issues nothing  ${JSON.stringify(r.justification)}`;
    }
    return `${r.requestId}  ${r.role}  ${r.requester?.callerArn} for ${r.onBehalfOf?.callerArn ?? 'nobody named'}  ${risk}  ${approvals} approval${approvals === 1 ? '' : 's'}  expires ${r.expiresAt}  ${JSON.stringify(r.justification)}`;
  });
}

/** The lines `agent-guardrails status` prints for a request (as the API returns it). */
export function formatRequest(request: Record<string, any>): string[] {
  const approvals = Object.entries<Record<string, any>>(request.approvals ?? {});
  const lines = [
    `request ${request.requestId}: ${request.status}${request.failure ? ` (${request.failure.code}: ${request.failure.message})` : ''}`,
    ...(request.breakGlass ? [`  BREAK-GLASS:   one approver, no second approval; post-incident review ${request.breakGlass.reviewRequestId}`] : []),
    ...(request.kind === 'review' ? [`  REVIEW OF:     break-glass request ${request.reviewOf} (approving closes the review; it issues nothing)`] : []),
    `  role:          ${request.role} for ${request.durationSeconds} s`,
    `  requester:     ${request.requester?.callerArn}`,
    `  on behalf of:  ${request.onBehalfOf?.callerArn ?? '(nobody named)'}`,
    `  justification: ${request.justification}`,
    `  ticket:        ${request.ticket ?? '(none)'}`,
    `  change set:    ${request.changeSetArn ?? '(none: the session has every permission of the role)'}`,
    `  expires:       ${request.expiresAt}`,
    `  approvals:     ${approvals.length === 0 ? '(none)' : approvals.map(([human, a]) => `${human} at ${a.at}${a.acceptedRisk ? ', risk accepted' : ''}${a.comment ? `: ${JSON.stringify(a.comment)}` : ''}`).join('; ')}`,
  ];
  if (request.deniedBy) lines.push(`  denied by:     ${request.deniedBy.key} at ${request.deniedBy.at}${request.deniedBy.comment ? `: ${JSON.stringify(request.deniedBy.comment)}` : ''}`);
  if (request.impact) lines.push(...formatImpact(request.impact as ChangeSetImpact).map((l) => `  ${l}`));
  lines.push('  history:');
  for (const event of request.history ?? []) {
    lines.push(`    ${event.at} ${event.event}${event.by ? ` by ${event.by}` : ''}`);
  }
  return lines;
}
