/*
 * Pure: the guardrail policy documents, built from resolved inputs. No CDK, no SDK, no catalog:
 * the catalog-derived action lists arrive as input, so the documents can be evaluated by a
 * policy simulator and measured against IAM's limits.
 *
 * Four documents, because what agents may do and what the things they build may do differ, and
 * one managed policy cannot hold both within IAM's 6,144 characters:
 *
 * - the **agent boundary**, on agent roles: allows everything, then denies. Production (anything
 *   carrying the production tag) is read-only; the guardrail cannot be changed or escaped.
 * - the **agent denies**, a managed policy attached to every agent role: Denies in an identity
 *   policy are as binding as in a boundary, and an agent role cannot be changed by anything
 *   bounded. It holds what protects production by name (and where a request names it in a
 *   condition key), and the credential and tamper lists.
 * - the **agent services denies**, attached the same way: the account's security and identity
 *   services are read-only to agents.
 * - the **workload boundary**, on everything an agent can create or pass (deploy roles and the
 *   roles of the stacks it deploys): workloads never need production, so it denies every action
 *   on production outright, which takes no list of reads, and keeps every escape closed.
 *
 * A Deny conditioned on a key an action does not support does nothing: the tests check every list
 * here against the IAM action catalog.
 */
import { GuardrailPaths } from '../guardrail-paths';
import { ResolvedProductionTag } from '../production-protection/production-tag';
import {
  cdkBootstrapResources,
  CDK_BOOTSTRAP_WRITES,
  CHANGE_SET_PROPOSALS,
  CREDENTIAL_ACTIONS,
  GUARDRAIL_COMPONENT_TAG,
  GUARDRAIL_READ_ACTIONS,
  IDENTITY_SERVICES,
  PRINCIPAL_PERMISSION_ACTIONS,
  PRODUCTION_REQUEST_KEYS,
  ProductionRequestName,
  SAFETY_NET_ACTIONS,
  SECURITY_SERVICES,
  STACK_ROLE_ACTIONS,
} from './action-lists';
import { PolicyDocumentJson, StatementJson } from './policy-json';

export * from './policy-json';
export { CHANGE_SET_PROPOSALS, GUARDRAIL_COMPONENT_TAG, IDENTITY_SERVICES, PRODUCTION_REQUEST_KEYS, SECURITY_SERVICES, STACK_ROLE_ACTIONS } from './action-lists';
export type { ProductionRequestName } from './action-lists';

/** Everything the documents need, already resolved to plain strings. */
export interface BoundaryDocumentInput {
  /** The tag that marks production. */
  readonly productionTag: ResolvedProductionTag;
  /**
   * The reads agents keep on production, as `service:Pattern`, derived from the IAM action catalog
   * for the services that production uses (`readPatterns`). Every other action on anything that
   * carries the production tag is denied.
   */
  readonly productionReadActions: readonly string[];
  /** Actions the platform team lets agents perform on production anyway (`allowProductionActions`). */
  readonly productionActionExceptions?: readonly string[];
  /** Production stacks protected by name as well as by tag (names or `prefix*` patterns). */
  readonly productionStackNames: readonly string[];
  /** Production buckets whose tags IAM does not evaluate (ABAC off), by name or pattern. */
  readonly productionBucketNames: readonly string[];
  /** DNS names whose records agents may not change: a production zone's name covers its subdomains. */
  readonly productionRecordNames?: readonly string[];
  /** Other production resources no tag condition reaches, by ARN or ARN pattern. */
  readonly productionResourceArns?: readonly string[];
  /**
   * Production VPC ids, subnet ids and ECS cluster ARN patterns, which requests name in condition
   * keys (`PRODUCTION_REQUEST_KEYS`) without IAM checking their tags.
   */
  readonly productionRequestNames?: Readonly<Partial<Record<ProductionRequestName, readonly string[]>>>;
  /** Writes of the account's security services (catalog-derived): agents read them, never change them. */
  readonly securityServiceWrites: readonly string[];
  /** Writes of the services that manage human identities (catalog-derived). */
  readonly identityServiceWrites: readonly string[];
  /** Name of the agent boundary policy. */
  readonly boundaryPolicyName: string;
  /** Name of the workload boundary policy; every role an agent creates must carry it. */
  readonly workloadBoundaryName: string;
  /** The account the guardrails are deployed in; roles are assumed in this account only. */
  readonly accountId: string;
  /** Statements added by the platform team (Deny only): in the agent denies and the workload boundary. */
  readonly additionalStatements?: readonly StatementJson[];
}

/** The four guardrail documents. */
export interface BoundaryDocuments {
  /** The permissions boundary of agent roles. */
  readonly agentBoundary: PolicyDocumentJson;
  /** The deny policy attached to agent roles. */
  readonly agentDenies: PolicyDocumentJson;
  /** The deny policy attached to agent roles for the account's security and identity services. */
  readonly agentServiceDenies: PolicyDocumentJson;
  /** The permissions boundary of deploy roles and of every role agents create. */
  readonly workloadBoundary: PolicyDocumentJson;
}

function iamArn(kind: 'role' | 'policy', path: string, account = '*'): string {
  return `arn:*:iam::${account}:${kind}${path}*`;
}

/** The ARN pattern of a production stack's name: `arn:*:cloudformation:*:*:stack/<name>/*`. */
export function stackArnPattern(name: string): string {
  return `arn:*:cloudformation:*:*:stack/${name}/*`;
}

function sorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/** The ARN pattern of a guardrail policy, as `iam:PermissionsBoundary` reports it. */
export function boundaryPolicyArnPattern(policyName: string): string {
  return `arn:*:iam::*:policy${GuardrailPaths.ROOT}${policyName}`;
}

/** The production resources no tag reaches, as ARNs: stacks and buckets by name, then the rest. */
function namedProductionArns(input: BoundaryDocumentInput): { stacks: string[]; buckets: string[]; others: string[] } {
  return {
    stacks: sorted(input.productionStackNames).map(stackArnPattern),
    buckets: sorted(input.productionBucketNames).flatMap((b) => [`arn:*:s3:::${b}`, `arn:*:s3:::${b}/*`]),
    others: sorted(input.productionResourceArns ?? []),
  };
}

/** Record changes whose names fall under a production zone, in any case and with the trailing dot IAM normalises away. */
function recordStatement(sid: string, input: BoundaryDocumentInput): StatementJson[] {
  const names = sorted((input.productionRecordNames ?? []).map((n) => n.toLowerCase().replace(/\.$/, '')));
  if (names.length === 0) return [];
  return [
    {
      Sid: sid,
      Effect: 'Deny',
      Action: 'route53:ChangeResourceRecordSets',
      Resource: '*',
      Condition: { 'ForAnyValue:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': names.flatMap((n) => [n, `*.${n}`]) } },
    },
  ];
}

/**
 * Requests that place something in a production VPC, subnet or ECS cluster through a condition key:
 * `kept` says which actions of the key's service stay allowed (reads for agents, none for workloads).
 */
function requestKeyStatements(input: BoundaryDocumentInput, kept: (service: string) => Pick<StatementJson, 'Action' | 'NotAction'>): StatementJson[] {
  return PRODUCTION_REQUEST_KEYS.flatMap(({ sid, key, names }): StatementJson[] => {
    const values = sorted(input.productionRequestNames?.[names] ?? []);
    if (values.length === 0) return [];
    return [{ Sid: sid, Effect: 'Deny', ...kept(key.split(':')[0]), Resource: '*', Condition: { 'ForAnyValue:StringLike': { [key]: values } } }];
  });
}

/** Statements both boundaries share: the guardrail cannot be changed, and nothing escapes it. */
function guardrailStatements(input: BoundaryDocumentInput, passable: string[]): StatementJson[] {
  return [
    {
      // Also Identity Center's roles, and any role named like them: the approval workflow trusts
      // their sessions as humans.
      Sid: 'GuardrailReadOnly',
      Effect: 'Deny',
      NotAction: [...GUARDRAIL_READ_ACTIONS],
      Resource: [iamArn('role', GuardrailPaths.ROOT), iamArn('policy', GuardrailPaths.ROOT), 'arn:*:iam::*:role/*AWSReservedSSO*', 'arn:*:iam::*:role/aws-reserved/*'],
    },
    {
      // Every principal created or empowered carries the workload boundary; groups never.
      Sid: 'BoundedPrincipals',
      Effect: 'Deny',
      Action: [...PRINCIPAL_PERMISSION_ACTIONS],
      Resource: '*',
      Condition: { ArnNotLike: { 'iam:PermissionsBoundary': boundaryPolicyArnPattern(input.workloadBoundaryName) } },
    },
    {
      // New policy versions only for workload policies: a policy elsewhere may be an administrator's.
      // Boundaries set only on workload roles: putting the boundary on someone else's role would
      // make it editable by the statement above.
      Sid: 'EditWorkloadOnly',
      Effect: 'Deny',
      Action: ['iam:CreatePolicyVersion', 'iam:Put*PermissionsBoundary', 'iam:SetDefaultPolicyVersion'],
      NotResource: [iamArn('policy', GuardrailPaths.WORKLOAD), iamArn('role', GuardrailPaths.WORKLOAD)],
    },
    {
      Sid: 'NoBoundaryRemoval',
      Effect: 'Deny',
      Action: 'iam:Delete*PermissionsBoundary',
      Resource: '*',
    },
    { Sid: 'PassBoundedRoles', Effect: 'Deny', Action: 'iam:PassRole', NotResource: passable },
  ];
}

/**
 * The guardrails' own resources (approval workflow, circuit breaker, audit trail) are off limits,
 * reads included: the approval table holds task tokens and undelivered credentials. The approval
 * API's one door, execute-api:Invoke, carries no resource tag. Nobody bounded names the
 * guardrails' own tag keys: untagging would lift the first statement.
 */
function guardrailResourceStatements(input: BoundaryDocumentInput): StatementJson[] {
  return [
    { Sid: 'CdkBootstrapProtected', Effect: 'Deny', Action: [...CDK_BOOTSTRAP_WRITES], Resource: cdkBootstrapResources(input.accountId) },
    {
      Sid: 'GuardrailOffLimits',
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { StringLike: { [`aws:ResourceTag/${GUARDRAIL_COMPONENT_TAG.key}`]: '*' } },
    },
    {
      Sid: 'GuardrailTagKeys',
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { 'ForAnyValue:StringLike': { 'aws:TagKeys': 'agent-guardrails:*' } },
    },
  ];
}

/** No request, by anyone bounded, may carry the production tag: production is only ever made by humans. */
function tagMintStatement(input: BoundaryDocumentInput, exempt: string[]): StatementJson {
  const { key, values } = input.productionTag;
  return {
    Sid: 'ProdTagMint',
    Effect: 'Deny',
    ...(exempt.length > 0 ? { NotAction: exempt } : { Action: '*' }),
    Resource: '*',
    Condition: { StringEqualsIgnoreCase: { [`aws:RequestTag/${key}`]: values } },
  };
}

/** Builds the permissions boundary of agent roles. Deterministic for a given input. */
export function buildAgentBoundary(input: BoundaryDocumentInput): PolicyDocumentJson {
  const { key, values } = input.productionTag;
  const productionResource = { [`aws:ResourceTag/${key}`]: values };
  const kept = sorted([...input.productionReadActions, ...CHANGE_SET_PROPOSALS, ...(input.productionActionExceptions ?? [])]);
  const statements: StatementJson[] = [
    { Sid: 'Ceiling', Effect: 'Allow', Action: '*', Resource: '*' },
    {
      // Production is read-only: every action but the reads of the services production uses (and
      // change-set proposals) is denied on anything that carries the production tag. A new action
      // AWS adds is denied until the catalog calls it a read.
      Sid: 'ProdReadOnly',
      Effect: 'Deny',
      NotAction: kept,
      Resource: '*',
      Condition: { StringEqualsIgnoreCase: productionResource },
    },
    // CloudFormation sends a stack's tags with every change set, so proposals are exempt here...
    tagMintStatement(input, ['cloudformation:CreateChangeSet']),
    {
      // ...and denied here when they would create a production stack that is not one yet.
      Sid: 'ProdStackCreate',
      Effect: 'Deny',
      Action: 'cloudformation:CreateChangeSet',
      Resource: '*',
      Condition: {
        StringEqualsIgnoreCase: { [`aws:RequestTag/${key}`]: values },
        StringNotEqualsIgnoreCase: productionResource,
      },
    },
    ...guardrailStatements(input, [iamArn('role', GuardrailPaths.SERVICE_ROLES), iamArn('role', GuardrailPaths.WORKLOAD)]),
    {
      // Agent sessions assume agent roles in this account only, and never answer a Step Functions
      // task token (those calls have no resource a tag could protect).
      Sid: 'AgentSessionLimits',
      Effect: 'Deny',
      Action: ['sts:AssumeRo*', 'states:SendTask*'],
      NotResource: iamArn('role', GuardrailPaths.AGENT_ROLES, input.accountId),
    },
    {
      // Every stack change runs with a guardrail deploy role that the agent names; without one,
      // CloudFormation would reuse whatever (possibly administrator) role the stack last used.
      // A change set for a production stack is exempt: it is a proposal, and humans execute it.
      Sid: 'StackRoleBounded',
      Effect: 'Deny',
      Action: [...STACK_ROLE_ACTIONS],
      Resource: '*',
      Condition: {
        ArnNotLike: { 'cloudformation:RoleArn': iamArn('role', GuardrailPaths.SERVICE_ROLES) },
        StringNotEqualsIgnoreCase: productionResource,
      },
    },
  ];
  return { Version: '2012-10-17', Statement: statements };
}

/** Builds the deny policy attached to agent roles. Deterministic for a given input. */
export function buildAgentDenies(input: BoundaryDocumentInput): PolicyDocumentJson {
  const { stacks, buckets, others } = namedProductionArns(input);
  const exceptions = input.productionActionExceptions ?? [];
  const readsOf = (...services: string[]) =>
    sorted([...input.productionReadActions.filter((a) => services.includes(a.split(':')[0])), ...exceptions]);
  // Reads kept on resources named: NotAction of them, or every action when none is kept.
  const allBut = (kept: string[]): Pick<StatementJson, 'Action' | 'NotAction'> => (kept.length > 0 ? { NotAction: kept } : { Action: '*' });
  const statements: StatementJson[] = [
    { Sid: 'NoEscapeOrTamper', Effect: 'Deny', Action: sorted([...SAFETY_NET_ACTIONS, ...CREDENTIAL_ACTIONS]), Resource: '*' },
    ...guardrailResourceStatements(input),
  ];
  if (stacks.length > 0) {
    statements.push({ Sid: 'ProdStackByName', Effect: 'Deny', ...allBut(sorted([...readsOf('cloudformation'), ...CHANGE_SET_PROPOSALS])), Resource: stacks });
  }
  if (buckets.length > 0) {
    statements.push({ Sid: 'ProdBucketByName', Effect: 'Deny', ...allBut(readsOf('s3')), Resource: buckets });
  }
  if (others.length > 0) {
    const services = sorted(others.map((arn) => arn.split(':')[2]));
    statements.push({ Sid: 'ProdByArn', Effect: 'Deny', ...allBut(readsOf(...services)), Resource: others });
  }
  statements.push(...recordStatement('ProdRecordsByName', input));
  statements.push(...requestKeyStatements(input, (service) => allBut(readsOf(service))));
  statements.push({
    // A proposal for a production stack that names a role would make that role the stack's once
    // humans execute it: proposals keep the stack's own role.
    Sid: 'ProdProposalRole',
    Effect: 'Deny',
    Action: 'cloudformation:CreateChangeSet',
    Resource: '*',
    Condition: {
      StringLike: { 'cloudformation:RoleArn': '*' },
      StringEqualsIgnoreCase: { [`aws:ResourceTag/${input.productionTag.key}`]: input.productionTag.values },
    },
  });
  statements.push(...(input.additionalStatements ?? []));
  return { Version: '2012-10-17', Statement: statements };
}

/** Builds the deny policy attached to agent roles for the account's security and identity services. */
export function buildAgentServiceDenies(input: BoundaryDocumentInput): PolicyDocumentJson {
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'SecurityServicesReadOnly', Effect: 'Deny', Action: sorted(input.securityServiceWrites), Resource: '*' },
      { Sid: 'IdentityReadOnly', Effect: 'Deny', Action: sorted(input.identityServiceWrites), Resource: '*' },
    ],
  };
}

/** Builds the permissions boundary of deploy roles and of every role agents create. */
export function buildWorkloadBoundary(input: BoundaryDocumentInput): PolicyDocumentJson {
  const { key, values } = input.productionTag;
  const { stacks, buckets, others } = namedProductionArns(input);
  const named = [...stacks, ...buckets, ...others];
  const statements: StatementJson[] = [
    { Sid: 'Ceiling', Effect: 'Allow', Action: '*', Resource: '*' },
    // Workloads never need production: nothing at all, reads included, on anything tagged production.
    { Sid: 'ProdOffLimits', Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringEqualsIgnoreCase: { [`aws:ResourceTag/${key}`]: values } } },
    tagMintStatement(input, []),
  ];
  if (named.length > 0) {
    statements.push({ Sid: 'ProdByName', Effect: 'Deny', Action: '*', Resource: named });
  }
  statements.push(...recordStatement('ProdRecordsByName', input));
  statements.push(...requestKeyStatements(input, () => ({ Action: '*' })));
  statements.push(
    ...guardrailStatements(input, [iamArn('role', GuardrailPaths.SERVICE_ROLES), iamArn('role', GuardrailPaths.WORKLOAD)]),
    ...guardrailResourceStatements(input),
    {
      Sid: 'NoEscapeOrTamper',
      Effect: 'Deny',
      Action: sorted([...SAFETY_NET_ACTIONS, ...CREDENTIAL_ACTIONS, ...[...SECURITY_SERVICES, ...IDENTITY_SERVICES].map((s) => `${s}:*`)]),
      Resource: '*',
    },
    {
      // Workloads (pipelines, chained roles) assume workload roles in this account only.
      Sid: 'WorkloadSessionLimits',
      Effect: 'Deny',
      Action: 'sts:AssumeRo*',
      NotResource: iamArn('role', GuardrailPaths.WORKLOAD, input.accountId),
    },
    {
      // A task token is not bound to its caller: whoever learns one (the approval workflow's
      // included) can answer it. Workloads answer none; agents already answer none.
      Sid: 'WorkloadTaskTokens',
      Effect: 'Deny',
      Action: 'states:SendTask*',
      Resource: '*',
    },
    {
      Sid: 'StackRoleBounded',
      Effect: 'Deny',
      Action: [...STACK_ROLE_ACTIONS],
      Resource: '*',
      Condition: { ArnNotLike: { 'cloudformation:RoleArn': [iamArn('role', GuardrailPaths.SERVICE_ROLES), iamArn('role', GuardrailPaths.WORKLOAD)] } },
    },
  );
  statements.push(...(input.additionalStatements ?? []));
  return { Version: '2012-10-17', Statement: statements };
}

/** Builds all four documents. */
export function buildBoundaryDocuments(input: BoundaryDocumentInput): BoundaryDocuments {
  return {
    agentBoundary: buildAgentBoundary(input),
    agentDenies: buildAgentDenies(input),
    agentServiceDenies: buildAgentServiceDenies(input),
    workloadBoundary: buildWorkloadBoundary(input),
  };
}
