/**
 * `agent-guardrails request --break-glass` against local mode running a synthesized app's workflow
 * (read back from cdk.out, break-glass settings and security topic included), as a responder would
 * use it at 3 a.m.: break glass, collect the session, and the review that follows.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Approver, TwoPersonApproval } from '../../lib';
import { workflowFromAssembly } from '../../lib/approval-workflow/local/from-assembly';
import { LocalServer, startLocalServer } from '../../lib/approval-workflow/local/server';
import { main } from '../../lib/cli/main';
import { synthesizeApp } from '../support/assembly';

const ALICE = 'arn:aws:iam::000000000000:user/alice';
const BOB = 'arn:aws:iam::000000000000:user/bob';
const CAROL = 'arn:aws:iam::000000000000:user/carol';
const AGENT = 'arn:aws:sts::000000000000:assumed-role/coding-agent/task-7';
const REASON = 'INC-77: orders API returns 500s, rolling back the last deploy';

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: {} });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

let server: LocalServer;
beforeAll(async () => {
  const { dir } = synthesizeApp((app) => {
    const stack = new Stack(app, 'Guardrails', { env: { account: '000000000000', region: 'us-east-1' } });
    const workflow = new TwoPersonApproval(stack, 'Approval', { approvers: [ALICE, BOB, CAROL].map((arn) => Approver.iamUser(arn)) });
    workflow.addElevatedRole('responder', {
      statements: [new iam.PolicyStatement({ actions: ['lambda:UpdateFunctionConfiguration'], resources: ['*'] })],
      breakGlass: { securityTopic: new sns.Topic(stack, 'Security') },
    });
    workflow.addElevatedRole('operator', { statements: [new iam.PolicyStatement({ actions: ['ecs:UpdateService'], resources: ['*'] })], breakGlass: {} });
  });
  server = await startLocalServer({ source: workflowFromAssembly(dir) });
});
afterAll(() => server.close());

const as = (identity: string, ...argv: string[]) => run([...argv, '--url', server.url, '--identity', identity]);

test('an approver breaks glass with a reason, collects the session once, and two others close the review', async () => {
  const broke = await as(BOB, 'request', '--break-glass', '--role', 'responder', '--reason', REASON, '--json');
  expect(broke.code).toBe(0);
  const request = JSON.parse(broke.out);
  expect(request).toMatchObject({ status: 'APPROVED', justification: REASON, durationSeconds: 900, breakGlass: { reviewRequestId: expect.any(String) } });
  for (let i = 0; i < 100 && JSON.parse((await as(BOB, 'status', request.requestId, '--json')).out).status !== 'ISSUED'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect((await as(BOB, 'credentials', request.requestId)).out).toMatch(/export AWS_SESSION_TOKEN=local-mode-fake-session-for-request-/);

  const pending = await as(ALICE, 'pending');
  expect(pending.out).toContain(`${request.breakGlass.reviewRequestId}  POST-INCIDENT REVIEW of break-glass ${request.requestId} by ${BOB} on responder`);
  expect((await as(ALICE, 'status', request.requestId)).out).toContain(`BREAK-GLASS:   one approver, no second approval; post-incident review ${request.breakGlass.reviewRequestId}`);
  expect((await as(BOB, 'approve', request.breakGlass.reviewRequestId)).code).toBe(1);
  await as(ALICE, 'approve', request.breakGlass.reviewRequestId, '--comment', 'INC-77 confirmed');
  expect((await as(CAROL, 'approve', request.breakGlass.reviewRequestId)).out).toMatch(/: REVIEWED \(role responder; 2 approvals/);

  // The next one within the day is refused, and says when it frees up.
  const again = await as(CAROL, 'request', '--break-glass', '--role', 'responder', '--reason', REASON);
  expect(again).toMatchObject({ code: 1, out: expect.stringMatching(/^refused \(429 break-glass-rate-limited\): .*the next is possible at \d{4}-/) });
});

test('prints what the responder runs next', async () => {
  const broke = await as(ALICE, 'request', '--break-glass', '--role', 'operator', '--reason', REASON);
  expect(broke.code).toBe(0);
  expect(broke.out).toMatch(/^\S+: APPROVED \(role operator; 1 approval: human:alice\); break-glass: everyone is told, and review \S+ is open\. Collect the session: agent-guardrails credentials \S+$/);
});

test.each([
  [['--break-glass', '--role', 'responder'], /--break-glass needs --reason/],
  [['--break-glass', '--role', 'responder', '--reason', REASON, '--on-behalf-of', ALICE], /--on-behalf-of does not go with --break-glass/],
  [['--role', 'responder', '--reason', REASON, '--justification', 'x'], /--reason goes with --break-glass/],
])('fails with usage for request %j', async (argv, message) => {
  expect(await as(BOB, 'request', ...argv)).toMatchObject({ code: 2, err: expect.stringMatching(message) });
});

test('fails when an agent session breaks glass', async () => {
  expect(await as(AGENT, 'request', '--break-glass', '--role', 'responder', '--reason', REASON)).toMatchObject({ code: 1, out: expect.stringMatching(/^refused \(403 not-eligible\)/) });
});
