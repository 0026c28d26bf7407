/*
 * I/O: the `mcp` command, a Model Context Protocol server on stdin and stdout for coding agents.
 * Its tools check access offline against the synthesized app, request elevation for a change set,
 * read a request's status, and put the issued session into a named AWS profile. Every option is
 * checked before the server starts, every problem at once; the SDK is loaded only here.
 */
import * as fs from 'fs';
import * as path from 'path';
import { PROFILE_NAME } from '../../agent-access/mcp/credentials-file';
import { ApiClient, apiClientOf } from '../api-client';
import { CommandInput, Io } from '../command-spec';
import { CliError, isCliError } from '../errors';
import { MCP_SERVER, missingMessage } from '../../private/optional-packages';
import { SESSION_NAME_ENV } from '../../agent-access/credential-process';
import { TICKET } from '../../agent-access/mcp/elevation';
import { DEFAULT_ELEVATED_PROFILE } from './index';

const PRINCIPAL_ARN = /^arn:aws[\w-]*:(iam::\d{12}:(user|role)|sts::\d{12}:assumed-role)\/.+$/;

/** Runs `mcp` until its client disconnects. */
export async function runMcp(input: CommandInput, io: Io): Promise<number> {
  const text = (name: string) => (typeof input.flags[name] === 'string' ? (input.flags[name] as string) : undefined);
  const problems: string[] = [];
  let client: ApiClient | undefined;
  try {
    client = apiClientOf(input.flags, io.env);
  } catch (error) {
    if (!isCliError(error)) throw error;
    problems.push(error.message);
  }
  if (client && !client.identity && !text('region') && !io.env.AWS_REGION && !/\.execute-api\.[a-z0-9-]+\.amazonaws\.com$/.test(new URL(client.url).hostname)) {
    problems.push('cannot tell the approval API\'s region from --url: pass --region, or set AWS_REGION');
  }
  const app = path.resolve(text('app') ?? 'cdk.out');
  if (text('app') !== undefined && !fs.existsSync(path.join(app, 'manifest.json'))) {
    problems.push(`--app ${JSON.stringify(text('app'))} is not a cloud assembly (${fs.existsSync(app) ? 'no manifest.json in it' : 'no such directory'}); run "npx cdk synth" first, or name the cdk.out directory`);
  }
  const onBehalfOf = text('on-behalf-of');
  if (onBehalfOf !== undefined && !PRINCIPAL_ARN.test(onBehalfOf)) {
    problems.push(`--on-behalf-of must be the ARN of the human the agent works for (IAM user, Identity Center session, or role), got ${JSON.stringify(onBehalfOf)}`);
  }
  const profile = text('profile') ?? DEFAULT_ELEVATED_PROFILE;
  if (!PROFILE_NAME.test(profile) || profile === 'default') {
    problems.push(`--profile must be 1-64 letters, digits, . _ - and not default (an elevated session gets a profile of its own), got ${JSON.stringify(profile)}`);
  }
  const task = text('task') ?? (io.env[SESSION_NAME_ENV] || undefined);
  if (task !== undefined && !TICKET.test(task)) {
    problems.push(`--task (or ${SESSION_NAME_ENV}) must be 1-128 letters, digits and . : # / - _ (a task or ticket id), got ${JSON.stringify(task)}`);
  }
  if (input.positional.length > 0) problems.push(`mcp takes no arguments, got ${input.positional.map((p) => JSON.stringify(p)).join(' ')}; name the app with --app`);
  if (problems.length > 0 || !client) throw new CliError('usage', problems.join('; '));

  // Only now: the rest of the CLI runs without the SDK, an optional peer dependency.
  const { loadMcpSdk, serveMcp } = await import('../../agent-access/mcp/server');
  const sdk = loadMcpSdk();
  if (!sdk) {
    throw new CliError('usage', missingMessage(MCP_SERVER, MCP_SERVER.packages));
  }
  const { lazyAgentRole } = await import('../../agent-access/mcp/tools');
  const { credentialsFileStore, sharedFiles } = await import('../../agent-access/mcp/credentials-file');
  const { AssemblyError, loadAssembly } = await import('../../review/assembly');
  const given = text('app') !== undefined;
  const load = () => {
    try {
      return loadAssembly(app);
    } catch (error) {
      // The default cdk.out is not there: say how to name the app, too.
      if (error instanceof AssemblyError && !given) throw new AssemblyError(`${error.message}; or start the server with --app naming it`);
      throw error;
    }
  };
  const files = sharedFiles(io.env);
  // stdout is the protocol's: everything for people goes to stderr.
  io.err(
    `agent-guardrails mcp: serving on stdio; approval API ${client.url} ${client.identity ? `as ${client.identity} (local mode)` : 'signed with your AWS credentials'}; ` +
      `app ${app}${text('role') ? `, role ${text('role')}` : ''}; sessions saved to ${files.credentials}, profile ${profile} by default`,
  );
  await serveMcp(sdk, {
    deps: {
      api: client,
      agentRole: lazyAgentRole(load, text('role')),
      profiles: credentialsFileStore(files),
      now: () => new Date(),
      defaultProfile: profile,
      ...(onBehalfOf ? { onBehalfOf } : {}),
      ...(task ? { task } : {}),
    },
    version: (require('../../../package.json') as { version: string }).version,
    log: io.err,
  });
  return 0;
}
