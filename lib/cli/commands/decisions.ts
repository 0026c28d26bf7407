/* The `approve`, `deny` and `revoke` commands: an approver's (or, for revoke, the requester's) decisions. */
import { API_OPTIONS, CommandSpec, JSON_OPTION } from '../command-spec';
import { callApi, requestId, requestLine } from './api-call';

const COMMENT = { name: 'comment', value: 'TEXT', help: 'recorded with the decision' };

export const approveCommand: CommandSpec = {
  name: 'approve',
  args: '<id>',
  summary: 'approve a request (as an eligible approver)',
  options: [COMMENT, { name: 'accept-risk', help: 'accept the change set\'s risk to production data' }, ...API_OPTIONS, JSON_OPTION],
  run(input, io) {
    const body = { ...(typeof input.flags.comment === 'string' ? { comment: input.flags.comment } : {}), ...(input.flags['accept-risk'] ? { acceptRisk: true } : {}) };
    return callApi(input, io, { method: 'POST', path: `/requests/${requestId(input)}/approve`, body }, requestLine);
  },
};

export const denyCommand: CommandSpec = {
  name: 'deny',
  args: '<id>',
  summary: 'deny a request (as an eligible approver); it ends',
  options: [COMMENT, ...API_OPTIONS, JSON_OPTION],
  run(input, io) {
    const body = typeof input.flags.comment === 'string' ? { comment: input.flags.comment } : {};
    return callApi(input, io, { method: 'POST', path: `/requests/${requestId(input)}/deny`, body }, requestLine);
  },
};

export const revokeCommand: CommandSpec = {
  name: 'revoke',
  args: '<id>',
  summary: 'end an issued session (as an approver or the requester)',
  options: [...API_OPTIONS, JSON_OPTION],
  run(input, io) {
    return callApi(input, io, { method: 'POST', path: `/requests/${requestId(input)}/revoke`, body: {} }, requestLine);
  },
};
