/*
 * Pure: what an approval's proof covers. The API function signs it (an HMAC with a KMS key only it
 * may use for signing); the issuer verifies it before counting the approval, so a row written into
 * the table by anyone else never counts. A break-glass request's approval has a message of its own.
 */
import { Approval, ElevationRequest } from './rules';

/**
 * The message an approval's proof is made over: the request, the human who approved, the caller,
 * when, the role and session length, and the change set with the fingerprint of its changes.
 */
export function approvalMessage(request: ElevationRequest, humanKey: string, approval: Approval): string {
  if (request.breakGlass) {
    return breakGlassApprovalMessage(request, humanKey, approval);
  }
  return JSON.stringify([
    'agent-guardrails approval v1',
    request.requestId,
    request.role,
    request.durationSeconds,
    request.requester.key,
    request.onBehalfOf?.key ?? null,
    request.changeSetArn ?? null,
    request.impact?.fingerprint ?? null,
    humanKey,
    approval.callerArn,
    approval.at,
    approval.acceptedRisk === true,
  ]);
}

/**
 * The message of a break-glass request's one approval, its requester's own: a message of its own
 * kind, so that no ordinary approval passes for one, covering the reason and the review it opened
 * as well.
 */
function breakGlassApprovalMessage(request: ElevationRequest, humanKey: string, approval: Approval): string {
  return JSON.stringify([
    'agent-guardrails break-glass v1',
    request.requestId,
    request.role,
    request.durationSeconds,
    request.requester.key,
    request.changeSetArn ?? null,
    request.impact?.fingerprint ?? null,
    request.justification,
    request.breakGlass!.reviewRequestId,
    humanKey,
    approval.callerArn,
    approval.at,
    approval.acceptedRisk === true,
  ]);
}
