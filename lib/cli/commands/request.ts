/* The `request` command: ask for an elevated session; with --break-glass, an approver alone, in an emergency. */
import { CommandInput, Io } from '../command-spec';
import { CliError } from '../errors';
import { callApi, requestLine } from './api-call';

/** Runs `request`. */
export function runRequest(input: CommandInput, io: Io): Promise<number> {
  const duration = input.flags.duration === undefined ? undefined : Number(input.flags.duration);
  if (duration !== undefined && !Number.isInteger(duration)) {
    throw new CliError('usage', `--duration must be whole seconds, got ${JSON.stringify(input.flags.duration)}`);
  }
  if (input.flags['break-glass']) {
    return breakGlass(input, io, duration);
  }
  for (const flag of ['reason', 'accept-risk']) {
    if (input.flags[flag]) throw new CliError('usage', `--${flag} goes with --break-glass; an ordinary request takes --justification, and approvers accept risk when they approve`);
  }
  const body = {
    role: input.flags.role,
    justification: input.flags.justification,
    ...(duration !== undefined ? { durationSeconds: duration } : {}),
    ...(input.flags.ticket ? { ticket: input.flags.ticket } : {}),
    ...(input.flags['change-set'] ? { changeSetArn: input.flags['change-set'] } : {}),
    ...(input.flags['on-behalf-of'] ? { onBehalfOf: input.flags['on-behalf-of'] } : {}),
  };
  return callApi(input, io, { method: 'POST', path: '/requests', body }, requestLine);
}

/** `request --break-glass`: POST /requests/break-glass, as the approver who runs it. */
function breakGlass(input: CommandInput, io: Io, duration: number | undefined): Promise<number> {
  if (typeof input.flags.reason !== 'string') {
    throw new CliError('usage', '--break-glass needs --reason "what is broken and why it cannot wait for two approvals" (20-2000 characters)');
  }
  for (const flag of ['justification', 'on-behalf-of']) {
    if (input.flags[flag]) throw new CliError('usage', `--${flag} does not go with --break-glass: you ask as yourself, and give --reason`);
  }
  const body = {
    role: input.flags.role,
    reason: input.flags.reason,
    ...(duration !== undefined ? { durationSeconds: duration } : {}),
    ...(input.flags.ticket ? { ticket: input.flags.ticket } : {}),
    ...(input.flags['change-set'] ? { changeSetArn: input.flags['change-set'] } : {}),
    ...(input.flags['accept-risk'] ? { acceptRisk: true } : {}),
  };
  return callApi(input, io, { method: 'POST', path: '/requests/break-glass', body }, (result) =>
    `${requestLine(result)}; break-glass: everyone is told, and review ${result.breakGlass?.reviewRequestId} is open. Collect the session: agent-guardrails credentials ${result.requestId}`,
  );
}
