/*
 * Review rules over what agent roles are granted: no role-passing beyond bounded roles, and no
 * unscoped IAM, CloudFormation or role-assumption grants.
 */
import { GuardrailPaths } from '../../guardrail-paths';
import { toArray } from '../../private/arrays';
import { isJoinOrString, renderIntrinsic } from '../../private/intrinsics';
import { AssemblyResource, AssemblyStack } from '../assembly';
import { actionMatches } from '../policy-evaluator';
import { Finding, Rule } from './rule';

/** Service-wide grants (`*`, `iam:*`, `cloudformation:*`) or role assumption, which must never be granted on "*". */
const isBroad = (action: string) => action === '*' || /^(iam|cloudformation):\*$/i.test(action) || actionMatches(action, 'sts:AssumeRole');
const BOUNDED_PASSABLE = [`:role${GuardrailPaths.SERVICE_ROLES}`, `:role${GuardrailPaths.WORKLOAD}`];

/** The identity-policy statements of each agent role in a stack (inline, and AWS::IAM::Policy attached). */
function agentStatements(stack: AssemblyStack): Array<{ role: AssemblyResource; statement: any; source: AssemblyResource }> {
  const agents = stack.resources.filter((r) => r.type === 'AWS::IAM::Role' && r.properties.Path === GuardrailPaths.AGENT_ROLES);
  return agents.flatMap((role) => {
    const inline = toArray(role.properties.Policies).flatMap((p: any) => toArray(p.PolicyDocument?.Statement)).map((statement) => ({ role, statement, source: role }));
    const attached = stack.resources
      .filter((r) => r.type === 'AWS::IAM::Policy' && toArray(r.properties.Roles).some((ref: any) => ref?.Ref === role.logicalId))
      .flatMap((policy) => toArray(policy.properties.PolicyDocument?.Statement).map((statement) => ({ role, statement, source: policy })));
    return [...inline, ...attached];
  });
}

/**
 * A resource value as text, with unresolvable intrinsics marked; a role of the same template,
 * referenced by Fn::GetAtt, is written with its path. Undefined if it cannot be read at all.
 */
function resourceText(stack: AssemblyStack, value: unknown): string | undefined {
  const getAtt = (value as any)?.['Fn::GetAtt'];
  if (getAtt && getAtt[1] === 'Arn') {
    const target = stack.resources.find((r) => r.logicalId === getAtt[0]);
    if (target?.type === 'AWS::IAM::Role' && typeof (target.properties.Path ?? '/') === 'string') {
      return `arn:<partition>:iam::<account>:role${target.properties.Path ?? '/'}${target.logicalId}`;
    }
    return undefined;
  }
  return isJoinOrString(value) ? renderIntrinsic(value, '<unresolved>') : undefined;
}

/** Agent roles pass only bounded roles and get no unscoped IAM, CloudFormation or assume-role grants. */
export const NO_BROAD_GRANTS: Rule = {
  id: 'AGR-NO-BROAD-GRANTS',
  title: 'Agent roles get no role-passing or unscoped IAM, CloudFormation or assume-role grants',
  why: 'The boundary is the ceiling, least privilege is the role\'s own policy: iam:PassRole on unbounded roles, or "*" on iam, cloudformation or sts:AssumeRole, hands the agent the whole ceiling.',
  fix: 'Grant exact actions on exact resources: AgentDeployRole.grantDeploy passes one bounded role to CloudFormation only.',
  acknowledgeable: true,
  check(assembly) {
    const findings: Finding[] = [];
    for (const stack of assembly.stacks) {
      for (const { role, statement, source } of agentStatements(stack)) {
        if (statement.Effect !== 'Allow') continue;
        const actions = toArray(statement.Action).map(String);
        const resources = toArray(statement.Resource).map((r) => resourceText(stack, r));
        const at = { ruleId: NO_BROAD_GRANTS.id, stackName: stack.stackName, constructPath: source.constructPath, logicalId: source.logicalId };
        if (statement.NotAction !== undefined || statement.NotResource !== undefined) {
          findings.push({ ...at, severity: 'unresolved', message: `a statement of agent role ${role.constructPath} uses NotAction or NotResource, which this rule does not judge` });
          continue;
        }
        if (actions.some((a) => actionMatches(a, 'iam:PassRole'))) {
          for (const resource of resources) {
            if (resource === undefined || (resource.includes('<unresolved>') && !BOUNDED_PASSABLE.some((p) => resource.includes(p)))) {
              findings.push({ ...at, severity: 'unresolved', message: `agent role ${role.constructPath} may pass a role that cannot be resolved offline` });
            } else if (!BOUNDED_PASSABLE.some((p) => resource.includes(p))) {
              findings.push({ ...at, severity: 'error', message: `agent role ${role.constructPath} may pass ${resource}, which is not a bounded role` });
            }
          }
        }
        const broad = actions.filter(isBroad);
        if (broad.length > 0 && resources.includes('*')) {
          findings.push({ ...at, severity: 'error', message: `agent role ${role.constructPath} is granted ${broad.join(', ')} on "*"` });
        }
      }
    }
    return findings;
  },
};
