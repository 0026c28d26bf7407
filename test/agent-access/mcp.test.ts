/**
 * `agent-guardrails mcp` as a coding agent's client sees it: the real CLI, spawned over stdio and
 * driven through the MCP SDK's own client, against local mode running in this process, with an
 * example app synthesized for check_access and the shared files in a temporary directory.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { loadSharedConfigFiles } from '@smithy/core/config';
import { buildApp as codingAgent } from '../../examples/coding-agent';
import { DEFAULT_LOCAL_APPROVERS, IDENTITY_HEADER, LocalServer, startLocalServer } from '../../lib/approval-workflow/local/server';
import { CREDENTIALS_MARKER } from '../../lib/agent-access/mcp/credentials-file';
import { main } from '../../lib/cli/main';
import { loadIamCatalog } from '../../lib/review/sweep/iam-catalog';
import { productionInventory, productionTagSpec } from '../../lib/review/sweep/production';
import { synthesizeApp } from '../support/assembly';

const ROOT = path.join(__dirname, '..', '..');
const AGENT = 'arn:aws:sts::000000000000:assumed-role/coding-agent/task-7';
const HUMAN = 'arn:aws:iam::000000000000:user/alice';
const [APPROVER_1, APPROVER_2] = DEFAULT_LOCAL_APPROVERS;
/** Sections someone else wrote: never changed, byte for byte (CRLF, comments, spacing). */
const THEIRS = '# my keys\r\n[default]\r\naws_access_key_id = AKIAEXAMPLEDEFAULT\r\naws_secret_access_key = their-secret\r\n\r\n[theirs]\r\naws_access_key_id   =   AKIAEXAMPLETHEIRS\r\n';
const CONFIG = '[profile operator]\nsso_session = corp\n';

const { dir: app, assembly } = synthesizeApp((a) => codingAgent(a));
const prodTable = productionInventory(assembly, loadIamCatalog(), productionTagSpec()).resources.find((r) => r.cfnType === 'AWS::DynamoDB::GlobalTable')!;
/** The app names no account: the agent's real one must be recognised too. */
const tableArn = prodTable.arn.replace('123456789012', '111122223333');

interface Called {
  readonly isError: boolean;
  readonly text: string;
  readonly body: Record<string, any>;
}

describe('agent-guardrails mcp over stdio', () => {
  let local: LocalServer;
  let client: Client;
  let transport: StdioClientTransport;
  let stderr = '';
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'agr-mcp-'));
  const credentialsFile = path.join(home, 'aws', 'credentials');
  const configFile = path.join(home, 'aws', 'config');

  beforeAll(async () => {
    fs.mkdirSync(path.dirname(credentialsFile));
    fs.writeFileSync(credentialsFile, THEIRS, { mode: 0o644 });
    fs.writeFileSync(configFile, CONFIG);
    local = await startLocalServer();
    transport = new StdioClientTransport({
      command: process.execPath,
      args: [path.join(ROOT, 'bin', 'agent-guardrails.js'), 'mcp', '--url', local.url, '--identity', AGENT, '--on-behalf-of', HUMAN, '--app', app],
      env: { AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_CONFIG_FILE: configFile, AGENT_GUARDRAILS_SESSION_NAME: 'OPS-42' },
      cwd: ROOT,
      stderr: 'pipe',
    });
    transport.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    client = new Client({ name: 'agent-guardrails-test', version: '1.0.0' });
    await client.connect(transport);
  });
  afterAll(async () => {
    await client?.close();
    await local?.close();
  });

  async function call(name: string, args: Record<string, unknown> = {}): Promise<Called> {
    const result = (await client.callTool({ name, arguments: args })) as { isError?: boolean; content: Array<{ type: string; text: string }> };
    expect(result.content).toHaveLength(1);
    return { isError: result.isError === true, text: result.content[0].text, body: JSON.parse(result.content[0].text) };
  }

  /** A call to the approval API as someone other than the agent (an approver), through local mode's identity header. */
  async function api(identity: string, method: string, route: string, body?: unknown) {
    const response = await fetch(`${local.url}${route}`, { method, headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: identity }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }

  async function issuedRequest(reasoning = 'execute the approved change set for the orders table'): Promise<string> {
    const requested = await call('request_elevation', { role: 'deployer', reasoning });
    expect(requested).toMatchObject({ isError: false, body: { status: 'PENDING' } });
    const id = requested.body.requestId as string;
    expect((await api(APPROVER_1, 'POST', `/requests/${id}/approve`, { comment: 'looks right' })).status).toBe(200);
    expect((await api(APPROVER_2, 'POST', `/requests/${id}/approve`, {})).status).toBe(200);
    await waitFor(async () => (await call('request_status', { requestId: id })).body.status === 'ISSUED');
    return id;
  }

  test('introduces itself and lists the four tools with their input schemas', async () => {
    expect(client.getServerVersion()).toMatchObject({ name: 'agent-guardrails' });
    expect(client.getInstructions()).toMatch(/production read-only to you/);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['check_access', 'request_elevation', 'request_status', 'save_credentials']);
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(byName.check_access.inputSchema).toMatchObject({ type: 'object', required: ['action', 'resource'], properties: { action: { type: 'string' }, resource: { type: 'string' } } });
    expect(byName.check_access.annotations).toMatchObject({ readOnlyHint: true });
    expect(byName.request_elevation.inputSchema).toMatchObject({ required: ['role', 'reasoning'], properties: { reasoning: { minLength: 10, maxLength: 2000 }, changeSetArn: { type: 'string' } } });
    expect(byName.request_elevation.description).toMatch(/cannot be edited afterwards/);
    expect(byName.request_status.inputSchema).toMatchObject({ required: ['requestId'] });
    expect(byName.save_credentials.inputSchema).toMatchObject({ required: ['requestId'], properties: { profile: { type: 'string' } } });
    expect(byName.save_credentials.description).toMatch(/never shown to you/);
  });

  test('requests elevation with the reasoning as the stored justification, follows it, and saves the session to a profile without showing it', async () => {
    const reasoning = 'execute change set agent-rekey-orders: it adds a GSI to the orders table for the new report; checked that nothing is replaced';
    const requested = await call('request_elevation', { role: 'deployer', reasoning });
    expect(requested.isError).toBe(false);
    expect(requested.body).toMatchObject({ status: 'PENDING', role: 'deployer', justification: reasoning, next: expect.stringMatching(/at least 2 different humans must approve.*request_status.*save_credentials/) });
    const id = requested.body.requestId as string;

    // What approvers read is the agent's reasoning, stored by the workflow, with the human named by whoever started the server.
    const stored = await api(APPROVER_1, 'GET', `/requests/${id}`);
    // The task the agent was started for is the ticket, so the elevated session is tagged with it too.
    expect(stored.body).toMatchObject({ justification: reasoning, ticket: 'OPS-42', requester: { callerArn: AGENT }, onBehalfOf: { callerArn: HUMAN } });
    const named = await call('request_elevation', { role: 'deployer', reasoning, ticket: 'OPS-9' });
    expect((await api(APPROVER_1, 'GET', `/requests/${named.body.requestId}`)).body).toMatchObject({ ticket: 'OPS-9' });
    // The API has no route that changes a request.
    for (const method of ['PUT', 'PATCH']) {
      expect(await api(AGENT, method, `/requests/${id}`, { justification: 'something else' })).toMatchObject({ status: 404, body: { error: 'no-such-route' } });
    }

    expect((await call('request_status', { requestId: id })).body).toMatchObject({ status: 'PENDING', approvalsSoFar: 0, minimumApprovals: 2, justification: reasoning, next: expect.stringMatching(/waiting for approvals/) });
    const early = await call('save_credentials', { requestId: id });
    expect(early).toMatchObject({ isError: true, body: { error: 'not-issued', status: 'PENDING', message: expect.stringMatching(/has no credentials to collect: it is PENDING, not ISSUED/) } });

    expect((await api(APPROVER_1, 'POST', `/requests/${id}/approve`, { comment: 'ok' })).status).toBe(200);
    expect((await call('request_status', { requestId: id })).body).toMatchObject({ status: 'PENDING', approvalsSoFar: 1, approvals: [{ approver: 'human:approver-1', comment: 'ok' }] });
    expect((await api(APPROVER_2, 'POST', `/requests/${id}/approve`, {})).status).toBe(200);
    await waitFor(async () => (await call('request_status', { requestId: id })).body.status === 'ISSUED');
    expect((await call('request_status', { requestId: id })).body).toMatchObject({ status: 'ISSUED', approvalsSoFar: 2, collected: false, next: expect.stringMatching(/call save_credentials/) });

    const saved = await call('save_credentials', { requestId: id });
    expect(saved.isError).toBe(false);
    expect(saved.body).toMatchObject({ profile: 'agent-guardrails-elevated', replaced: false, usage: 'AWS_PROFILE=agent-guardrails-elevated aws ...', expiresInMinutes: expect.any(Number) });
    expect(Object.keys(saved.body).sort()).toEqual(['expiration', 'expiresInMinutes', 'file', 'note', 'profile', 'replaced', 'usage']);

    // The session is in the file, as the AWS SDK reads it; everything else in the file is as it was.
    const text = fs.readFileSync(credentialsFile, 'utf8');
    expect(text.startsWith(THEIRS)).toBe(true);
    expect(text.slice(THEIRS.length)).toMatch(new RegExp(`^\\r\\n\\[agent-guardrails-elevated\\]\\r\\n${CREDENTIALS_MARKER}\\r\\n# request ${id}, elevated role deployer; expires `));
    expect(fs.statSync(credentialsFile).mode & 0o777).toBe(0o600);
    const { credentialsFile: profiles } = await loadSharedConfigFiles({ filepath: credentialsFile, configFilepath: configFile });
    const session = profiles['agent-guardrails-elevated'];
    expect(session).toEqual({ aws_access_key_id: expect.stringMatching(/^LOCALFAKE/), aws_secret_access_key: 'local-mode-fake-secret-not-valid-anywhere', aws_session_token: expect.stringMatching(/^local-mode-fake-session-for-/) });
    expect(profiles.theirs).toEqual({ aws_access_key_id: 'AKIAEXAMPLETHEIRS' });
    expect(Date.parse(saved.body.expiration)).toBeGreaterThan(Date.now());

    // The keys went into the file only: not into the tool's answer, and not into the logs.
    for (const secret of Object.values(session)) {
      expect(saved.text).not.toContain(secret);
      expect(stderr).not.toContain(secret);
    }
    expect(stderr).toMatch(/^mcp: save_credentials: ok$/m);

    expect((await call('request_status', { requestId: id })).body).toMatchObject({ status: 'ISSUED', collected: true, next: expect.stringMatching(/already collected/) });
    expect(await call('save_credentials', { requestId: id })).toMatchObject({ isError: true, body: { error: 'not-issued', message: expect.stringMatching(/already collected \(it is handed out once\)/) } });

    // A second session replaces the first one in place, since this server wrote it.
    const next = await issuedRequest();
    expect((await call('save_credentials', { requestId: next })).body).toMatchObject({ profile: 'agent-guardrails-elevated', replaced: true });
    const again = fs.readFileSync(credentialsFile, 'utf8');
    expect(again.startsWith(THEIRS)).toBe(true);
    expect(again.match(/\[agent-guardrails-elevated\]/g)).toHaveLength(1);
    expect(again).toContain(`# request ${next},`);
  });

  test('fails when the profile is someone else\'s, in the credentials or the config file; the session stays collectable', async () => {
    const id = await issuedRequest();
    const theirs = await call('save_credentials', { requestId: id, profile: 'theirs' });
    expect(theirs).toMatchObject({ isError: true, body: { error: 'profile-refused', reason: 'not-ours', profile: 'theirs' } });
    expect(theirs.body.message).toMatch(/already has a profile \[theirs\] that agent-guardrails mcp did not write, and it is never overwritten; choose another profile name/);
    const configured = await call('save_credentials', { requestId: id, profile: 'operator' });
    expect(configured).toMatchObject({ isError: true, body: { error: 'profile-refused', reason: 'in-config', message: expect.stringMatching(/profile operator already exists in .*config.*choose another profile name/) } });
    expect(fs.readFileSync(credentialsFile, 'utf8')).toContain('[theirs]\r\naws_access_key_id   =   AKIAEXAMPLETHEIRS\r\n');

    // Nothing was collected yet: another profile still gets the session.
    expect((await call('save_credentials', { requestId: id, profile: 'task-7-elevated' })).body).toMatchObject({ profile: 'task-7-elevated', usage: 'AWS_PROFILE=task-7-elevated aws ...' });
  });

  describe('check_access', () => {
    test('allows a read of production, and denies a write with the statement and what to do', async () => {
      const read = await call('check_access', { action: 'dynamodb:GetItem', resource: tableArn });
      expect(read).toMatchObject({ isError: false, body: { decision: 'allowed', evaluation: 'Allowed', role: 'AgentGuardrails/CodingAgent', production: true, productionResource: { stack: 'orders-prod' }, meaning: expect.stringMatching(/^allowed/) } });

      // The example's read grant is an AWS managed policy, which the app does not hold: the offline check says so.
      expect(read.body).toMatchObject({ certain: false, meaning: expect.stringMatching(/as far as the offline check can tell: it rests on .*ViewOnlyAccess, which it cannot read offline/) });
      const describeTable = await call('check_access', { action: 'dynamodb:DescribeTable', resource: tableArn });
      expect(describeTable.body).toMatchObject({ decision: 'allowed' });

      const write = await call('check_access', { action: 'dynamodb:DeleteTable', resource: tableArn });
      expect(write.body.certain).toBe(true);
      expect(write.body).toMatchObject({ decision: 'denied', evaluation: 'ExplicitlyDenied', production: true, productionResource: { stack: 'orders-prod' }, resourceTags: { Environment: 'production' } });
      expect(write.body.decidedBy).toContainEqual({ policy: 'permissions boundary', statement: 'ProdReadOnly' });
      expect(write.body.meaning).toMatch(/denied by ProdReadOnly of permissions boundary: production is read-only to agents\. To change it, create a change set .* call request_elevation/);
    });

    test('recognises a production stack by name, whatever its id, and lets the agent propose a change set', async () => {
      const stack = 'arn:aws:cloudformation:eu-west-1:111122223333:stack/orders-prod/*';
      expect((await call('check_access', { action: 'cloudformation:DeleteStack', resource: stack })).body).toMatchObject({ decision: 'denied', production: true, productionResource: { stack: 'orders-prod' } });
      expect((await call('check_access', { action: 'cloudformation:CreateChangeSet', resource: stack })).body).toMatchObject({ decision: 'allowed' });
    });

    test('evaluates a resource outside the app with the tags it is given', async () => {
      const queue = 'arn:aws:sqs:us-east-1:111122223333:billing-jobs';
      expect((await call('check_access', { action: 'sqs:DeleteQueue', resource: queue, resourceTags: { Environment: 'Production' } })).body).toMatchObject({ decision: 'denied', production: true, meaning: expect.stringMatching(/production is read-only/) });
    });
  });

  test.each([
    ['the tool is unknown', 'drop_table', {}, 'unknown-tool', /no tool "drop_table": this server has check_access, request_elevation, request_status, save_credentials/],
    ['the request id is missing', 'request_status', {}, 'invalid-input', /request_status: requestId is required: the requestId that request_elevation returned/],
    ['the request id is not one', 'save_credentials', { requestId: '../../etc' }, 'invalid-input', /requestId must be the requestId that request_elevation returned .*; got "\.\.\/\.\.\/etc"/],
    ['the action is malformed', 'check_access', { action: 'dynamodb-DeleteTable', resource: '*' }, 'invalid-input', /malformed action "dynamodb-DeleteTable": write service:Action/],
    ['the action is not in the catalog', 'check_access', { action: 'dynamodb:DropTable', resource: '*' }, 'invalid-input', /unknown action "dynamodb:DropTable"/],
    ['the resource is not an ARN', 'check_access', { action: 'dynamodb:DeleteTable', resource: 'table/orders' }, 'invalid-input', /malformed resource ARN "table\/orders"/],
    ['an input is not the tool\'s', 'check_access', { action: 'dynamodb:DeleteTable', resource: '*', role: 'admin' }, 'invalid-input', /role is not an input of this tool, which takes action, resource, resourceTags, context/],
    ['the reasoning is too short, and the duration too long', 'request_elevation', { role: 'deployer', reasoning: 'pls', durationSeconds: 86400 }, 'invalid-input', /reasoning must be .*\(10-2000 characters\); got "pls"; durationSeconds must be .*from 900 to 3600.*got 86400/],
    ['the role is not the workflow\'s', 'request_elevation', { role: 'admin', reasoning: 'a reason long enough' }, 'refused', /refused POST \/requests \(400 invalid-request\): role must be one of "deployer"; got "admin"/],
    ['the request does not exist', 'request_status', { requestId: 'no-such-request' }, 'refused', /\(404 not-found\): no request no-such-request/],
    ['the profile is the default one', 'save_credentials', { requestId: 'abc', profile: 'default' }, 'invalid-input', /profile must not be default/],
  ])('fails when %s, as a tool error the agent can read', async (_name, tool, args, code, message) => {
    const result = await call(tool, args);
    expect(result.isError).toBe(true);
    expect(result.body).toMatchObject({ error: code });
    expect(result.body.message).toMatch(message);
  });
});

describe('agent-guardrails mcp options', () => {
  async function run(argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: {} });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  test('fails when --app names no cloud assembly, before serving anything', async () => {
    const missing = path.join(os.tmpdir(), 'agr-no-such-cdk-out');
    const result = await run(['mcp', '--url', 'http://127.0.0.1:9', '--identity', AGENT, '--app', missing]);
    expect(result).toMatchObject({ code: 2, out: '' });
    expect(result.err).toBe(`agent-guardrails: --app "${missing}" is not a cloud assembly (no such directory); run "npx cdk synth" first, or name the cdk.out directory`);
  });

  test('fails with every problem at once, in one line', async () => {
    const result = await run(['mcp', '--identity', AGENT, '--app', os.tmpdir(), '--profile', 'a b', '--on-behalf-of', 'alice']);
    expect(result.code).toBe(2);
    expect(result.err.split('\n')).toHaveLength(1);
    expect(result.err).toMatch(/--url \(or AGENT_GUARDRAILS_URL\) must name the approval API/);
    expect(result.err).toMatch(/--app ".*" is not a cloud assembly \(no manifest\.json in it\)/);
    expect(result.err).toMatch(/--profile must be 1-64 letters, digits, \. _ - and not default .* got "a b"/);
    expect(result.err).toMatch(/--on-behalf-of must be the ARN of the human the agent works for .* got "alice"/);
  });

  test('fails when --identity is used against a deployed API, or the region cannot be told', async () => {
    expect((await run(['mcp', '--url', 'https://abc.execute-api.eu-west-1.amazonaws.com/v1', '--identity', AGENT])).err).toMatch(/--identity works only against local mode/);
    expect((await run(['mcp', '--url', 'https://approvals.example.com/v1'])).err).toMatch(/cannot tell the approval API's region from --url: pass --region, or set AWS_REGION/);
  });
});

test('fails when the MCP SDK is not installed, naming the fix (the CLI itself loads without it)', () => {
  // A preload that makes the SDK unresolvable, as in a project that never installed it.
  const hook = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'agr-no-sdk-')), 'no-sdk.js');
  fs.writeFileSync(
    hook,
    "const Module = require('module'); const resolve = Module._resolveFilename; Module._resolveFilename = function (request, ...rest) { if (request.startsWith('@modelcontextprotocol/sdk')) { throw Object.assign(new Error(`Cannot find module '${request}'`), { code: 'MODULE_NOT_FOUND' }); } return resolve.call(this, request, ...rest); };",
  );
  const cli = (...argv: string[]) => spawnSync(process.execPath, ['-r', hook, path.join(ROOT, 'bin', 'agent-guardrails.js'), ...argv], { cwd: ROOT, encoding: 'utf8', input: '' });
  const missing = cli('mcp', '--url', 'http://127.0.0.1:9', '--identity', AGENT);
  expect(missing).toMatchObject({ status: 2, stdout: '' });
  expect(missing.stderr.trim().split('\n').pop()).toBe('agent-guardrails: agent-guardrails mcp needs @modelcontextprotocol/sdk, an optional peer dependency of cdk-agent-guardrails that is not installed; install it with: npm install --save-dev @modelcontextprotocol/sdk');
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
