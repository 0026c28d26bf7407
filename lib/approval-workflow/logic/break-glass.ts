/*
 * Pure: break-glass. One eligible approver, asking as themselves with a reason, gets a short
 * session of an elevated role that allows it, at once; their own approval is the only one. Who may
 * ask, what the request must hold, the rate limit, the post-incident review it opens, and what the
 * issuer re-checks before it calls STS. No SDK, no CDK, no clock (`now` is a parameter); refusals
 * are tagged results.
 */
import { GuardrailPaths } from '../../guardrail-paths';
import { ApproverSpec, humanKey, Identity, identityKey, IdentitySpec, isEligible, resolveIdentity } from './identity';
import { validateCreateRequest, MIN_SESSION_SECONDS } from './request';
import { Approval, ElevationRequest, isExpired, mustAcceptRisk, Refusal } from './rules';

/** A break-glass reason: long enough for the review to read what happened. */
export const MIN_REASON_LENGTH = 20;
export const MAX_REASON_LENGTH = 2000;

/** The break-glass session unless configured otherwise: STS's shortest. */
export const DEFAULT_BREAK_GLASS_SECONDS = MIN_SESSION_SECONDS;

/** The session tag of a break-glass session: its request id (the approvers tag names one human). */
export const BREAK_GLASS_TAG_KEY = 'agent-guardrails:break-glass';

/** An elevated role's break-glass settings, as the construct writes them into the configuration. */
export interface BreakGlassConfig {
  /** The longest break-glass session, in seconds (900 to 3600). */
  readonly maxSessionSeconds: number;
  /** At most `count` break-glass requests per `perSeconds`, for the role, whoever asks. */
  readonly rateLimit: { readonly count: number; readonly perSeconds: number };
}

/** The body of `POST /requests/break-glass`. */
export interface BreakGlassBody {
  readonly role?: unknown;
  readonly reason?: unknown;
  readonly durationSeconds?: unknown;
  readonly ticket?: unknown;
  readonly changeSetArn?: unknown;
  readonly acceptRisk?: unknown;
  readonly [other: string]: unknown;
}

/** What break-glass needs to know of the workflow. */
export interface BreakGlassContext {
  readonly approvers: readonly ApproverSpec[];
  /** Elevated roles by name, with their break-glass settings when they allow it. */
  readonly roles: Readonly<Record<string, { readonly breakGlass?: BreakGlassConfig }>>;
}

const refuse = (code: Refusal['code'], message: string): Refusal => ({ ok: false, code, message });

/**
 * Whether `spec` (or the caller's own ARN) is a principal under the guardrails' paths: an agent,
 * a guardrail service role, an elevated session or a workload, never a human breaking glass.
 */
function underGuardrailPath(arn: string): boolean {
  return [GuardrailPaths.ROOT, GuardrailPaths.WORKLOAD].some((path) => new RegExp(`:(role|user)${path}`).test(arn));
}

/** The configured identity `identity` matched, if any. */
function matchedSpec(identity: Identity, approvers: readonly ApproverSpec[]): IdentitySpec | undefined {
  return approvers.flatMap((a) => a.identities).find((spec) => identityKey(spec) === identity.key);
}

/** The approvers' identities that are principals under the guardrails' paths: none of them may break glass. */
export function agentApproverIdentities(approvers: readonly ApproverSpec[]): string[] {
  return approvers
    .flatMap((a) => a.identities)
    .flatMap((spec) => (spec.kind === 'role' ? [spec.roleArn] : spec.kind === 'iam-user' ? [spec.userArn] : []))
    .filter(underGuardrailPath);
}

/** Whether `caller` is, or is configured as, a principal under the guardrails' paths (an agent above all). */
export function isAgentCaller(caller: Identity, approvers: readonly ApproverSpec[]): boolean {
  if (underGuardrailPath(caller.callerArn)) return true;
  const spec = matchedSpec(caller, approvers);
  return spec !== undefined && spec.kind !== 'identity-center-user' && underGuardrailPath(spec.kind === 'role' ? spec.roleArn : spec.userArn);
}

/** The outcome of asking for break-glass: refused, or the human who may. */
export type BreakGlassCallerDecision = Refusal | { readonly ok: true; readonly human: string };

/**
 * Who may break glass on `role`: an eligible approver, as themselves (never an agent, nor any
 * principal under the guardrails' paths, even one misconfigured as an approver), on a role that
 * allows it.
 */
export function decideBreakGlassCaller(caller: Identity, role: unknown, context: BreakGlassContext): BreakGlassCallerDecision {
  if (caller.kind === 'unsupported') {
    return refuse('not-eligible', `${caller.callerArn} cannot break glass: root and federated-user sessions do not identify a human`);
  }
  if (isAgentCaller(caller, context.approvers)) {
    return refuse('break-glass-not-for-agents', `${caller.callerArn} is an agent or guardrail principal; break-glass is for human approvers only`);
  }
  if (!isEligible(caller, context.approvers)) {
    return refuse('not-eligible', `${caller.callerArn} is not an eligible approver; only an approver may break glass, as themselves`);
  }
  const known = typeof role === 'string' && Object.prototype.hasOwnProperty.call(context.roles, role);
  if (known && !context.roles[role as string].breakGlass) {
    return refuse('break-glass-not-enabled', `elevated role ${JSON.stringify(role)} does not allow break-glass (ElevatedRoleOptions.breakGlass); ask for it with two approvals: POST /requests`);
  }
  if (!Object.values(context.roles).some((r) => r.breakGlass) && !known) {
    return refuse('break-glass-not-enabled', 'no elevated role of this workflow allows break-glass (ElevatedRoleOptions.breakGlass); ask with two approvals: POST /requests');
  }
  return { ok: true, human: humanKey(caller, context.approvers) };
}

/** What validating a break-glass request needs besides the body. */
export interface BreakGlassRequestContext extends BreakGlassContext {
  readonly requestId: string;
  readonly reviewRequestId: string;
  readonly caller: Identity;
  readonly now: Date;
  readonly account?: string;
  readonly region?: string;
  /** How long the request may wait to be issued (the workflow's request timeout). */
  readonly pendingSeconds: number;
}

/** A valid break-glass request, with the caller's own approval (its proof still to be made), or every problem. */
export type BreakGlassValidation =
  | { readonly ok: true; readonly request: ElevationRequest; readonly approvalKey: string; readonly approval: Approval }
  | { readonly ok: false; readonly code: 'invalid-request'; readonly problems: string[] };

/** Fields of `POST /requests` that break-glass does not take, and why. */
const NOT_TAKEN: Readonly<Record<string, string>> = {
  onBehalfOf: 'an approver breaks glass as themselves; nobody else is named',
  justification: 'give the reason as "reason"',
};

/**
 * Validates a break-glass body from a caller `decideBreakGlassCaller` admitted, collecting every
 * problem, and builds the request: APPROVED at once, by the caller alone, for at most the role's
 * break-glass session. A change set is optional; named, it binds the session as usual.
 */
export function validateBreakGlassRequest(body: BreakGlassBody, context: BreakGlassRequestContext): BreakGlassValidation {
  const problems: string[] = [];
  const role = body.role;
  const settings = typeof role === 'string' && Object.prototype.hasOwnProperty.call(context.roles, role) ? context.roles[role].breakGlass : undefined;
  const breakable = Object.keys(context.roles).filter((name) => context.roles[name].breakGlass);
  if (!settings) {
    problems.push(`role must be one that allows break-glass (${breakable.map((r) => JSON.stringify(r)).join(', ')}); got ${JSON.stringify(role)}`);
  }
  const reason = body.reason;
  const reasonOk = typeof reason === 'string' && reason.trim().length >= MIN_REASON_LENGTH && reason.length <= MAX_REASON_LENGTH;
  if (!reasonOk) {
    problems.push(`reason is required: say what is broken and why it cannot wait for two approvals, in ${MIN_REASON_LENGTH}-${MAX_REASON_LENGTH} characters; got ${JSON.stringify(reason)}`);
  }
  for (const [field, why] of Object.entries(NOT_TAKEN)) {
    if (body[field] !== undefined) problems.push(`${field} is not taken by break-glass: ${why}`);
  }
  if (body.acceptRisk !== undefined && typeof body.acceptRisk !== 'boolean') {
    problems.push(`acceptRisk must be true or false; got ${JSON.stringify(body.acceptRisk)}`);
  }
  // The fields break-glass shares with an ordinary request are checked by the same rules.
  const shared = validateCreateRequest(
    { role: settings ? role : undefined, durationSeconds: body.durationSeconds, justification: 'break-glass: the reason is checked above', ticket: body.ticket, changeSetArn: body.changeSetArn },
    {
      requestId: context.requestId,
      caller: context.caller,
      now: context.now,
      roles: settings ? { [role as string]: { maxSessionSeconds: settings.maxSessionSeconds, changeSetRequired: false } } : {},
      account: context.account,
      region: context.region,
      pendingSeconds: context.pendingSeconds,
      approvers: context.approvers,
      allowRequestsWithoutOnBehalfOf: true,
    },
  );
  if (!shared.ok) {
    problems.push(...shared.problems.filter((p) => !p.startsWith('role must be one of')));
  }
  if (problems.length > 0 || !shared.ok) {
    return { ok: false, code: 'invalid-request', problems };
  }
  const now = context.now.toISOString();
  const approvalKey = humanKey(context.caller, context.approvers);
  const request: ElevationRequest = {
    ...shared.request,
    justification: (reason as string).trim(),
    status: 'APPROVED',
    approvedAt: now,
    breakGlass: { reviewRequestId: context.reviewRequestId },
  };
  // Risk to production data is accepted by the one approver, as by every approver otherwise; the
  // impact is known only once the change set is described, so the action adds it, then checks.
  const approval: Approval = { callerArn: context.caller.callerArn, at: now, ...(body.acceptRisk === true ? { acceptedRisk: true } : {}) };
  return { ok: true, request, approvalKey, approval };
}

/** The review a break-glass request opens: the same facts, waiting for approvers other than the break-glass user. */
export function reviewOf(request: ElevationRequest, reviewRequestId: string, now: Date): ElevationRequest {
  return {
    requestId: reviewRequestId,
    kind: 'review',
    reviewOf: request.requestId,
    status: 'PENDING',
    requester: request.requester,
    role: request.role,
    durationSeconds: request.durationSeconds,
    justification: request.justification,
    ...(request.ticket ? { ticket: request.ticket } : {}),
    ...(request.changeSetArn ? { changeSetArn: request.changeSetArn } : {}),
    ...(request.impact ? { impact: request.impact } : {}),
    createdAt: now.toISOString(),
    // A review does not run out (isExpired); the date only says when it was due.
    expiresAt: new Date(now.getTime() + REVIEW_DUE_SECONDS * 1000).toISOString(),
    approvals: {},
    version: 1,
  };
}

/** When a post-incident review is due: a week after the break-glass. */
export const REVIEW_DUE_SECONDS = 7 * 24 * 3600;

/** One break-glass use of a role, as the rate limit records it. */
export interface BreakGlassUse {
  readonly requestId: string;
  readonly at: string;
}

/** The key of a role's break-glass uses in the requests table: reserved, never a request id. */
export function breakGlassUsageKey(role: string): string {
  return `#break-glass-uses:${role}`;
}

/** The outcome of taking a break-glass use: the uses to record, or when the next one frees up. */
export type BreakGlassUseDecision =
  | { readonly ok: true; readonly uses: BreakGlassUse[] }
  | (Refusal & { readonly freesAt: string });

/**
 * The rate limit: at most `count` uses in any window of `perSeconds`. Uses that left the window
 * are dropped; a refusal says when the oldest one in the window leaves it.
 */
export function decideBreakGlassUse(uses: readonly BreakGlassUse[], role: string, requestId: string, now: Date, limit: BreakGlassConfig['rateLimit']): BreakGlassUseDecision {
  const since = now.getTime() - limit.perSeconds * 1000;
  const recent = uses.filter((u) => Date.parse(u.at) > since).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  if (recent.length >= limit.count) {
    const freesAt = new Date(Date.parse(recent[recent.length - limit.count].at) + limit.perSeconds * 1000).toISOString();
    return {
      ...refuse(
        'break-glass-rate-limited',
        `break-glass on role ${JSON.stringify(role)} was used ${recent.length} time(s) in the last ${hours(limit.perSeconds)} (at most ${limit.count}); the next is possible at ${freesAt}. Until then, ask with two approvals (POST /requests)`,
      ),
      freesAt,
    };
  }
  return { ok: true, uses: [...recent, { requestId, at: now.toISOString() }] };
}

/** Whether `requestId` is among `uses` within the limit: at most `count` uses in the window that ends with it. */
export function breakGlassUseRecorded(uses: readonly BreakGlassUse[], requestId: string, limit: BreakGlassConfig['rateLimit']): boolean {
  const own = uses.find((u) => u.requestId === requestId);
  if (!own) return false;
  const at = Date.parse(own.at);
  return uses.filter((u) => Date.parse(u.at) <= at && Date.parse(u.at) > at - limit.perSeconds * 1000).length <= limit.count;
}

/**
 * What the issuer finds wrong with a break-glass request before it calls STS, re-checked from the
 * table and the configuration, never from its input: the role allows break-glass; the requester
 * is an eligible approver and no agent; the reason is there; the session is no longer than the
 * break-glass maximum; the one counted approval is the requester's own, with a valid proof
 * (`proven` holds only those); and the rate limit recorded the request. Empty when it may be issued.
 */
export function breakGlassIssueProblems(
  request: ElevationRequest,
  proven: ElevationRequest['approvals'],
  context: BreakGlassContext,
  uses: readonly BreakGlassUse[],
  now: Date,
): string[] {
  const problems: string[] = [];
  const settings = Object.prototype.hasOwnProperty.call(context.roles, request.role) ? context.roles[request.role].breakGlass : undefined;
  if (request.kind === 'review') {
    problems.push('a post-incident review issues nothing');
  }
  if (!settings) {
    problems.push(`role ${JSON.stringify(request.role)} does not allow break-glass`);
  }
  if (request.status !== 'APPROVED' || isExpired(request, now)) {
    problems.push(`the request is ${request.status}${isExpired(request, now) ? ', and expired' : ''}`);
  }
  const requester = resolveIdentity(request.requester.callerArn);
  if (isAgentCaller(requester, context.approvers) || !isEligible(requester, context.approvers)) {
    problems.push(`the requester ${request.requester.callerArn} is not an eligible human approver`);
  }
  if (typeof request.justification !== 'string' || request.justification.trim().length < MIN_REASON_LENGTH) {
    problems.push('the request has no reason');
  }
  if (settings && !(request.durationSeconds >= MIN_SESSION_SECONDS && request.durationSeconds <= settings.maxSessionSeconds)) {
    problems.push(`the session of ${request.durationSeconds} s is longer than break-glass allows (${settings.maxSessionSeconds} s)`);
  }
  const own = humanKey(requester, context.approvers);
  const approvals = Object.entries(proven);
  const valid = approvals.filter(([key, a]) => key === own && a.callerArn === request.requester.callerArn && (!mustAcceptRisk(request) || a.acceptedRisk === true));
  if (approvals.length !== 1 || valid.length !== 1) {
    problems.push(`a break-glass request carries exactly one proven approval, the requester's own; it has ${approvals.length} proven, ${valid.length} of them the requester's`);
  }
  if (settings && !breakGlassUseRecorded(uses, request.requestId, settings.rateLimit)) {
    problems.push('the rate limit has no record of this break-glass request within the limit');
  }
  return problems;
}

function hours(seconds: number): string {
  return seconds % 3600 === 0 ? `${seconds / 3600} hour(s)` : `${Math.round(seconds / 60)} minutes`;
}
