/*
 * Construct logic: the permissions boundary of the workflow's elevated roles.
 */
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { GuardrailPaths } from '../../guardrail-paths';

/**
 * The boundary of every elevated role (one per workflow, made on first use): a session cannot outlive its revocation (no role chaining,
 * no lasting credentials), cannot touch the workflow's roles (its revocations among them), and
 * escalates nothing by hand: IAM writes and passing roles only through a service such as
 * CloudFormation executing the approved change set.
 */
export function elevatedBoundary(workflow: Construct): iam.IManagedPolicy {
  const existing = workflow.node.tryFindChild('ElevatedBoundary') as iam.ManagedPolicy | undefined;
  if (existing) return existing;
  return new iam.ManagedPolicy(workflow, 'ElevatedBoundary', {
    path: GuardrailPaths.ELEVATED_ROLES,
    description: 'Boundary of elevated roles: no role chaining, no lasting credentials, no change to the approval workflow, no IAM escalation by hand',
    statements: [
      new iam.PolicyStatement({ sid: 'Ceiling', actions: ['*'], resources: ['*'] }),
      new iam.PolicyStatement({
        sid: 'NoRoleChaining',
        effect: iam.Effect.DENY,
        actions: ['sts:AssumeRole', 'sts:AssumeRoleWithSAML', 'sts:AssumeRoleWithWebIdentity', 'sts:GetFederationToken'],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'NoLastingCredentials',
        effect: iam.Effect.DENY,
        actions: ['iam:CreateAccessKey', 'iam:CreateLoginProfile', 'iam:UpdateLoginProfile', 'iam:CreateServiceSpecificCredential', 'iam:UploadSSHPublicKey', 'iam:UploadSigningCertificate'],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'WorkflowRolesUntouchable',
        effect: iam.Effect.DENY,
        notActions: ['iam:Get*', 'iam:List*'],
        resources: [`arn:${Aws.PARTITION}:iam::*:role${GuardrailPaths.ELEVATED_ROLES}*`, `arn:${Aws.PARTITION}:iam::*:policy${GuardrailPaths.ELEVATED_ROLES}*`],
      }),
      new iam.PolicyStatement({
        sid: 'NoEscalationByHand',
        effect: iam.Effect.DENY,
        actions: [
          'iam:Attach*',
          'iam:CreatePolicyVersion',
          'iam:CreateRole',
          'iam:CreateUser',
          'iam:Delete*PermissionsBoundary',
          'iam:PassRole',
          'iam:Put*',
          'iam:SetDefaultPolicyVersion',
          'iam:UpdateAssumeRolePolicy',
        ],
        resources: ['*'],
        conditions: { Null: { 'aws:CalledVia': 'true' } },
      }),
    ],
  });
}
