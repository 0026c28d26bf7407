import { spawn } from 'child_process';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { main } from '../../lib/cli/main';
import * as fs from 'fs';
import * as os from 'os';
import { buildApp as minimal } from '../../examples/minimal';
import { buildApp as twoPersonApproval } from '../../examples/two-person-approval';
import { workflowFromAssembly } from '../../lib/approval-workflow/local/from-assembly';
import { LocalServer, startLocalServer } from '../../lib/approval-workflow/local/server';
import { synthesizeApp } from '../support/assembly';

const AGENT = 'arn:aws:sts::000000000000:assumed-role/coding-agent/task-7';
const APPROVER_1 = 'arn:aws:iam::000000000000:user/approver-1';
const APPROVER_2 = 'arn:aws:iam::000000000000:user/approver-2';

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('the CLI against local mode', () => {
  let server: LocalServer;
  beforeAll(async () => {
    server = await startLocalServer();
  });
  afterAll(() => server.close());

  const as = (identity: string, ...argv: string[]) => run([...argv, '--url', server.url, '--identity', identity]);

  test('request, two approvals, credentials once', async () => {
    const requested = await as(AGENT, 'request', '--role', 'deployer', '--justification', 'execute the approved change set', '--on-behalf-of', 'arn:aws:iam::000000000000:user/alice', '--json');
    expect(requested.code).toBe(0);
    const id = JSON.parse(requested.out).requestId as string;

    expect((await as(AGENT, 'approve', id)).out).toMatch(/refused \(403 not-eligible\)/);
    expect((await as(APPROVER_1, 'approve', id, '--comment', 'ok')).out).toBe(`${id}: PENDING (role deployer; 1 approval: human:approver-1)`);
    expect((await as(APPROVER_2, 'approve', id)).code).toBe(0);
    await waitFor(async () => JSON.parse((await as(AGENT, 'status', id, '--json')).out).status === 'ISSUED');

    const credentials = await as(AGENT, 'credentials', id);
    expect(credentials.code).toBe(0);
    expect(credentials.out).toMatch(/^export AWS_ACCESS_KEY_ID=LOCALFAKE[A-Z0-9]+\nexport AWS_SECRET_ACCESS_KEY=local-mode-fake-secret-not-valid-anywhere\n/);
    const again = await as(AGENT, 'credentials', id, '--json');
    expect(again.code).toBe(1);
    expect(JSON.parse(again.out)).toMatchObject({ error: 'already-delivered' });
  });

  test('refusals exit 1 with the reason', async () => {
    const id = JSON.parse((await as(AGENT, 'request', '--role', 'deployer', '--justification', 'a reason long enough', '--on-behalf-of', 'arn:aws:iam::000000000000:user/alice', '--json')).out).requestId;
    const denied = await as(APPROVER_1, 'deny', id, '--comment', 'not now');
    expect(denied.out).toMatch(/: DENIED/);
    expect(await as(APPROVER_2, 'approve', id)).toMatchObject({ code: 1, out: expect.stringMatching(/refused \(409 denied\)/) });
  });

  test('bad input to the API is a 400 that lists every problem', async () => {
    const result = await as(AGENT, 'request', '--role', 'root', '--justification', 'x', '--on-behalf-of', 'arn:aws:iam::000000000000:user/alice', '--json');
    expect(result.code).toBe(1);
    expect(JSON.parse(result.out).problems).toHaveLength(2);
  });
});

test('takes options before the command too', async () => {
  const result = await run(['--json', '--url', 'http://127.0.0.1:9', '--identity', AGENT, 'approve', '../x']);
  expect(result).toMatchObject({ code: 2, err: expect.stringMatching(/approve needs a request id/) });
});

describe('the CLI against local mode with change sets', () => {
  const changeSets = path.join(__dirname, '..', 'approval-workflow', 'change-sets');
  let server: LocalServer;
  beforeAll(async () => {
    server = await startLocalServer({ changeSetsDir: changeSets });
  });
  afterAll(() => server.close());
  const as = (identity: string, ...argv: string[]) => run([...argv, '--url', server.url, '--identity', identity]);
  const CHANGE_SET = 'arn:aws:cloudformation:eu-west-1:111122223333:changeSet/agent-rekey-orders/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';

  test('binds the request to the change set, shows its impact, and needs --accept-risk from each approver', async () => {
    expect((await as(AGENT, 'request', '--role', 'deployer', '--justification', 'rekey the orders table', '--on-behalf-of', 'arn:aws:iam::000000000000:user/alice')).out).toMatch(
      /refused \(400 invalid-request\): changeSetArn is required for role "deployer"/,
    );
    const requested = await as(AGENT, 'request', '--role', 'deployer', '--justification', 'rekey the orders table', '--on-behalf-of', 'arn:aws:iam::000000000000:user/alice', '--change-set', CHANGE_SET, '--json');
    const id = JSON.parse(requested.out).requestId;
    const status = (await as(APPROVER_1, 'status', id)).out;
    expect(status).toMatch(/^request .*: PENDING$/m);
    expect(status).toMatch(/justification: rekey the orders table/);
    expect(status).toMatch(/on behalf of:  arn:aws:iam::000000000000:user\/alice/);
    expect(status).toMatch(/change set on orders-prod \(production\): HIGH risk/);
    expect(status).toMatch(/production data at risk, which each approver must accept:\n\s+orders-prod\/OrdersTable3F1A2B4C/);

    expect(await as(APPROVER_1, 'approve', id)).toMatchObject({ code: 1, out: expect.stringMatching(/refused \(409 risk-not-accepted\)/) });
    const pending = await as(APPROVER_2, 'pending');
    expect(pending.out).toContain(`${id}  deployer  ${AGENT} for arn:aws:iam::000000000000:user/alice  HIGH risk, production data at risk  0 approvals`);
    expect(await as(AGENT, 'pending')).toMatchObject({ code: 1, out: expect.stringMatching(/refused \(403 not-eligible\)/) });
    expect((await as(APPROVER_1, 'approve', id, '--accept-risk')).code).toBe(0);
    expect((await as(APPROVER_2, 'approve', id, '--accept-risk')).code).toBe(0);
    await waitFor(async () => JSON.parse((await as(AGENT, 'status', id, '--json')).out).status === 'ISSUED');
    expect((await as(APPROVER_1, 'status', id)).out).toMatch(/approvals:     human:approver-1 at .*, risk accepted; human:approver-2 at .*, risk accepted/);
  });
});

describe('local mode running an app\'s own workflow (--app)', () => {
  const app = synthesizeApp((a) => twoPersonApproval(a)).dir;
  const IC = (user: string) => `arn:aws:sts::000000000000:assumed-role/AWSReservedSSO_Approver_0123456789abcdef/${user}`;
  let server: LocalServer;
  let changeSetArn: string;
  beforeAll(async () => {
    // A change set of the example's production stack, which its elevated role may execute.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'change-sets-'));
    const described = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'approval-workflow', 'change-sets', 'replace-table.json'), 'utf8'));
    described.StackName = 'payments-prod';
    described.StackId = described.StackId.replace('orders-prod', 'payments-prod');
    changeSetArn = described.ChangeSetId;
    fs.writeFileSync(path.join(dir, 'payments.json'), JSON.stringify(described));
    server = await startLocalServer({ source: workflowFromAssembly(app), changeSetsDir: dir });
  });
  afterAll(() => server.close());
  const as = (identity: string, ...argv: string[]) => run([...argv, '--url', server.url, '--identity', identity]);

  test('runs the app\'s roles and approvers', async () => {
    expect(server.roles).toEqual(['prod-deployer']);
    expect(server.approvers).toEqual(['alice@example.com (Identity Center user alice@example.com)', 'bob@example.com (Identity Center user bob@example.com)', 'carol@example.com (Identity Center user carol@example.com)']);
    const id = JSON.parse(
      (await as(AGENT, 'request', '--role', 'prod-deployer', '--justification', 'rekey the payments table', '--on-behalf-of', IC('alice@example.com'), '--change-set', changeSetArn, '--json')).out,
    ).requestId;
    expect(await as(APPROVER_1, 'approve', id, '--accept-risk')).toMatchObject({ code: 1, out: expect.stringMatching(/not-eligible/) });
    expect(await as(IC('alice@example.com'), 'approve', id, '--accept-risk')).toMatchObject({ code: 1, out: expect.stringMatching(/on-behalf-of-approval/) });
    expect((await as(IC('bob@example.com'), 'approve', id, '--accept-risk')).code).toBe(0);
    expect((await as(IC('carol@example.com'), 'approve', id, '--accept-risk')).code).toBe(0);
    await waitFor(async () => JSON.parse((await as(AGENT, 'status', id, '--json')).out).status === 'ISSUED');
  });

  test('refuses a change set of a stack the app\'s role does not change', async () => {
    const other = await as(AGENT, 'request', '--role', 'prod-deployer', '--justification', 'not this stack', '--on-behalf-of', IC('alice@example.com'), '--change-set', changeSetArn.replace('agent-rekey-orders', 'nope'));
    expect(other.out).toMatch(/refused \(400 invalid-request\): changeSetArn names no change set the workflow can read/);
  });

  test.each([
    ['an app without a workflow', () => ['local', '--app', synthesizeApp((a) => minimal(a)).dir], /--app: no TwoPersonApproval in .*; give the cdk.out of an app that has one/],
    ['a workflow path the app does not have', () => ['local', '--app', app, '--workflow', 'Nope/TwoPersonApproval'], /--workflow: no TwoPersonApproval at Nope\/TwoPersonApproval in .*; the app has Guardrails\/TwoPersonApproval/],
    ['--approvers with --app', () => ['local', '--app', app, '--approvers', APPROVER_1], /--approvers and --app do not go together/],
  ])('fails with exit 2 for %s', async (_what, argv, message) => {
    const result = await run(argv());
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
  });
});

describe('CLI conventions', () => {
  test.each([[['--help']], [['help']]])('prints the usage with every command for %j, and exits 0', async (argv) => {
    const result = await run(argv);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^Usage: agent-guardrails \[options\] \[command\]/);
    for (const command of ['request', 'approve', 'deny', 'revoke', 'status', 'pending', 'credentials', 'local', 'review', 'simulate', 'verify', 'impact']) {
      expect(result.out).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
  });

  test('prints each command\'s own help', async () => {
    const status = await run(['status', '--help']);
    expect(status).toMatchObject({ code: 0, out: expect.stringMatching(/^Usage: agent-guardrails status \[options\] <id>/) });
    expect((await run(['local', '--help'])).out).toMatch(/--change-sets <DIR>/);
    // The options every command takes are shown with each.
    expect(status.out).toMatch(/Global Options:[^]*--url <URL>/);
    expect((await run(['local', '--help'])).out).not.toEqual(status.out);
  });

  test('fails with exit 2 and the usage on stderr when given nothing', async () => {
    const result = await run([]);
    expect(result).toMatchObject({ code: 2, out: '' });
    expect(result.err).toMatch(/^Usage: agent-guardrails/);
  });

  test('prints its version', async () => {
    const result = await run(['--version']);
    expect(result).toMatchObject({ code: 0, out: require('../../package.json').version });
  });

  test('fails with exit 2 for a mistyped command, suggesting the right one, in one line', async () => {
    const result = await run(['reveiw']);
    expect(result.code).toBe(2);
    expect(result.err).toBe("agent-guardrails: unknown command 'reveiw' (Did you mean review?); see agent-guardrails --help");
  });

  test('fails with exit 2 for a network error, naming the URL and the cause', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const result = await run(['status', 'abc', '--url', `http://127.0.0.1:${port}/v1`, '--identity', AGENT]);
    expect(result.code).toBe(2);
    expect(result.err).toBe(`agent-guardrails: cannot reach the approval API at http://127.0.0.1:${port}: ECONNREFUSED; check --url and your network`);
  });
});

describe('bad input to the CLI', () => {
  test.each([
    ['no URL', ['status', 'abc'], /--url \(or AGENT_GUARDRAILS_URL\) must name the approval API/],
    ['an identity against a deployed API', ['status', 'abc', '--url', 'https://abc.execute-api.eu-west-1.amazonaws.com/v1', '--identity', AGENT], /--identity works only against local mode/],
    ['an unknown command', ['launch', '--url', 'http://127.0.0.1:1'], /unknown command 'launch'/],
    ['an unknown option', ['status', 'abc', '--force'], /unknown option '--force'/],
    ['a request id that is not one', ['approve', '../etc', '--url', 'http://127.0.0.1:1', '--identity', AGENT], /approve needs a request id \(letters, digits and -\), got "..\/etc"/],
    ['a missing request id', ['approve', '--url', 'http://127.0.0.1:1'], /missing required argument 'id'/],
    ['a port that is not one', ['local', '--port', 'eighty'], /--port must be a port number/],
  ])('exits 2 for %s, saying what to do in one line', async (_name, argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(result.err.split('\n')).toHaveLength(1);
  });
});

test('signs calls to the deployed API with the caller credentials (SigV4 for execute-api)', async () => {
  const seen: http.IncomingHttpHeaders[] = [];
  const fake = http.createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ requestId: 'r', status: 'PENDING', role: 'deployer', approvals: {} }));
  });
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}/v1`;
  const saved = { ...process.env };
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEKEY000001', AWS_SECRET_ACCESS_KEY: 'example-secret', AWS_SESSION_TOKEN: '' });
  try {
    expect((await run(['status', 'r', '--url', url, '--region', 'eu-west-1'])).code).toBe(0);
  } finally {
    process.env = saved;
    await new Promise((resolve) => fake.close(resolve));
  }
  expect(seen[0].authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAEXAMPLEKEY000001\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/);
  expect(seen[0]['x-agent-guardrails-identity']).toBeUndefined();
});

test('npx agent-guardrails local --json prints one JSON start-up line and serves the API', async () => {
  const child = spawn(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'agent-guardrails.js'), 'local', '--port', '0', '--json', '--approvers', `${APPROVER_1},arn:aws:sts::000000000000:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/bob@example.com`], { stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let buffer = '';
      const guard = setTimeout(() => reject(new Error('no start-up line in 30 s')), 30000);
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        if (buffer.includes('\n')) {
          clearTimeout(guard);
          resolve(buffer.split('\n')[0]);
        }
      });
      child.on('exit', (code) => reject(new Error(`local mode exited with ${code}`)));
    });
    const startup = JSON.parse(line);
    expect(startup).toEqual({
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      roles: ['deployer'],
      approvers: [APPROVER_1, 'arn:aws:sts::000000000000:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/bob@example.com'],
    });
    const response = await fetch(`${startup.url}/requests/unknown`, { headers: { 'x-agent-guardrails-identity': APPROVER_1 } });
    expect(response.status).toBe(404);
    const unsigned = await fetch(`${startup.url}/requests/unknown`);
    expect(unsigned.status).toBe(401);
  } finally {
    child.kill('SIGTERM');
    await exited; // local mode stops on SIGTERM (Ctrl-C): waiting proves it does
  }
}, 45000);

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
