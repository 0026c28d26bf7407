/**
 * `agent-guardrails credential-process` against an STS stand-in on 127.0.0.1 that speaks the real
 * Query protocol over HTTP (form-encoded AssumeRole, XML answers): the session it prints, what it
 * asks STS for (signed with the base credentials), the cache and its refresh, and the errors.
 */
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../lib/cli/main';

const ROLE = 'arn:aws:iam::111122223333:role/agent-guardrails/agent/coding-agent';

interface SeenCall {
  readonly params: URLSearchParams;
  readonly authorization: string;
}

let server: http.Server;
let endpoint: string;
const seen: SeenCall[] = [];
/** How long the stand-in's sessions last, in milliseconds. */
let lifetime = 3600_000;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const params = new URLSearchParams(body);
      seen.push({ params, authorization: String(req.headers.authorization ?? '') });
      res.setHeader('content-type', 'text/xml');
      if (params.get('RoleArn')?.includes('forbidden')) {
        res.statusCode = 403;
        res.end(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform: sts:AssumeRole</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`);
        return;
      }
      const n = seen.length;
      res.end(
        `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>` +
          `<SourceIdentity>${params.get('SourceIdentity')}</SourceIdentity>` +
          `<AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:${params.get('RoleSessionName')}</AssumedRoleId><Arn>arn:aws:sts::111122223333:assumed-role/coding-agent/${params.get('RoleSessionName')}</Arn></AssumedRoleUser>` +
          `<Credentials><AccessKeyId>ASIASESSION${String(n).padStart(9, '0')}</AccessKeyId><SecretAccessKey>secret-${n}</SecretAccessKey><SessionToken>token-${n}</SessionToken><Expiration>${new Date(Date.now() + lifetime).toISOString()}</Expiration></Credentials>` +
          `</AssumeRoleResult><ResponseMetadata><RequestId>r-${n}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const saved = { ...process.env };
beforeEach(() => {
  seen.length = 0;
  lifetime = 3600_000;
  // The base credentials the helper starts from, as an operator's machine has them.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIABASEEXAMPLE00001', AWS_SECRET_ACCESS_KEY: 'base-secret', AWS_REGION: 'eu-west-1' });
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
});
afterEach(() => {
  process.env = { ...saved };
});

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: process.env });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const cacheDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'agr-cache-'));
const base = (dir: string) => ['credential-process', '--role-arn', ROLE, '--source-identity', 'coding-agent', '--cache-dir', dir];

test('prints the session as credential_process JSON, assumed with the source identity, session name and tags, signed with the base credentials', async () => {
  const result = await run([...base(cacheDir()), '--session-name', 'OPS-42', '--tag', 'ticket=OPS-42', '--endpoint-url', endpoint]);
  expect(result.code).toBe(0);
  expect(JSON.parse(result.out)).toEqual({ Version: 1, AccessKeyId: 'ASIASESSION000000001', SecretAccessKey: 'secret-1', SessionToken: 'token-1', Expiration: expect.any(String) });
  const [call] = seen;
  expect(Object.fromEntries(call.params)).toMatchObject({
    Action: 'AssumeRole',
    RoleArn: ROLE,
    RoleSessionName: 'OPS-42',
    SourceIdentity: 'coding-agent',
    DurationSeconds: '3600',
    // The task, named after the session, then the tags given.
    'Tags.member.1.Key': 'agent-guardrails:task',
    'Tags.member.1.Value': 'OPS-42',
    'Tags.member.2.Key': 'ticket',
    'Tags.member.2.Value': 'OPS-42',
  });
  expect(call.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIABASEEXAMPLE00001\/\d{8}\/eu-west-1\/sts\/aws4_request/);
});

test('takes the session name from AGENT_GUARDRAILS_SESSION_NAME, which the agent\'s tool passes on, unless --session-name is given', async () => {
  process.env.AGENT_GUARDRAILS_SESSION_NAME = 'OPS-77';
  expect((await run([...base(cacheDir()), '--endpoint-url', endpoint])).code).toBe(0);
  expect(seen[0].params.get('RoleSessionName')).toBe('OPS-77');
  expect(seen[0].params.get('Tags.member.1.Value')).toBe('OPS-77');
  expect((await run([...base(cacheDir()), '--session-name', 'OPS-78', '--endpoint-url', endpoint])).code).toBe(0);
  expect(seen[1].params.get('RoleSessionName')).toBe('OPS-78');
  process.env.AGENT_GUARDRAILS_SESSION_NAME = 'bad name!';
  const bad = await run([...base(cacheDir()), '--endpoint-url', endpoint]);
  expect(bad.code).toBe(2);
  expect(bad.err).toContain('--session-name (or AGENT_GUARDRAILS_SESSION_NAME) must be 2-64 letters');
});

test('serves the cached session while it lasts, and assumes the role again shortly before it expires', async () => {
  const dir = cacheDir();
  const first = JSON.parse((await run([...base(dir), '--endpoint-url', endpoint])).out);
  const again = JSON.parse((await run([...base(dir), '--endpoint-url', endpoint])).out);
  expect(again).toEqual(first);
  expect(seen).toHaveLength(1);
  // Another task (session name) is another session.
  await run([...base(dir), '--session-name', 'OPS-43', '--endpoint-url', endpoint]);
  expect(seen).toHaveLength(2);
  // A session with less than five minutes left is replaced.
  lifetime = 4 * 60_000;
  const dir2 = cacheDir();
  await run([...base(dir2), '--endpoint-url', endpoint]);
  await run([...base(dir2), '--endpoint-url', endpoint]);
  expect(seen).toHaveLength(4);
  const cached = fs.readdirSync(dir);
  expect(cached).toHaveLength(2);
  expect(fs.statSync(path.join(dir, cached[0])).mode & 0o777).toBe(0o600);
});

test('honours the SDK\'s AWS_ENDPOINT_URL_STS', async () => {
  process.env.AWS_ENDPOINT_URL_STS = endpoint;
  const result = await run(base(cacheDir()));
  expect(result.code).toBe(0);
  expect(seen).toHaveLength(1);
});

test('fails with exit 1 when STS refuses, saying so in one line', async () => {
  const result = await run(['credential-process', '--role-arn', ROLE.replace('coding-agent', 'forbidden'), '--source-identity', 'coding-agent', '--cache-dir', cacheDir(), '--endpoint-url', endpoint]);
  expect(result).toMatchObject({ code: 1, out: '' });
  expect(result.err).toMatch(/^agent-guardrails: sts:AssumeRole of arn:aws:iam::111122223333:role\/agent-guardrails\/agent\/forbidden refused: AccessDenied: User is not authorized to perform: sts:AssumeRole$/);
});

test.each([
  ['no role', ['credential-process', '--source-identity', 'coding-agent'], /--role-arn must be the agent role's ARN/],
  ['a source identity that is no name', ['credential-process', '--role-arn', ROLE, '--source-identity', 'a b'], /--source-identity must be the agent's name .* got "a b"/],
  ['a tag that is no pair', ['credential-process', '--role-arn', ROLE, '--source-identity', 'coding-agent', '--tag', 'ticket'], /--tag must be KEY=VALUE, got "ticket"/],
])('fails with exit 2 for %s, naming the option and the fix', async (_what, argv, message) => {
  const result = await run(argv);
  expect(result.code).toBe(2);
  expect(result.err).toMatch(message);
  expect(seen).toHaveLength(0);
});
