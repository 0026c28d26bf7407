/* The `request` command: ask for an elevated session. */
import { API_OPTIONS, CommandSpec, JSON_OPTION } from '../command-spec';
import { CliError } from '../errors';
import { callApi, requestLine } from './api-call';

export const requestCommand: CommandSpec = {
  name: 'request',
  summary: 'ask for an elevated session, bound to a change set',
  options: [
    { name: 'role', value: 'ROLE', help: 'the elevated role' },
    { name: 'justification', value: 'TEXT', help: 'why, in 10-2000 characters' },
    { name: 'change-set', value: 'ARN', help: 'the change set the session executes' },
    { name: 'on-behalf-of', value: 'ARN', help: 'the human the agent works for' },
    { name: 'duration', value: 'SECONDS', help: 'the session length (default: the role\'s longest)' },
    { name: 'ticket', value: 'ID', help: 'a ticket reference' },
    ...API_OPTIONS,
    JSON_OPTION,
  ],
  run(input, io) {
    const duration = input.flags.duration === undefined ? undefined : Number(input.flags.duration);
    if (duration !== undefined && !Number.isInteger(duration)) {
      throw new CliError('usage', `--duration must be whole seconds, got ${JSON.stringify(input.flags.duration)}`);
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
