/*
 * The state machine's tasks: record the approval wait's task token, issue the session, and end
 * requests that expire. The issuer re-checks the approvals from the table, not from its input.
 */
import { MAX_SESSION_SECONDS, sessionPolicy, sessionTags } from '../logic/request';
import { countedApprovers, hasEnoughApprovals, isExpired } from '../logic/rules';
import { approvalMessage } from '../logic/approval-proof';
import { BREAK_GLASS_TAG_KEY, breakGlassIssueProblems, breakGlassUsageKey } from '../logic/break-glass';
import { isExecutable } from '../logic/impact';
import { describeChangeSet, publish } from './actions';
import { HandlerDeps } from './deps';
import { onFreshRead, StoredRequest } from './store';

/** An error the state machine catches by name. */
export class WorkflowError extends Error {
  constructor(name: 'RequestDenied' | 'RequestNotApproved' | 'RequestNotFound', message: string) {
    super(message);
    this.name = name;
  }
}

/** Runs a task on a fresh read of the request (again after a concurrent change); there must be one. */
async function retrying<T>(deps: HandlerDeps, requestId: string, attempt: (request: StoredRequest) => Promise<T>): Promise<T> {
  const result = await onFreshRead(deps.store, requestId, async (request) => ({ value: await attempt(request) }));
  if (!result) {
    throw new WorkflowError('RequestNotFound', `no request ${requestId}`);
  }
  return result.value;
}

/**
 * First task, with a task token: stores the token so that the approve and deny actions can end the
 * wait. If the request was decided before the token arrived, ends the wait at once.
 */
export async function awaitApprovals(deps: HandlerDeps, requestId: string, taskToken: string): Promise<void> {
  const request = await retrying(deps, requestId, (current) =>
    current.status === 'PENDING'
      ? deps.store.update(requestId, current.version, { set: { taskToken }, history: { at: deps.now().toISOString(), event: 'awaiting-approvals' } })
      : Promise.resolve(current),
  );
  if (request.status === 'APPROVED') {
    await deps.workflow.approve(taskToken, requestId);
  } else if (request.status !== 'PENDING') {
    await deps.workflow.reject(taskToken, 'RequestDenied', `request ${requestId} is ${request.status}`);
  }
}

/**
 * Issues the elevated session once: re-checks the approvals from the table, assumes the role with a
 * session policy, source identity and tags, and stores the credentials only if the request is
 * still APPROVED. A retry after a crash between STS and the table write issues again, and only the
 * stored credentials ever reach the requester; a retry after the write finds ISSUED and stops.
 */
export async function issueSession(deps: HandlerDeps, requestId: string): Promise<{ requestId: string; sessionExpiresAt: string }> {
  return retrying(deps, requestId, async (stored) => {
    // Only approvals the workflow itself recorded count: a row written by anyone else has no valid proof.
    const request = { ...stored, approvals: await provenApprovals(deps, stored) };
    if (request.status === 'ISSUED' || request.status === 'REVOKED' || (request.status === 'EXPIRED' && request.issuedAt)) {
      return { requestId, sessionExpiresAt: request.sessionExpiresAt! };
    }
    const now = deps.now();
    if (request.breakGlass || request.kind === 'review') {
      // One approver alone: only for a role that allows it, by the requester, with a reason, within the rate limit.
      const uses = (await deps.store.getUsage(breakGlassUsageKey(request.role))).uses;
      const problems = breakGlassIssueProblems(request, request.approvals, { approvers: deps.config.approvers, roles: deps.config.roles }, uses, now);
      if (problems.length > 0) {
        deps.log?.('break-glass request refused by the issuer', { requestId, problems });
        throw new WorkflowError('RequestNotApproved', `break-glass request ${requestId} refused: ${problems.join('; ')}`);
      }
    } else if (request.status !== 'APPROVED' || !hasEnoughApprovals(request, deps.config) || isExpired(request, now)) {
      throw new WorkflowError('RequestNotApproved', `request ${requestId} is ${request.status} with ${countedApprovers(request, deps.config).length} counted approvals`);
    }
    if (request.changeSetArn) {
      // What runs must be what was approved: the same changes, still executable.
      const changed = await changeSetStillApproved(deps, request);
      if (changed !== undefined) {
        const failed = await deps.store.update(requestId, request.version, {
          set: { status: 'FAILED', failure: { code: 'change-set-changed', message: changed } },
          remove: ['taskToken'],
          history: { at: now.toISOString(), event: 'failed', detail: { code: 'change-set-changed', message: changed } },
        });
        await publish(deps, { type: 'failed', request: failed });
        throw new WorkflowError('RequestNotApproved', `request ${requestId} failed: ${changed}`);
      }
    }
    const role = deps.config.roles[request.role];
    // A break-glass session's one approver is its requester, whom the two-person count leaves out.
    const approvers = request.breakGlass ? Object.keys(request.approvals) : countedApprovers(request, deps.config);
    const longest = request.breakGlass ? role.breakGlass!.maxSessionSeconds : role.maxSessionSeconds;
    const credentials = await deps.issuer.assumeRole({
      roleArn: role.arn,
      sessionName: `request-${requestId}`.slice(0, 64),
      sourceIdentity: request.requester.name,
      durationSeconds: Math.min(request.durationSeconds, longest, MAX_SESSION_SECONDS),
      policy: JSON.stringify(sessionPolicy(request)),
      tags: [...sessionTags(request, approvers), ...(request.breakGlass ? [{ Key: BREAK_GLASS_TAG_KEY, Value: requestId.slice(0, 256) }] : [])],
    });
    const updated = await deps.store.update(requestId, request.version, {
      set: {
        status: 'ISSUED',
        issuedAt: now.toISOString(),
        sessionExpiresAt: credentials.expiration,
        credentials: { sealed: await deps.vault.seal(requestId, request.requester.callerArn, credentials) },
        delivered: false,
      },
      remove: ['taskToken'],
      history: { at: now.toISOString(), event: 'issued', detail: { approvers, sessionExpiresAt: credentials.expiration } },
    });
    await publish(deps, { type: 'issued', request: updated });
    return { requestId, sessionExpiresAt: credentials.expiration };
  });
}

/** The approvals of `request` whose proof the signer verifies. */
async function provenApprovals(deps: HandlerDeps, request: StoredRequest): Promise<StoredRequest['approvals']> {
  const checked = await Promise.all(
    Object.entries(request.approvals).map(async ([key, approval]) => {
      const valid = typeof approval.proof === 'string' && (await deps.signer.verify(approvalMessage(request, key, approval), approval.proof));
      if (!valid) deps.log?.('approval without a valid proof ignored', { requestId: request.requestId, key, callerArn: approval.callerArn });
      return valid ? [[key, approval] as const] : [];
    }),
  );
  return Object.fromEntries(checked.flat());
}

/**
 * Ends a request the workflow could not carry through (a task failed after its retries): FAILED,
 * with the error, its credentials and task token removed, and an event. A request already ended
 * stays as it is.
 */
export async function fail(deps: HandlerDeps, requestId: string, error: string, cause: string): Promise<void> {
  await retrying(deps, requestId, async (request) => {
    if (!['PENDING', 'APPROVED', 'ISSUED'].includes(request.status)) {
      return;
    }
    const now = deps.now();
    const failure = { code: error, message: cause.slice(0, 1000) || `the workflow failed with ${error}` };
    const updated = await deps.store.update(requestId, request.version, {
      set: { status: 'FAILED', failure },
      remove: ['taskToken', 'credentials'],
      history: { at: now.toISOString(), event: 'failed', detail: failure },
    });
    await publish(deps, { type: 'failed', request: updated });
  });
}

/** Why the change set no longer matches what approvers saw, or undefined when it does. */
async function changeSetStillApproved(deps: HandlerDeps, request: StoredRequest): Promise<string | undefined> {
  const described = await describeChangeSet(deps, request.changeSetArn!);
  if (!described.ok) return described.problem;
  if (!isExecutable(described.impact)) {
    return `the change set can no longer be executed (status ${described.impact.status}, execution status ${described.impact.executionStatus})`;
  }
  if (request.impact && described.impact.fingerprint !== request.impact.fingerprint) {
    return 'the change set no longer holds the changes approvers saw';
  }
  return undefined;
}

/** Ends a request that waited too long for approvals, or a session that reached its end. */
export async function expire(deps: HandlerDeps, requestId: string): Promise<void> {
  await retrying(deps, requestId, async (request) => {
    if (!['PENDING', 'APPROVED', 'ISSUED'].includes(request.status)) {
      // Denied, revoked, failed or already ended: nothing to do.
      return;
    }
    const now = deps.now();
    const updated = await deps.store.update(requestId, request.version, {
      set: { status: 'EXPIRED' },
      remove: ['taskToken', 'credentials'],
      history: { at: now.toISOString(), event: request.status === 'ISSUED' ? 'session-ended' : 'expired' },
    });
    await publish(deps, { type: 'expired', request: updated });
  });
}
