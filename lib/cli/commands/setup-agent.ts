/* The `setup-agent` command: write the agent's profile, which runs the credential helper, into the AWS config file. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { quoteArgument, withAgentProfile } from '../../agent-access/aws-config';
import { credentialOptionProblems } from '../../agent-access/credential-process';
import { CommandInput, Io } from '../command-spec';
import { CliError } from '../errors';

/** Runs `setup-agent`. */
export async function runSetupAgent(input: CommandInput, io: Io): Promise<number> {
  const roleArn = String(input.flags['role-arn'] ?? '');
  const sourceIdentity = String(input.flags['source-identity'] ?? '');
  const sessionName = typeof input.flags['session-name'] === 'string' ? input.flags['session-name'] : undefined;
  const problems = credentialOptionProblems({ roleArn, sourceIdentity, ...(sessionName ? { sessionName } : {}) });
  const profile = typeof input.flags.profile === 'string' ? input.flags.profile : sourceIdentity;
  if (!/^[\w.-]{1,64}$/.test(profile)) problems.push(`--profile must be 1-64 letters, digits, . _ -, got ${JSON.stringify(profile)}`);
  if (problems.length > 0) throw new CliError('usage', problems.join('; '));

  const words = ['npx', 'agent-guardrails', 'credential-process', '--role-arn', roleArn, '--source-identity', sourceIdentity];
  if (sessionName) words.push('--session-name', sessionName);
  if (typeof input.flags['source-profile'] === 'string') words.push('--source-profile', input.flags['source-profile']);
  const file = typeof input.flags['config-file'] === 'string' ? input.flags['config-file'] : (io.env.AWS_CONFIG_FILE ?? path.join(os.homedir(), '.aws', 'config'));
  let current = '';
  try {
    current = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new CliError('input', `cannot read ${file}: ${(error as Error).message}`);
  }
  const region = (input.flags.region as string | undefined) ?? io.env.AWS_REGION;
  const change = withAgentProfile(current, { name: profile, credentialProcess: words.map(quoteArgument).join(' '), ...(region ? { region } : {}) }, { replace: input.flags.replace === true });
  if (!change.ok) throw new CliError('input', `${file}: ${change.problem}`);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, change.text, { mode: 0o600 });
  fs.renameSync(temporary, file);
  io.out(`${change.replaced ? 'replaced' : 'wrote'} profile ${profile} in ${file}; start the agent with AWS_PROFILE=${profile}`);
  return 0;
}
