/* The `request` command: ask for an elevated session; with --break-glass, an approver alone, in an emergency. */
import { API_OPTIONS, CommandInput, CommandSpec, JSON_OPTION } from '../command-spec';
import { CliError } from '../errors';
import { callApi, requestLine } from './api-call';

export const requestCommand: CommandSpec = {
  name: 'request',
  summary: 'ask for an elevated session, bound to a change set (--break-glass: as an approver, alone, in an emergency)',
  options: [
    { name: 'role', value: 'ROLE', help: 'the elevated role' },
    { name: 'justification', value: 'TEXT', help: 'why, in 10-2000 characters' },
    { name: 'change-set', value: 'ARN', help: 'the change set the session executes (optional with --break-glass)' },
    { name: 'on-behalf-of', value: 'ARN', help: 'the human the agent works for' },
    { name: 'duration', value: 'SECONDS', help: 'the session length (default: the role\'s longest)' },
    { name: 'ticket', value: 'ID', help: 'a ticket reference' },
    { name: 'break-glass', help: 'as an eligible approver, issue yourself a short session alone, on a role that allows it; everyone is told and a review opens' },
    { name: 'reason', value: 'TEXT', help: 'with --break-glass: what is broken and why it cannot wait, in 20-2000 characters' },
    { name: 'accept-risk', help: 'with --break-glass: accept the change set\'s risk to production data' },
    ...API_OPTIONS,
    JSON_OPTION,
  ],
  run(input, io) {
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
  },
};

/** `request --break-glass`: POST /requests/break-glass, as the approver who runs it. */
function breakGlass(input: CommandInput, io: Parameters<CommandSpec['run']>[1], duration: number | undefined): Promise<number> {
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
