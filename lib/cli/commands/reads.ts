/* The `status`, `pending` and `credentials` commands: what the workflow holds, for those it may show it to. */
import { API_OPTIONS, CommandSpec, JSON_OPTION } from '../command-spec';
import { formatPending, formatRequest } from '../request-format';
import { callApi, requestId } from './api-call';

export const statusCommand: CommandSpec = {
  name: 'status',
  args: '<id>',
  summary: 'a request in full: who, why, the change set and its impact, approvals, history',
  options: [...API_OPTIONS, JSON_OPTION],
  run(input, io) {
    return callApi(input, io, { method: 'GET', path: `/requests/${requestId(input)}` }, (r) => formatRequest(r).join('\n'));
  },
};

export const pendingCommand: CommandSpec = {
  name: 'pending',
  summary: 'what waits for approval (approvers only)',
  options: [...API_OPTIONS, JSON_OPTION],
  run(input, io) {
    return callApi(input, io, { method: 'GET', path: '/requests?status=PENDING' }, (r) => formatPending(r.requests ?? []).join('\n'));
  },
};

export const credentialsCommand: CommandSpec = {
  name: 'credentials',
  args: '<id>',
  summary: 'collect an issued session\'s credentials, once, as export lines',
  options: [...API_OPTIONS, JSON_OPTION],
  run(input, io) {
    return callApi(input, io, { method: 'GET', path: `/requests/${requestId(input)}/credentials` }, (r) => {
      const c = r.credentials;
      return [`export AWS_ACCESS_KEY_ID=${c.accessKeyId}`, `export AWS_SECRET_ACCESS_KEY=${c.secretAccessKey}`, `export AWS_SESSION_TOKEN=${c.sessionToken}`, `# expires ${c.expiration}`].join('\n');
    });
  },
};
