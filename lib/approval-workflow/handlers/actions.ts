/*
 * The HTTP API's actions, independent of how the request arrived (API Gateway in AWS, the local
 * server on a laptop): a caller ARN and a body in, a status and a JSON body out. Each action reads
 * the request, asks the pure rules, and writes with a version check; a concurrent change makes it
 * read and decide again.
 */
import { humanKey, isEligible, resolveIdentity } from '../logic/identity';
import { approvalMessage } from '../logic/approval-proof';
import { changeSetImpact, ChangeSetImpact } from '../logic/impact';
import { ChangeSetBinding, changeSetProblems, validateCreateRequest } from '../logic/request';
import { decideApproval, decideDelivery, decideDenial, decideRevocation, ElevationRequest, Refusal } from '../logic/rules';
import { HandlerDeps, RefusalEvent, WorkflowEvent } from './deps';
import { LISTED_ATTRIBUTES, onFreshRead, StoredRequest, VersionConflict } from './store';

/** An HTTP response. */
export interface ActionResult {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

const STATUS_OF_REFUSAL: Record<Refusal['code'], number> = {
  failed: 409,
  'risk-not-accepted': 409,
  'already-approved-by-you': 409,
  'already-delivered': 410,
  denied: 409,
  expired: 410,
  'not-eligible': 403,
  'not-issued': 409,
  'not-pending': 409,
  'not-requester': 403,
  'on-behalf-of-approval': 403,
  revoked: 410,
  'self-approval': 403,
  'break-glass-not-enabled': 403,
  'break-glass-not-for-agents': 403,
  'break-glass-rate-limited': 429,
};

/** A refusal as an HTTP response. */
export function refused(refusal: Refusal): ActionResult {
  return { status: STATUS_OF_REFUSAL[refusal.code], body: { error: refusal.code, message: refusal.message } };
}

function notFound(requestId: string): ActionResult {
  return { status: 404, body: { error: 'not-found', message: `no request ${requestId}` } };
}

/** What callers see of a request: never its task token or credentials. */
export function view(request: StoredRequest): Record<string, unknown> {
  const { taskToken: _token, credentials: _credentials, ...visible } = request;
  return visible;
}

/** Runs an action on a fresh read of the request: 404 if there is none, 409 if it kept changing. */
async function withFreshRead(deps: HandlerDeps, requestId: string, attempt: (request: StoredRequest) => Promise<ActionResult>): Promise<ActionResult> {
  try {
    return (await onFreshRead(deps.store, requestId, attempt)) ?? notFound(requestId);
  } catch (error) {
    if (error instanceof VersionConflict) {
      return { status: 409, body: { error: 'conflict', message: `request ${requestId} kept changing; try again` } };
    }
    throw error;
  }
}

/** `POST /requests` */
export async function createRequest(deps: HandlerDeps, callerArn: string, body: unknown): Promise<ActionResult> {
  const caller = resolveIdentity(callerArn);
  const roles = Object.fromEntries(
    Object.entries(deps.config.roles).map(([name, role]) => [name, { maxSessionSeconds: role.maxSessionSeconds, changeSetRequired: role.changeSetRequired !== false }]),
  );
  const validation = validateCreateRequest((body ?? {}) as Record<string, unknown>, {
    requestId: deps.newId(),
    caller,
    now: deps.now(),
    roles,
    account: deps.config.account,
    region: deps.config.region,
    pendingSeconds: deps.config.pendingSeconds,
    approvers: deps.config.approvers,
    allowRequestsWithoutOnBehalfOf: deps.config.allowRequestsWithoutOnBehalfOf,
  });
  if (!validation.ok) {
    return { status: 400, body: { error: validation.code, message: validation.problems.join('; '), problems: validation.problems } };
  }
  let request = validation.request;
  // One requester cannot bury approvers in requests: a few may wait at a time. Reviews of their
  // break-glass wait for others, and do not count.
  const limit = deps.config.maxPendingPerRequester ?? DEFAULT_MAX_PENDING_PER_REQUESTER;
  const mine = (await deps.store.listByStatus('PENDING', LIST_LIMIT)).filter((r) => r.requester.key === caller.key);
  const waiting = (await readListed(deps, mine)).filter((r) => r.kind !== 'review').length;
  if (waiting >= limit) {
    return {
      status: 429,
      body: { error: 'too-many-pending', message: `${caller.callerArn} already has ${waiting} requests waiting for approval (at most ${limit}); wait for a decision, or ask an approver to deny one` },
    };
  }
  if (request.changeSetArn) {
    // The workflow describes the change set itself: what approvers see is what AWS says it does.
    const described = await describeChangeSet(deps, request.changeSetArn);
    const problems = described.ok ? changeSetProblems(described.impact, bindingOf(deps, request.role), request.role) : [described.problem];
    if (problems.length > 0) {
      return { status: 400, body: { error: 'invalid-request', message: problems.join('; '), problems } };
    }
    request = { ...request, impact: (described as { impact: ChangeSetImpact }).impact };
  }
  await deps.store.create(request, { at: request.createdAt, event: 'requested', by: caller.callerArn });
  const unavailable = await startWorkflow(deps, request);
  if (unavailable) {
    return unavailable;
  }
  const stored = (await deps.store.get(request.requestId))!;
  await publish(deps, { type: 'requested', request: stored, by: caller.callerArn });
  return { status: 201, body: view(stored) };
}

/**
 * Starts the workflow of a request just stored. If it cannot start, nothing would ever expire the
 * request: it is closed rather than left waiting, and the answer is a 502.
 */
export async function startWorkflow(deps: HandlerDeps, request: StoredRequest | ElevationRequest): Promise<ActionResult | undefined> {
  try {
    await deps.workflow.start(request.requestId);
    return undefined;
  } catch (error) {
    await deps.store.update(request.requestId, request.version, {
      set: { status: 'EXPIRED' },
      history: { at: deps.now().toISOString(), event: 'workflow-start-failed', detail: { error: String(error) } },
    });
    return { status: 502, body: { error: 'workflow-unavailable', message: `the approval workflow could not start for request ${request.requestId}; ask again` } };
  }
}

/** The change set's impact as the workflow sees it now, or why it cannot be read. */
export async function describeChangeSet(deps: HandlerDeps, changeSetArn: string): Promise<{ ok: true; impact: ChangeSetImpact } | { ok: false; problem: string }> {
  const described = await deps.changeSets.describe(changeSetArn);
  if (!described.found) {
    return { ok: false, problem: `changeSetArn names no change set the workflow can read: ${described.message}` };
  }
  const result = changeSetImpact(described.documents[0], described.documents.slice(1), deps.config.productionTag ? { productionTag: deps.config.productionTag } : {});
  return result.ok ? { ok: true, impact: result.impact } : { ok: false, problem: `the change set's description cannot be read: ${result.problems.join('; ')}` };
}

/** How `role` binds requests to change sets. */
export function bindingOf(deps: HandlerDeps, role: string): ChangeSetBinding {
  const config = deps.config.roles[role];
  return { stackNames: config.stackNames, riskyChangeSets: config.riskyChangeSets ?? 'accept' };
}

/** Pauses between attempts to answer the workflow's task token, in milliseconds. */
const TELL_WORKFLOW_PAUSES = [200, 800, 3200];

/**
 * Answers the workflow's task token, again after a failure (the decision is already recorded, and
 * a wait that is never answered would end the request as expired).
 */
async function tellWorkflow(deps: HandlerDeps, send: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (attempt >= TELL_WORKFLOW_PAUSES.length) throw error;
      deps.log?.('answering the workflow failed; trying again', { attempt: attempt + 1, error: String(error) });
      await (deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))))(TELL_WORKFLOW_PAUSES[attempt]);
    }
  }
}

/** Requests waiting per requester, unless configured otherwise. */
export const DEFAULT_MAX_PENDING_PER_REQUESTER = 3;

/** The most requests one listing returns. */
const LIST_LIMIT = 200;

/** `GET /requests?status=PENDING`: what waits for approvers, oldest first; for approvers only. */
export async function listRequests(deps: HandlerDeps, callerArn: string, status: string | undefined): Promise<ActionResult> {
  const caller = resolveIdentity(callerArn);
  if (!isEligible(caller, deps.config.approvers)) {
    return { status: 403, body: { error: 'not-eligible', message: `${caller.callerArn} is not an eligible approver; only approvers list requests` } };
  }
  if (status !== 'PENDING') {
    return { status: 400, body: { error: 'invalid-request', message: `status must be PENDING (what waits for approvers); got ${JSON.stringify(status)}`, problems: ['status'] } };
  }
  const requests = await readListed(deps, await deps.store.listByStatus('PENDING', LIST_LIMIT));
  return { status: 200, body: { requests: requests.map(view) } };
}

/** What a listing shows of a request: the index's fields, and whether it is break-glass or a review. */
const LISTED = [...LISTED_ATTRIBUTES, 'status', 'createdAt', 'kind', 'reviewOf', 'breakGlass'];

/**
 * The requests the index listed as PENDING, read again from the table (the index is a moment
 * behind it, and holds neither `kind` nor `breakGlass`), still PENDING, with the listed fields only.
 */
async function readListed(deps: HandlerDeps, listed: readonly StoredRequest[]): Promise<StoredRequest[]> {
  const read = await Promise.all(listed.map((r) => deps.store.get(r.requestId)));
  return read
    .filter((r): r is StoredRequest => r !== undefined && r.status === 'PENDING')
    .map((r) => Object.fromEntries(Object.entries(r).filter(([field]) => LISTED.includes(field))) as unknown as StoredRequest);
}

/** `GET /requests/{id}`: for the requester, the human behind an agent, and approvers. */
export async function getRequest(deps: HandlerDeps, callerArn: string, requestId: string): Promise<ActionResult> {
  const request = await deps.store.get(requestId);
  if (!request) {
    return notFound(requestId);
  }
  const caller = resolveIdentity(callerArn);
  const human = humanKey(caller, deps.config.approvers);
  const parties = [request.requester, ...(request.onBehalfOf ? [request.onBehalfOf] : [])].map((p) => humanKey(p, deps.config.approvers));
  const participant = parties.includes(human) || isEligible(caller, deps.config.approvers);
  if (!participant) {
    return { status: 403, body: { error: 'not-eligible', message: `${callerArn} is not a participant in request ${requestId}` } };
  }
  return { status: 200, body: view(request) };
}

/** `POST /requests/{id}/approve` */
export async function approve(deps: HandlerDeps, callerArn: string, requestId: string, comment?: string, acceptRisk = false): Promise<ActionResult> {
  const caller = resolveIdentity(callerArn);
  return withFreshRead(deps, requestId, async (request) => {
    const now = deps.now();
    const decision = decideApproval(request, caller, deps.config, now, comment, acceptRisk);
    if (!decision.ok) {
      return refused(decision);
    }
    const proof = await deps.signer.sign(approvalMessage(request, decision.key, decision.approval));
    // A post-incident review issues nothing: its last approval closes it.
    const review = request.kind === 'review';
    const completed = review ? { status: 'REVIEWED' as const, reviewedAt: now.toISOString() } : { status: 'APPROVED' as const, approvedAt: now.toISOString() };
    const updated = await deps.store.update(requestId, request.version, {
      set: {
        approvals: { ...request.approvals, [decision.key]: { ...decision.approval, proof } },
        ...(decision.complete ? completed : {}),
      },
      history: {
        at: now.toISOString(),
        event: review ? (decision.complete ? 'review-closed' : 'reviewed') : decision.complete ? 'approved-complete' : 'approved',
        by: callerArn,
        ...(comment || decision.approval.acceptedRisk ? { detail: { ...(comment ? { comment } : {}), ...(decision.approval.acceptedRisk ? { acceptedRisk: request.impact?.riskToAccept } : {}) } } : {}),
      },
    });
    if (decision.complete && !review && updated.taskToken) {
      // Without a token yet, the workflow's own task sees APPROVED when it records its token.
      await tellWorkflow(deps, () => deps.workflow.approve(updated.taskToken!, requestId));
    }
    await publish(deps, { type: 'approved', request: updated, by: callerArn });
    return { status: 200, body: view(updated) };
  });
}

/** `POST /requests/{id}/deny` */
export async function deny(deps: HandlerDeps, callerArn: string, requestId: string, comment?: string): Promise<ActionResult> {
  const caller = resolveIdentity(callerArn);
  return withFreshRead(deps, requestId, async (request) => {
    const now = deps.now();
    const decision = decideDenial(request, caller, deps.config, now, comment);
    if (!decision.ok) {
      return refused(decision);
    }
    const updated = await deps.store.update(requestId, request.version, {
      set: { status: 'DENIED', deniedBy: decision.denial },
      remove: ['taskToken'],
      history: { at: now.toISOString(), event: 'denied', by: callerArn, ...(comment ? { detail: { comment } } : {}) },
    });
    if (request.taskToken) {
      await tellWorkflow(deps, () => deps.workflow.reject(request.taskToken!, 'RequestDenied', `denied by ${callerArn}`));
    }
    await publish(deps, { type: 'denied', request: updated, by: callerArn });
    return { status: 200, body: view(updated) };
  });
}

/** `POST /requests/{id}/revoke` */
export async function revoke(deps: HandlerDeps, callerArn: string, requestId: string): Promise<ActionResult> {
  const caller = resolveIdentity(callerArn);
  return withFreshRead(deps, requestId, async (request) => {
    const now = deps.now();
    const decision = decideRevocation(request, caller, deps.config, now);
    if (!decision.ok) {
      return refused(decision);
    }
    // End sessions already in use before recording the revocation: if this fails, nothing says "revoked".
    await deps.revoker.revoke(deps.config.roles[request.role].arn, requestId, now);
    const updated = await deps.store.update(requestId, request.version, {
      set: { status: 'REVOKED', revokedAt: now.toISOString() },
      remove: ['credentials'],
      history: { at: now.toISOString(), event: 'revoked', by: callerArn },
    });
    await publish(deps, { type: 'revoked', request: updated, by: callerArn });
    return { status: 200, body: view(updated) };
  });
}

/** `GET /requests/{id}/credentials`: to the requester, once. */
export async function credentials(deps: HandlerDeps, callerArn: string, requestId: string): Promise<ActionResult> {
  const caller = resolveIdentity(callerArn);
  return withFreshRead(deps, requestId, async (request) => {
    const now = deps.now();
    const decision = decideDelivery(request, caller, now);
    if (!decision.ok) {
      return refused(decision);
    }
    if (!request.credentials) {
      return { status: 409, body: { error: 'not-issued', message: `request ${requestId} has no credentials to hand out` } };
    }
    await deps.store.update(requestId, request.version, {
      set: { delivered: true },
      remove: ['credentials'],
      history: { at: now.toISOString(), event: 'credentials-delivered', by: callerArn },
    });
    const opened = await deps.vault.open(requestId, request.requester.callerArn, request.credentials.sealed);
    return { status: 200, body: { requestId, role: request.role, credentials: opened } };
  });
}

/** Publishes an event; a failure is logged, never undoes the state change already recorded in the table. */
export async function publish(deps: HandlerDeps, event: WorkflowEvent): Promise<void> {
  await sendQuietly(deps, () => deps.events.publish(event), 'event publishing failed; the request history in the table is the record', { type: event.type, requestId: event.request.requestId });
}

/** Publishes a refusal; a failure is logged, never fails the call: the refusal's log line is the record. */
export async function publishRefusal(deps: HandlerDeps, event: RefusalEvent): Promise<void> {
  await sendQuietly(deps, () => deps.events.refused(event), 'refusal event publishing failed; the log line is the record', { action: event.action, requestId: event.requestId });
}

async function sendQuietly(deps: HandlerDeps, send: () => Promise<void>, message: string, detail: Record<string, unknown>): Promise<void> {
  try {
    await send();
  } catch (error) {
    deps.log?.(message, { ...detail, error: String(error) });
  }
}
