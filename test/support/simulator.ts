/**
 * Evaluates requests against policies with `@cloud-copilot/iam-simulate` (a dev dependency: AGPL).
 * Every decision in the policy tests comes from here, not from reading the policy.
 */
import * as path from 'path';
import { runSimulation } from '@cloud-copilot/iam-simulate';

export const ACCOUNT = '111122223333';
export const AGENT_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/agent-guardrails/agent/coding-agent`;

/**
 * The policy library iam-simulate validates policies with: the copy it depends on, resolved from
 * where it is installed. A policy validated with it is validated once, not on every request.
 */
const iamPolicy = require(require.resolve('@cloud-copilot/iam-policy', { paths: [path.dirname(require.resolve('@cloud-copilot/iam-simulate'))] })) as {
  createValidatedPolicy(document: unknown, validate: (document: unknown) => unknown[]): unknown;
  validateIdentityPolicy(document: unknown): unknown[];
  validateResourcePolicy(document: unknown): unknown[];
};
const validatedPolicies = { identity: new WeakMap<object, { text: string; validated: unknown }>(), resource: new WeakMap<object, { text: string; validated: unknown }>() };

/**
 * `document` as iam-simulate's `runSimulation` accepts it once validated (with the validation that
 * `runSimulation` would run on it: identity policies and boundaries as identity policies), so that
 * it reuses the result instead of validating the same document on every request. Kept per document
 * object, and validated again if its JSON has changed since.
 */
export function validatedPolicy(kind: 'identity' | 'resource', document: unknown): unknown {
  if (typeof document !== 'object' || document === null) return document;
  const text = JSON.stringify(document);
  const cached = validatedPolicies[kind].get(document);
  if (cached?.text === text) return cached.validated;
  const validated = iamPolicy.createValidatedPolicy(document, kind === 'identity' ? iamPolicy.validateIdentityPolicy : iamPolicy.validateResourcePolicy);
  validatedPolicies[kind].set(document, { text, validated });
  return validated;
}

/** What the simulator decided, and which statements decided it. */
export interface Decision {
  readonly result: 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';
  readonly deniedBy: string[];
  /** Context keys the simulator ignored because the action does not support them. */
  readonly ignoredContextKeys: string[];
}

export interface SimulatedRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
  readonly principal?: string;
  /** The account of the resource; the test account by default. */
  readonly accountId?: string;
  /** Whether the S3 bucket of the request has ABAC on, so that IAM evaluates its tags. */
  readonly bucketAbac?: boolean;
}

export interface PrincipalPolicies {
  /** The role's own (identity) policies. */
  readonly identity: unknown[];
  /** The permissions boundary, if any. */
  readonly boundary?: unknown;
  /** The resource's own policy (a trust policy, key policy, table or API policy), if any. */
  readonly resourcePolicy?: unknown;
}

/**
 * Runs one request through identity policies, a boundary and the resource's policy, as IAM would for a role session.
 * `aws:PrincipalArn`, which IAM sets on every request (for a role session: the role's ARN), is
 * filled in from the principal; the simulator does not do so itself.
 */
export async function simulate(request: SimulatedRequest, policies: PrincipalPolicies): Promise<Decision> {
  const principal = request.principal ?? AGENT_ROLE_ARN;
  const response = await runSimulation(
    {
      request: {
        principal,
        action: request.action,
        resource: { resource: request.resource, accountId: request.accountId ?? ACCOUNT },
        contextVariables: { 'aws:PrincipalArn': principal, ...request.context },
      },
      identityPolicies: policies.identity.map((policy, i) => ({ name: `identity-${i}`, policy: validatedPolicy('identity', policy) })),
      permissionBoundaryPolicies: policies.boundary ? [{ name: 'boundary', policy: validatedPolicy('identity', policies.boundary) }] : undefined,
      ...(policies.resourcePolicy ? { resourcePolicy: validatedPolicy('resource', policies.resourcePolicy) } : {}),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      additionalSettings: request.bucketAbac ? { s3: { bucketAbacEnabled: true } } : undefined,
    },
    {},
  );
  if (response.resultType === 'error') {
    throw new Error(`simulator rejected ${request.action} on ${request.resource}: ${JSON.stringify(response.errors)}`);
  }
  if (response.resultType !== 'single') {
    throw new Error(`expected one result for ${request.action} on ${request.resource}, got ${response.resultType}`);
  }
  const analysis = response.result.analysis as any;
  const denyStatements = [
    ...(analysis?.permissionBoundaryAnalysis?.denyStatements ?? []),
    ...(analysis?.identityAnalysis?.denyStatements ?? []),
  ];
  return {
    result: response.overallResult as Decision['result'],
    deniedBy: denyStatements.map((s: any) => s.explain?.identifier ?? s.statement?.sid ?? '?'),
    ignoredContextKeys: (response.result as any).ignoredContextKeys ?? [],
  };
}

/** An identity policy that allows everything: the worst case the boundary must withstand. */
export const ADMINISTRATOR_ACCESS = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};
