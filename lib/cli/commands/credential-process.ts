/* The `credential-process` command: the agent's AWS session, in the credential_process format. */
import * as os from 'os';
import * as path from 'path';
import { agentCredentials, credentialOptionProblems, CredentialProcessOptions, fileCache, SESSION_NAME_ENV } from '../../agent-access/credential-process';
import { CommandInput, Io } from '../command-spec';
import { CliError } from '../errors';

/** Runs `credential-process`. */
export async function runCredentialProcess(input: CommandInput, io: Io): Promise<number> {
  const tags: Record<string, string> = {};
  for (const value of input.repeated.tag ?? []) {
    const match = /^([^=]+)=(.*)$/.exec(value);
    if (!match) throw new CliError('usage', `--tag must be KEY=VALUE, got ${JSON.stringify(value)}`);
    tags[match[1]] = match[2];
  }
  // The tool that runs the AWS SDK passes its environment on: a task id set when the agent starts names its sessions.
  const sessionName = typeof input.flags['session-name'] === 'string' ? input.flags['session-name'] : io.env[SESSION_NAME_ENV] || undefined;
  const options: CredentialProcessOptions = {
    roleArn: String(input.flags['role-arn'] ?? ''),
    sourceIdentity: String(input.flags['source-identity'] ?? ''),
    ...(sessionName ? { sessionName } : {}),
    tags,
    ...(input.flags.duration !== undefined ? { durationSeconds: Number(input.flags.duration) } : {}),
  };
  const problems = credentialOptionProblems(options);
  if (problems.length > 0) throw new CliError('usage', problems.join('; '));

  const profile = input.flags['source-profile'];
  const endpoint = typeof input.flags['endpoint-url'] === 'string' ? input.flags['endpoint-url'] : undefined;
  const region = (input.flags.region as string | undefined) ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const cacheDir = typeof input.flags['cache-dir'] === 'string' ? input.flags['cache-dir'] : path.join(io.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'agent-guardrails');
  let credentials;
  try {
    credentials = await agentCredentials(
      {
        cache: fileCache(cacheDir),
        now: () => new Date(),
        async assumeRole(request) {
          // The SDK loads only when the cache holds no fresh session: a cached session is printed without it.
          const { STSClient, AssumeRoleCommand } = await import('@aws-sdk/client-sts');
          const sts = new STSClient({
            region,
            ...(endpoint ? { endpoint } : {}),
            ...(typeof profile === 'string' ? { credentials: (await import('@aws-sdk/credential-providers')).fromIni({ profile }) } : {}),
          });
          const result = await sts.send(
            new AssumeRoleCommand({
              RoleArn: request.roleArn,
              RoleSessionName: request.sessionName,
              SourceIdentity: request.sourceIdentity,
              DurationSeconds: request.durationSeconds,
              ...(request.tags.length > 0 ? { Tags: request.tags } : {}),
            }),
          );
          const c = result.Credentials;
          if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
            throw new Error(`sts:AssumeRole returned no credentials for ${request.roleArn}`);
          }
          return { Version: 1, AccessKeyId: c.AccessKeyId, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expiration: c.Expiration.toISOString() };
        },
      },
      options,
    );
  } catch (error) {
    const e = error as Error & { $metadata?: unknown; code?: string; cause?: { code?: string } };
    if (e.code === 'MODULE_NOT_FOUND') throw error; // a broken install, not the network
    if (e.$metadata !== undefined) {
      // AWS answered: the caller may not assume the role this way (trust, source identity, tags).
      io.err(`agent-guardrails: sts:AssumeRole of ${options.roleArn} refused: ${e.name}: ${e.message}`);
      return 1;
    }
    throw new CliError('network', `cannot reach STS${endpoint ? ` at ${endpoint}` : ''}: ${e.cause?.code ?? e.code ?? e.message}; check --endpoint-url, AWS_ENDPOINT_URL_STS and your network`, { cause: error });
  }
  io.out(JSON.stringify(credentials));
  return 0;
}
