/*
 * The break-glass action, `POST /requests/break-glass`: an eligible approver, as themselves, with a
 * reason, on a role that allows it. It takes a use of the role's rate limit, opens the
 * post-incident review, stores the request APPROVED with the approver's own proven approval,
 * starts the workflow (which issues at once, after the issuer's re-check) and tells every approver
 * and the security topic. I/O through the dependencies; the decisions are logic/break-glass.ts.
 */
import { approvalMessage } from '../logic/approval-proof';
import { BreakGlassBody, BreakGlassConfig, breakGlassUsageKey, decideBreakGlassCaller, decideBreakGlassUse, reviewOf, validateBreakGlassRequest } from '../logic/break-glass';
import { ChangeSetImpact } from '../logic/impact';
import { resolveIdentity } from '../logic/identity';
import { changeSetProblems } from '../logic/request';
import { mustAcceptRisk } from '../logic/rules';
import { ActionResult, bindingOf, describeChangeSet, publish, refused, startWorkflow, view } from './actions';
import { HandlerDeps } from './deps';
import { VersionConflict } from './store';

/** How many times taking a use is attempted when others take one at the same moment. */
const MAX_USE_ATTEMPTS = 8;

/** `POST /requests/break-glass` */
export async function breakGlass(deps: HandlerDeps, callerArn: string, body: unknown): Promise<ActionResult> {
  const caller = resolveIdentity(callerArn);
  const input = (body !== null && typeof body === 'object' && !Array.isArray(body) ? body : {}) as BreakGlassBody;
  const context = { approvers: deps.config.approvers, roles: deps.config.roles };
  const admitted = decideBreakGlassCaller(caller, input.role, context);
  if (!admitted.ok) {
    return refused(admitted);
  }
  const now = deps.now();
  const validation = validateBreakGlassRequest(input, {
    ...context,
    requestId: deps.newId(),
    reviewRequestId: deps.newId(),
    caller,
    now,
    account: deps.config.account,
    region: deps.config.region,
    pendingSeconds: deps.config.pendingSeconds,
  });
  if (!validation.ok) {
    return { status: 400, body: { error: validation.code, message: validation.problems.join('; '), problems: validation.problems } };
  }
  let request = validation.request;
  if (request.changeSetArn) {
    // Named, a change set binds the session as usual: described by the workflow, for the role's stacks.
    const described = await describeChangeSet(deps, request.changeSetArn);
    const problems = described.ok ? changeSetProblems(described.impact, bindingOf(deps, request.role), request.role) : [described.problem];
    if (problems.length > 0) {
      return { status: 400, body: { error: 'invalid-request', message: problems.join('; '), problems } };
    }
    request = { ...request, impact: (described as { impact: ChangeSetImpact }).impact };
  }
  const { acceptedRisk: _asked, ...approval } = validation.approval;
  if (mustAcceptRisk(request) && validation.approval.acceptedRisk !== true) {
    return refused({
      ok: false,
      code: 'risk-not-accepted',
      message: `the change set removes or replaces production resources that hold data (${request.impact!.riskToAccept.join(', ')}); break glass with acceptRisk: true (--accept-risk) to accept that risk`,
    });
  }
  const settings = deps.config.roles[request.role].breakGlass!;
  const taken = await takeUse(deps, request.role, request.requestId, settings, now);
  if (!taken.ok) {
    return { status: 429, body: { error: taken.code, message: taken.message, freesAt: taken.freesAt } };
  }
  // The review first: every break-glass the workflow accepted is reviewed, even one that then fails.
  const reviewRequestId = request.breakGlass!.reviewRequestId;
  await deps.store.create(reviewOf(request, reviewRequestId, now), { at: now.toISOString(), event: 'review-opened', detail: { breakGlassRequestId: request.requestId } });
  const own = { ...approval, ...(mustAcceptRisk(request) ? { acceptedRisk: true } : {}) };
  const proof = await deps.signer.sign(approvalMessage(request, validation.approvalKey, own));
  request = { ...request, approvals: { [validation.approvalKey]: { ...own, proof } } };
  await deps.store.create(request, { at: now.toISOString(), event: 'break-glass', by: callerArn, detail: { reviewRequestId } });
  const unavailable = await startWorkflow(deps, request);
  if (unavailable) {
    return unavailable;
  }
  const stored = (await deps.store.get(request.requestId))!;
  await publish(deps, { type: 'break-glass', request: stored, by: callerArn });
  return { status: 201, body: view(stored) };
}

/** Takes one use of the role's rate limit for `requestId`, made at `now`, or says when the next one frees up. */
async function takeUse(deps: HandlerDeps, role: string, requestId: string, settings: BreakGlassConfig, now: Date) {
  const key = breakGlassUsageKey(role);
  for (let attempt = 1; ; attempt++) {
    const record = await deps.store.getUsage(key);
    const decision = decideBreakGlassUse(record.uses, role, requestId, now, settings.rateLimit);
    if (!decision.ok) {
      return decision;
    }
    try {
      await deps.store.putUsage(key, record.version, decision.uses, new Date(now.getTime() + settings.rateLimit.perSeconds * 1000 + 24 * 3600 * 1000));
      return decision;
    } catch (error) {
      // Someone else took a use at the same moment: decide again on what they wrote.
      if (!(error instanceof VersionConflict) || attempt >= MAX_USE_ATTEMPTS) throw error;
    }
  }
}
