/**
 * The MCP server's parts without the protocol: the input check every tool call goes through, the
 * managed sections of the AWS shared files, the credentials file store, and save_credentials
 * against an approval API that answers something it must not write.
 */
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { MANAGED_MARKER, sectionNames, withAgentProfile, withManagedSection } from '../../lib/agent-access/aws-config';
import { CREDENTIALS_MARKER, credentialsFileStore, sharedFiles } from '../../lib/agent-access/mcp/credentials-file';
import { inputProblems } from '../../lib/agent-access/mcp/input-schema';
import { toolResultOf } from '../../lib/agent-access/mcp/server';
import { callTool, lazyAgentRole, TOOLS, ToolDeps } from '../../lib/agent-access/mcp/tools';
import { apiClient } from '../../lib/cli/api-client';

const SESSION = { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret/with+chars', sessionToken: 'token==', expiration: '2030-01-01T00:00:00.000Z' };

function tmpFiles(credentials?: string, config?: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agr-mcp-tools-'));
  const files = { credentials: path.join(dir, 'credentials'), config: path.join(dir, 'config') };
  if (credentials !== undefined) fs.writeFileSync(files.credentials, credentials);
  if (config !== undefined) fs.writeFileSync(files.config, config);
  return { dir, files };
}

describe('the input check', () => {
  const schema = TOOLS.find((t) => t.name === 'request_elevation')!.inputSchema;

  test('passes input that matches the schema', () => {
    expect(inputProblems(schema, { role: 'deployer', reasoning: 'a reason long enough', durationSeconds: 900 })).toEqual([]);
  });

  test('fails when input is wrong, naming every problem with what the input must be', () => {
    expect(inputProblems(schema, { reasoning: 42, durationSeconds: 1.5, extra: true })).toEqual([
      'role is required: the elevated role of the workflow to ask for (for example deployer)',
      'reasoning must be why you need the session: what the change set does and why, for the approvers (10-2000 characters); got 42',
      'durationSeconds must be the session length in seconds (default: the role\'s longest) (a whole number from 900 to 3600); got 1.5',
      'extra is not an input of this tool, which takes role, reasoning, changeSetArn, durationSeconds, ticket',
    ]);
    expect(inputProblems(schema, 'text')).toEqual(['input must be an object; got "text"']);
  });

  test('fails when a nested value is wrong, naming its path, and cuts long values short', () => {
    const check = TOOLS.find((t) => t.name === 'check_access')!.inputSchema;
    const problems = inputProblems(check, { action: 'a:b', resource: '*', context: { 'aws:SourceIp': 5, ok: ['x'] }, resourceTags: { Environment: 'x'.repeat(300) } });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toBe('context.aws:SourceIp must be a string, or a list of strings; got 5');
    expect(problems[1]).toMatch(/^resourceTags\.Environment must be a tag value \(0-256 characters\); got "x+\.\.\.$/);
    expect(problems[1].length).toBeLessThan(250);
  });

  test('every tool declares an object schema whose required inputs it describes', () => {
    for (const tool of TOOLS) {
      expect(tool.inputSchema.type).toBe('object');
      for (const name of tool.inputSchema.required ?? []) expect(tool.inputSchema.properties[name]?.description).toBeTruthy();
    }
  });
});

describe('managed sections of the AWS shared files', () => {
  const section = { name: 'elevated', marker: CREDENTIALS_MARKER, lines: ['aws_access_key_id = NEW'] };

  test('appends to a file without touching a byte of it, CRLF and a missing last newline included', () => {
    expect(withManagedSection('[a]\r\nx = 1', section)).toEqual({ ok: true, replaced: false, text: `[a]\r\nx = 1\r\n\r\n[elevated]\r\n${CREDENTIALS_MARKER}\r\naws_access_key_id = NEW\r\n` });
    expect(withManagedSection('[a]\nx = 1\n\n', section)).toEqual({ ok: true, replaced: false, text: `[a]\nx = 1\n\n[elevated]\n${CREDENTIALS_MARKER}\naws_access_key_id = NEW\n` });
    expect(withManagedSection('', section)).toEqual({ ok: true, replaced: false, text: `[elevated]\n${CREDENTIALS_MARKER}\naws_access_key_id = NEW\n` });
  });

  test('replaces its own section in place, keeping the sections around it', () => {
    const before = `[a]\r\nx = 1\r\n\r\n[elevated]\r\n${CREDENTIALS_MARKER}\r\naws_access_key_id = OLD\r\n\r\n[b]\r\ny = 2\r\n`;
    expect(withManagedSection(before, section)).toEqual({ ok: true, replaced: true, text: before.replace('OLD', 'NEW') });
  });

  test.each([
    ['a section of that name without the marker', '[elevated]\naws_access_key_id = THEIRS\n'],
    ['one written with spaces and a comment on its header', '[ elevated ] ; mine\naws_access_key_id = THEIRS\n'],
    ['a second one of that name, after ours', `[elevated]\n${CREDENTIALS_MARKER}\n\n[elevated]\nregion = eu-west-1\n`],
  ])('fails when the file holds %s', (_name, text) => {
    expect(withManagedSection(text, section)).toEqual({ ok: false, code: 'not-managed', name: 'elevated' });
  });

  test('setup-agent\'s profiles in the config file work as before', () => {
    expect(withAgentProfile('[default]\nregion = us-east-1\n', { name: 'coding-agent', credentialProcess: 'npx agent-guardrails credential-process' })).toEqual({
      ok: true,
      replaced: false,
      text: `[default]\nregion = us-east-1\n\n[profile coding-agent]\n${MANAGED_MARKER}\ncredential_process = npx agent-guardrails credential-process\n`,
    });
    expect(withAgentProfile('[profile coding-agent]\nrole_arn = x\n', { name: 'coding-agent', credentialProcess: 'y' })).toMatchObject({ ok: false, problem: expect.stringMatching(/which setup-agent did not write/) });
    expect(sectionNames('[default]\n[ profile   a ] # c\nkey = [x]\n')).toEqual(['default', 'profile a']);
  });
});

describe('the credentials file store', () => {
  test('writes the profile with mode 0600 through a temporary file, leaving nothing else behind', () => {
    const { dir, files } = tmpFiles();
    expect(credentialsFileStore({ ...files, credentials: path.join(dir, 'nested', 'credentials') }).write('elevated', SESSION, { requestId: 'r-1', role: 'deployer' })).toMatchObject({ ok: true, replaced: false });
    expect(fs.readdirSync(path.join(dir, 'nested'))).toEqual(['credentials']);
    const text = fs.readFileSync(path.join(dir, 'nested', 'credentials'), 'utf8');
    expect(text).toBe(`[elevated]\n${CREDENTIALS_MARKER}\n# request r-1, elevated role deployer; expires 2030-01-01T00:00:00.000Z\naws_access_key_id = ASIAEXAMPLE\naws_secret_access_key = secret/with+chars\naws_session_token = token==\n`);
    expect(fs.statSync(path.join(dir, 'nested', 'credentials')).mode & 0o777).toBe(0o600);
  });

  test('writes through a symbolic link, which stays one', () => {
    const { dir, files } = tmpFiles('[a]\nx = 1\n');
    const link = path.join(dir, 'link');
    fs.symlinkSync(files.credentials, link);
    expect(credentialsFileStore({ ...files, credentials: link }).write('elevated', SESSION, { requestId: 'r-1' })).toMatchObject({ ok: true, file: fs.realpathSync(files.credentials) });
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(files.credentials, 'utf8')).toMatch(/^\[a\]\nx = 1\n\n\[elevated\]\n/);
  });

  test('fails when the profile is someone else\'s, changing nothing', () => {
    const { files } = tmpFiles('[elevated]\naws_access_key_id = THEIRS\n', '[profile ops]\nregion = eu-west-1\n');
    const store = credentialsFileStore(files);
    expect(store.check('elevated')).toMatchObject({ ok: false, code: 'not-ours', message: expect.stringMatching(/already has a profile \[elevated\] that agent-guardrails mcp did not write/) });
    expect(store.write('elevated', SESSION, { requestId: 'r-1' })).toMatchObject({ ok: false, code: 'not-ours' });
    expect(store.write('ops', SESSION, { requestId: 'r-1' })).toMatchObject({ ok: false, code: 'in-config', message: expect.stringMatching(/profile ops already exists in .*config/) });
    expect(fs.readFileSync(files.credentials, 'utf8')).toBe('[elevated]\naws_access_key_id = THEIRS\n');
  });

  test('fails when a credential or the name could break out of the section, without repeating the value', () => {
    const { files } = tmpFiles('');
    const store = credentialsFileStore(files);
    const injected = store.write('elevated', { ...SESSION, sessionToken: 'token\n[default]\naws_access_key_id = EVIL' }, { requestId: 'r-1' });
    expect(injected).toEqual({ ok: false, code: 'invalid', message: 'the approval API returned credentials the credentials file cannot hold (sessionToken malformed); nothing was written' });
    expect(store.check('elev]ated')).toMatchObject({ ok: false, code: 'invalid' });
    expect(fs.readFileSync(files.credentials, 'utf8')).toBe('');
  });

  test('finds the files where the AWS SDKs look for them', () => {
    expect(sharedFiles({}, '/home/me')).toEqual({ credentials: '/home/me/.aws/credentials', config: '/home/me/.aws/config' });
    expect(sharedFiles({ AWS_SHARED_CREDENTIALS_FILE: '/x/creds', AWS_CONFIG_FILE: '/x/conf' }, '/home/me')).toEqual({ credentials: '/x/creds', config: '/x/conf' });
  });
});

describe('save_credentials against an API that answers what it must not', () => {
  let server: http.Server;
  let url: string;
  let credentials: unknown;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url?.endsWith('/credentials') ? { requestId: 'r-1', role: 'deployer', credentials } : { requestId: 'r-1', status: 'ISSUED', role: 'deployer', approvals: {} }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  function deps(files: { credentials: string; config: string }): ToolDeps {
    return {
      api: apiClient({ url, identity: 'arn:aws:sts::000000000000:assumed-role/coding-agent/t', env: {} }),
      agentRole: lazyAgentRole(() => ({ stacks: [] }), undefined),
      profiles: credentialsFileStore(files),
      now: () => new Date('2029-12-31T23:00:00.000Z'),
      defaultProfile: 'elevated',
    };
  }

  test('writes a well-formed session and tells only the profile and the expiry', async () => {
    credentials = SESSION;
    const { files } = tmpFiles();
    const result = await callTool(deps(files), 'save_credentials', { requestId: 'r-1' });
    expect(result).toEqual({
      ok: true,
      result: expect.objectContaining({ profile: 'elevated', expiration: SESSION.expiration, expiresInMinutes: 60, usage: 'AWS_PROFILE=elevated aws ...' }),
    });
    const text = toolResultOf(result).content[0].text;
    for (const secret of [SESSION.accessKeyId, SESSION.secretAccessKey, SESSION.sessionToken]) expect(text).not.toContain(secret);
  });

  test.each([
    ['a token with a new line in it', { ...SESSION, sessionToken: 'x\n[default]' }, 'invalid-response', /sessionToken malformed.*ask an approver to revoke request r-1/],
    ['no credentials at all', undefined, 'invalid-response', /answered GET \/requests\/r-1\/credentials with something this server cannot read/],
  ])('fails when the API returns %s, writing nothing and repeating nothing', async (_name, answer, code, message) => {
    credentials = answer;
    const { files } = tmpFiles('[a]\n');
    const result = await callTool(deps(files), 'save_credentials', { requestId: 'r-1' });
    expect(result).toMatchObject({ ok: false, error: code, message: expect.stringMatching(message) });
    expect(JSON.stringify(result)).not.toContain('[default]');
    expect(fs.readFileSync(files.credentials, 'utf8')).toBe('[a]\n');
  });

  test('fails when check_access has no assembly to read, saying how to give it one', async () => {
    const { files } = tmpFiles();
    const missing = path.join(os.tmpdir(), 'agr-no-such-cdk-out');
    const { loadAssembly } = await import('../../lib/review/assembly');
    const result = await callTool({ ...deps(files), agentRole: lazyAgentRole(() => loadAssembly(missing), undefined) }, 'check_access', { action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/key' });
    expect(result).toMatchObject({ ok: false, error: 'no-assembly', message: expect.stringMatching(/no manifest\.json.*npx cdk synth/) });
    expect(await callTool(deps(files), 'check_access', { action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/key' })).toMatchObject({ ok: false, error: 'unknown-role', message: expect.stringMatching(/holds no agent role .*--role/) });
  });
});
