/* The `local` command: the whole approval workflow on this machine, with no AWS. */
import { workflowFromAssembly } from '../../approval-workflow/local/from-assembly';
import { DEFAULT_LOCAL_APPROVERS, IDENTITY_HEADER, startLocalServer } from '../../approval-workflow/local/server';
import { CommandInput, Io } from '../command-spec';
import { CliError } from '../errors';

/** Runs `local` until stopped. */
export async function runLocal(input: CommandInput, io: Io): Promise<number> {
  const port = input.flags.port === undefined ? 0 : Number(input.flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliError('usage', `--port must be a port number (0-65535), got ${JSON.stringify(input.flags.port)}`);
  }
  const approvers = typeof input.flags.approvers === 'string' ? input.flags.approvers.split(',').map((a) => a.trim()).filter(Boolean) : DEFAULT_LOCAL_APPROVERS;
  const app = input.flags.app;
  if (app !== undefined && input.flags.approvers !== undefined) {
    throw new CliError('usage', '--approvers and --app do not go together: with --app, local mode runs the approvers of the app');
  }
  if (input.flags.workflow !== undefined && app === undefined) {
    throw new CliError('usage', '--workflow chooses a TwoPersonApproval of the app given with --app CDK_OUT');
  }
  let source;
  try {
    source = typeof app === 'string' ? workflowFromAssembly(app, typeof input.flags.workflow === 'string' ? input.flags.workflow : undefined) : undefined;
  } catch (error) {
    throw new CliError('input', (error as Error).message, { cause: error });
  }
  const server = await startLocalServer({
    port,
    approvers,
    ...(source ? { source } : {}),
    ...(typeof input.flags['change-sets'] === 'string' ? { changeSetsDir: input.flags['change-sets'] } : {}),
    onEvent: (event) => (input.flags.json ? undefined : io.err(`event: ${event.type} ${event.request.requestId} (${event.request.status})`)),
    onRefusal: (event) => (input.flags.json ? undefined : io.err(`refused: ${event.action} by ${event.by}: ${event.code}`)),
  });
  if (input.flags.json) {
    io.out(JSON.stringify({ url: server.url, roles: server.roles, approvers: server.approvers }));
  } else {
    io.out(`agent-guardrails local: listening on ${server.url}`);
    io.out(`  elevated roles a request may name: ${server.roles.join(', ')}`);
    io.out(`  eligible approvers: ${server.approvers.join(', ')}`);
    io.out(`  act as a principal with --identity ARN (header ${IDENTITY_HEADER}); credentials issued here are fake`);
  }
  await (io.untilStopped ?? untilSignal)();
  await server.close();
  return 0;
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
