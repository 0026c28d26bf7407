/* The `status`, `pending` and `credentials` commands: what the workflow holds, for those it may show it to. */
import { CommandInput, Io } from '../command-spec';
import { formatPending, formatRequest } from '../request-format';
import { callApi, requestId } from './api-call';

/** Runs `status`. */
export function runStatus(input: CommandInput, io: Io): Promise<number> {
  return callApi(input, io, { method: 'GET', path: `/requests/${requestId(input)}` }, (r) => formatRequest(r).join('\n'));
}

/** Runs `pending`. */
export function runPending(input: CommandInput, io: Io): Promise<number> {
  return callApi(input, io, { method: 'GET', path: '/requests?status=PENDING' }, (r) => formatPending(r.requests ?? []).join('\n'));
}

/** Runs `credentials`. */
export function runCredentials(input: CommandInput, io: Io): Promise<number> {
  return callApi(input, io, { method: 'GET', path: `/requests/${requestId(input)}/credentials` }, (r) => {
    const c = r.credentials;
    return [`export AWS_ACCESS_KEY_ID=${c.accessKeyId}`, `export AWS_SECRET_ACCESS_KEY=${c.secretAccessKey}`, `export AWS_SESSION_TOKEN=${c.sessionToken}`, `# expires ${c.expiration}`].join('\n');
  });
}
