/*
 * Pure: the action and resource lists of the guardrail policies that are written here, not derived
 * from the catalog. The tests check each against the IAM action catalog (every pattern names an
 * action, no list that denies writes names a read).
 */

/** The tag the guardrails put on their own resources, by component. */
export const GUARDRAIL_COMPONENT_TAG = { key: 'agent-guardrails:component', approvalWorkflow: 'approval-workflow' } as const;

/**
 * What an agent may do to a production stack beyond reading it: propose or withdraw a change set.
 * Executing one takes two humans (the approval workflow).
 */
export const CHANGE_SET_PROPOSALS: readonly string[] = ['cloudformation:CreateChangeSet', 'cloudformation:DeleteChangeSet'];

/** IAM service prefixes of the account's security services: agents read them and never change them. */
export const SECURITY_SERVICES: readonly string[] = [
  'access-analyzer',
  'config',
  'detective',
  'guardduty',
  'inspector2',
  'macie2',
  'securityhub',
];

/** IAM service prefixes that manage human identities (IAM Identity Center and its directory). */
export const IDENTITY_SERVICES: readonly string[] = ['identitystore', 'sso', 'sso-directory'];

/** IAM actions that write permissions onto a principal; allowed only on principals carrying the workload boundary. */
export const PRINCIPAL_PERMISSION_ACTIONS: readonly string[] = [
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
 * Credentials, group memberships and identity providers. Each would let an agent act as, or
 * beside, an unbounded principal: federated sign-ins (SAML, OIDC, Roles Anywhere) are unsigned
 * calls that no boundary of the agent's applies to, so creating, deleting and recreating, or
 * editing a provider or a trust anchor would open every role that trusts it.
 */
export const CREDENTIAL_ACTIONS: readonly string[] = [
  'iam:*AccessKey',
  'iam:*ClientID*',
  'iam:*VirtualMFADevice',
  'iam:DeactivateMFADevice',
  'iam:EnableMFADevice',
  'iam:ResyncMFADevice',
  'iam:*ServiceSpecificCredential',
  'iam:*SigningCertificate',
  'iam:AddUserToGroup',
  'iam:Create*Provider',
  'iam:CreateLoginProfile',
  'iam:Delete*Provider',
  'iam:RemoveUserFromGroup',
  'iam:Update*Provider*',
  'iam:UpdateLoginProfile',
  'iam:UpdateSSHPublicKey',
  'iam:UploadSSHPublicKey',
  'rolesanywhere:Create*',
  'rolesanywhere:Enable*',
  'rolesanywhere:Update*',
];

/**
 * Safety nets, denied everywhere: DynamoDB backups (they carry no tags, so production's cannot be
 * told apart); the audit trail; organization membership; StackSets, which deploy with
 * administrator roles in other accounts; and code run on instances chosen by tag or by document,
 * which no resource tag of the instances reaches.
 */
export const SAFETY_NET_ACTIONS: readonly string[] = [
  'cloudformation:CreateStackInstances',
  'cloudformation:CreateStackSet',
  'cloudformation:DeleteStackInstances',
  'cloudformation:ImportStacksToStackSet',
  'cloudformation:UpdateStackInstances',
  'cloudformation:UpdateStackSet',
  'cloudtrail:Delete*',
  'cloudtrail:Put*',
  'cloudtrail:Stop*',
  'cloudtrail:Update*',
  'dynamodb:DeleteBackup',
  'organizations:LeaveOrganization',
  'ssm:CreateAssociation*',
  'ssm:StartAssociationsOnce',
  'ssm:UpdateAssociation*',
];

/** CloudFormation calls that act with a service role; a bounded one must be named. */
export const STACK_ROLE_ACTIONS: readonly string[] = [
  'cloudformation:ContinueUpdateRollback',
  'cloudformation:CreateChangeSet',
  'cloudformation:CreateStack',
  'cloudformation:DeleteStack',
  'cloudformation:RollbackStack',
  'cloudformation:UpdateStack',
];

/** Read-only IAM actions, and what is needed of STS and PassRole, on guardrail-owned principals. */
export const GUARDRAIL_READ_ACTIONS: readonly string[] = ['iam:Generate*', 'iam:Get*', 'iam:List*', 'iam:PassRole', 'iam:Simulate*', 'sts:*'];


/**
 * The CDK bootstrap: its stack, container repository, version parameter and asset bucket, and the
 * file assets at the bucket's root, named by their 64-character content hash. Every deployment,
 * production's included, reads them, and assets are not uploaded again when present: whoever
 * overwrites one ships their code at the next human deployment. IAM's `*` spans `/`, so the object
 * pattern names any key whose last segment is a 64-character name and an extension; agents publish
 * under a prefix without `/` (`AgentDeployRole.assetPrefix`), whose keys are longer.
 */
export function cdkBootstrapResources(accountId: string): string[] {
  return [
    'arn:*:cloudformation:*:*:stack/CDKToolkit/*',
    'arn:*:ecr:*:*:repository/cdk-*-container-assets-*',
    // The bucket itself: ends in a region (`us-east-1`), never in an object key's extension.
    `arn:*:s3:::cdk-*-assets-${accountId}-??-*-?`,
    `arn:*:s3:::cdk-*-assets-*/${'?'.repeat(64)}.*`,
    'arn:*:ssm:*:*:parameter/cdk-bootstrap/*',
  ];
}

/** Changes of those: each pattern acts on one of the resources above and names no read. */
export const CDK_BOOTSTRAP_WRITES: readonly string[] = [
  'cloudformation:Delete*',
  'cloudformation:Execute*',
  'cloudformation:Set*',
  'cloudformation:Update*',
  'ecr:BatchDelete*',
  'ecr:CompleteLayerUpload',
  'ecr:Delete*',
  'ecr:InitiateLayerUpload',
  'ecr:Put*',
  'ecr:Set*',
  'ecr:UploadLayerPart',
  's3:Delete*',
  's3:Put*',
  'ssm:Delete*',
  'ssm:Label*',
  'ssm:PutParameter',
];

/** What a request can name production by, without IAM checking its tag. */
export type ProductionRequestName = 'vpcIds' | 'subnetIds' | 'clusterArns';

/**
 * Condition keys through which a request places something in production (a VPC, its subnets, an
 * ECS cluster) while IAM authorizes only the caller's own resource, so no production tag is
 * checked. Each becomes a Deny of every non-read of its service when the key names production.
 */
export const PRODUCTION_REQUEST_KEYS: readonly { readonly sid: string; readonly key: string; readonly names: ProductionRequestName }[] = [
  // Private hosted zones and their VPC associations: a zone in a production VPC answers its DNS.
  { sid: 'ProdVpcInZone', key: 'route53:VPCs', names: 'vpcIds' },
  // A function attached to a production VPC reaches what the VPC reaches.
  { sid: 'ProdVpcInFunction', key: 'lambda:VpcIds', names: 'vpcIds' },
  // A load balancer in production subnets can expose what runs there.
  { sid: 'ProdSubnetInLoadBalancer', key: 'elasticloadbalancing:Subnet', names: 'subnetIds' },
  { sid: 'ProdSubnetInService', key: 'ecs:subnet', names: 'subnetIds' },
  // A task or service in a production cluster runs on its capacity.
  { sid: 'ProdClusterInTask', key: 'ecs:cluster', names: 'clusterArns' },
];
