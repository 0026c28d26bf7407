/*
 * Construct logic: the approval API's resource policy.
 */
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ApproverSpec } from '../logic/identity';
import { GuardrailPaths } from '../../guardrail-paths';

/** The break-glass route, in the resource policy's form. */
const BREAK_GLASS_ROUTE = 'execute-api:/*/POST/requests/break-glass';

/**
 * The API's resource policy: callers from this account only, and approve, deny, listing and
 * break-glass only from the configured approvers' principals, by full ARN; break-glass never from
 * a principal under the guardrails' paths (agents), whoever is configured. The handler sees a session ARN without
 * the role's path; here Identity Center roles are recognised by their reserved path, which no one
 * else can create, so a role merely named AWSReservedSSO_* cannot pass for an Identity Center user.
 */
export function apiResourcePolicy(approverSpecs: readonly ApproverSpec[]): iam.PolicyDocument {
  const partition = Aws.PARTITION;
  const approverPrincipals = approverSpecs.flatMap((a) => a.identities).map((spec) => {
    switch (spec.kind) {
      case 'iam-user':
        return spec.userArn;
      case 'role':
        return spec.roleArn;
      case 'identity-center-user':
        return `arn:${partition}:iam::${Aws.ACCOUNT_ID}:role/aws-reserved/sso.amazonaws.com/*`;
    }
  });
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        principals: [new iam.AccountRootPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
      }),
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        // Revoke is the requester's too: the handler admits approvers and the requester.
        resources: ['execute-api:/*/POST/requests/*/approve', 'execute-api:/*/POST/requests/*/deny', 'execute-api:/*/GET/requests', BREAK_GLASS_ROUTE],
        conditions: { ArnNotLike: { 'aws:PrincipalArn': [...new Set(approverPrincipals)] } },
      }),
      // Whoever the approvers are, no agent, guardrail or workload principal ever breaks glass.
      new iam.PolicyStatement({
        sid: 'NoBreakGlassForAgents',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: [BREAK_GLASS_ROUTE],
        conditions: {
          ArnLike: {
            'aws:PrincipalArn': [GuardrailPaths.ROOT, GuardrailPaths.WORKLOAD].flatMap((path) => [`arn:${partition}:iam::*:role${path}*`, `arn:${partition}:iam::*:user${path}*`]),
          },
        },
      }),
    ],
  });
}
