/**
 * Break-glass on the synthesized state machine (aws-local-stepfunctions) with dynalite and the real
 * handlers: one approver alone, with a reason, on a role that allows it; never an agent; at most
 * once a day; every approver and the security topic told at once; a post-incident review that two
 * other approvers close; and an issuer that re-checks all of it from the table.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DescribeChangeSetCommand } from '@aws-sdk/client-cloudformation';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand } from '@aws-sdk/client-sns';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { route } from '../../lib/approval-workflow/handlers/api-handler';
import { issueSession } from '../../lib/approval-workflow/handlers/workflow-tasks';
import { approvalMessage } from '../../lib/approval-workflow/logic/approval-proof';
import { breakGlassUsageKey } from '../../lib/approval-workflow/logic/break-glass';
import { ElevationRequest } from '../../lib/approval-workflow/logic/rules';
import { resolveIdentity } from '../../lib/approval-workflow/logic/identity';
import { synthesizeLocalWorkflow } from '../../lib/approval-workflow/local/server';
import { ACCOUNT, AGENT, ALICE, BOB, CAROL, harness, MALLORY, requestBody, startDynalite, synthesizeWorkflow } from './harness';

const WORKFLOW_TOPIC = 'arn:aws:sns:us-east-1:111122223333:events';
const SECURITY_TOPIC = 'arn:aws:sns:us-east-1:111122223333:security';
const REASON = 'INC-881: payments API down since 02:40, rollback needs responder; on-call #2 unreachable';

/** The demo workflow (role "deployer", no break-glass) and role "responder", which allows it. */
function synthesizeBreakGlass() {
  return synthesizeLocalWorkflow([ALICE, BOB, `arn:aws:iam::${ACCOUNT}:role/approvers/change-approver`], undefined, {
    configure: (workflow) =>
      workflow.addElevatedRole('responder', {
        statements: [new iam.PolicyStatement({ actions: ['cloudformation:ExecuteChangeSet', 'cloudformation:Describe*', 'lambda:UpdateFunctionConfiguration'], resources: ['*'] })],
        breakGlass: { securityTopic: new sns.Topic(Stack.of(workflow), 'Security') },
      }),
  });
}

let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let synthesized: ReturnType<typeof synthesizeBreakGlass>;
let running: Awaited<ReturnType<typeof harness>> | undefined;

beforeAll(async () => {
  dynamo = await startDynalite();
  synthesized = synthesizeBreakGlass();
});
afterAll(() => dynamo.close());
afterEach(() => running?.restore());

async function start(options: Parameters<typeof harness>[2] = {}) {
  running = await harness(dynamo.client, synthesized, { securityTopics: { responder: SECURITY_TOPIC }, ...options });
  return running;
}

const breakGlassBody = (overrides: Record<string, unknown> = {}) => ({ role: 'responder', reason: REASON, ...overrides });

async function brokeGlass(h: Awaited<ReturnType<typeof start>>, caller = BOB, body = breakGlassBody()) {
  const response = await h.call('POST', '/requests/break-glass', caller, body);
  expect(response).toMatchObject({ status: 201 });
  return response.body as unknown as ElevationRequest;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('off by default', () => {
  test('fails when the workflow has no role that allows break-glass', async () => {
    running = await harness(dynamo.client, synthesizeWorkflow());
    expect(await running.call('POST', '/requests/break-glass', BOB, { role: 'deployer', reason: REASON })).toMatchObject({ status: 403, body: { error: 'break-glass-not-enabled' } });
    expect(running.sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  test('fails when the role named does not allow it, even where another role does', async () => {
    const h = await start();
    const response = await h.call('POST', '/requests/break-glass', BOB, breakGlassBody({ role: 'deployer' }));
    expect(response).toMatchObject({ status: 403, body: { error: 'break-glass-not-enabled', message: expect.stringMatching(/"deployer" does not allow break-glass/) } });
    expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });
});

describe('an approver alone, with a reason', () => {
  test('gets a 15-minute session at once, with the reason, their own name and the break-glass tag, and collects it once', async () => {
    const h = await start({ sessionSeconds: 60 });
    const request = await brokeGlass(h);
    expect(request).toMatchObject({ status: 'APPROVED', justification: REASON, durationSeconds: 900, requester: { callerArn: BOB }, breakGlass: { reviewRequestId: expect.any(String) } });
    await waitFor(async () => (await h.store.get(request.requestId))?.status === 'ISSUED');

    const [assume] = h.sts.commandCalls(AssumeRoleCommand);
    expect(assume.args[0].input).toMatchObject({
      RoleArn: synthesized.config.roles.responder.arn,
      SourceIdentity: 'bob',
      DurationSeconds: 900,
      Tags: expect.arrayContaining([
        { Key: 'agent-guardrails:request-id', Value: request.requestId },
        { Key: 'agent-guardrails:approvers', Value: 'human:bob' },
        { Key: 'agent-guardrails:break-glass', Value: request.requestId },
      ]),
    });
    // No change set named: the session has the role's permissions, as the warning says.
    expect(JSON.parse(assume.args[0].input.Policy!).Statement).toEqual([{ Effect: 'Allow', Action: '*', Resource: '*' }]);
    expect(await h.call('GET', `/requests/${request.requestId}/credentials`, ALICE)).toMatchObject({ status: 403, body: { error: 'not-requester' } });
    expect(await h.call('GET', `/requests/${request.requestId}/credentials`, BOB)).toMatchObject({ status: 200, body: { credentials: { sessionToken: expect.stringContaining('token-for-request-') } } });
    expect((await h.store.get(request.requestId))!.history.map((e) => e.event)).toEqual(['break-glass', 'issued', 'credentials-delivered']);
    // Any approver can end it.
    expect((await h.call('POST', `/requests/${request.requestId}/revoke`, CAROL)).body).toMatchObject({ status: 'REVOKED' });
  });

  test('binds the session to the change set it names, as every other request', async () => {
    const changeSet = JSON.parse(fs.readFileSync(path.join(__dirname, 'change-sets', 'add-only-dev.json'), 'utf8'));
    const h = await start();
    h.cfn.on(DescribeChangeSetCommand).resolves(changeSet);
    const request = await brokeGlass(h, BOB, breakGlassBody({ changeSetArn: changeSet.ChangeSetId }));
    expect(request.impact).toMatchObject({ stackName: 'orders-dev' });
    await h.workflow.outcome(request.requestId);
    const policy = JSON.parse(h.sts.commandCalls(AssumeRoleCommand)[0].args[0].input.Policy!);
    expect(policy.Statement[0]).toMatchObject({ Action: 'cloudformation:ExecuteChangeSet', Condition: { StringEquals: { 'cloudformation:ChangeSetName': changeSet.ChangeSetId } } });
  });

  test.each([
    ['the reason is missing', breakGlassBody({ reason: undefined }), /^reason is required/],
    ['the reason is too short to review', breakGlassBody({ reason: 'prod down' }), /^reason is required: say what is broken/],
    ['it names someone on whose behalf', breakGlassBody({ onBehalfOf: ALICE }), /^onBehalfOf is not taken by break-glass/],
    ['the session is longer than break-glass allows', breakGlassBody({ durationSeconds: 3600 }), /^durationSeconds must be a whole number from 900 to 900/],
  ])('fails when %s, and takes no use of the rate limit', async (_what, body, problem) => {
    const h = await start();
    const response = await h.call('POST', '/requests/break-glass', BOB, body);
    expect(response).toMatchObject({ status: 400, body: { error: 'invalid-request', problems: [expect.stringMatching(problem)] } });
    expect((await h.store.getUsage(breakGlassUsageKey('responder'))).uses).toEqual([]);
    expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });
});

describe('never for agent sessions, nor anyone but an approver', () => {
  test.each([
    ['an agent session', AGENT, 'not-eligible'],
    ['a user who is no approver', MALLORY, 'not-eligible'],
    ['a root session', `arn:aws:iam::${ACCOUNT}:root`, 'not-eligible'],
  ])('fails when %s asks', async (_who, caller, error) => {
    const h = await start();
    expect(await h.call('POST', '/requests/break-glass', caller, breakGlassBody())).toMatchObject({ status: 403, body: { error } });
    expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  test('fails when an agent role is configured as an approver: the handler refuses principals under the guardrails\' paths', async () => {
    // Synth refuses this configuration; the handler holds even if a configuration slipped through.
    const h = await start();
    const agentRole = `arn:aws:iam::${ACCOUNT}:role/agent-guardrails/agent/coding-agent`;
    const deps = { ...h.deps, config: { ...h.deps.config, approvers: [...h.deps.config.approvers, { human: 'coding-agent', identities: [{ kind: 'role' as const, roleArn: agentRole }] }] } };
    expect(await route(deps, 'POST', '/requests/break-glass', AGENT, undefined, breakGlassBody())).toMatchObject({ status: 403, body: { error: 'break-glass-not-for-agents' } });
    expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });
});

describe('the rate limit', () => {
  test('fails with 429 for a second break-glass within the window, whoever asks, and allows one once the window has passed', async () => {
    const h = await start();
    const first = await brokeGlass(h, BOB);
    const second = await h.call('POST', '/requests/break-glass', CAROL, breakGlassBody());
    const freesAt = new Date(Date.parse((await h.store.get(first.requestId))!.createdAt) + 24 * 3600 * 1000).toISOString();
    expect(second).toMatchObject({ status: 429, body: { error: 'break-glass-rate-limited', freesAt } });
    expect(second.body.message).toMatch(/used 1 time\(s\) in the last 24 hour\(s\) \(at most 1\).*ask with two approvals/);
    await h.workflow.outcome(first.requestId);
    expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);

    // A day later (the record aged by a day), the next one is allowed.
    const key = breakGlassUsageKey('responder');
    const record = await h.store.getUsage(key);
    const dayAgo = (at: string) => new Date(Date.parse(at) - 24 * 3600 * 1000 - 1000).toISOString();
    await h.store.putUsage(key, record.version, record.uses.map((u) => ({ ...u, at: dayAgo(u.at) })), new Date(Date.now() + 3600_000));
    const third = await brokeGlass(h, CAROL);
    await h.workflow.outcome(third.requestId);
    expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  test('holds when two approvers break glass at the same moment: one gets it', async () => {
    const h = await start();
    const results = await Promise.all([BOB, CAROL, ALICE].map((who) => h.call('POST', '/requests/break-glass', who, breakGlassBody())));
    expect(results.map((r) => r.status).sort()).toEqual([201, 429, 429]);
    await h.workflow.outcome(results.find((r) => r.status === 201)!.body.requestId as string);
    expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
  });
});

describe('the notifications', () => {
  test('tell every approver and the security topic at once, with the reason quoted as written, and the bus', async () => {
    const h = await start();
    const reason = `${REASON}\nApproved-by: alice (forged line) @channel <https://evil.example|click>`;
    const request = await brokeGlass(h, BOB, breakGlassBody({ reason }));
    await h.workflow.outcome(request.requestId);

    const published = h.sns.commandCalls(PublishCommand).map((c) => c.args[0].input).filter((p) => p.Message!.includes(request.requestId));
    const breakGlass = published.filter((p) => p.MessageAttributes!.type.StringValue === 'break-glass');
    expect(breakGlass.map((p) => p.TopicArn).sort()).toEqual([SECURITY_TOPIC, WORKFLOW_TOPIC].sort());
    const message = JSON.parse(breakGlass[0].Message!);
    expect(breakGlass[0].Subject).toBe('BREAK-GLASS: bob issued themselves responder, no change set');
    expect(message.email).toContain(`Reason (as written): ${JSON.stringify(reason)}`);
    expect(message.email).not.toContain('\nApproved-by: alice');
    expect(message.email).toContain(`post-incident review ${request.breakGlass!.reviewRequestId}`);
    expect(message.email).toContain(`agent-guardrails revoke ${request.requestId}`);
    const chat = JSON.parse(message.default);
    expect(chat.content.description).toContain('*Reason (as written):* `');
    expect(chat.content.description).not.toContain('<https');
    // The rest of the story goes to both topics too.
    const issued = published.filter((p) => p.MessageAttributes!.type.StringValue === 'issued');
    expect(issued.map((p) => p.TopicArn).sort()).toEqual([SECURITY_TOPIC, WORKFLOW_TOPIC].sort());
    expect(issued[0].Subject).toMatch(/^BREAK-GLASS Session issued: bob holds responder/);

    const event = h.events.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries![0]).find((e) => e.DetailType === 'Elevation Request Break Glass')!;
    expect(JSON.parse(event.Detail!)).toMatchObject({ type: 'break-glass', requestId: request.requestId, breakGlass: true, reviewRequestId: request.breakGlass!.reviewRequestId, justification: reason, by: BOB });
  });

  test('leave the security topic out of ordinary requests', async () => {
    const h = await start();
    await h.call('POST', '/requests', AGENT, requestBody());
    expect(h.sns.commandCalls(PublishCommand).map((c) => c.args[0].input.TopicArn)).toEqual([WORKFLOW_TOPIC]);
  });
});

describe('the post-incident review', () => {
  test('opens at once, waits for approvers, and is closed by two approvers other than the break-glass user; it issues nothing', async () => {
    const h = await start();
    const request = await brokeGlass(h, BOB);
    await h.workflow.outcome(request.requestId);
    const reviewId = request.breakGlass!.reviewRequestId;

    const listed = (await h.call('GET', '/requests', ALICE, {}, { status: 'PENDING' })).body.requests as any[];
    expect(listed).toContainEqual(expect.objectContaining({ requestId: reviewId, kind: 'review', reviewOf: request.requestId, status: 'PENDING', justification: REASON, role: 'responder' }));
    expect(listed.find((r) => r.requestId === reviewId).history).toBeUndefined();

    expect(await h.call('POST', `/requests/${reviewId}/approve`, BOB)).toMatchObject({ status: 403, body: { error: 'self-approval', message: expect.stringMatching(/cannot review their own break-glass/) } });
    expect(await h.call('POST', `/requests/${reviewId}/deny`, BOB)).toMatchObject({ status: 403, body: { error: 'self-approval' } });
    expect(await h.call('POST', `/requests/${reviewId}/approve`, MALLORY)).toMatchObject({ status: 403, body: { error: 'not-eligible' } });
    expect((await h.call('POST', `/requests/${reviewId}/approve`, ALICE, { comment: 'INC-881 confirmed' })).body).toMatchObject({ status: 'PENDING' });
    expect((await h.call('POST', `/requests/${reviewId}/approve`, CAROL)).body).toMatchObject({ status: 'REVIEWED' });

    expect(((await h.call('GET', '/requests', ALICE, {}, { status: 'PENDING' })).body.requests as any[]).map((r) => r.requestId)).not.toContain(reviewId);
    expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    expect((await h.store.get(reviewId))!.history.map((e) => e.event)).toEqual(['review-opened', 'reviewed', 'review-closed']);
    await expect(issueSession(h.deps, reviewId)).rejects.toMatchObject({ name: 'RequestNotApproved' });
    const closed = h.sns.commandCalls(PublishCommand).map((c) => c.args[0].input).filter((p) => p.Subject!.startsWith('Reviewed:'));
    expect(closed.map((p) => p.TopicArn).sort()).toEqual([SECURITY_TOPIC, WORKFLOW_TOPIC].sort());
  });

  test('ends DENIED when an approver finds the break-glass unjustified, and the security topic hears of it', async () => {
    const h = await start();
    const request = await brokeGlass(h, BOB);
    await h.workflow.outcome(request.requestId);
    const reviewId = request.breakGlass!.reviewRequestId;
    expect((await h.call('POST', `/requests/${reviewId}/deny`, ALICE, { comment: 'no incident at that time' })).body).toMatchObject({ status: 'DENIED' });
    const denied = h.sns.commandCalls(PublishCommand).map((c) => c.args[0].input).filter((p) => p.MessageAttributes!.type.StringValue === 'denied');
    expect(denied.map((p) => p.TopicArn).sort()).toEqual([SECURITY_TOPIC, WORKFLOW_TOPIC].sort());
    expect(denied[0].Subject).toMatch(/^Break-glass found unjustified: break-glass .* by bob on responder/);
  });

  test('does not count against the break-glass user\'s own waiting requests', async () => {
    const h = await start();
    await h.workflow.outcome((await brokeGlass(h, BOB)).requestId);
    for (let i = 0; i < 3; i++) {
      expect((await h.call('POST', '/requests', BOB, requestBody({ onBehalfOf: undefined }))).status).toBe(201);
    }
  });
});

describe('the issuer re-checks the table, not the request\'s word', () => {
  /** A break-glass row written into the table by someone who can write it, with its use recorded, and its workflow started. */
  async function forged(h: Awaited<ReturnType<typeof start>>, overrides: Partial<ElevationRequest>, proof: (request: ElevationRequest) => Promise<string | undefined>) {
    const now = new Date().toISOString();
    const requestId = `forged-${Math.random().toString(36).slice(2)}`;
    const base: ElevationRequest = {
      requestId,
      status: 'APPROVED',
      requester: resolveIdentity(BOB),
      role: 'responder',
      durationSeconds: 900,
      justification: REASON,
      createdAt: now,
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
      approvedAt: now,
      approvals: {},
      version: 1,
      breakGlass: { reviewRequestId: 'none' },
      ...overrides,
    };
    const approval = { callerArn: BOB, at: now };
    const signed = await proof(base);
    const request = { ...base, approvals: { 'human:bob': { ...approval, ...(signed ? { proof: signed } : {}) } } };
    await h.store.create(request, { at: now, event: 'forged' });
    const key = breakGlassUsageKey(request.role);
    const record = await h.store.getUsage(key);
    await h.store.putUsage(key, record.version, [...record.uses, { requestId, at: now }], new Date(Date.now() + 3600_000));
    await h.workflow.start(requestId);
    return requestId;
  }

  test('fails when a break-glass row carries no proof', async () => {
    const h = await start();
    const id = await forged(h, {}, async () => undefined);
    expect(await h.workflow.outcome(id)).toMatchObject({ output: { error: { Error: 'RequestNotApproved' } } });
    expect((await h.store.get(id))!.status).toBe('EXPIRED');
    expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  test('fails when a break-glass row names a role without break-glass, even with a valid proof', async () => {
    const h = await start();
    const id = await forged(h, { role: 'deployer' }, (request) => h.deps.signer.sign(approvalMessage(request, 'human:bob', { callerArn: BOB, at: request.approvedAt! })));
    expect(await h.workflow.outcome(id)).toMatchObject({ output: { error: { Error: 'RequestNotApproved', Cause: expect.stringMatching(/role "deployer" does not allow break-glass/) } } });
    expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  test('fails when a signed break-glass request is not in the rate limit\'s record', async () => {
    const h = await start();
    const request = await brokeGlass(h, BOB);
    await h.workflow.outcome(request.requestId);
    expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    // The same row, issued again after its use was removed from the record: refused.
    const key = breakGlassUsageKey('responder');
    const record = await h.store.getUsage(key);
    await h.store.putUsage(key, record.version, [], new Date(Date.now() + 3600_000));
    const stored = (await h.store.get(request.requestId))!;
    await h.store.update(request.requestId, stored.version, { set: { status: 'APPROVED' }, history: { at: new Date().toISOString(), event: 'forged' } });
    await expect(issueSession(h.deps, request.requestId)).rejects.toMatchObject({ name: 'RequestNotApproved', message: expect.stringMatching(/rate limit has no record/) });
    expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
  });

  test('fails when an ordinary approval is turned into a break-glass row', async () => {
    const changeSet = JSON.parse(fs.readFileSync(path.join(__dirname, 'change-sets', 'add-only-dev.json'), 'utf8'));
    const h = await start();
    h.cfn.on(DescribeChangeSetCommand).resolves(changeSet);
    const created = await h.call('POST', '/requests', AGENT, requestBody({ role: 'responder', changeSetArn: changeSet.ChangeSetId }));
    expect(created.status).toBe(201);
    const id = created.body.requestId as string;
    await h.call('POST', `/requests/${id}/approve`, BOB);
    const stored = (await h.store.get(id))!;
    await h.store.update(id, stored.version, { set: { status: 'APPROVED', breakGlass: { reviewRequestId: 'none' }, requester: resolveIdentity(BOB) }, history: { at: new Date().toISOString(), event: 'forged' } });
    await expect(issueSession(h.deps, id)).rejects.toMatchObject({ name: 'RequestNotApproved' });
    expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });
});
