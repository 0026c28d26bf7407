/**
 * The synthesized state machine, executed by aws-local-stepfunctions against dynalite, driven
 * through the same actions the API runs. STS and IAM are faked at the SDK boundary.
 */
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { PublishCommand } from '@aws-sdk/client-sns';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
// asl-validator ships no types: its module is the validating function.
const validate: (definition: unknown) => { isValid: boolean; errorsText: () => string } = require('asl-validator');
import { issueSession } from '../../lib/approval-workflow/handlers/workflow-tasks';
import { RequestStore } from '../../lib/approval-workflow/handlers/store';
import { ADMINISTRATOR_ACCESS, simulate } from '../support/simulator';
import { AGENT, ALICE, BOB, CAROL, harness, MALLORY, requestBody, startDynalite, synthesizeWorkflow } from './harness';

let dynamo: { client: DynamoDBClient; close: () => Promise<void> };
let synthesized: ReturnType<typeof synthesizeWorkflow>;
let running: Awaited<ReturnType<typeof harness>> | undefined;

beforeAll(async () => {
  dynamo = await startDynalite();
  synthesized = synthesizeWorkflow();
});
afterAll(() => dynamo.close());
afterEach(() => running?.restore());

async function start(options: Parameters<typeof harness>[2] = {}) {
  running = await harness(dynamo.client, synthesized, options);
  return running;
}

async function requested(h: Awaited<ReturnType<typeof harness>>, body = requestBody(), caller = AGENT) {
  const created = await h.call('POST', '/requests', caller, body);
  expect(created.status).toBe(201);
  return created.body.requestId as string;
}

test('the synthesized definition is valid Amazon States Language', () => {
  const { isValid, errorsText } = validate(synthesized.definition);
  expect(errorsText()).toBe('');
  expect(isValid).toBe(true);
});

test('two distinct approvers: one scoped session, handed to the requester once, then ended on time', async () => {
  const h = await start();
  const id = await requested(h);

  expect((await h.call('POST', `/requests/${id}/approve`, BOB, { comment: 'looks right' })).body).toMatchObject({ status: 'PENDING' });
  expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  expect((await h.call('POST', `/requests/${id}/approve`, CAROL)).body).toMatchObject({ status: 'APPROVED' });

  const outcome = await h.workflow.outcome(id);
  expect(outcome.status).toBe('SUCCEEDED');
  const [assume] = h.sts.commandCalls(AssumeRoleCommand);
  expect(assume.args[0].input).toMatchObject({
    RoleArn: synthesized.config.roles.deployer.arn,
    RoleSessionName: `request-${id}`.slice(0, 64),
    SourceIdentity: 'coding-agent',
    DurationSeconds: 1800,
    Tags: [
      { Key: 'agent-guardrails:request-id', Value: id },
      { Key: 'agent-guardrails:approvers', Value: 'human:bob human:change-approver' },
    ],
  });
  const events = h.sns.commandCalls(PublishCommand).map((c) => c.args[0].input.MessageAttributes!.type.StringValue);
  expect(events).toEqual(['requested', 'approved', 'approved', 'issued', 'expired']);
  const stored = await h.store.get(id);
  expect(stored).toMatchObject({ status: 'EXPIRED' });
  expect(stored!.credentials).toBeUndefined();
  expect(stored!.history.map((e) => e.event)).toEqual(['requested', 'awaiting-approvals', 'approved', 'approved-complete', 'issued', 'session-ended']);
});

test('credentials go to the requester once and never appear in what others read', async () => {
  const h = await start({ sessionSeconds: 60 });
  const id = await requested(h);
  // While the request waits, the table holds its task token: no reader and no event may see it.
  await waitFor(async () => Boolean((await h.store.get(id))?.taskToken));
  const token = (await h.store.get(id))!.taskToken!;
  for (const reader of [AGENT, BOB]) {
    expect(JSON.stringify((await h.call('GET', `/requests/${id}`, reader)).body)).not.toContain(token);
  }
  expect(JSON.stringify((await h.call('GET', '/requests', BOB, {}, { status: 'PENDING' })).body)).not.toContain(token);
  await h.call('POST', `/requests/${id}/approve`, BOB);
  await h.call('POST', `/requests/${id}/approve`, CAROL);
  await waitFor(async () => (await h.store.get(id))?.status === 'ISSUED');

  expect(JSON.stringify((await h.call('GET', `/requests/${id}`, BOB)).body)).not.toContain('token-for-');
  // At rest, the credentials are sealed for this request and requester.
  const sealedBefore = JSON.stringify((await h.store.get(id))!.credentials);
  expect(await h.call('GET', `/requests/${id}/credentials`, BOB)).toMatchObject({ status: 403, body: { error: 'not-requester' } });
  const first = await h.call('GET', `/requests/${id}/credentials`, AGENT);
  expect(first).toMatchObject({ status: 200, body: { credentials: { sessionToken: `token-for-request-${id}`.slice(0, 10 + 64) } } });
  expect(await h.call('GET', `/requests/${id}/credentials`, AGENT)).toMatchObject({ status: 410, body: { error: 'already-delivered' } });
  expect((await h.store.get(id))!.credentials).toBeUndefined();
  expect(sealedBefore).not.toContain('token-for-');
  expect(sealedBefore).not.toContain((first.body.credentials as any).accessKeyId);
  // Nothing published, to the topic or the bus, carries the token or the credentials.
  const published = [
    ...h.sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Message!),
    ...h.events.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries![0].Detail!),
  ].join('\n');
  expect(published).toContain(id);
  expect(published).not.toContain(token);
  expect(published).not.toContain('token-for-');
  expect(published).not.toContain((first.body.credentials as any).secretAccessKey);
});

describe('adversarial', () => {
  test.each([
    ['self-approval by an eligible requester', BOB, BOB, 403, 'self-approval'],
    ['approval by the human the agent works for', AGENT, ALICE, 403, 'on-behalf-of-approval'],
    ['approval by an ineligible identity', AGENT, MALLORY, 403, 'not-eligible'],
  ])('refuses %s', async (_name, requester, approver, status, error) => {
    const h = await start();
    const id = (await h.call('POST', '/requests', requester, requestBody())).body.requestId as string;
    expect(await h.call('POST', `/requests/${id}/approve`, approver)).toMatchObject({ status, body: { error } });
    expect((await h.store.get(id))!.approvals).toEqual({});
  });

  test('the same approver twice counts once, and nothing is issued', async () => {
    const h = await start();
    const id = await requested(h);
    await h.call('POST', `/requests/${id}/approve`, BOB);
    expect(await h.call('POST', `/requests/${id}/approve`, BOB)).toMatchObject({ status: 409, body: { error: 'already-approved-by-you' } });
    expect((await h.store.get(id))!.status).toBe('PENDING');
    expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  test('a second session name of the same role does not pass as a second person', async () => {
    const h = await start();
    const id = await requested(h);
    await h.call('POST', `/requests/${id}/approve`, CAROL);
    const spoof = CAROL.replace(/carol$/, 'definitely-bob');
    expect(await h.call('POST', `/requests/${id}/approve`, spoof)).toMatchObject({ status: 409, body: { error: 'already-approved-by-you' } });
    expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  test('after a denial, approvals are refused and the workflow ends without a session', async () => {
    const h = await start();
    const id = await requested(h);
    await h.call('POST', `/requests/${id}/approve`, BOB);
    expect((await h.call('POST', `/requests/${id}/deny`, CAROL, { comment: 'wrong stack' })).body).toMatchObject({ status: 'DENIED' });
    expect(await h.call('POST', `/requests/${id}/approve`, CAROL)).toMatchObject({ status: 409, body: { error: 'denied' } });
    expect(await h.call('POST', `/requests/${id}/approve`, MALLORY)).toMatchObject({ status: 409, body: { error: 'denied' } });
    expect(await h.workflow.outcome(id)).toMatchObject({ status: 'SUCCEEDED', output: { error: { Error: 'RequestDenied' } } });
    expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  test('after expiry, approvals are refused and the request is marked expired', async () => {
    const h = await start({ pendingSeconds: 1 });
    const id = await requested(h);
    await h.call('POST', `/requests/${id}/approve`, BOB);
    await h.workflow.outcome(id);
    expect(await h.call('POST', `/requests/${id}/approve`, CAROL)).toMatchObject({ status: 410, body: { error: 'expired' } });
    expect((await h.store.get(id))!.status).toBe('EXPIRED');
    expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  test('a replayed task token after completion is refused and issues nothing', async () => {
    const h = await start();
    const id = await requested(h);
    await h.call('POST', `/requests/${id}/approve`, BOB);
    await h.call('POST', `/requests/${id}/approve`, CAROL);
    await h.workflow.outcome(id);
    await expect(h.workflow.approve(`local-task-token-${id}`, id)).rejects.toMatchObject({ name: 'InvalidToken' });
    expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
  });

  test('the issuer re-checks the table and refuses a request that is not approved, whatever its input says', async () => {
    const h = await start();
    const id = await requested(h);
    await h.call('POST', `/requests/${id}/approve`, BOB);
    await expect(issueSession(h.deps, id)).rejects.toMatchObject({ name: 'RequestNotApproved' });
    expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  test('revoke, then use: the issued session is denied everything, other requests keep working', async () => {
    const h = await start({ sessionSeconds: 60 });
    const id = await requested(h);
    await h.call('POST', `/requests/${id}/approve`, BOB);
    await h.call('POST', `/requests/${id}/approve`, CAROL);
    await waitFor(async () => (await h.store.get(id))?.status === 'ISSUED');
    const issuedAt = (await h.store.get(id))!.issuedAt!;

    expect(await h.call('POST', `/requests/${id}/revoke`, MALLORY)).toMatchObject({ status: 403, body: { error: 'not-eligible' } });
    expect((await h.call('POST', `/requests/${id}/revoke`, BOB)).body).toMatchObject({ status: 'REVOKED' });
    expect(await h.call('GET', `/requests/${id}/credentials`, AGENT)).toMatchObject({ status: 410, body: { error: 'revoked' } });

    const [put] = h.iam.commandCalls(PutRolePolicyCommand);
    const revocation = JSON.parse(put.args[0].input.PolicyDocument!);
    const elevatedRole = synthesized.config.roles.deployer.arn;
    const account = elevatedRole.split(':')[4];
    const useSession = (requestId: string) =>
      simulate(
        {
          action: 'cloudformation:ExecuteChangeSet',
          resource: `arn:aws:cloudformation:us-east-1:${account}:stack/orders-prod/1`,
          principal: elevatedRole,
          accountId: account,
          context: { 'aws:TokenIssueTime': issuedAt, 'aws:PrincipalTag/agent-guardrails:request-id': requestId },
        },
        { identity: [ADMINISTRATOR_ACCESS, revocation] },
      );
    expect((await useSession(id)).result).toBe('ExplicitlyDenied');
    expect((await useSession('another-request')).result).toBe('Allowed');
  });

  test('a crash between STS and the table write issues no second session to anyone', async () => {
    let crashes = 1;
    const h = await start({
      sessionSeconds: 60,
      wrapStore: (store: RequestStore): RequestStore => ({
        create: (r, e) => store.create(r, e),
        get: (id) => store.get(id),
        listByStatus: (status, limit) => store.listByStatus(status, limit),
        getUsage: (key) => store.getUsage(key),
        putUsage: (key, version, uses, keepUntil) => store.putUsage(key, version, uses, keepUntil),
        update: async (id, version, change) => {
          if (change.set?.status === 'ISSUED' && crashes-- > 0) {
            throw new Error('the issuer crashed after sts:AssumeRole, before writing the table');
          }
          return store.update(id, version, change);
        },
      }),
    });
    const id = await requested(h);
    await h.call('POST', `/requests/${id}/approve`, BOB);
    await h.call('POST', `/requests/${id}/approve`, CAROL);
    await waitFor(async () => (await h.store.get(id))?.status === 'ISSUED');

    const stored = (await h.store.get(id))!;
    expect(stored.history.filter((e) => e.event === 'issued')).toHaveLength(1);
    expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
    const delivered = await h.call('GET', `/requests/${id}/credentials`, AGENT);
    // The credentials stored, and handed out, are those of the issue that wrote the table: the second.
    const written = (await h.sts.commandCalls(AssumeRoleCommand)[1].returnValue) as { Credentials: { AccessKeyId: string } };
    expect((delivered.body.credentials as any).accessKeyId).toBe(written.Credentials.AccessKeyId);
    expect(await h.call('GET', `/requests/${id}/credentials`, AGENT)).toMatchObject({ status: 410 });
  });

  test('50 concurrent requests with interleaved approvals: none lost, none crossed', async () => {
    const h = await start({ sessionSeconds: 60 });
    // Fifty agents: one agent may have only a few requests waiting.
    const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => requested(h, requestBody({ ticket: `OPS-${i}` }), AGENT.replace('coding-agent', `coding-agent-${i}`))));
    const approvals = ids.flatMap((id) => [[id, BOB], [id, CAROL]] as const);
    shuffle(approvals);
    const results = await Promise.all(approvals.map(([id, who]) => h.call('POST', `/requests/${id}/approve`, who)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    await waitFor(async () => (await Promise.all(ids.map((id) => h.store.get(id)))).every((r) => r?.status === 'ISSUED'), 30000);

    const sessions = h.sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input);
    expect(sessions).toHaveLength(50);
    expect(new Set(sessions.map((s) => s.Tags!.find((t) => t.Key === 'agent-guardrails:request-id')!.Value))).toEqual(new Set(ids));
    for (const id of ids) {
      const stored = (await h.store.get(id))!;
      expect(Object.keys(stored.approvals).sort()).toEqual(['human:bob', 'human:change-approver']);
      const delivered = await h.call('GET', `/requests/${id}/credentials`, AGENT.replace('coding-agent', `coding-agent-${ids.indexOf(id)}`));
      expect((delivered.body.credentials as any).sessionToken).toBe(`token-for-request-${id}`.slice(0, 10 + 64));
      expect(stored.ticket).toBe(`OPS-${ids.indexOf(id)}`);
    }
  }, 60000);
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error('condition not reached in time');
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}

test('a request whose workflow cannot start is closed, not left pending', async () => {
  const h = await start();
  const failing = { ...h.deps, workflow: { ...h.deps.workflow, start: async () => Promise.reject(new Error('states:StartExecution throttled')) } };
  const { route } = await import('../../lib/approval-workflow/handlers/api-handler');
  const result = await route(failing, 'POST', '/requests', AGENT, undefined, requestBody());
  expect(result).toMatchObject({ status: 502, body: { error: 'workflow-unavailable' } });
  const id = (result.body.message as string).match(/request (\S+);/)![1];
  expect(await h.store.get(id)).toMatchObject({ status: 'EXPIRED', history: [{ event: 'requested' }, { event: 'workflow-start-failed' }] });
});

test('concurrent revocations on one role both hold, and revocations older than any session are pruned', async () => {
  const h = await start();
  const arn = synthesized.config.roles.deployer.arn;
  const roleName = arn.split('/').pop();
  h.rolePolicies.set(`${roleName}/agent-guardrails-revoke-${Math.floor(Date.now() / 1000) - 3 * 3600}-old`, '{}');
  await Promise.all([h.deps.revoker.revoke(arn, 'req-a', new Date()), h.deps.revoker.revoke(arn, 'req-b', new Date())]);
  const requests = [...h.rolePolicies.values()].map((d) => JSON.parse(d).Statement?.[0]?.Condition?.StringEquals?.['aws:PrincipalTag/agent-guardrails:request-id']);
  expect(requests.sort()).toEqual(['req-a', 'req-b']);
});

test('revocations never fill the role\'s inline-policy quota: past 20, one revocation ends every earlier session', async () => {
  const h = await start();
  const arn = synthesized.config.roles.deployer.arn;
  const start0 = Date.now() - 600_000;
  const at = (i: number) => new Date(start0 + i * 1000);
  for (let i = 0; i < 100; i++) {
    await h.deps.revoker.revoke(arn, `req-${i}`, at(i + 1));
  }
  const documents = [...h.rolePolicies.values()];
  // IAM's quota: 10,240 characters of inline policy per role, the role's own policy included.
  expect(documents.join('').length).toBeLessThan(8000);
  expect(documents.length).toBeLessThanOrEqual(21);
  const sessionOf = async (requestId: string, issued: Date) =>
    (
      await simulate(
        { action: 'cloudformation:ExecuteChangeSet', resource: `arn:aws:cloudformation:us-east-1:${arn.split(':')[4]}:stack/orders-prod/abc`, accountId: arn.split(':')[4], principal: arn, context: { 'aws:TokenIssueTime': issued.toISOString(), 'aws:PrincipalTag/agent-guardrails:request-id': requestId } },
        { identity: [ADMINISTRATOR_ACCESS, ...documents.map((d) => JSON.parse(d))] },
      )
    ).result;
  // Every revoked session stays revoked, the first and the last.
  for (const i of [0, 5, 50, 99]) {
    expect(await sessionOf(`req-${i}`, at(i))).toBe('ExplicitlyDenied');
  }
  // A session issued after the last revocation works.
  expect(await sessionOf('req-new', new Date(start0 + 200_000))).toBe('Allowed');
});

test('a task success sent without the approvals (a stolen token) ends the request as expired, with no session', async () => {
  const h = await start();
  const id = await requested(h);
  await h.call('POST', `/requests/${id}/approve`, BOB);
  await waitFor(async () => Boolean((await h.store.get(id))?.taskToken));
  const request = (await h.store.get(id))!;
  // Forge the table's status, then answer the token: the issuer counts approvals, not statuses.
  await h.store.update(id, request.version, { set: { status: 'APPROVED' }, history: { at: new Date().toISOString(), event: 'forged' } });
  await h.workflow.approve(request.taskToken!, id);
  expect(await h.workflow.outcome(id)).toMatchObject({ status: 'SUCCEEDED', output: { error: { Error: 'RequestNotApproved' } } });
  expect((await h.store.get(id))!.status).toBe('EXPIRED');
  expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
});

test('answers the workflow\'s task token again when the first attempts fail', async () => {
  const h = await start();
  const id = await requested(h);
  await waitFor(async () => Boolean((await h.store.get(id))?.taskToken));
  const approve = h.workflow.approve.bind(h.workflow);
  let failures = 2;
  h.workflow.approve = async (token, requestId) => {
    if (failures-- > 0) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    return approve(token, requestId);
  };
  await h.call('POST', `/requests/${id}/approve`, BOB);
  expect(await h.call('POST', `/requests/${id}/approve`, CAROL)).toMatchObject({ status: 200, body: { status: 'APPROVED' } });
  expect(await h.workflow.outcome(id)).toMatchObject({ status: 'SUCCEEDED' });
  expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
});

test('sealed credentials open for their own request only', async () => {
  const h = await start({ sessionSeconds: 60 });
  const ids = [await requested(h), await requested(h)];
  for (const id of ids) {
    await h.call('POST', `/requests/${id}/approve`, BOB);
    await h.call('POST', `/requests/${id}/approve`, CAROL);
  }
  await waitFor(async () => (await Promise.all(ids.map((id) => h.store.get(id)))).every((r) => r?.status === 'ISSUED'));
  // Someone who can write the table moves the first request's sealed credentials to the second.
  const [first, second] = await Promise.all(ids.map(async (id) => (await h.store.get(id))!));
  await h.store.update(second.requestId, second.version, { set: { credentials: first.credentials }, history: { at: new Date().toISOString(), event: 'tampered' } });
  await expect(h.call('GET', `/requests/${second.requestId}/credentials`, AGENT)).rejects.toThrow(/not valid/);
  expect((await h.call('GET', `/requests/${first.requestId}/credentials`, AGENT)).body.credentials).toMatchObject({ sessionToken: `token-for-request-${first.requestId}`.slice(0, 10 + 64) });
});

describe('approvals the workflow did not record', () => {
  test('fail to count when written into the table by anyone else, or copied from another request', async () => {
    const h = await start();
    const other = await requested(h);
    await h.call('POST', `/requests/${other}/approve`, BOB);
    const copied = (await h.store.get(other))!.approvals['human:bob'];
    const id = await requested(h);
    await h.call('POST', `/requests/${id}/approve`, CAROL);
    await waitFor(async () => Boolean((await h.store.get(id))?.taskToken));
    const request = (await h.store.get(id))!;
    // Someone with write access to the table adds Bob's approval (once without a proof, once with
    // the proof of his approval of another request), marks it approved and answers the token.
    for (const forged of [{ callerArn: BOB, at: new Date().toISOString() }, copied]) {
      const current = (await h.store.get(id))!;
      await h.store.update(id, current.version, { set: { status: 'APPROVED', approvals: { ...current.approvals, 'human:bob': forged } }, history: { at: new Date().toISOString(), event: 'forged' } });
    }
    await h.workflow.approve(request.taskToken!, id);
    expect(await h.workflow.outcome(id)).toMatchObject({ status: 'SUCCEEDED', output: { error: { Error: 'RequestNotApproved' } } });
    expect((await h.store.get(id))!.status).toBe('EXPIRED');
    expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });
});

describe('the audit trail', () => {
  test('publishes every refusal on the workflow\'s bus, never to the topic', async () => {
    const h = await start();
    const id = await requested(h);
    await h.call('POST', `/requests/${id}/approve`, MALLORY);
    await h.call('GET', `/requests/${id}/credentials`, MALLORY);
    const refusals = h.events
      .commandCalls(PutEventsCommand)
      .map((c) => c.args[0].input.Entries![0])
      .filter((e) => e.DetailType === 'Elevation Request Refused')
      .map((e) => JSON.parse(e.Detail!));
    expect(refusals).toEqual([
      expect.objectContaining({ action: 'POST /requests/{id}/approve', by: MALLORY, status: 403, code: 'not-eligible', requestId: id }),
      expect.objectContaining({ action: 'GET /requests/{id}/credentials', by: MALLORY, code: 'not-requester', requestId: id }),
    ]);
    const topicTypes = h.sns.commandCalls(PublishCommand).map((c) => c.args[0].input.MessageAttributes!.type.StringValue);
    expect(topicTypes).not.toContain('refused');
  });
});

describe('what waits for approvers', () => {
  test('fails with 429 when one requester has too many requests waiting, and lets it ask again once one is decided', async () => {
    const h = await start();
    const first = await requested(h);
    await requested(h);
    await requested(h);
    const fourth = await h.call('POST', '/requests', AGENT, requestBody());
    expect(fourth).toMatchObject({ status: 429, body: { error: 'too-many-pending' } });
    expect(fourth.body.message).toMatch(/already has 3 requests waiting for approval \(at most 3\)/);
    // Another requester is not held back.
    await requested(h, requestBody(), AGENT.replace('coding-agent', 'docs-agent'));
    await h.call('POST', `/requests/${first}/deny`, BOB);
    await requested(h);
  });

  test('lists pending requests to approvers only, oldest first, without credentials or task tokens', async () => {
    const h = await start();
    const ids = [await requested(h), await requested(h)];
    const listed = await h.call('GET', '/requests', BOB, {}, { status: 'PENDING' });
    expect(listed.status).toBe(200);
    const requests = listed.body.requests as any[];
    expect(requests.map((r) => r.requestId)).toEqual(expect.arrayContaining(ids));
    expect(requests.every((r) => r.status === 'PENDING' && r.justification && r.taskToken === undefined && r.credentials === undefined)).toBe(true);
    expect(await h.call('GET', '/requests', AGENT, {}, { status: 'PENDING' })).toMatchObject({ status: 403, body: { error: 'not-eligible' } });
    expect(await h.call('GET', '/requests', BOB, {}, { status: 'ISSUED' })).toMatchObject({ status: 400, body: { error: 'invalid-request' } });
  });
});

describe('when the workflow cannot carry a request through', () => {
  test('ends it FAILED with the error, publishes the event, and fails the execution for the alarm', async () => {
    const h = await start();
    h.sts.on(AssumeRoleCommand).rejects(Object.assign(new Error('User is not authorized to perform: sts:AssumeRole'), { name: 'AccessDenied' }));
    const id = await requested(h);
    await h.call('POST', `/requests/${id}/approve`, BOB);
    await h.call('POST', `/requests/${id}/approve`, CAROL);
    const outcome = await h.workflow.outcome(id);
    expect(outcome.status).toBe('FAILED');
    // Issuing was tried with its retries, then given up.
    expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(4);
    const stored = (await h.store.get(id))!;
    expect(stored).toMatchObject({ status: 'FAILED', failure: { message: expect.stringMatching(/not authorized to perform: sts:AssumeRole/) } });
    expect(stored.taskToken).toBeUndefined();
    expect(stored.history.at(-1)).toMatchObject({ event: 'failed' });
    const events = h.sns.commandCalls(PublishCommand).map((c) => c.args[0].input.MessageAttributes!.type.StringValue);
    expect(events.at(-1)).toBe('failed');
    expect(await h.call('GET', `/requests/${id}/credentials`, AGENT)).toMatchObject({ status: 409, body: { error: 'failed' } });
  });
});
