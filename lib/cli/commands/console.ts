/*
 * I/O: the `console` command, a web console for approvers on 127.0.0.1, which calls the approval
 * API with the approver's own AWS credentials (or, against local mode, as --identity). Runs until
 * stopped (Ctrl-C).
 */
import { apiClientOf } from '../api-client';
import { ConsoleEvent, startApproverConsole } from '../../approver-console/server';
import { CommandInput, Io } from '../command-spec';
import { CliError } from '../errors';

/** Runs `console` until stopped. */
export async function runConsole(input: CommandInput, io: Io): Promise<number> {
  const port = input.flags.port === undefined ? 0 : Number(input.flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliError('usage', `--port must be a port number (0-65535), got ${JSON.stringify(input.flags.port)}`);
  }
  const client = apiClientOf(input.flags, io.env);
  const region = typeof input.flags.region === 'string' ? input.flags.region : (io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? 'us-east-1');
  let server;
  try {
    server = await startApproverConsole({
      client,
      port,
      actingAs: client.identity ? async () => client.identity! : () => signedInAs(region),
      onEvent: (event) => {
        const line = describe(event);
        if (line) io.err(line);
      },
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      throw new CliError('usage', `--port ${port}: cannot listen on 127.0.0.1:${port} (${code}); choose another port, or omit --port for a free one`, { cause: error });
    }
    throw error;
  }
  io.out(`agent-guardrails console: open ${server.url}`);
  io.out(`  calls ${client.url} ${client.identity ? `as ${client.identity} (local mode)` : 'signed with your AWS credentials'}`);
  io.out('  the link holds this run\'s token: do not share it; stop with Ctrl-C');
  await (io.untilStopped ?? untilSignal)();
  await server.close();
  return 0;
}

/** The principal the default credential chain signs as. */
async function signedInAs(region: string): Promise<string> {
  const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const answer = await new STSClient({ region }).send(new GetCallerIdentityCommand({}));
  if (!answer.Arn) throw new Error('STS GetCallerIdentity returned no ARN');
  return answer.Arn;
}

/** One line per refusal and decision (reads that succeed are not worth a line), with what came from outside quoted. */
function describe(event: ConsoleEvent): string | undefined {
  if (event.type === 'refused') {
    return `console: refused ${event.method} ${JSON.stringify(event.path)} (${event.status} ${event.error})`;
  }
  if ((event.action === 'list' || event.action === 'get') && event.status < 400) return undefined;
  return `console: ${event.action}${event.requestId ? ` ${event.requestId}` : ''}: ${event.status}${event.error ? ` ${event.error}` : ''}`;
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
