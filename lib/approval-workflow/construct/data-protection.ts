/*
 * Construct logic: what keeps the workflow's records its own. Only its functions read or write the
 * requests table, and approvals carry an HMAC that only the API function can make and only the
 * issuer verifies.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** What administrators may do with the approval key: manage it, never sign or verify with it. */
const KEY_ADMINISTRATION = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:Delete*',
  'kms:Describe*',
  'kms:Disable*',
  'kms:Enable*',
  'kms:Get*',
  'kms:List*',
  'kms:Put*',
  'kms:Revoke*',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:Update*',
] as const;

/** What reads or changes the items of a DynamoDB table, or copies them out. */
const TABLE_DATA_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DeleteItem',
  'dynamodb:ExportTableToPointInTime',
  'dynamodb:GetItem',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:PartiQL*',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:UpdateItem',
] as const;

/**
 * The key of approval proofs: the API function signs, the issuer verifies, and administrators
 * manage the key but can neither use it nor grant it to themselves.
 */
export function approvalProofKey(workflow: Construct, roles: { readonly signer: iam.IRole; readonly verifier: iam.IRole }): kms.Key {
  return new kms.Key(workflow, 'ApprovalKey', {
    keySpec: kms.KeySpec.HMAC_256,
    keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC,
    description: 'Agent guardrails: proofs of two-person approvals (sign: API function; verify: issuer)',
    removalPolicy: RemovalPolicy.RETAIN,
    policy: new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({ sid: 'AdministerNotUse', principals: [new iam.AccountRootPrincipal()], actions: [...KEY_ADMINISTRATION], resources: ['*'] }),
        new iam.PolicyStatement({ sid: 'ApiSigns', principals: [new iam.ArnPrincipal(roles.signer.roleArn)], actions: ['kms:GenerateMac'], resources: ['*'] }),
        new iam.PolicyStatement({ sid: 'IssuerVerifies', principals: [new iam.ArnPrincipal(roles.verifier.roleArn)], actions: ['kms:VerifyMac'], resources: ['*'] }),
      ],
    }),
  });
}

/**
 * The key that seals issued credentials at rest: the issuer seals, the API function opens, each
 * only with an encryption context naming the request and its requester; administrators manage the
 * key but can neither use it nor grant it to themselves.
 */
export function credentialsKey(workflow: Construct, roles: { readonly sealer: iam.IRole; readonly opener: iam.IRole }): kms.Key {
  // Only with an encryption context that names a request (the ciphertext then opens only with that same context).
  const bound = { 'ForAnyValue:StringEquals': { 'kms:EncryptionContextKeys': 'requestId' } };
  return new kms.Key(workflow, 'CredentialsKey', {
    description: 'Agent guardrails: seals issued credentials until the requester collects them (seal: issuer; open: API function)',
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN,
    policy: new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({ sid: 'AdministerNotUse', principals: [new iam.AccountRootPrincipal()], actions: [...KEY_ADMINISTRATION], resources: ['*'] }),
        new iam.PolicyStatement({ sid: 'IssuerSeals', principals: [new iam.ArnPrincipal(roles.sealer.roleArn)], actions: ['kms:Encrypt'], resources: ['*'], conditions: bound }),
        new iam.PolicyStatement({ sid: 'ApiOpens', principals: [new iam.ArnPrincipal(roles.opener.roleArn)], actions: ['kms:Decrypt'], resources: ['*'], conditions: bound }),
      ],
    }),
  });
}

/** The requests table's resource policy: nobody but `roles` reads, writes or exports its items, administrators included. */
export function workflowOnlyStatement(roles: readonly iam.IRole[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'WorkflowOnly',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: [...TABLE_DATA_ACTIONS],
    // A table's own ARN cannot appear in its policy (a reference cycle): the policy applies to the table it is on.
    resources: ['*'],
    conditions: { ArnNotEquals: { 'aws:PrincipalArn': roles.map((r) => r.roleArn) } },
  });
}
