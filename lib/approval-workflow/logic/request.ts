/*
 * Validation of a new elevation request, and the session policy that scopes the issued session
 * down to what was requested. Pure: no SDK, no clock.
 */
import { ApproverSpec, humanKey, Identity, resolveIdentity } from './identity';
import { ChangeSetImpact, isExecutable } from './impact';
import { ElevationRequest } from './rules';
import { APPROVERS_TAG_KEY, REQUEST_ID_TAG_KEY, TASK_TAG_KEY } from '../../private/session-names';

/** STS limits role-chained sessions (the issuer is itself a role session) to one hour. */
export const MAX_SESSION_SECONDS = 3600;
/** STS's shortest session. */
export const MIN_SESSION_SECONDS = 900;

/** The body of `POST /requests`. */
export interface CreateRequestBody {
  readonly role?: unknown;
  readonly durationSeconds?: unknown;
  readonly justification?: unknown;
  readonly ticket?: unknown;
  readonly changeSetArn?: unknown;
  readonly onBehalfOf?: unknown;
}

/** What the workflow knows when validating. */
export interface RequestContext {
  readonly requestId: string;
  readonly caller: Identity;
  readonly now: Date;
  /** Elevated roles a request may name, by name, with each one's longest session and whether it needs a change set. */
  readonly roles: Readonly<Record<string, { readonly maxSessionSeconds: number; readonly changeSetRequired?: boolean }>>;
  /** The workflow's account and region: change sets elsewhere are refused. */
  readonly account?: string;
  readonly region?: string;
  /** How long a request waits for approvals. */
  readonly pendingSeconds: number;
  /** The approvers, to resolve requester and `onBehalfOf` to humans. */
  readonly approvers?: readonly ApproverSpec[];
  /** Whether roles may ask without `onBehalfOf`. @default false */
  readonly allowRequestsWithoutOnBehalfOf?: boolean;
}

/** A valid request, or every problem with it. */
export type RequestValidation =
  | { readonly ok: true; readonly request: ElevationRequest }
  | { readonly ok: false; readonly code: 'invalid-request'; readonly problems: string[] };

const CHANGE_SET_ARN = /^arn:aws[\w-]*:cloudformation:[a-z0-9-]+:\d{12}:changeSet\/[A-Za-z][A-Za-z0-9-]{0,127}\/[\w-]+$/;
const PRINCIPAL_ARN = /^arn:aws[\w-]*:(iam::\d{12}:(user|role)|sts::\d{12}:assumed-role)\/.+$/;

/** Validates `body`, collecting every problem, and builds the request. */
export function validateCreateRequest(body: CreateRequestBody, context: RequestContext): RequestValidation {
  const problems: string[] = [];
  const roleNames = Object.keys(context.roles);
  const role = body.role;
  // Own properties only: "constructor" or "__proto__" name no role.
  const known = typeof role === 'string' && Object.prototype.hasOwnProperty.call(context.roles, role);
  if (!known) {
    problems.push(`role must be one of ${roleNames.map((r) => JSON.stringify(r)).join(', ')}; got ${JSON.stringify(role)}`);
  }
  const max = known ? Math.min(context.roles[role as string].maxSessionSeconds, MAX_SESSION_SECONDS) : MAX_SESSION_SECONDS;
  // Without a duration, the longest the role allows (one hour at most).
  const duration = body.durationSeconds ?? max;
  if (typeof duration !== 'number' || !Number.isInteger(duration) || duration < MIN_SESSION_SECONDS || duration > max) {
    problems.push(`durationSeconds must be a whole number from ${MIN_SESSION_SECONDS} to ${max}; got ${JSON.stringify(body.durationSeconds)}`);
  }
  const justification = body.justification;
  if (typeof justification !== 'string' || justification.trim().length < 10 || justification.length > 2000) {
    problems.push(`justification is required: say why, in 10-2000 characters; got ${JSON.stringify(justification)}`);
  }
  if (body.ticket !== undefined && (typeof body.ticket !== 'string' || !/^[\w.:#/-]{1,128}$/.test(body.ticket))) {
    problems.push(`ticket must be a ticket reference (1-128 letters, digits and . : # / - _); got ${JSON.stringify(body.ticket)}`);
  }
  if (body.changeSetArn !== undefined && (typeof body.changeSetArn !== 'string' || !CHANGE_SET_ARN.test(body.changeSetArn))) {
    problems.push(`changeSetArn must be a CloudFormation change set ARN; got ${JSON.stringify(body.changeSetArn)}`);
  } else if (typeof body.changeSetArn === 'string') {
    const [, , , region, account] = body.changeSetArn.split(':');
    if ((context.account !== undefined && account !== context.account) || (context.region !== undefined && region !== context.region)) {
      problems.push(`changeSetArn must be a change set in this workflow's account and region (${context.account}, ${context.region}); got one in ${account}, ${region}`);
    }
  }
  if (body.changeSetArn === undefined && known && context.roles[role as string].changeSetRequired !== false) {
    problems.push(`changeSetArn is required for role ${JSON.stringify(role)}: a session executes one change set, which approvers see (create it with cdk deploy --no-execute, or aws cloudformation create-change-set)`);
  }
  let onBehalfOf: Identity | undefined;
  if (body.onBehalfOf !== undefined) {
    const resolved = typeof body.onBehalfOf === 'string' && PRINCIPAL_ARN.test(body.onBehalfOf) ? resolveIdentity(body.onBehalfOf) : undefined;
    if (!resolved || resolved.kind === 'unsupported') {
      problems.push(`onBehalfOf must be the ARN of the human the agent works for (IAM user, Identity Center session, or role); got ${JSON.stringify(body.onBehalfOf)}`);
    } else {
      onBehalfOf = resolved;
    }
  }
  const approvers = context.approvers ?? [];
  if (body.onBehalfOf === undefined && context.caller.kind === 'role' && !context.allowRequestsWithoutOnBehalfOf) {
    problems.push(
      `onBehalfOf is required when a role asks (${context.caller.callerArn}): name the human the agent or pipeline works for (their IAM user or Identity Center session ARN), who then cannot approve`,
    );
  }
  if (onBehalfOf && onBehalfOf.kind !== 'unsupported' && humanKey(onBehalfOf, approvers) === humanKey(context.caller, approvers)) {
    problems.push('onBehalfOf names the requester; name the human the agent works for');
  }
  if (context.caller.kind === 'unsupported') {
    problems.push(`the caller ${context.caller.callerArn} cannot ask: root and federated-user sessions do not identify a human the rules can hold apart`);
  }
  if (problems.length > 0) {
    return { ok: false, code: 'invalid-request', problems };
  }
  const now = context.now;
  return {
    ok: true,
    request: {
      requestId: context.requestId,
      status: 'PENDING',
      requester: context.caller,
      ...(onBehalfOf ? { onBehalfOf } : {}),
      role: role as string,
      durationSeconds: duration as number,
      justification: (justification as string).trim(),
      ...(body.ticket ? { ticket: body.ticket as string } : {}),
      ...(body.changeSetArn ? { changeSetArn: body.changeSetArn as string } : {}),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + context.pendingSeconds * 1000).toISOString(),
      approvals: {},
      version: 1,
    },
  };
}

/** How an elevated role binds requests to their change sets. */
export interface ChangeSetBinding {
  /** Stack names or patterns (`*`) the role's change sets may be for. @default - any stack */
  readonly stackNames?: readonly string[];
  /** What to do with a change set that removes or replaces production data: approvers accept it, or it is refused. */
  readonly riskyChangeSets: 'accept' | 'refuse';
}

/** Why a described change set cannot be requested, or none. */
export function changeSetProblems(impact: ChangeSetImpact, binding: ChangeSetBinding, roleName: string): string[] {
  const problems: string[] = [];
  if (!isExecutable(impact)) {
    problems.push(`the change set cannot be executed (status ${impact.status ?? 'unknown'}, execution status ${impact.executionStatus ?? 'unknown'}); create a new one`);
  }
  const patterns = binding.stackNames ?? ['*'];
  const matches = (pattern: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(impact.stackName);
  if (!patterns.some(matches)) {
    problems.push(`role ${JSON.stringify(roleName)} executes change sets of ${patterns.join(', ')} only; this one is for stack ${impact.stackName}`);
  }
  if (binding.riskyChangeSets === 'refuse' && impact.riskToAccept.length > 0) {
    problems.push(`role ${JSON.stringify(roleName)} refuses change sets that remove or replace production data, and this one would: ${impact.riskToAccept.join(', ')}`);
  }
  return problems;
}

/**
 * The session policy for an issued session: the intersection with the role's own policies is what
 * the session can do. A request for a change set gets exactly that change set executed and read;
 * any other request keeps the role's permissions.
 */
export function sessionPolicy(request: ElevationRequest): Record<string, unknown> {
  if (!request.changeSetArn) {
    return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
  }
  const [, partition, , region, account] = request.changeSetArn.split(':');
  // The change set's own stack, as the workflow described it; every stack only for a request made without a description.
  const stacks = request.impact?.stackId ?? `arn:${partition}:cloudformation:${region}:${account}:stack/*`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        // By ARN only: a change set deleted and recreated under the same name gets a new ARN, so
        // what runs is what was approved. Execute it with --change-set-name <ARN>.
        Effect: 'Allow',
        Action: 'cloudformation:ExecuteChangeSet',
        Resource: stacks,
        Condition: { StringEquals: { 'cloudformation:ChangeSetName': request.changeSetArn } },
      },
      {
        Effect: 'Allow',
        Action: ['cloudformation:DescribeChangeSet', 'cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents', 'cloudformation:GetTemplate'],
        Resource: stacks,
      },
    ],
  };
}

/** Session tags for the issued session: the request and who approved it (tag values are 256 characters at most). */
export function sessionTags(request: ElevationRequest, approvers: readonly string[]): Array<{ Key: string; Value: string }> {
  const clean = (value: string) => value.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '-').slice(0, 256);
  return [
    { Key: REQUEST_ID_TAG_KEY, Value: clean(request.requestId) },
    { Key: APPROVERS_TAG_KEY, Value: clean(approvers.join(' ')) },
    // The ticket is the session's rationale, as the task is an agent session's.
    ...(request.ticket ? [{ Key: TASK_TAG_KEY, Value: clean(request.ticket) }] : []),
  ];
}
