/**
 * `agent-guardrails setup-agent`: the agent's profile written into an AWS config file, read back
 * with the AWS SDK's own config loader; nothing else in the file changes, and a profile someone
 * else wrote is never overwritten without --replace.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadSharedConfigFiles } from '@smithy/core/config';
import { MANAGED_MARKER, withAgentProfile } from '../../lib/agent-access/aws-config';
import { main } from '../../lib/cli/main';

const ROLE = 'arn:aws:iam::111122223333:role/agent-guardrails/agent/coding-agent';
const EXISTING = ['# the team\'s settings', '[default]', 'region = us-east-1', '', '[profile operator]', 'sso_session = corp', 'sso_account_id = 111122223333', ''].join('\n');

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function configFile(text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'agr-aws-')), 'config');
  fs.writeFileSync(file, text);
  return file;
}

const setup = (file: string, ...more: string[]) => ['setup-agent', '--role-arn', ROLE, '--source-identity', 'coding-agent', '--source-profile', 'operator', '--config-file', file, ...more];

test('writes a profile the SDK reads, keeping everything else in the file', async () => {
  const file = configFile(EXISTING);
  const result = await run([...setup(file, '--session-name', 'OPS-42')], { AWS_REGION: 'eu-west-1' });
  expect(result).toMatchObject({ code: 0, out: `wrote profile coding-agent in ${file}; start the agent with AWS_PROFILE=coding-agent` });
  const text = fs.readFileSync(file, 'utf8');
  expect(text.startsWith(EXISTING.trimEnd())).toBe(true);
  const { configFile: profiles } = await loadSharedConfigFiles({ configFilepath: file, filepath: path.join(path.dirname(file), 'credentials') });
  expect(profiles['coding-agent']).toEqual({
    credential_process: `npx agent-guardrails credential-process --role-arn ${ROLE} --source-identity coding-agent --session-name OPS-42 --source-profile operator`,
    region: 'eu-west-1',
  });
  expect(profiles.operator).toMatchObject({ sso_session: 'corp' });
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
});

test('replaces a profile it wrote before, in place', async () => {
  const file = configFile(EXISTING);
  await run(setup(file));
  await run(setup(file, '--session-name', 'OPS-43'));
  const text = fs.readFileSync(file, 'utf8');
  expect(text.match(/\[profile coding-agent\]/g)).toHaveLength(1);
  expect(text).toContain('--session-name OPS-43');
});

test('fails with exit 2, changing nothing, when the profile exists and was not written by it; --replace overwrites it', async () => {
  const theirs = `${EXISTING}\n[profile coding-agent]\nrole_arn = arn:aws:iam::111122223333:role/admin\n`;
  const file = configFile(theirs);
  const refused = await run(setup(file));
  expect(refused.code).toBe(2);
  expect(refused.err).toMatch(/already has \[profile coding-agent\], which setup-agent did not write; choose another --profile, or pass --replace to overwrite it/);
  expect(fs.readFileSync(file, 'utf8')).toBe(theirs);
  expect((await run(setup(file, '--replace'))).code).toBe(0);
  expect(fs.readFileSync(file, 'utf8')).not.toContain('role/admin');
});

test('creates the file when there is none', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'agr-aws-')), 'nested', 'config');
  expect((await run(setup(file, '--profile', 'agent-ops'))).code).toBe(0);
  expect(fs.readFileSync(file, 'utf8')).toBe(`[profile agent-ops]\n${MANAGED_MARKER}\ncredential_process = npx agent-guardrails credential-process --role-arn ${ROLE} --source-identity coding-agent --source-profile operator\n`);
});

test('keeps the sections after a replaced profile', () => {
  const before = `[profile coding-agent]\n${MANAGED_MARKER}\ncredential_process = old\n\n[profile after]\nregion = eu-west-1\n`;
  const change = withAgentProfile(before, { name: 'coding-agent', credentialProcess: 'new' });
  expect(change).toEqual({ ok: true, replaced: true, text: `[profile coding-agent]\n${MANAGED_MARKER}\ncredential_process = new\n\n[profile after]\nregion = eu-west-1\n` });
});

test('fails with exit 2 for a profile name that is not one', async () => {
  const result = await run(setup(configFile(''), '--profile', 'a b'));
  expect(result.code).toBe(2);
  expect(result.err).toMatch(/--profile must be 1-64 letters, digits, \. _ -, got "a b"/);
});
