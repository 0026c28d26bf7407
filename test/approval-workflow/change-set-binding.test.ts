/**
 * Requests bound to a change set, on the synthesized state machine (aws-local-stepfunctions) with
 * dynalite: the workflow describes the change set itself (CloudFormation faked at the SDK
 * boundary with describe-change-set outputs of real shape), stores its impact, makes approvers
 * accept risk to production data, checks it again before issuing, and scopes the session to it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DescribeChangeSetCommand } from '@aws-sdk/client-cloudformation';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { AGENT, BOB, CAROL, harness, requestBody, startDynalite, synthesizeWorkflow } from './harness';

let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let synthesized: ReturnType<typeof synthesizeWorkflow>;
let running: Awaited<ReturnType<typeof harness>> | undefined;

const fixture = (name: string): any => JSON.parse(fs.readFileSync(path.join(__dirname, 'change-sets', `${name}.json`), 'utf8'));

beforeAll(async () => {
  dynamo = await startDynalite();
  synthesized = synthesizeWorkflow({ changeSets: true });
});
afterAll(() => dynamo.close());
afterEach(() => running?.restore());

/** A workflow whose CloudFormation describes these change sets (by ARN), and no other. */
async function start(described: any[]) {
  running = await harness(dynamo.client, synthesized);
  running.cfn.on(DescribeChangeSetCommand).callsFake((input: { ChangeSetName: string }) => {
    const found = described.find((d) => d.ChangeSetId === input.ChangeSetName);
    if (!found) {
      const error = new Error(`ChangeSet [${input.ChangeSetName}] does not exist`);
      error.name = 'ChangeSetNotFoundException';
      throw error;
    }
    return found;
  });
  return running;
}

async function requested(h: Awaited<ReturnType<typeof start>>, body: Record<string, unknown>) {
  const response = await h.call('POST', '/requests', AGENT, body);
  expect(response.status).toBe(201);
  return response.body.requestId as string;
}

test('fails when a request names no change set: the role binds every session to one', async () => {
  const h = await start([]);
  const response = await h.call('POST', '/requests', AGENT, requestBody());
  expect(response).toMatchObject({ status: 400, body: { error: 'invalid-request', problems: [expect.stringMatching(/^changeSetArn is required for role "deployer"/)] } });
});

test('fails when the change set does not exist, or cannot be executed', async () => {
  const done = { ...fixture('add-only-dev'), ExecutionStatus: 'EXECUTE_COMPLETE' };
  const h = await start([done]);
  const missing = await h.call('POST', '/requests', AGENT, requestBody({ changeSetArn: fixture('replace-table').ChangeSetId }));
  expect(missing.body.problems).toEqual([expect.stringMatching(/changeSetArn names no change set the workflow can read: change set .* does not exist/)]);
  const executed = await h.call('POST', '/requests', AGENT, requestBody({ changeSetArn: done.ChangeSetId }));
  expect(executed.body.problems).toEqual([expect.stringMatching(/the change set cannot be executed \(status CREATE_COMPLETE, execution status EXECUTE_COMPLETE\)/)]);
});

test('shows approvers the impact, makes each accept the risk to production data, and scopes the session to that stack', async () => {
  const changeSet = fixture('replace-table');
  const h = await start([changeSet]);
  const id = await requested(h, requestBody({ changeSetArn: changeSet.ChangeSetId }));
  const seen = await h.call('GET', `/requests/${id}`, BOB);
  expect(seen.body.impact).toMatchObject({ risk: 'high', production: true, riskToAccept: ['orders-prod/OrdersTable3F1A2B4C (AWS::DynamoDB::Table)'] });

  const unaccepted = await h.call('POST', `/requests/${id}/approve`, BOB, { comment: 'fine' });
  expect(unaccepted).toMatchObject({ status: 409, body: { error: 'risk-not-accepted' } });
  expect(unaccepted.body.message).toMatch(/OrdersTable3F1A2B4C.*approve with acceptRisk: true \(--accept-risk\)/);
  expect((await h.call('POST', `/requests/${id}/approve`, BOB, { acceptRisk: true })).body).toMatchObject({ status: 'PENDING' });
  expect((await h.call('POST', `/requests/${id}/approve`, CAROL, { acceptRisk: true })).body).toMatchObject({ status: 'APPROVED' });

  await h.workflow.outcome(id);
  const [assume] = h.sts.commandCalls(AssumeRoleCommand);
  const policy = JSON.parse(assume.args[0].input.Policy!);
  expect(policy.Statement[0]).toEqual({
    Effect: 'Allow',
    Action: 'cloudformation:ExecuteChangeSet',
    Resource: changeSet.StackId,
    Condition: { StringEquals: { 'cloudformation:ChangeSetName': changeSet.ChangeSetId } },
  });
  const history = (await h.store.get(id))!.history;
  expect(history.find((e) => e.event === 'approved')!.detail).toEqual({ acceptedRisk: ['orders-prod/OrdersTable3F1A2B4C (AWS::DynamoDB::Table)'] });
});

test('fails the request, issuing nothing, when the change set changed after approval', async () => {
  const changeSet = fixture('add-only-dev');
  const h = await start([changeSet]);
  const id = await requested(h, requestBody({ changeSetArn: changeSet.ChangeSetId }));
  // Recreated under the same ARN with other changes (or described differently): not what was approved.
  changeSet.Changes[1].ResourceChange.Details[0].Target.AfterValue = '900';
  await h.call('POST', `/requests/${id}/approve`, BOB);
  await h.call('POST', `/requests/${id}/approve`, CAROL);
  await h.workflow.outcome(id);
  expect(h.sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  expect(await h.store.get(id)).toMatchObject({ status: 'FAILED', failure: { code: 'change-set-changed', message: 'the change set no longer holds the changes approvers saw' } });
});

test('fails when the change set is for a stack the role does not change', async () => {
  const changeSet = fixture('add-only-dev');
  const h = await start([changeSet]);
  h.deps.config.roles.deployer = { ...h.deps.config.roles.deployer, stackNames: ['orders-prod'] };
  const response = await h.call('POST', '/requests', AGENT, requestBody({ changeSetArn: changeSet.ChangeSetId }));
  expect(response.body.problems).toEqual(['role "deployer" executes change sets of orders-prod only; this one is for stack orders-dev']);
});
