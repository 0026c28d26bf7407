import { ChangeSetImpact } from '../../lib/approval-workflow/logic/impact';
import { changeSetProblems } from '../../lib/approval-workflow/logic/request';
import {
  approverProblems,
  ApproverSpec,
  decideApproval,
  decideDelivery,
  decideDenial,
  decideRevocation,
  ElevationRequest,
  hasEnoughApprovals,
  humanKey,
  isExpired,
  resolveIdentity,
  sessionPolicy,
  sessionTags,
  validateCreateRequest,
} from '../../lib';

const ACCOUNT = '111122223333';
const ALICE = `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Approver_0123456789abcdef/alice@example.com`;
const BOB = `arn:aws:iam::${ACCOUNT}:user/bob`;
const CAROL = `arn:aws:sts::${ACCOUNT}:assumed-role/change-approver/carol-laptop`;
const MALLORY = `arn:aws:iam::${ACCOUNT}:user/mallory`;
const AGENT = `arn:aws:sts::${ACCOUNT}:assumed-role/coding-agent/task-42`;

/** Bob signs in as an IAM user and through Identity Center: one human. */
const BOB_SSO = `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Approver_0123456789abcdef/bob@example.com`;
const approvers: ApproverSpec[] = [
  { human: 'alice', identities: [{ kind: 'identity-center-user', userName: 'alice@example.com' }] },
  { human: 'bob', identities: [{ kind: 'iam-user', userArn: BOB }, { kind: 'identity-center-user', userName: 'bob@example.com' }] },
  { human: 'carol', identities: [{ kind: 'role', roleArn: `arn:aws:iam::${ACCOUNT}:role/approvers/change-approver` }] },
];
const config = { requiredApprovals: 2, approvers };
const CHANGE_SET = `arn:aws:cloudformation:us-east-1:${ACCOUNT}:changeSet/cdk-deploy-1/0a1b2c3d-0000-1111-2222-333344445555`;
const NOW = new Date('2026-11-21T10:00:00Z');
const LATER = new Date('2026-11-21T10:30:00Z');

function pending(overrides: Partial<ElevationRequest> = {}): ElevationRequest {
  const validation = validateCreateRequest(
    { role: 'deployer', justification: 'execute the approved change set for ticket OPS-1', onBehalfOf: ALICE, changeSetArn: CHANGE_SET },
    { requestId: 'req-1', caller: resolveIdentity(AGENT), now: NOW, roles: { deployer: { maxSessionSeconds: 3600 } }, pendingSeconds: 3600 },
  );
  if (!validation.ok) throw new Error(validation.problems.join('; '));
  return { ...validation.request, ...overrides };
}

function approvedBy(request: ElevationRequest, ...callers: string[]): ElevationRequest {
  return callers.reduce((r, arn) => {
    const decision = decideApproval(r, resolveIdentity(arn), config, LATER);
    if (!decision.ok) throw new Error(decision.code);
    return { ...r, approvals: { ...r.approvals, [decision.key]: decision.approval } };
  }, request);
}

describe('the identity model', () => {
  test.each([
    ['an IAM user is one human', BOB, 'iam-user', `iam-user:${ACCOUNT}:bob`],
    ['an Identity Center session is its user, case-insensitively', ALICE.replace('alice@', 'Alice@'), 'identity-center-user', 'identity-center-user:alice@example.com'],
    ['any other role is one person, whatever the session name', CAROL, 'role', `role:${ACCOUNT}:change-approver`],
    ['a federated user is never a human we can trust', `arn:aws:sts::${ACCOUNT}:federated-user/alice`, 'unsupported', `unsupported:arn:aws:sts::${ACCOUNT}:federated-user/alice`],
    ['root is never a human we can trust', `arn:aws:iam::${ACCOUNT}:root`, 'unsupported', `unsupported:arn:aws:iam::${ACCOUNT}:root`],
  ])('%s', (_name, arn, kind, key) => {
    expect(resolveIdentity(arn)).toMatchObject({ kind, key });
  });

  test('IAM user and role names count regardless of case, as IAM treats them', () => {
    expect(resolveIdentity(`arn:aws:iam::${ACCOUNT}:user/Bob`).key).toBe(resolveIdentity(BOB).key);
    expect(resolveIdentity(`arn:aws:sts::${ACCOUNT}:assumed-role/Change-Approver/x`).key).toBe(resolveIdentity(CAROL).key);
  });

  test('resolves every identity of an approver to that human, and anyone else to their own identity', () => {
    expect(humanKey(resolveIdentity(BOB), approvers)).toBe('human:bob');
    expect(humanKey(resolveIdentity(BOB_SSO), approvers)).toBe('human:bob');
    expect(humanKey(resolveIdentity(`arn:aws:iam::${ACCOUNT}:user/BOB`), approvers)).toBe('human:bob');
    expect(humanKey(resolveIdentity(MALLORY), approvers)).toBe(`iam-user:${ACCOUNT}:mallory`);
  });

  test('passes approvers with distinct names and identities', () => {
    expect(approverProblems(approvers)).toEqual([]);
  });

  test.each([
    ['two spellings of one IAM user', [{ human: 'alice', identities: [{ kind: 'iam-user', userArn: `arn:aws:iam::${ACCOUNT}:user/alice` }, { kind: 'iam-user', userArn: `arn:aws:iam::${ACCOUNT}:user/Alice` }] }], /approvers\[0\] \(alice\) names iam-user:111122223333:alice twice/],
    ['one identity under two humans', [{ human: 'alice', identities: [{ kind: 'iam-user', userArn: BOB }] }, { human: 'bob', identities: [{ kind: 'iam-user', userArn: `arn:aws:iam::${ACCOUNT}:user/Bob` }] }], /iam-user:111122223333:bob is an identity of both alice and bob; one identity belongs to one human/],
    ['two approvers with one name', [{ human: 'bob', identities: [{ kind: 'iam-user', userArn: BOB }] }, { human: 'Bob', identities: [{ kind: 'identity-center-user', userName: 'bob@example.com' }] }], /approvers\[1\] and approvers\[0\] are both named "Bob"; give each human one entry/],
    ['a human without identities', [{ human: 'dave', identities: [] }], /approvers\[0\] \(dave\) has no identity/],
    ['an identity that is no ARN', [{ human: 'erin', identities: [{ kind: 'role', roleArn: 'erin' }] }], /approvers\[0\] \(erin\) identity 0 must be a role ARN like arn:aws:iam::111122223333:role\/approver, got "erin"/],
  ] as [string, ApproverSpec[], RegExp][])('fails when approvers hold %s', (_what, specs, message) => {
    expect(approverProblems(specs).join('\n')).toMatch(message);
  });

  test('one human assuming the same role under two session names counts once', () => {
    const first = resolveIdentity(`arn:aws:sts::${ACCOUNT}:assumed-role/change-approver/alice`);
    const second = resolveIdentity(`arn:aws:sts::${ACCOUNT}:assumed-role/change-approver/bob`);
    expect(first.key).toBe(second.key);
  });
});

describe('approving', () => {
  test('two distinct eligible humans complete a request', () => {
    const once = approvedBy(pending(), BOB);
    const decision = decideApproval(once, resolveIdentity(CAROL), config, LATER);
    expect(decision).toMatchObject({ ok: true, complete: true });
    expect(decideApproval(pending(), resolveIdentity(BOB), config, LATER)).toMatchObject({ ok: true, complete: false });
  });

  test.each([
    ['fails when the requester approves', () => pending({ requester: resolveIdentity(BOB) }), BOB, 'self-approval'],
    ['fails when the human behind the agent approves', () => pending(), ALICE, 'on-behalf-of-approval'],
    ['fails when the same human approves twice', () => approvedBy(pending(), BOB), BOB, 'already-approved-by-you'],
    ['fails when the second approval is the same role under another session name', () => approvedBy(pending(), CAROL), `arn:aws:sts::${ACCOUNT}:assumed-role/change-approver/totally-someone-else`, 'already-approved-by-you'],
    ['fails when one human approves again under another identity', () => approvedBy(pending(), BOB), BOB_SSO, 'already-approved-by-you'],
    ['fails when the requester approves under another identity', () => pending({ requester: resolveIdentity(BOB) }), BOB_SSO, 'self-approval'],
    ['fails when the human behind the agent approves under another identity', () => pending({ onBehalfOf: resolveIdentity(BOB) }), BOB_SSO, 'on-behalf-of-approval'],
    ['fails when the approver is not eligible', () => pending(), MALLORY, 'not-eligible'],
    ['fails when the request was denied', () => pending({ status: 'DENIED' }), BOB, 'denied'],
    ['fails when the request expired', () => pending({ expiresAt: '2026-11-21T10:10:00Z' }), BOB, 'expired'],
    ['fails when the request is already approved', () => pending({ status: 'APPROVED' }), BOB, 'not-pending'],
    ['fails when the session was revoked', () => pending({ status: 'REVOKED' }), BOB, 'revoked'],
  ])('%s', (_name, request, caller, code) => {
    expect(decideApproval(request(), resolveIdentity(caller), config, LATER)).toMatchObject({ ok: false, code });
  });

  test('an approval that landed before expiry stays in time while the session is issued', () => {
    const approved = pending({ status: 'APPROVED', approvedAt: '2026-11-21T10:59:59Z' });
    expect(isExpired(approved, new Date('2026-11-21T11:00:01Z'))).toBe(false);
    expect(isExpired({ ...approved, approvedAt: '2026-11-21T11:00:00Z' }, new Date('2026-11-21T11:00:01Z'))).toBe(true);
  });

  test('the issuer counts only approvals whose key matches their caller, from eligible humans other than the requester and operator', () => {
    const forged = { ...pending(), approvals: { 'human:bob': { callerArn: MALLORY, at: LATER.toISOString() }, 'human:alice': { callerArn: ALICE, at: LATER.toISOString() } } };
    expect(hasEnoughApprovals(forged, config)).toBe(false);
    // One human's two identities, filed under two keys, count once.
    const twice = { ...pending(), approvals: { 'human:bob': { callerArn: BOB, at: LATER.toISOString() }, 'human:bob2': { callerArn: BOB_SSO, at: LATER.toISOString() } } };
    expect(hasEnoughApprovals(twice, config)).toBe(false);
    expect(hasEnoughApprovals(approvedBy(pending(), BOB, CAROL), config)).toBe(true);
    expect(hasEnoughApprovals(approvedBy(pending(), BOB, CAROL), { ...config, requiredApprovals: 3 })).toBe(false);
  });
});

describe('a change set that puts production data at risk', () => {
  const impact = { stackName: 'orders-prod', riskToAccept: ['orders-prod/Orders (AWS::DynamoDB::Table)'], status: 'CREATE_COMPLETE', executionStatus: 'AVAILABLE' } as unknown as ChangeSetImpact;

  test('fails when an approver does not accept the risk; accepting it is recorded on the approval', () => {
    const risky = pending({ impact });
    expect(decideApproval(risky, resolveIdentity(BOB), config, LATER)).toMatchObject({ ok: false, code: 'risk-not-accepted' });
    expect(decideApproval(risky, resolveIdentity(BOB), config, LATER, undefined, true)).toMatchObject({ ok: true, approval: { acceptedRisk: true } });
  });

  test('the issuer counts only approvals that accepted the risk', () => {
    const accepted = { callerArn: BOB, at: LATER.toISOString(), acceptedRisk: true };
    const written = { ...pending({ impact }), approvals: { 'human:bob': accepted, 'human:carol': { callerArn: CAROL, at: LATER.toISOString() } } };
    expect(hasEnoughApprovals(written, config)).toBe(false);
    expect(hasEnoughApprovals({ ...written, approvals: { ...written.approvals, 'human:carol': { ...accepted, callerArn: CAROL } } }, config)).toBe(true);
  });

  test.each([
    ['a change set that cannot be executed', { ...impact, executionStatus: 'EXECUTE_COMPLETE' }, { riskyChangeSets: 'accept' as const }, /cannot be executed \(status CREATE_COMPLETE, execution status EXECUTE_COMPLETE\)/],
    ['a stack the role does not change', impact, { stackNames: ['billing-*'], riskyChangeSets: 'accept' as const }, /role "deployer" executes change sets of billing-\* only; this one is for stack orders-prod/],
    ['production data at risk, when the role refuses it', impact, { riskyChangeSets: 'refuse' as const }, /refuses change sets that remove or replace production data, and this one would: orders-prod\/Orders/],
  ])('fails for %s', (_what, described, binding, message) => {
    expect(changeSetProblems(described, binding, 'deployer').join('\n')).toMatch(message);
  });

  test('passes a change set for a stack the role changes', () => {
    expect(changeSetProblems(impact, { stackNames: ['orders-*'], riskyChangeSets: 'accept' }, 'deployer')).toEqual([]);
  });
});

describe('denying, revoking and delivering', () => {
  test('any eligible approver can deny a pending request; others cannot', () => {
    expect(decideDenial(pending(), resolveIdentity(CAROL), config, LATER)).toMatchObject({ ok: true });
    expect(decideDenial(pending(), resolveIdentity(MALLORY), config, LATER)).toMatchObject({ ok: false, code: 'not-eligible' });
    expect(decideDenial(pending({ status: 'ISSUED' }), resolveIdentity(CAROL), config, LATER)).toMatchObject({ ok: false, code: 'not-pending' });
  });

  test('an approver or the requester can revoke an issued session before it ends', () => {
    const issued = pending({ status: 'ISSUED', sessionExpiresAt: '2026-11-21T11:00:00Z' });
    expect(decideRevocation(issued, resolveIdentity(BOB), config, LATER)).toMatchObject({ ok: true });
    expect(decideRevocation(issued, resolveIdentity(AGENT), config, LATER)).toMatchObject({ ok: true });
    expect(decideRevocation(issued, resolveIdentity(BOB_SSO), config, LATER)).toMatchObject({ ok: true });
    expect(decideRevocation(issued, resolveIdentity(MALLORY), config, LATER)).toMatchObject({ ok: false, code: 'not-eligible' });
    expect(decideRevocation(pending(), resolveIdentity(BOB), config, LATER)).toMatchObject({ ok: false, code: 'not-issued' });
    expect(decideRevocation(issued, resolveIdentity(BOB), config, new Date('2026-11-21T11:00:01Z'))).toMatchObject({ ok: false, code: 'expired' });
  });

  test('credentials go to the requester only, once, while the session lives', () => {
    const issued = pending({ status: 'ISSUED', sessionExpiresAt: '2026-11-21T11:00:00Z' });
    const anotherAgentSession = `arn:aws:sts::${ACCOUNT}:assumed-role/coding-agent/task-43`;
    expect(decideDelivery(issued, resolveIdentity(AGENT), LATER)).toMatchObject({ ok: true });
    expect(decideDelivery(issued, resolveIdentity(anotherAgentSession), LATER)).toMatchObject({ ok: false, code: 'not-requester' });
    expect(decideDelivery(issued, resolveIdentity(BOB), LATER)).toMatchObject({ ok: false, code: 'not-requester' });
    expect(decideDelivery({ ...issued, delivered: true }, resolveIdentity(AGENT), LATER)).toMatchObject({ ok: false, code: 'already-delivered' });
    expect(decideDelivery({ ...issued, status: 'REVOKED' }, resolveIdentity(AGENT), LATER)).toMatchObject({ ok: false, code: 'revoked' });
    expect(decideDelivery(pending(), resolveIdentity(AGENT), LATER)).toMatchObject({ ok: false, code: 'not-issued' });
  });
});

describe('validating a request', () => {
  const context = { requestId: 'r', caller: resolveIdentity(AGENT), now: NOW, roles: { deployer: { maxSessionSeconds: 1800 } }, pendingSeconds: 3600, approvers };
  const asked = { role: 'deployer', justification: 'a long enough reason', onBehalfOf: ALICE, changeSetArn: CHANGE_SET };

  test('fails with every problem at once', () => {
    expect(validateCreateRequest({ role: 'admin', durationSeconds: 7200, justification: 'x', changeSetArn: 'nope', onBehalfOf: 'alice' }, context)).toEqual({
      ok: false,
      code: 'invalid-request',
      problems: [
        'role must be one of "deployer"; got "admin"',
        'durationSeconds must be a whole number from 900 to 3600; got 7200',
        'justification is required: say why, in 10-2000 characters; got "x"',
        'changeSetArn must be a CloudFormation change set ARN; got "nope"',
        'onBehalfOf must be the ARN of the human the agent works for (IAM user, Identity Center session, or role); got "alice"',
      ],
    });
  });

  test('fails when a role asks without naming the human it works for, unless opted out by name', () => {
    expect(validateCreateRequest({ ...asked, onBehalfOf: undefined }, context)).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/^onBehalfOf is required when a role asks \(arn:aws:sts::111122223333:assumed-role\/coding-agent\/task-42\)/)],
    });
    expect(validateCreateRequest({ ...asked, onBehalfOf: undefined }, { ...context, allowRequestsWithoutOnBehalfOf: true })).toMatchObject({ ok: true });
    // A human asking for themselves names nobody else.
    expect(validateCreateRequest({ ...asked, onBehalfOf: undefined }, { ...context, caller: resolveIdentity(BOB) })).toMatchObject({ ok: true });
  });

  test('fails when a request names no change set, unless the role takes requests without one', () => {
    expect(validateCreateRequest({ ...asked, changeSetArn: undefined }, context)).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/^changeSetArn is required for role "deployer": a session executes one change set, which approvers see/)],
    });
    const optional = { ...context, roles: { deployer: { maxSessionSeconds: 1800, changeSetRequired: false } } };
    expect(validateCreateRequest({ ...asked, changeSetArn: undefined }, optional)).toMatchObject({ ok: true });
  });

  test.each([
    ['another account', CHANGE_SET.replace(ACCOUNT, '444455556666'), 'one in 444455556666, us-east-1'],
    ['another region', CHANGE_SET.replace('us-east-1', 'eu-west-1'), 'one in 111122223333, eu-west-1'],
  ])('fails when the change set is in %s', (_what, changeSetArn, found) => {
    const here = { ...context, account: ACCOUNT, region: 'us-east-1' };
    expect(validateCreateRequest({ ...asked, changeSetArn }, here)).toMatchObject({
      ok: false,
      problems: [`changeSetArn must be a change set in this workflow's account and region (111122223333, us-east-1); got ${found}`],
    });
    expect(validateCreateRequest(asked, here)).toMatchObject({ ok: true });
  });

  test('fails when onBehalfOf is the requester under another identity', () => {
    expect(validateCreateRequest({ ...asked, onBehalfOf: BOB }, { ...context, caller: resolveIdentity(BOB_SSO) })).toMatchObject({
      ok: false,
      problems: ['onBehalfOf names the requester; name the human the agent works for'],
    });
  });

  test.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('fails when the role is %s, which is no elevated role', (role) => {
    expect(validateCreateRequest({ ...asked, role }, context)).toMatchObject({ ok: false, problems: [`role must be one of "deployer"; got ${JSON.stringify(role)}`] });
  });

  test('defaults the duration to the role limit', () => {
    expect(validateCreateRequest(asked, context)).toMatchObject({ ok: true, request: { durationSeconds: 1800 } });
  });

  test.each([
    ['an STS "user"', `arn:aws:sts::${ACCOUNT}:user/bob`],
    ['an IAM "assumed-role"', `arn:aws:iam::${ACCOUNT}:assumed-role/x/bob`],
    ['a federated user', `arn:aws:sts::${ACCOUNT}:federated-user/bob`],
  ])('fails when onBehalfOf is %s, which names no human the rules can exclude', (_name, onBehalfOf) => {
    expect(validateCreateRequest({ ...asked, onBehalfOf }, context)).toMatchObject({ ok: false });
  });

  test('fails when the caller is a federated user or root', () => {
    const federated = { ...context, caller: resolveIdentity(`arn:aws:sts::${ACCOUNT}:federated-user/batch`) };
    expect(validateCreateRequest({ ...asked, onBehalfOf: undefined }, federated)).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/cannot ask: root and federated-user sessions/)],
    });
  });

  test('caps the duration at the role limit and defaults to it within one hour', () => {
    expect(validateCreateRequest({ ...asked, durationSeconds: 3600 }, context)).toMatchObject({ ok: false });
    expect(validateCreateRequest({ ...asked, durationSeconds: 1800 }, context)).toMatchObject({
      ok: true,
      request: { durationSeconds: 1800, status: 'PENDING', expiresAt: '2026-11-21T11:00:00.000Z', requester: { key: `role:${ACCOUNT}:coding-agent` } },
    });
  });
});

describe('the issued session', () => {
  test('is scoped to the requested change set', () => {
    const changeSetArn = `arn:aws:cloudformation:us-east-1:${ACCOUNT}:changeSet/cdk-deploy-1/0a1b2c3d-0000-1111-2222-333344445555`;
    const policy = sessionPolicy(pending({ changeSetArn })) as any;
    expect(policy.Statement[0]).toEqual({
      Effect: 'Allow',
      Action: 'cloudformation:ExecuteChangeSet',
      Resource: `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/*`,
      Condition: { StringEquals: { 'cloudformation:ChangeSetName': changeSetArn } },
    });
  });

  test('carries the request id and approvers as session tags', () => {
    expect(sessionTags(pending(), ['iam-user:111122223333:bob', 'role:111122223333:change-approver'])).toEqual([
      { Key: 'agent-guardrails:request-id', Value: 'req-1' },
      { Key: 'agent-guardrails:approvers', Value: 'iam-user:111122223333:bob role:111122223333:change-approver' },
    ]);
    // The ticket, when the request names one, is the session's task.
    expect(sessionTags({ ...pending(), ticket: 'OPS-42' }, [])).toContainEqual({ Key: 'agent-guardrails:task', Value: 'OPS-42' });
  });
});
