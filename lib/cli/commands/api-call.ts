/*
 * I/O: one call to the approval API from a command, printed for a person (or as JSON). Shared by the
 * commands that talk to the workflow.
 */
import { ApiRequest, apiClientOf } from '../api-client';
import { CommandInput, Io } from '../command-spec';
import { CliError } from '../errors';

/** Sends `request` and prints the answer with `describe` (or as JSON); resolves to 0, or 1 when the workflow refuses. */
export async function callApi(input: CommandInput, io: Io, request: ApiRequest, describe: (result: Record<string, any>) => string): Promise<number> {
  const answer = await apiClientOf(input.flags, io.env).call(request);
  const result = answer.body;
  if (input.flags.json) {
    io.out(JSON.stringify(result));
  } else {
    io.out(result.error ? `refused (${answer.status} ${result.error}): ${result.message}` : describe(result));
  }
  return answer.ok ? 0 : 1;
}

/** The request id argument, checked. */
export function requestId(input: CommandInput): string {
  const value = input.positional[0];
  if (!value || !REQUEST_ID.test(value)) {
    throw new CliError('usage', `${input.command} needs a request id (letters, digits and -), got ${JSON.stringify(value)}`);
  }
  return value;
}

/** What a request id looks like. */
export const REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;

/** One line for a request: id, status, role, approvals. */
export function requestLine(result: Record<string, any>): string {
  const approvals = Object.keys(result.approvals ?? {});
  return `${result.requestId}: ${result.status} (role ${result.role}; ${approvals.length} approval${approvals.length === 1 ? '' : 's'}${approvals.length ? `: ${approvals.join(', ')}` : ''})`;
}
