/*
 * The tools that go through the approval workflow: `request_elevation` (the agent's reasoning
 * becomes the request's justification, which approvers read and the API offers no way to change),
 * `request_status`, and `save_credentials`, which puts the issued session into a named AWS profile
 * and tells the agent only the profile's name: the keys never enter the model's context. The API
 * client and the credentials file are dependencies.
 */
import { ApiAnswer, ApiClient, ApiRequest } from '../../cli/api-client';
import { REQUEST_ID } from '../../cli/commands/api-call';
import { isCliError } from '../../cli/errors';
import { InputSchema } from './input-schema';
import { PROFILE_NAME, ProfileStore, SessionCredentials } from './credentials-file';
import { ToolDefinition, ToolResult, toolError } from './tool';

/** What the workflow tools need. */
export interface ElevationDeps {
  readonly api: Pick<ApiClient, 'call'>;
  readonly profiles: ProfileStore;
  readonly now: () => Date;
  /** The profile save_credentials writes when the agent names none. */
  readonly defaultProfile: string;
  /** The human the agent works for, as whoever started the server said (`--on-behalf-of`); never the agent's choice. */
  readonly onBehalfOf?: string;
  /** The task the agent works on (`--task`): the ticket of requests that name none, and so the elevated session's task tag. */
  readonly task?: string;
}

/** What a ticket may hold. */
export const TICKET = /^[\w.:#/-]{1,128}$/;

/**
 * The fewest approvals any request needs: `TwoPersonApproval` refuses a `requiredApprovals` below
 * two. The API does not report the workflow's own setting.
 */
export const MINIMUM_APPROVALS = 2;

const requestIdSchema: InputSchema = { type: 'string', description: 'the requestId that request_elevation returned (letters, digits and -)', pattern: REQUEST_ID.source };

interface RequestElevationInput {
  readonly role: string;
  readonly reasoning: string;
  readonly changeSetArn?: string;
  readonly durationSeconds?: number;
  readonly ticket?: string;
}

/** The `request_elevation` tool. */
export const requestElevationTool: ToolDefinition<ElevationDeps, RequestElevationInput> = {
  name: 'request_elevation',
  title: 'Request elevation for a change set',
  description:
    'Ask two humans to approve a short elevated session that executes one CloudFormation change set (the way an agent changes production). ' +
    'Your reasoning is stored with the request as its justification, which the approvers read; the approval API has no way to change a request, so it cannot be edited afterwards: ' +
    'say what the change set does, why it is needed, and what you checked. Returns the requestId; follow it with request_status, then collect the session with save_credentials.',
  inputSchema: {
    type: 'object',
    properties: {
      role: { type: 'string', description: 'the elevated role of the workflow to ask for (for example deployer)', pattern: '^[\\w.-]{1,64}$' },
      reasoning: { type: 'string', description: 'why you need the session: what the change set does and why, for the approvers', minLength: 10, maxLength: 2000 },
      changeSetArn: { type: 'string', description: 'the ARN of the change set the session executes (arn:aws:cloudformation:REGION:ACCOUNT:changeSet/NAME/ID)', pattern: '^arn:aws[\\w-]*:cloudformation:[a-z0-9-]+:\\d{12}:changeSet/[A-Za-z][A-Za-z0-9-]{0,127}/[\\w-]+$' },
      durationSeconds: { type: 'integer', description: 'the session length in seconds (default: the role\'s longest)', minimum: 900, maximum: 3600 },
      ticket: { type: 'string', description: 'a ticket reference (letters, digits and . : # / - _); default: the task the server was started for', pattern: TICKET.source },
    },
    required: ['role', 'reasoning'],
    additionalProperties: false,
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async action(deps, input) {
    const body = {
      role: input.role,
      justification: input.reasoning,
      ...(input.changeSetArn !== undefined ? { changeSetArn: input.changeSetArn } : {}),
      ...(input.durationSeconds !== undefined ? { durationSeconds: input.durationSeconds } : {}),
      ...(input.ticket !== undefined ? { ticket: input.ticket } : deps.task !== undefined ? { ticket: deps.task } : {}),
      ...(deps.onBehalfOf !== undefined ? { onBehalfOf: deps.onBehalfOf } : {}),
    };
    const answer = await call(deps, { method: 'POST', path: '/requests', body });
    if (!answer.ok) return answer.refusal;
    if (typeof answer.body.requestId !== 'string') return invalidResponse('POST /requests');
    const request = answer.body;
    return {
      ok: true,
      result: {
        requestId: request.requestId,
        status: request.status,
        role: request.role,
        ...(request.changeSetArn ? { changeSetArn: request.changeSetArn } : {}),
        justification: request.justification,
        expiresAt: request.expiresAt,
        ...(request.impact ? { impact: impactSummary(request.impact) } : {}),
        next: `waiting for approvals: at least ${MINIMUM_APPROVALS} different humans must approve (not the one you work for) before ${request.expiresAt}. Follow it with request_status; once it is ISSUED, call save_credentials. Do not ask again for the same change.`,
      },
    };
  },
};

/** The `request_status` tool. */
export const requestStatusTool: ToolDefinition<ElevationDeps, { readonly requestId: string }> = {
  name: 'request_status',
  title: 'Read a request\'s status',
  description: 'Where an elevation request stands: its status, the approvals so far, what its change set does, and what to do next. Never returns credentials.',
  inputSchema: { type: 'object', properties: { requestId: requestIdSchema }, required: ['requestId'], additionalProperties: false },
  annotations: { readOnlyHint: true, openWorldHint: true },
  async action(deps, input) {
    const answer = await call(deps, { method: 'GET', path: `/requests/${input.requestId}` });
    if (!answer.ok) return answer.refusal;
    if (typeof answer.body.status !== 'string') return invalidResponse(`GET /requests/${input.requestId}`);
    return { ok: true, result: statusView(answer.body) };
  },
};

/** The `save_credentials` tool. */
export const saveCredentialsTool: ToolDefinition<ElevationDeps, { readonly requestId: string; readonly profile?: string }> = {
  name: 'save_credentials',
  title: 'Save the issued session to an AWS profile',
  description:
    'Once a request is ISSUED, collect its session (handed out once) and write it into a named profile of the AWS shared credentials file. ' +
    'Returns only the profile name and when it expires: run the change with AWS_PROFILE=<profile>. The keys are never shown to you. ' +
    'A profile that this server did not write is never overwritten.',
  inputSchema: {
    type: 'object',
    properties: {
      requestId: requestIdSchema,
      profile: { type: 'string', description: 'the profile to write, 1-64 letters, digits, . _ - and not default (default: the one the server was started with)', pattern: PROFILE_NAME.source },
    },
    required: ['requestId'],
    additionalProperties: false,
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async action(deps, input) {
    const profile = input.profile ?? deps.defaultProfile;
    if (profile === 'default') {
      return toolError('invalid-input', 'profile must not be default: an elevated session goes into a profile of its own, used on purpose with AWS_PROFILE; name another profile');
    }
    const status = await call(deps, { method: 'GET', path: `/requests/${input.requestId}` });
    if (!status.ok) return status.refusal;
    const request = status.body;
    if (request.status !== 'ISSUED' || request.delivered === true) {
      const view = statusView(request);
      const why = request.status === 'ISSUED' ? 'its session was already collected (it is handed out once)' : `it is ${request.status}, not ISSUED`;
      return toolError('not-issued', `request ${input.requestId} has no credentials to collect: ${why}. ${view.next}`, { status: request.status, approvals: view.approvalsSoFar });
    }
    // Checked before collecting: the session is handed out once, and would be lost if it could not be written.
    const writable = deps.profiles.check(profile);
    if (!writable.ok) return toolError('profile-refused', writable.message, { profile, reason: writable.code });

    const collected = await call(deps, { method: 'GET', path: `/requests/${input.requestId}/credentials` });
    if (!collected.ok) return collected.refusal;
    const session = sessionOf(collected.body.credentials);
    if (!session) return invalidResponse(`GET /requests/${input.requestId}/credentials`);
    const written = deps.profiles.write(profile, session, { requestId: input.requestId, role: typeof request.role === 'string' ? request.role : undefined });
    if (!written.ok) {
      return toolError(written.code === 'invalid' ? 'invalid-response' : 'profile-refused', `${written.message}. The session was collected and cannot be collected again: ask an approver to revoke request ${input.requestId}, then request again`, { profile, reason: written.code });
    }
    const minutes = Math.floor((Date.parse(session.expiration) - deps.now().getTime()) / 60000);
    const command = typeof request.changeSetArn === 'string' ? `aws cloudformation execute-change-set --change-set-name ${request.changeSetArn}` : 'aws ...';
    return {
      ok: true,
      result: {
        profile,
        file: written.file,
        replaced: written.replaced,
        expiration: session.expiration,
        expiresInMinutes: Math.max(0, minutes),
        usage: `AWS_PROFILE=${profile} ${command}`,
        note: `the session is in profile ${profile} only; use it for this change and nothing else. It ends at ${session.expiration}, or earlier if an approver revokes it.`,
      },
    };
  },
};

type Called = { readonly ok: true; readonly body: Record<string, any> } | { readonly ok: false; readonly refusal: ToolResult };

/** One API call: the answer's body, or the refusal as a tool error (the API's own code and message, as data). */
async function call(deps: ElevationDeps, request: ApiRequest): Promise<Called> {
  let answer: ApiAnswer;
  try {
    answer = await deps.api.call(request);
  } catch (error) {
    if (isCliError(error)) return { ok: false, refusal: toolError(error.code === 'network' ? 'unreachable' : 'misconfigured', error.message) };
    throw error;
  }
  if (answer.ok) return { ok: true, body: answer.body };
  const body = answer.body;
  const detail = { status: answer.status, code: body.error, ...(Array.isArray(body.problems) ? { problems: body.problems } : {}) };
  const hint =
    answer.status === 400 && request.method === 'POST' && deps.onBehalfOf === undefined
      ? ' (this server sends no onBehalfOf: if the workflow asks for one, the person who started it must restart it with --on-behalf-of and the ARN of the human you work for)'
      : '';
  return { ok: false, refusal: toolError('refused', `the approval API refused ${request.method} ${request.path} (${answer.status} ${body.error}): ${body.message ?? ''}${hint}`, detail) };
}

function invalidResponse(what: string): ToolResult {
  return toolError('invalid-response', `the approval API answered ${what} with something this server cannot read; check that --url names the approval API`);
}

/** The session in an API answer, if it is one. */
function sessionOf(value: unknown): SessionCredentials | undefined {
  const c = value as Record<string, unknown> | undefined;
  const fields = ['accessKeyId', 'secretAccessKey', 'sessionToken', 'expiration'] as const;
  if (!c || typeof c !== 'object' || !fields.every((f) => typeof c[f] === 'string') || Number.isNaN(Date.parse(c.expiration as string))) return undefined;
  return { accessKeyId: c.accessKeyId as string, secretAccessKey: c.secretAccessKey as string, sessionToken: c.sessionToken as string, expiration: c.expiration as string };
}

/** What the agent sees of a request: who, why, approvals, impact, and what to do next. */
function statusView(request: Record<string, any>): Record<string, unknown> & { readonly next: string; readonly approvalsSoFar: number } {
  const approvals = Object.entries<Record<string, any>>(request.approvals ?? {}).map(([human, a]) => ({
    approver: human,
    at: a.at,
    ...(a.comment ? { comment: a.comment } : {}),
    ...(a.acceptedRisk ? { acceptedRisk: true } : {}),
  }));
  return {
    requestId: request.requestId,
    status: request.status,
    role: request.role,
    ...(request.changeSetArn ? { changeSetArn: request.changeSetArn } : {}),
    justification: request.justification,
    requester: request.requester?.callerArn,
    ...(request.onBehalfOf ? { onBehalfOf: request.onBehalfOf.callerArn } : {}),
    createdAt: request.createdAt,
    expiresAt: request.expiresAt,
    approvals,
    approvalsSoFar: approvals.length,
    minimumApprovals: MINIMUM_APPROVALS,
    ...(request.deniedBy ? { deniedBy: { approver: request.deniedBy.key, at: request.deniedBy.at, ...(request.deniedBy.comment ? { comment: request.deniedBy.comment } : {}) } } : {}),
    ...(request.failure ? { failure: request.failure } : {}),
    ...(request.issuedAt ? { issuedAt: request.issuedAt } : {}),
    ...(request.sessionExpiresAt ? { sessionExpiresAt: request.sessionExpiresAt } : {}),
    ...(request.revokedAt ? { revokedAt: request.revokedAt } : {}),
    ...(request.status === 'ISSUED' ? { collected: request.delivered === true } : {}),
    ...(request.impact ? { impact: impactSummary(request.impact) } : {}),
    next: nextStep(request, approvals.length),
  };
}

function nextStep(request: Record<string, any>, approvals: number): string {
  switch (request.status) {
    case 'PENDING':
      return `waiting for approvals (${approvals} so far; at least ${MINIMUM_APPROVALS} different humans, not the one you work for); it expires at ${request.expiresAt}. Call request_status again later.`;
    case 'APPROVED':
      return 'approved: the workflow is issuing the session. Call request_status again in a few seconds.';
    case 'ISSUED':
      return request.delivered === true
        ? `the session was already collected (it is handed out once); it ends at ${request.sessionExpiresAt ?? 'its expiry'}.`
        : 'issued: call save_credentials with this requestId to put the session into an AWS profile.';
    case 'DENIED':
      return 'denied by an approver: do not ask again for the same change; tell the human you work for, with the approver\'s comment.';
    case 'EXPIRED':
      return 'expired: it was not approved in time, or its session ended. Ask again only if the change is still needed.';
    case 'REVOKED':
      return 'revoked by an approver: the session no longer works. Stop, and tell the human you work for.';
    case 'FAILED':
      return `the workflow failed: ${request.failure?.message ?? 'no reason given'}. Tell the human you work for.`;
    default:
      return `status ${request.status}.`;
  }
}

/** What the change set does, in brief: stack, production or not, risk, counts, data at risk. */
function impactSummary(impact: Record<string, any>): Record<string, unknown> {
  return {
    stackName: impact.stackName,
    production: impact.production,
    risk: impact.risk,
    counts: impact.counts,
    ...(Array.isArray(impact.riskToAccept) && impact.riskToAccept.length > 0 ? { productionDataAtRisk: impact.riskToAccept } : {}),
  };
}
