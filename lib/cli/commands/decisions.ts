/* The `approve`, `deny` and `revoke` commands: an approver's (or, for revoke, the requester's) decisions. */
import { CommandInput, Io } from '../command-spec';
import { callApi, requestId, requestLine } from './api-call';

/** Runs `approve`. */
export function runApprove(input: CommandInput, io: Io): Promise<number> {
  const body = { ...(typeof input.flags.comment === 'string' ? { comment: input.flags.comment } : {}), ...(input.flags['accept-risk'] ? { acceptRisk: true } : {}) };
  return callApi(input, io, { method: 'POST', path: `/requests/${requestId(input)}/approve`, body }, requestLine);
}

/** Runs `deny`. */
export function runDeny(input: CommandInput, io: Io): Promise<number> {
  const body = typeof input.flags.comment === 'string' ? { comment: input.flags.comment } : {};
  return callApi(input, io, { method: 'POST', path: `/requests/${requestId(input)}/deny`, body }, requestLine);
}

/** Runs `revoke`. */
export function runRevoke(input: CommandInput, io: Io): Promise<number> {
  return callApi(input, io, { method: 'POST', path: `/requests/${requestId(input)}/revoke`, body: {} }, requestLine);
}
