/*
 * The two-person rule, as pure functions: a request and a caller in, a decision out. No SDK, no
 * clock (`now` is a parameter), no throwing for business outcomes: every refusal is a tagged result
 * with a code the API returns as JSON.
 */
import { ApproverSpec, humanKey, Identity, isEligible, resolveIdentity } from './identity';
import { ChangeSetImpact } from './impact';

/** Where a request is in its life. A post-incident review ends REVIEWED (or DENIED: found unjustified). */
export type RequestStatus = 'PENDING' | 'APPROVED' | 'DENIED' | 'EXPIRED' | 'ISSUED' | 'REVOKED' | 'FAILED' | 'REVIEWED';

/** One approval, recorded under the approver's human key (`humanKey`) so that a human approves at most once, whichever identity they use. */
export interface Approval {
  readonly callerArn: string;
  readonly at: string;
  readonly comment?: string;
  /** The approver accepted the change set's risk to production data (`ChangeSetImpact.riskToAccept`). */
  readonly acceptedRisk?: boolean;
  /** The workflow's proof that it recorded this approval (see `approvalMessage`); the issuer counts no approval without a valid one. */
  readonly proof?: string;
}

/** A request for an elevated session, as stored. */
export interface ElevationRequest {
  readonly requestId: string;
  readonly status: RequestStatus;
  readonly requester: Identity;
  /** The human an agent asks for; they may not approve. */
  readonly onBehalfOf?: Identity;
  /** Name of the elevated role. */
  readonly role: string;
  readonly durationSeconds: number;
  readonly justification: string;
  readonly ticket?: string;
  readonly changeSetArn?: string;
  /** What the change set does, as the workflow described it when the request was made. */
  readonly impact?: ChangeSetImpact;
  /** Why the workflow ended the request (status FAILED). */
  readonly failure?: { readonly code: string; readonly message: string };
  readonly createdAt: string;
  /** When a pending request expires. */
  readonly expiresAt: string;
  readonly approvals: Readonly<Record<string, Approval>>;
  readonly deniedBy?: Approval & { readonly key: string };
  /** When the last required approval landed. */
  readonly approvedAt?: string;
  readonly issuedAt?: string;
  /** When the issued session expires. */
  readonly sessionExpiresAt?: string;
  readonly revokedAt?: string;
  /** Whether the credentials have been handed to the requester. */
  readonly delivered?: boolean;
  /** Optimistic-concurrency version, incremented by every write. */
  readonly version: number;
  /**
   * Set on a break-glass request: an eligible approver asked for themselves, alone, with a reason
   * (`justification`); their own approval is the only one. It names the review it opened.
   */
  readonly breakGlass?: { readonly reviewRequestId: string };
  /**
   * `review`: the post-incident review of a break-glass request (`reviewOf`). It waits for
   * `requiredApprovals` approvers other than the break-glass user, issues nothing, and never expires.
   * @default - an elevation request
   */
  readonly kind?: 'review';
  /** For a review: the break-glass request it reviews. */
  readonly reviewOf?: string;
  /** For a review: when its last approval closed it. */
  readonly reviewedAt?: string;
}

/** The rules' configuration. */
export interface RuleConfig {
  readonly requiredApprovals: number;
  readonly approvers: readonly ApproverSpec[];
}

/** Why a call is refused. Returned to callers as `{ "error": code, "message": ... }`. */
export type RefusalCode =
  | 'already-approved-by-you'
  | 'already-delivered'
  | 'denied'
  | 'expired'
  | 'not-eligible'
  | 'not-issued'
  | 'not-pending'
  | 'not-requester'
  | 'on-behalf-of-approval'
  | 'revoked'
  | 'failed'
  | 'risk-not-accepted'
  | 'self-approval'
  | 'break-glass-not-enabled'
  | 'break-glass-not-for-agents'
  | 'break-glass-rate-limited';

/** A refusal, with a message for humans. */
export interface Refusal {
  readonly ok: false;
  readonly code: RefusalCode;
  readonly message: string;
}

const refuse = (code: RefusalCode, message: string): Refusal => ({ ok: false, code, message });

/**
 * Whether `request` has expired at `now`. A pending request expires at `expiresAt`; an approved one
 * counts as in time if its last approval landed before then (issuing may run a moment later);
 * an issued session ends at `sessionExpiresAt`.
 */
export function isExpired(request: ElevationRequest, now: Date): boolean {
  if (request.kind === 'review') {
    // A post-incident review waits until it is done: nothing runs out, nothing is issued.
    return request.status === 'EXPIRED';
  }
  if (request.status === 'APPROVED' && request.approvedAt) {
    return Date.parse(request.approvedAt) >= Date.parse(request.expiresAt);
  }
  if (request.status === 'PENDING' || request.status === 'APPROVED') {
    return now.getTime() >= Date.parse(request.expiresAt);
  }
  if (request.status === 'ISSUED' && request.sessionExpiresAt) {
    return now.getTime() >= Date.parse(request.sessionExpiresAt);
  }
  return request.status === 'EXPIRED';
}

function refuseEnded(request: ElevationRequest, now: Date): Refusal | undefined {
  if (request.status === 'DENIED') {
    return refuse('denied', `request ${request.requestId} was denied`);
  }
  if (request.status === 'REVOKED') {
    return refuse('revoked', `request ${request.requestId} was revoked`);
  }
  if (request.status === 'FAILED') {
    return refuse('failed', `request ${request.requestId} failed: ${request.failure?.message ?? 'see its history'}`);
  }
  if (request.status === 'EXPIRED' || isExpired(request, now)) {
    return refuse('expired', `request ${request.requestId} has expired`);
  }
  return undefined;
}

/** The humans who may not approve `request`: its requester and the human an agent asks for, across their identities. */
function partiesOf(request: ElevationRequest, config: RuleConfig): Set<string> {
  return new Set([humanKey(request.requester, config.approvers), ...(request.onBehalfOf ? [humanKey(request.onBehalfOf, config.approvers)] : [])]);
}

/**
 * The distinct eligible humans who approved, excluding the requester and the human behind an
 * agent: each approval's caller is resolved again, and counts only under its own human's key.
 */
export function countedApprovers(request: ElevationRequest, config: RuleConfig): string[] {
  const parties = partiesOf(request, config);
  return Object.entries(request.approvals)
    .filter(([key, approval]) => {
      const identity = resolveIdentity(approval.callerArn);
      return isEligible(identity, config.approvers) && humanKey(identity, config.approvers) === key && !parties.has(key) && (!mustAcceptRisk(request) || approval.acceptedRisk === true);
    })
    .map(([key]) => key)
    .sort();
}

/** Whether approving `request` means accepting a risk to production data. */
export function mustAcceptRisk(request: ElevationRequest): boolean {
  return (request.impact?.riskToAccept.length ?? 0) > 0;
}

/** Whether enough distinct eligible humans approved. The issuer re-checks this from the table. */
export function hasEnoughApprovals(request: ElevationRequest, config: RuleConfig): boolean {
  return countedApprovers(request, config).length >= config.requiredApprovals;
}

/** The outcome of an approval: refused, or recorded (and maybe complete). */
export type ApprovalDecision = Refusal | { readonly ok: true; readonly approval: Approval; readonly key: string; readonly complete: boolean };

/** Decides whether `caller` may approve `request` now. */
export function decideApproval(request: ElevationRequest, caller: Identity, config: RuleConfig, now: Date, comment?: string, acceptRisk = false): ApprovalDecision {
  const ended = refuseEnded(request, now);
  if (ended) {
    return ended;
  }
  if (request.status !== 'PENDING') {
    return refuse('not-pending', `request ${request.requestId} is ${request.status}, no longer waiting for approvals`);
  }
  if (!isEligible(caller, config.approvers)) {
    return refuse('not-eligible', `${caller.callerArn} is not an eligible approver`);
  }
  const human = humanKey(caller, config.approvers);
  if (human === humanKey(request.requester, config.approvers)) {
    return request.kind === 'review'
      ? refuse('self-approval', 'the break-glass user cannot review their own break-glass, under any of their identities')
      : refuse('self-approval', 'the requester cannot approve their own request, under any of their identities');
  }
  if (request.onBehalfOf && human === humanKey(request.onBehalfOf, config.approvers)) {
    return refuse('on-behalf-of-approval', 'the human on whose behalf the agent asks cannot approve the request, under any of their identities');
  }
  if (request.approvals[human]) {
    return refuse('already-approved-by-you', `${human} already approved; a second approval needs a second human`);
  }
  if (mustAcceptRisk(request) && !acceptRisk) {
    return refuse(
      'risk-not-accepted',
      `the change set removes or replaces production resources that hold data (${request.impact!.riskToAccept.join(', ')}); approve with acceptRisk: true (--accept-risk) to accept that risk, or deny`,
    );
  }
  const approval: Approval = { callerArn: caller.callerArn, at: now.toISOString(), ...(comment ? { comment } : {}), ...(mustAcceptRisk(request) ? { acceptedRisk: true } : {}) };
  const after = { ...request, approvals: { ...request.approvals, [human]: approval } };
  return { ok: true, approval, key: human, complete: hasEnoughApprovals(after, config) };
}

/** The outcome of a denial. */
export type DenialDecision = Refusal | { readonly ok: true; readonly denial: Approval & { readonly key: string } };

/** Any eligible approver may deny a request that is still waiting. */
export function decideDenial(request: ElevationRequest, caller: Identity, config: RuleConfig, now: Date, comment?: string): DenialDecision {
  const ended = refuseEnded(request, now);
  if (ended) {
    return ended;
  }
  if (request.status !== 'PENDING') {
    return refuse('not-pending', `request ${request.requestId} is ${request.status}; revoke an issued session instead`);
  }
  if (!isEligible(caller, config.approvers)) {
    return refuse('not-eligible', `${caller.callerArn} is not an eligible approver`);
  }
  if (request.kind === 'review' && humanKey(caller, config.approvers) === humanKey(request.requester, config.approvers)) {
    return refuse('self-approval', 'the break-glass user cannot close their own review, under any of their identities');
  }
  return { ok: true, denial: { key: humanKey(caller, config.approvers), callerArn: caller.callerArn, at: now.toISOString(), ...(comment ? { comment } : {}) } };
}

/** The outcome of a revocation. */
export type RevocationDecision = Refusal | { readonly ok: true };

/** An eligible approver, or the requester, may revoke an issued session before it ends. */
export function decideRevocation(request: ElevationRequest, caller: Identity, config: RuleConfig, now: Date): RevocationDecision {
  const ended = refuseEnded(request, now);
  if (ended) {
    return ended;
  }
  if (request.status !== 'ISSUED') {
    return refuse('not-issued', `request ${request.requestId} is ${request.status}; only an issued session can be revoked (deny a pending one)`);
  }
  if (!isEligible(caller, config.approvers) && humanKey(caller, config.approvers) !== humanKey(request.requester, config.approvers)) {
    return refuse('not-eligible', `${caller.callerArn} is neither an eligible approver nor the requester`);
  }
  return { ok: true };
}

/** The outcome of a credentials request. */
export type DeliveryDecision = Refusal | { readonly ok: true };

/**
 * Only the requester gets the credentials: the very session that asked (another session of the
 * same role may be another task, or another human's agent), once, while the session is live.
 */
export function decideDelivery(request: ElevationRequest, caller: Identity, now: Date): DeliveryDecision {
  if (caller.callerArn !== request.requester.callerArn) {
    return refuse('not-requester', 'credentials are handed only to the session that made the request');
  }
  const ended = refuseEnded(request, now);
  if (ended) {
    return ended;
  }
  if (request.status !== 'ISSUED') {
    return refuse('not-issued', `request ${request.requestId} is ${request.status}; credentials exist only once it is issued`);
  }
  if (request.delivered) {
    return refuse('already-delivered', 'the credentials were already handed out; they are given once');
  }
  return { ok: true };
}
