/**
 * The deployed API's resource policy and the handlers agree: every call the handlers accept (in
 * local mode, same code) is one the resource policy lets through, for every route and kind of
 * caller; and the one thing only the policy can tell apart, a role merely named like Identity
 * Center's, it refuses. The policy is decided by iam-simulate on the synthesized template.
 */
import { IDENTITY_HEADER, LocalServer, startLocalServer, synthesizeLocalWorkflow } from '../../lib/approval-workflow/local/server';
import { simulate } from '../support/simulator';
import { resolveIntrinsics } from '../support/template';

const ACCOUNT = '111122223333';
const IC_ROLE = 'AWSReservedSSO_Approver_0123456789abcdef';
const ALICE_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/${IC_ROLE}/alice@example.com`;
const BOB = `arn:aws:iam::${ACCOUNT}:user/bob`;
const OPERATOR = `arn:aws:iam::${ACCOUNT}:user/carol`;

/** Each kind of caller: the principal the resource policy sees, and the ARN the handler sees. */
const callers = {
  'an Identity Center approver': { principal: `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/${IC_ROLE}`, session: ALICE_SESSION },
  'an IAM user approver': { principal: BOB, session: BOB },
  'the requesting agent': { principal: `arn:aws:iam::${ACCOUNT}:role/agent-guardrails/agent/coding-agent`, session: `arn:aws:sts::${ACCOUNT}:assumed-role/coding-agent/task-1` },
  'a user who is no approver': { principal: `arn:aws:iam::${ACCOUNT}:user/mallory`, session: `arn:aws:iam::${ACCOUNT}:user/mallory` },
} as const;
type Caller = keyof typeof callers;

const routes: [string, (id: string) => [string, string, unknown?]][] = [
  ['POST /requests', () => ['POST', '/requests', { role: 'deployer', justification: 'execute the change set for OPS-9', onBehalfOf: OPERATOR }]],
  ['GET /requests', () => ['GET', '/requests?status=PENDING']],
  ['GET /requests/{id}', (id) => ['GET', `/requests/${id}`]],
  ['POST /requests/{id}/approve', (id) => ['POST', `/requests/${id}/approve`, {}]],
  ['POST /requests/{id}/deny', (id) => ['POST', `/requests/${id}/deny`, {}]],
  ['POST /requests/{id}/revoke', (id) => ['POST', `/requests/${id}/revoke`, {}]],
  ['GET /requests/{id}/credentials', (id) => ['GET', `/requests/${id}/credentials`]],
  ['POST /requests/break-glass', () => ['POST', '/requests/break-glass', { role: 'deployer', reason: 'the orders API is down and only this role can roll it back' }]],
];

let server: LocalServer;
let policy: any;

beforeAll(async () => {
  const approvers = [ALICE_SESSION, BOB];
  server = await startLocalServer({ approvers });
  const { template } = synthesizeLocalWorkflow(approvers);
  const api = Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::ApiGateway::RestApi');
  policy = JSON.parse(JSON.stringify(resolveIntrinsics(api.Properties.Policy, template as any)).replace(/execute-api:\//g, `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/`));
});
afterAll(() => server.close());

async function call(identity: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, { method, headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: identity }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** Callers may invoke the API by their own policies; the API's policy decides the rest. */
const INVOKE = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }] };

async function policyAllows(principal: string, method: string, path: string): Promise<boolean> {
  const resource = `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/v1/${method}${path.split('?')[0]}`;
  return (await simulate({ principal, action: 'execute-api:Invoke', resource, accountId: ACCOUNT }, { identity: [INVOKE], resourcePolicy: policy })).result === 'Allowed';
}

const cases = routes.flatMap(([route, build]) => (Object.keys(callers) as Caller[]).map((who) => [route, who, build] as const));

test.each(cases)('%s by %s: whatever the handler accepts, the resource policy lets through', async (_route, who, build) => {
  // A fresh request each time, made by the agent, so that every case starts from PENDING.
  const requested = await call(callers['the requesting agent'].session, 'POST', '/requests', { role: 'deployer', justification: 'execute the change set for OPS-9', onBehalfOf: OPERATOR });
  const [method, path, body] = build(requested.body.requestId);
  const handled = await call(callers[who].session, method, path, body);
  const allowed = await policyAllows(callers[who].principal, method, path);
  if (handled.status < 400) {
    expect(allowed).toBe(true);
  }
  // Clean up, so that the agent stays under its limit of waiting requests.
  for (const id of [requested.body.requestId, ...(handled.status === 201 ? [handled.body.requestId] : [])]) {
    await call(BOB, 'POST', `/requests/${id}/deny`, {});
  }
});

test('the handlers accept some calls of every kind of caller, so the agreement above is tested, not vacuous', async () => {
  const requested = await call(callers['the requesting agent'].session, 'POST', '/requests', { role: 'deployer', justification: 'execute the change set for OPS-9', onBehalfOf: OPERATOR });
  const id = requested.body.requestId;
  expect(requested.status).toBe(201);
  expect((await call(ALICE_SESSION, 'POST', `/requests/${id}/approve`, {})).status).toBe(200);
  expect((await call(BOB, 'GET', '/requests?status=PENDING')).status).toBe(200);
  expect((await call(callers['a user who is no approver'].session, 'GET', `/requests/${id}`)).status).toBe(403);
  await call(BOB, 'POST', `/requests/${id}/deny`, {});
});

test('fails when a role merely named like Identity Center\'s approves: the handler cannot tell, the resource policy does', async () => {
  const lookalike = `arn:aws:iam::${ACCOUNT}:role/agent-workload/${IC_ROLE}`;
  expect(await policyAllows(lookalike, 'POST', '/requests/r1/approve')).toBe(false);
  expect(await policyAllows(callers['an Identity Center approver'].principal, 'POST', '/requests/r1/approve')).toBe(true);
});
