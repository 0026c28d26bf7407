/*
 * The agent permissions boundary as a pure function: resolved inputs in, a policy document out.
 * No CDK, no SDK, so it can be evaluated by a policy simulator and measured against IAM's limits.
 *
 * The boundary is a ceiling: it allows everything and then denies. Least privilege lives in the
 * agent role's own policies. Every Deny below was checked against the IAM action catalog: a Deny
 * that conditions on a key the action does not support silently does nothing, so each
 * tag-conditioned list holds only actions whose resource types support `aws:ResourceTag`, and what a
 * tag cannot protect is denied by name instead (see `TAG_BLIND_PRODUCTION_ACTIONS`).
 */
import { GuardrailPaths } from '../guardrail-paths';
import { ResolvedProductionTag } from '../production-protection/production-tag';

/** A policy statement as IAM reads it. */
export interface StatementJson {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly NotResource?: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/** A policy document as IAM reads it. */
export interface PolicyDocumentJson {
  readonly Version: '2012-10-17';
  readonly Statement: StatementJson[];
}

/** Everything the boundary needs to know, already resolved to plain strings. */
export interface BoundaryDocumentInput {
  /** The tag that marks production. */
  readonly productionTag: ResolvedProductionTag;
  /** Names of production stacks, protected whatever their tags say. */
  readonly productionStackNames: string[];
  /**
   * Production S3 bucket names or name patterns (`*` wildcard). S3 evaluates `aws:ResourceTag`
   * only on buckets with ABAC enabled, so buckets are protected by name.
   */
  readonly productionBucketNames: string[];
  /** Name of the boundary policy itself; roles an agent creates must carry exactly this policy. */
  readonly boundaryPolicyName: string;
  /** The account the boundary is deployed in; agents assume roles in this account only. */
  readonly accountId: string;
  /** Statements appended by the platform team (Deny only). */
  readonly additionalStatements?: StatementJson[];
}

/** The tag the guardrails put on their own resources, by component. */
export const GUARDRAIL_COMPONENT_TAG = { key: 'agent-guardrails:component', approvalWorkflow: 'approval-workflow' } as const;

/** IAM's limit for a customer managed policy document, in characters without whitespace. */
export const MANAGED_POLICY_SIZE_LIMIT = 6144;

/**
 * What an agent may still do to a production stack: read it, and propose or withdraw a change set.
 * Every other action on a production stack is denied, including actions CloudFormation adds later.
 * The tests check against the catalog that every read or list action on the `stack` resource type
 * matches one of these patterns, and that every write action except the two proposals does not.
 */
export const PRODUCTION_STACK_ALLOWED_ACTIONS: readonly string[] = [
  'cloudformation:CreateChangeSet',
  'cloudformation:DeleteChangeSet',
  'cloudformation:Describe*',
  'cloudformation:Detect*',
  'cloudformation:Get*',
  'cloudformation:List*',
];

/**
 * Actions that delete, terminate, empty or schedule the deletion of a resource, or run code on it
 * (which would let an agent act with the resource's own, unbounded, role), denied on anything
 * that carries the production tag. Every action these patterns match supports `aws:ResourceTag` on
 * its resource types, except those listed in `TAG_BLIND_PRODUCTION_ACTIONS` (the tests check both).
 */
export const PRODUCTION_DESTRUCTIVE_ACTIONS: readonly string[] = [
  'apigateway:DELETE',
  'autoscaling:Delete*',
  'autoscaling:Set*',
  'autoscaling:Terminate*',
  'autoscaling:Update*',
  'backup:Delete*',
  'backup:UpdateRecoveryPointLifecycle',
  'cloudfront:DeleteDistribution',
  'cognito-idp:*Delete*',
  'dynamodb:*Delete*',
  'dynamodb:BatchWriteItem',
  'dynamodb:UpdateTimeToLive',
  'ec2:Delete*',
  'ec2:Terminate*',
  'ecr:*Delete*',
  'ecr:PutLifecyclePolicy',
  'ecs:Delete*',
  'ecs:Deregister*',
  'ecs:ExecuteCommand',
  'eks:CreateAccessEntry',
  'eks:Delete*',
  'elasticache:Delete*',
  'elasticbeanstalk:Terminate*',
  'elasticfilesystem:Delete*',
  'elasticloadbalancing:Delete*',
  'es:*Delete*',
  'events:Delete*',
  'firehose:Delete*',
  'iam:Delete*',
  'kinesis:Delete*',
  'kms:Delete*',
  'kms:Disable*',
  'kms:PutKeyPolicy',
  'kms:Schedule*',
  'lambda:Delete*',
  'lambda:UpdateFunction*',
  'logs:Delete*',
  'logs:PutRetentionPolicy',
  'rds:Delete*',
  'rds:Deregister*',
  'redshift:Delete*',
  'secretsmanager:Delete*',
  'sns:Delete*',
  'sqs:Delete*',
  'sqs:PurgeQueue',
  'ssm:DeleteP*',
  'ssm:DeleteResourcePolicy',
  'ssm:SendCommand',
  'ssm:StartSession',
  'states:Delete*',
];

/**
 * S3 actions that destroy data or change a bucket's tags. S3 evaluates `aws:ResourceTag` only on
 * buckets with ABAC enabled, and `s3:PutBucketTagging` replaces the whole tag set without
 * `aws:TagKeys`, so these are denied on production buckets by name.
 */
export const PRODUCTION_BUCKET_ACTIONS: readonly string[] = [
  's3:Delete*',
  's3:PutBucketAcl',
  's3:PutBucketPolicy',
  's3:PutBucketTagging',
  's3:PutLifecycleConfiguration',
];

const NOT_COVERED = 'not covered: no tag condition applies and the app does not name these resources';

/**
 * Destructive actions matched by `PRODUCTION_DESTRUCTIVE_ACTIONS` whose resource types carry no
 * `aws:ResourceTag`, so no tag condition can protect them, and how each is handled. Derived from the
 * IAM action catalog; the tests fail when the catalog and this list disagree. S3 is listed apart
 * (`PRODUCTION_BUCKET_ACTIONS`): its tag keys exist but are evaluated only on buckets with ABAC on.
 */
export const TAG_BLIND_PRODUCTION_ACTIONS: Readonly<Record<string, string>> = {
  'autoscaling:DeleteLaunchConfiguration': NOT_COVERED,
  'dynamodb:DeleteBackup': 'denied everywhere (NoEscapeOrTamper): backups carry no tags, and agents never delete backups',
  'events:DeleteApiDestination': NOT_COVERED,
  'events:DeleteArchive': NOT_COVERED,
  'events:DeleteConnection': NOT_COVERED,
  'events:DeleteEndpoint': NOT_COVERED,
  'events:DeletePartnerEventSource': NOT_COVERED,
  'iam:DeleteGroup': NOT_COVERED,
  'iam:DeleteGroupPolicy': 'denied everywhere (BoundedPrincipals): groups cannot carry a boundary',
  'lambda:DeleteLayerVersion': NOT_COVERED,
  'redshift:DeleteQev2IdcApplication': NOT_COVERED,
  'redshift:DeleteRedshiftIdcApplication': NOT_COVERED,
  'redshift:DeleteResourcePolicy': NOT_COVERED,
};

/** IAM actions that write permissions onto a principal; allowed only on principals carrying this boundary. */
const PRINCIPAL_PERMISSION_ACTIONS = [
  'iam:Attach*',
  'iam:CreateRole',
  'iam:CreateUser',
  'iam:DeleteGroupPolicy',
  'iam:DeleteRolePolicy',
  'iam:DeleteUserPolicy',
  'iam:Detach*',
  'iam:Put*',
  'iam:UpdateAssumeRolePolicy',
];

/**
 * Credentials, group memberships and identity-provider trust. Each would let an agent act as, or
 * beside, an unbounded principal: federated sign-ins (SAML, OIDC, Roles Anywhere) are unsigned
 * calls that no boundary of the agent's applies to, so swapping a provider's certificate or a
 * trust anchor would open every role that trusts it.
 */
const CREDENTIAL_ACTIONS = [
  'iam:*AccessKey',
  'iam:*MFADevice',
  'iam:*ServiceSpecificCredential',
  'iam:*SigningCertificate',
  'iam:AddClientIDToOpenIDConnectProvider',
  'iam:AddUserToGroup',
  'iam:CreateLoginProfile',
  'iam:RemoveUserFromGroup',
  'iam:UpdateLoginProfile',
  'iam:UpdateOpenIDConnectProvider*',
  'iam:UpdateSAMLProvider',
  'iam:UpdateSSHPublicKey',
  'iam:UploadSSHPublicKey',
  'rolesanywhere:Create*',
  'rolesanywhere:Enable*',
  'rolesanywhere:Update*',
];

/**
 * Safety nets, denied everywhere: removing a permissions boundary; DynamoDB backups (they carry no
 * tags, so production's cannot be told apart); the audit trail; organization membership; and
 * StackSets, which deploy with administrator roles in other accounts.
 */
const SAFETY_NET_ACTIONS = [
  'dynamodb:DeleteBackup',
  'iam:Delete*PermissionsBoundary',
  'cloudtrail:Delete*',
  'cloudtrail:Put*',
  'cloudtrail:Stop*',
  'cloudtrail:Update*',
  'organizations:LeaveOrganization',
  'cloudformation:CreateStackInstances',
  'cloudformation:CreateStackSet',
  'cloudformation:DeleteStackInstances',
  'cloudformation:ImportStacksToStackSet',
  'cloudformation:UpdateStackInstances',
  'cloudformation:UpdateStackSet',
];

/** CloudFormation calls that act with a service role; an agent must name a bounded one. */
export const STACK_ROLE_ACTIONS: readonly string[] = [
  'cloudformation:ContinueUpdateRollback',
  'cloudformation:CreateChangeSet',
  'cloudformation:CreateStack',
  'cloudformation:DeleteStack',
  'cloudformation:RollbackStack',
  'cloudformation:UpdateStack',
];

/** Read-only IAM actions, and what an agent needs of STS and PassRole, on guardrail-owned principals. */
const GUARDRAIL_READ_ACTIONS = ['iam:Generate*', 'iam:Get*', 'iam:List*', 'iam:PassRole', 'iam:Simulate*', 'sts:*'];

function iamArn(kind: 'role' | 'policy', path: string, account = '*'): string {
  return `arn:*:iam::${account}:${kind}${path}*`;
}

function stackArn(name: string): string {
  return `arn:*:cloudformation:*:*:stack/${name}/*`;
}

const ANY_STACK = stackArn('*');

function sorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/** The ARN pattern of the boundary policy, as `iam:PermissionsBoundary` reports it. */
export function boundaryPolicyArnPattern(boundaryPolicyName: string): string {
  return `arn:*:iam::*:policy${GuardrailPaths.ROOT}${boundaryPolicyName}`;
}

/**
 * Builds the boundary document. Statement order and content are deterministic for a given input,
 * so the synthesized template only changes when the protected set changes.
 */
export function buildBoundaryDocument(input: BoundaryDocumentInput): PolicyDocumentJson {
  const { key, values } = input.productionTag;
  const productionResource = { [`aws:ResourceTag/${key}`]: values };
  const stackNames = sorted(input.productionStackNames);

  const statements: StatementJson[] = [
    { Sid: 'Ceiling', Effect: 'Allow', Action: '*', Resource: '*' },

    // 1. Production stacks: no change or removal, by tag and by name; no recreation.
    {
      Sid: 'ProdStackByTag',
      Effect: 'Deny',
      NotAction: [...PRODUCTION_STACK_ALLOWED_ACTIONS],
      Resource: ANY_STACK,
      Condition: { StringEqualsIgnoreCase: productionResource },
    },
    {
      // Creating a stack, or a create-type change set, that carries the production tag on a stack
      // that does not carry it yet. A change set for a stack already tagged production stays allowed:
      // it is a proposal, and executing it is denied above.
      Sid: 'ProdStackCreate',
      Effect: 'Deny',
      // Create*: of the create actions only CreateStack, CreateChangeSet and CreateStackSet (denied
      // everywhere anyway) carry aws:RequestTag, so the condition limits the statement to them.
      Action: 'cloudformation:Create*',
      Resource: '*',
      Condition: {
        StringEqualsIgnoreCase: { [`aws:RequestTag/${key}`]: values },
        StringNotEqualsIgnoreCase: productionResource,
      },
    },
  ];
  if (stackNames.length > 0) {
    statements.push({
      Sid: 'ProdStackByName',
      Effect: 'Deny',
      NotAction: [...PRODUCTION_STACK_ALLOWED_ACTIONS],
      Resource: stackNames.map(stackArn),
    });
  }

  // 2. Production resources: no deletion, and the production tag cannot be removed or changed.
  statements.push(
    {
      Sid: 'ProdResourceByTag',
      Effect: 'Deny',
      Action: [...PRODUCTION_DESTRUCTIVE_ACTIONS],
      Resource: '*',
      Condition: { StringEqualsIgnoreCase: productionResource },
    },
    {
      // Any request that names the production tag key on a production resource: tagging, untagging,
      // retagging, in every service that reports aws:TagKeys. Proposing a change set is exempt
      // because CloudFormation sends the stack's tags with every change set.
      Sid: 'ProdTagKey',
      Effect: 'Deny',
      NotAction: 'cloudformation:CreateChangeSet',
      Resource: '*',
      Condition: {
        StringEqualsIgnoreCase: productionResource,
        'ForAnyValue:StringEqualsIgnoreCase': { 'aws:TagKeys': [key] },
      },
    },
  );
  const bucketArns = sorted(input.productionBucketNames).flatMap((bucket) => [`arn:*:s3:::${bucket}`, `arn:*:s3:::${bucket}/*`]);
  if (bucketArns.length > 0) {
    statements.push({ Sid: 'ProdBucketByName', Effect: 'Deny', Action: [...PRODUCTION_BUCKET_ACTIONS], Resource: bucketArns });
  }

  // 3. The guardrail itself: nothing owned by the guardrails can be changed, and no boundary removed.
  statements.push(
    {
      // Also Identity Center's roles, and any role named like them: the approval workflow trusts
      // their sessions as humans.
      Sid: 'GuardrailReadOnly',
      Effect: 'Deny',
      NotAction: GUARDRAIL_READ_ACTIONS,
      Resource: [iamArn('role', GuardrailPaths.ROOT), iamArn('policy', GuardrailPaths.ROOT), 'arn:*:iam::*:role/*AWSReservedSSO*', 'arn:*:iam::*:role/aws-reserved/*'],
    },

    // 4. No escape: every principal an agent creates or empowers carries this boundary.
    {
      Sid: 'BoundedPrincipals',
      Effect: 'Deny',
      Action: PRINCIPAL_PERMISSION_ACTIONS,
      Resource: '*',
      Condition: { ArnNotLike: { 'iam:PermissionsBoundary': boundaryPolicyArnPattern(input.boundaryPolicyName) } },
    },
    {
      // New policy versions only for workload policies: a policy elsewhere may be an administrator's.
      // Boundaries set only on workload roles: putting this boundary on someone else's role would
      // make it editable by the statement above, and cripple it.
      Sid: 'EditWorkloadOnly',
      Effect: 'Deny',
      Action: ['iam:CreatePolicyVersion', 'iam:Put*PermissionsBoundary', 'iam:SetDefaultPolicyVersion'],
      NotResource: [iamArn('policy', GuardrailPaths.WORKLOAD), iamArn('role', GuardrailPaths.WORKLOAD)],
    },
    { Sid: 'NoEscapeOrTamper', Effect: 'Deny', Action: [...SAFETY_NET_ACTIONS, ...CREDENTIAL_ACTIONS], Resource: '*' },
    {
      Sid: 'PassBoundedRoles',
      Effect: 'Deny',
      Action: 'iam:PassRole',
      NotResource: [iamArn('role', GuardrailPaths.SERVICE_ROLES), iamArn('role', GuardrailPaths.WORKLOAD)],
    },
    {
      // Agent roles, and workload roles for the workloads agents deploy (pipelines, chained roles),
      // in this account only.
      Sid: 'AssumeGuardrailRoles',
      Effect: 'Deny',
      Action: 'sts:AssumeRo*',
      NotResource: [iamArn('role', GuardrailPaths.AGENT_ROLES, input.accountId), iamArn('role', GuardrailPaths.WORKLOAD, input.accountId)],
    },
    {
      // Agent sessions (not the workloads they deploy): assume agent roles only, and never answer a
      // Step Functions task token (those calls have no resource a tag could protect).
      Sid: 'AgentSessionLimits',
      Effect: 'Deny',
      Action: ['sts:AssumeRo*', 'states:SendTask*'],
      NotResource: iamArn('role', GuardrailPaths.AGENT_ROLES),
      Condition: { ArnLike: { 'aws:PrincipalArn': iamArn('role', GuardrailPaths.AGENT_ROLES) } },
    },
    {
      // The approval workflow is off limits: its table holds task tokens and undelivered credentials,
      // its functions and state machine decide, its API is the only way in (execute-api:Invoke).
      Sid: 'WorkflowOffLimits',
      Effect: 'Deny',
      Action: ['apigateway:*', 'dynamodb:*', 'events:*', 'lambda:*', 'sns:*', 'states:*'],
      Resource: '*',
      Condition: { StringEquals: { [`aws:ResourceTag/${GUARDRAIL_COMPONENT_TAG.key}`]: GUARDRAIL_COMPONENT_TAG.approvalWorkflow } },
    },
    {
      // Nobody bounded names the guardrails' own tag keys: untagging the workflow would lift the statement above.
      Sid: 'GuardrailTagKeys',
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { 'ForAnyValue:StringLike': { 'aws:TagKeys': 'agent-guardrails:*' } },
    },
    {
      // Every stack change an agent makes runs with a guardrail deploy role that it names; without
      // one, CloudFormation would reuse whatever (possibly administrator) role the stack last used.
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
  );

  statements.push(...(input.additionalStatements ?? []));
  return { Version: '2012-10-17', Statement: statements };
}

/** Size of a policy document as IAM counts it: minified JSON, whitespace outside strings removed. */
export function minifiedPolicySize(document: PolicyDocumentJson): number {
  return JSON.stringify(document).length;
}
