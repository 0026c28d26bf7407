/** Break-glass as pure functions: who may ask, and the rate limit's window. */
import { breakGlassUseRecorded, decideBreakGlassCaller, decideBreakGlassUse } from '../../lib/approval-workflow/logic/break-glass';
import { ApproverSpec, resolveIdentity } from '../../lib/approval-workflow/logic/identity';

const ACCOUNT = '111122223333';
const approvers: ApproverSpec[] = [
  { human: 'bob', identities: [{ kind: 'iam-user', userArn: `arn:aws:iam::${ACCOUNT}:user/bob` }] },
  { human: 'carol', identities: [{ kind: 'role', roleArn: `arn:aws:iam::${ACCOUNT}:role/approvers/change-approver` }] },
];
const roles = { responder: { breakGlass: { maxSessionSeconds: 900, rateLimit: { count: 2, perSeconds: 3600 } } }, deployer: {} };
const at = (minutes: number) => new Date(Date.parse('2026-11-21T03:00:00Z') + minutes * 60_000);
const limit = roles.responder.breakGlass.rateLimit;

describe('who may break glass', () => {
  test.each([
    ['an approver\'s IAM user', `arn:aws:iam::${ACCOUNT}:user/bob`, 'responder', true],
    ['an approver\'s role, whatever the session name', `arn:aws:sts::${ACCOUNT}:assumed-role/change-approver/3am`, 'responder', true],
    ['fails when an approver names a role without break-glass', `arn:aws:iam::${ACCOUNT}:user/bob`, 'deployer', 'break-glass-not-enabled'],
    ['fails when an agent session asks', `arn:aws:sts::${ACCOUNT}:assumed-role/coding-agent/task-1`, 'responder', 'not-eligible'],
    ['fails when an IAM user under the guardrails\' paths asks', `arn:aws:iam::${ACCOUNT}:user/agent-guardrails/ci`, 'responder', 'break-glass-not-for-agents'],
    ['fails when a federated user asks', `arn:aws:sts::${ACCOUNT}:federated-user/bob`, 'responder', 'not-eligible'],
  ])('%s', (_what, caller, role, expected) => {
    const decision = decideBreakGlassCaller(resolveIdentity(caller), role, { approvers, roles });
    expect(decision.ok ? true : decision.code).toBe(expected);
  });
});

describe('the rate limit', () => {
  test('allows `count` uses in any window, and says when the oldest leaves it', () => {
    const first = decideBreakGlassUse([], 'responder', 'r1', at(0), limit);
    const second = decideBreakGlassUse(first.ok ? first.uses : [], 'responder', 'r2', at(10), limit);
    expect(second).toMatchObject({ ok: true, uses: [{ requestId: 'r1' }, { requestId: 'r2' }] });
    const third = decideBreakGlassUse(second.ok ? second.uses : [], 'responder', 'r3', at(20), limit);
    expect(third).toMatchObject({ ok: false, code: 'break-glass-rate-limited', freesAt: at(60).toISOString() });
    // Once the first leaves the window, one more; the record drops what left it.
    expect(decideBreakGlassUse(second.ok ? second.uses : [], 'responder', 'r3', at(61), limit)).toMatchObject({ ok: true, uses: [{ requestId: 'r2' }, { requestId: 'r3' }] });
  });

  test('the issuer finds a request in the record only within the limit', () => {
    const uses = [{ requestId: 'r1', at: at(0).toISOString() }, { requestId: 'r2', at: at(1).toISOString() }, { requestId: 'r3', at: at(2).toISOString() }];
    expect(breakGlassUseRecorded(uses, 'r2', limit)).toBe(true);
    expect(breakGlassUseRecorded(uses, 'r3', limit)).toBe(false);
    expect(breakGlassUseRecorded(uses, 'r4', limit)).toBe(false);
  });
});
