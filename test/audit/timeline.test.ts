/* CloudTrail records to sessions: linking through AssumeRole and session tags, chains, trips, and what is left out. */
import { recordsOfDocument } from '../../lib/audit/documents';
import { Audit, AuditSession } from '../../lib/audit/model';
import { TrailRecord } from '../../lib/audit/records';
import { buildAudit, roleKind } from '../../lib/audit/timeline';
import { FIXTURE_REQUEST_ID, fixtureRecords, fixtureText } from './trail';

const LOG_FIXTURES = ['agent-session.json', 'chained-session.json', 'elevated-session.json', 'other-principals.json'];

function recordsOf(raw: unknown[]): TrailRecord[] {
  const result = recordsOfDocument(raw, 'test');
  if (!result.ok) throw new Error(result.problems.join('; '));
  return [...result.records];
}

const allRecords = () => [...recordsOf(LOG_FIXTURES.flatMap((f) => fixtureRecords(f))), ...recordsOf(JSON.parse(fixtureText('lookup-events.json')).Events)];

const session = (audit: Audit, roleName: string, account = '111122223333'): AuditSession => {
  const found = audit.sessions.find((s) => s.roleArn === undefined ? false : s.roleArn.endsWith(`/${roleName}`) && s.roleArn.includes(`::${account}:`));
  if (!found) throw new Error(`no session of ${roleName} in ${account}: ${audit.sessions.map((s) => s.roleArn).join(', ')}`);
  return found;
};

describe('buildAudit on the fixtures', () => {
  const audit = buildAudit(allRecords(), { productionStacks: ['orders-prod'] });

  test('counts a record read twice once (the lookup holds the agent\'s DeleteStack again, with the same eventID)', () => {
    expect(allRecords()).toHaveLength(29);
    expect(session(audit, 'coding-agent').events.filter((e) => e.eventName === 'DeleteStack')).toHaveLength(1);
  });

  test('finds one session per assumed-role session, in the order they began', () => {
    expect(audit.sessions.map((s) => [s.id, s.kind, s.sourceIdentity, s.sessionName])).toEqual([
      ['s1', 'agent', 'coding-agent', 'OPS-42'],
      ['s2', 'agent', 'coding-agent', 'OPS-42'],
      ['s3', 'elevated', 'alice', 'request-3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7'],
      ['s4', 'elevated', 'coding-agent', `request-${FIXTURE_REQUEST_ID}`],
      ['s5', 'agent', 'review-agent', 'PR-318'],
    ]);
    expect(audit).toMatchObject({ records: 28, from: '2026-03-02T09:57:30Z', to: '2026-03-02T11:02:00Z' });
  });

  test('links the agent session to the launcher\'s AssumeRole: source identity, role, session name, task tag, expiry', () => {
    expect(session(audit, 'coding-agent')).toMatchObject({
      linkedBy: 'assume-role',
      roleArn: 'arn:aws:iam::111122223333:role/agent-guardrails/agent/coding-agent',
      assumedRoleArn: 'arn:aws:sts::111122223333:assumed-role/coding-agent/OPS-42',
      accessKeyId: 'ASIA3AGENTOPS42EXMPL',
      task: 'OPS-42',
      issuedAt: '2026-03-02T09:58:00Z',
      issuedBy: 'arn:aws:iam::111122223333:user/operator',
      expiresAt: '2026-03-02T10:58:00Z',
      approvers: [],
      requestId: undefined,
    });
  });

  test('lists every call of the session with its outcome, denied attempts included', () => {
    const s1 = session(audit, 'coding-agent');
    expect(s1.events.map((e) => [e.eventName, e.outcome, e.errorCode])).toEqual([
      ['DescribeStacks', 'allowed', undefined],
      ['GetTemplate', 'allowed', undefined],
      ['CreateChangeSet', 'allowed', undefined],
      ['DeleteStack', 'denied', 'AccessDenied'],
      ['TerminateInstances', 'denied', 'Client.UnauthorizedOperation'],
      ['AssumeRole', 'denied', 'AccessDenied'],
      ['AssumeRole', 'allowed', undefined],
      ['PutRolePolicy', 'denied', 'AccessDenied'],
      ['DescribeStacks', 'denied', 'AccessDenied'],
    ]);
    expect(s1.summary).toEqual({ calls: 9, denied: 5, failed: 0, writes: 1, production: true, firstAt: '2026-03-02T09:59:10Z', lastAt: '2026-03-02T10:07:10Z' });
    expect(s1.events.find((e) => e.eventName === 'DeleteStack')).toMatchObject({ production: true, readOnly: false, target: 'stackName=orders-prod' });
  });

  test('attributes a role-chained session to the agent and shows the chain', () => {
    const s2 = session(audit, 'coding-agent', '444455556666');
    expect(s2).toMatchObject({ id: 's2', chainedFrom: 's1', linkedBy: 'assume-role', sourceIdentity: 'coding-agent', issuedBy: 'arn:aws:sts::111122223333:assumed-role/coding-agent/OPS-42' });
    expect(s2.chain).toEqual(['arn:aws:sts::111122223333:assumed-role/coding-agent/OPS-42', 'arn:aws:sts::444455556666:assumed-role/coding-agent/OPS-42']);
    expect(s2.events.map((e) => `${e.eventName} ${e.outcome}`)).toEqual(['DescribeStacks allowed', 'DeleteStack allowed', 'DeleteRolePermissionsBoundary denied']);
    expect(session(audit, 'coding-agent').events.filter((e) => e.opens).map((e) => e.opens)).toEqual(['s2']);
    // Staging is not production: the chained session's DeleteStack is not marked.
    expect(s2.summary.production).toBe(false);
  });

  test('links the elevated session through the tags the workflow sets: request id, approvers, task', () => {
    const s4 = session(audit, 'deployer');
    expect(s4).toMatchObject({
      kind: 'elevated',
      linkedBy: 'assume-role',
      sourceIdentity: 'coding-agent',
      requestId: FIXTURE_REQUEST_ID,
      approvers: ['human:approver-1', 'human:approver-2'],
      task: 'OPS-42',
      issuedBy: 'arn:aws:sts::111122223333:assumed-role/AgentGuardrails-ApprovalIssueSessionServiceRole-1A2B3C4D/AgentGuardrails-ApprovalIssueSession-5E6F7A8B',
      expiresAt: '2026-03-02T10:45:00Z',
    });
    expect(s4.events.map((e) => e.eventName)).toEqual(['DescribeChangeSet', 'ExecuteChangeSet']);
    expect(s4.summary).toMatchObject({ calls: 2, writes: 1, production: true });
  });

  test('shows the breaker\'s trip and reset on the agent role\'s session, not on its namesake in another account', () => {
    expect(audit.trips.map((t) => [t.action, t.at, t.roleName, t.accountId])).toEqual([
      ['trip', '2026-03-02T10:06:05Z', 'coding-agent', '111122223333'],
      ['reset', '2026-03-02T10:25:00Z', 'coding-agent', '111122223333'],
    ]);
    expect(session(audit, 'coding-agent').trips.map((t) => t.action)).toEqual(['trip', 'reset']);
    expect(session(audit, 'coding-agent', '444455556666').trips).toEqual([]);
    expect(session(audit, 'review-agent').trips).toEqual([]);
  });

  test('finds a session whose AssumeRole is not in the records by its role, source identity and issue time, also in calls without an access key', () => {
    const s5 = session(audit, 'review-agent');
    expect(s5).toMatchObject({ linkedBy: 'session-context', issuedAt: '2026-03-02T10:59:50Z', issuedBy: undefined, task: undefined });
    expect(s5.events.map((e) => `${e.eventName} ${e.outcome}`)).toEqual(['ListBuckets allowed', 'DescribeStackEvents allowed', 'UpdateFunctionCode20150331v2 denied']);
  });

  test('leaves out humans, services and the workflow\'s functions, and says whom', () => {
    expect(audit.ignored.principals.map((p) => p.principal).sort()).toEqual([
      'arn:aws:iam::111122223333:user/operator',
      'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/alice',
      'arn:aws:sts::111122223333:assumed-role/AgentGuardrails-ApprovalIssueSessionServiceRole-1A2B3C4D/AgentGuardrails-ApprovalIssueSession-5E6F7A8B',
      'arn:aws:sts::111122223333:assumed-role/agent-guardrails-deploy/AWSCloudFormation',
      'kms.amazonaws.com',
      'lambda.amazonaws.com',
    ]);
    expect(audit.ignored.events).toBe(6);
    const all = audit.sessions.flatMap((s) => s.events.map((e) => e.eventId));
    for (const other of fixtureRecords('other-principals.json')) expect(all).not.toContain(other.eventID);
  });
});

describe('buildAudit', () => {
  const agent = fixtureRecords('agent-session.json');

  test('attributes a session of a role outside the guardrails to the agent by its source identity when the chain\'s AssumeRole is missing', () => {
    const base = agent[1];
    const elsewhere = {
      ...base,
      eventID: 'chained-elsewhere-1',
      eventTime: '2026-03-02T10:40:00Z',
      userIdentity: {
        ...base.userIdentity,
        arn: 'arn:aws:sts::777788889999:assumed-role/ci-readonly/OPS-42',
        accessKeyId: 'ASIA7CIREADONLYEXAMP',
        sessionContext: { ...base.userIdentity.sessionContext, sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::777788889999:role/ci-readonly', userName: 'ci-readonly' }, attributes: { creationDate: '2026-03-02T10:39:00Z' } },
      },
    };
    const stranger = { ...elsewhere, eventID: 'stranger-1', userIdentity: { ...elsewhere.userIdentity, accessKeyId: 'ASIA7STRANGEREXAMPLE', sessionContext: { ...elsewhere.userIdentity.sessionContext, sourceIdentity: 'someone-else' } } };
    const audit = buildAudit(recordsOf([...agent, elsewhere, stranger]));
    const chained = audit.sessions.find((s) => s.roleArn === 'arn:aws:iam::777788889999:role/ci-readonly');
    expect(chained).toMatchObject({ kind: 'chained', linkedBy: 'source-identity', sourceIdentity: 'coding-agent', chain: ['arn:aws:sts::777788889999:assumed-role/ci-readonly/OPS-42'] });
    expect(chained!.events.map((e) => e.eventId)).toEqual(['chained-elsewhere-1']);
    expect(audit.ignored.principals.map((p) => p.principal)).toContain('arn:aws:sts::777788889999:assumed-role/ci-readonly/OPS-42');
  });

  test('gives a session that begins while its role is quarantined the trip in force', () => {
    const trip = agent.find((r) => r.requestParameters?.policyName === 'agent-guardrails-quarantine' && r.eventName === 'PutRolePolicy');
    const call = { ...agent[1], eventID: 'after-trip', eventTime: '2026-03-02T10:20:00Z', userIdentity: { ...agent[1].userIdentity, accessKeyId: 'ASIA3AGENTOPS44EXMPL', arn: 'arn:aws:sts::111122223333:assumed-role/coding-agent/OPS-44', sessionContext: { ...agent[1].userIdentity.sessionContext, attributes: { creationDate: '2026-03-02T10:19:00Z' } } } };
    const audit = buildAudit(recordsOf([trip, call]));
    expect(audit.sessions).toHaveLength(1);
    expect(audit.sessions[0].trips.map((t) => [t.action, t.at])).toEqual([['trip', '2026-03-02T10:06:05Z']]);
  });

  test('says nothing of production when no stack is named production and no request was read', () => {
    const audit = buildAudit(recordsOf(agent));
    expect(audit.sessions[0].summary.production).toBeNull();
    expect(audit.sessions[0].events.every((e) => !e.production)).toBe(true);
  });

  test('matches production stacks by pattern', () => {
    expect(buildAudit(recordsOf(agent), { productionStacks: ['*-prod'] }).sessions[0].summary.production).toBe(true);
    expect(buildAudit(recordsOf(agent), { productionStacks: ['payments-*'] }).sessions[0].summary.production).toBe(false);
  });

  test('fails to link anything when the records hold no agent or elevated session', () => {
    const audit = buildAudit(recordsOf(fixtureRecords('other-principals.json')));
    expect(audit.sessions).toEqual([]);
    expect(audit.ignored.events).toBe(6);
  });

  test('fails to make a session of a denied AssumeRole', () => {
    const denied = agent.filter((r) => r.eventName === 'AssumeRole' && r.errorCode);
    expect(denied).toHaveLength(1);
    const audit = buildAudit(recordsOf(agent));
    expect(audit.sessions.some((s) => s.roleArn?.endsWith('/elevated/deployer'))).toBe(false);
  });
});

describe('roleKind', () => {
  test.each([
    ['arn:aws:iam::111122223333:role/agent-guardrails/agent/coding-agent', 'agent'],
    ['arn:aws:iam::111122223333:role/agent-guardrails/elevated/deployer', 'elevated'],
    ['arn:aws-us-gov:iam::111122223333:role/agent-guardrails/agent/team/coding-agent', 'agent'],
  ])('%s is %s', (arn, kind) => expect(roleKind(arn)).toBe(kind));

  test.each([
    ['a role at the root path', 'arn:aws:iam::111122223333:role/coding-agent'],
    ['a service role of the guardrails', 'arn:aws:iam::111122223333:role/agent-guardrails/service/deploy'],
    ['a role whose name only looks like the path', 'arn:aws:iam::111122223333:role/not-agent-guardrails/agent/x'],
    ['no ARN', undefined],
  ])('fails when it is %s', (_name, arn) => expect(roleKind(arn)).toBeUndefined());
});
