/*
 * Review rules over trust policies: agent roles trust only their launcher, with the agent's source
 * identity; elevated roles trust only the approval workflow.
 */
import { GuardrailPaths } from '../../guardrail-paths';
import { toArray } from '../../private/arrays';
import { AssemblyResource, AssemblyStack } from '../assembly';
import { agentTrustProblems, describeAgentTrustProblem } from '../../agent-roles/agent-trust';
import { Finding, Rule } from './rule';
import { workflowFunctions } from './template-rules';

/** Logical ids of the execution roles of the approval workflow's functions in `stack`. */
function workflowRoles(stack: AssemblyStack): Set<string> {
  return new Set(
    workflowFunctions(stack)
      .map((fn) => fn.properties.Role?.['Fn::GetAtt']?.[0])
      .filter((id): id is string => typeof id === 'string'),
  );
}

/** Elevated roles trust only the approval workflow's functions, and nothing else. */
export const ELEVATED_TRUST: Rule = {
  id: 'AGR-ELEVATED-TRUST',
  title: 'Elevated roles trust only the approval workflow',
  why: 'An elevated role that someone else can assume skips the two-person rule: its sessions are issued without any approval.',
  fix: 'Create elevated roles with TwoPersonApproval.addElevatedRole and do not add principals to their trust policy.',
  acknowledgeable: false,
  check(assembly) {
    const findings: Finding[] = [];
    for (const stack of assembly.stacks) {
      const trusted = workflowRoles(stack);
      const elevated = stack.resources.filter((r) => r.type === 'AWS::IAM::Role' && typeof r.properties.Path === 'string' && r.properties.Path.startsWith(GuardrailPaths.ELEVATED_ROLES));
      for (const role of elevated) {
        const at = (severity: Finding['severity'], message: string): Finding => ({ ruleId: this.id, severity, message, stackName: stack.stackName, constructPath: role.constructPath, logicalId: role.logicalId });
        for (const statement of toArray<any>(role.properties.AssumeRolePolicyDocument?.Statement)) {
          if (statement?.Effect !== 'Allow') continue;
          findings.push(...principalFindings(statement, trusted, at));
        }
      }
    }
    return findings;
  },
};

function principalFindings(statement: any, trusted: Set<string>, at: (severity: Finding['severity'], message: string) => Finding): Finding[] {
  if (statement.NotPrincipal !== undefined) {
    return [at('error', 'the elevated role trusts everyone but a NotPrincipal list')];
  }
  const principal = statement.Principal;
  if (principal === '*' || typeof principal !== 'object' || principal === null) {
    return [at('error', `the elevated role trusts ${JSON.stringify(principal)}`)];
  }
  const found: Finding[] = [];
  for (const [kind, values] of Object.entries(principal)) {
    if (kind !== 'AWS') {
      found.push(at('error', `the elevated role trusts ${kind} principals (${toArray(values).map((v) => JSON.stringify(v)).join(', ')})`));
      continue;
    }
    for (const value of toArray(values)) {
      const id = (value as AssemblyResource['properties'])?.['Fn::GetAtt']?.[0];
      if (typeof id === 'string' && trusted.has(id)) continue;
      if (typeof value === 'string') {
        found.push(at('error', `the elevated role trusts ${value}, which is not the approval workflow`));
      } else if (typeof id === 'string') {
        found.push(at('error', `the elevated role trusts ${id}, which is not a role of the approval workflow`));
      } else {
        found.push(at('unresolved', `the elevated role trusts a principal that cannot be resolved offline (${JSON.stringify(value)})`));
      }
    }
  }
  return found;
}

/** Agent roles trust only launchers, never humans or everyone, and require the agent's source identity. */
export const AGENT_TRUST: Rule = {
  id: 'AGR-AGENT-TRUST',
  title: 'Agent roles trust only their launcher, with the agent\'s source identity',
  why: 'An agent role a human or everyone can assume, or whose sessions need no source identity, gives an agent a human\'s reach or hides who acted in CloudTrail.',
  fix: 'Create agent roles with AgentRole, with the launcher role or CI\'s OIDC provider as assumedBy, and add no principals to their trust policy.',
  acknowledgeable: false,
  check(assembly) {
    const findings: Finding[] = [];
    for (const stack of assembly.stacks) {
      for (const role of stack.resources.filter((r) => r.type === 'AWS::IAM::Role' && r.properties.Path === GuardrailPaths.AGENT_ROLES)) {
        const agentName = typeof role.properties.RoleName === 'string' ? role.properties.RoleName : undefined;
        for (const problem of agentTrustProblems(role.properties.AssumeRolePolicyDocument, agentName)) {
          findings.push({
            ruleId: this.id,
            severity: problem.code === 'unresolved-principal' ? 'unresolved' : 'error',
            message: `the agent role's ${describeAgentTrustProblem(problem, agentName)}`,
            stackName: stack.stackName,
            constructPath: role.constructPath,
            logicalId: role.logicalId,
          });
        }
      }
    }
    return findings;
  },
};
