/*
 * Review rules decided by the effective-permission sweep: the guardrail policies alone leave
 * production read-only (by tag and by name) to a principal granted every permission; no agent or
 * service role, through its own policies and its guardrails, can change production; and every
 * exception a platform team made is reported. Pure: they read the assembly and the sweep.
 */
import { actionMatches } from '../policy-evaluator';
import { AssemblyModel } from '../assembly';
import { AssemblySweep, guardrailPolicies, PrincipalSweep, ProductionException, productionExceptions, sweepAssembly } from '../sweep/assembly-sweep';
import { productionTagSpec } from '../sweep/production';
import { AllowedChange } from '../sweep/sweep';
import { ProductionRuleOptions } from './template-rules';
import { Finding, Rule } from './rule';

const LISTED = 5;

function listActions(actions: string[]): string {
  const unique = [...new Set(actions)].sort();
  return unique.length <= LISTED ? unique.join(', ') : `${unique.slice(0, LISTED).join(', ')} and ${unique.length - LISTED} more`;
}

/** The exception that allows `action`, if any. */
function exceptionFor(action: string, exceptions: readonly ProductionException[]): ProductionException | undefined {
  return exceptions.find((e) => e.actions.some((pattern) => actionMatches(pattern, action)));
}

/**
 * One finding per principal, production resource and scenario, listing the actions. Changes a
 * production exception allows are warnings that name it; every other change is an error.
 */
function allowedFindings(rule: Rule, sweeps: readonly PrincipalSweep[], describe: (s: PrincipalSweep) => string): Finding[] {
  const findings: Finding[] = [];
  for (const s of sweeps) {
    const groups = new Map<string, AllowedChange[]>();
    for (const a of s.result.allowed) {
      const exception = exceptionFor(a.action, s.exceptions);
      const key = `${a.resource.constructPath}\u0000${a.scenario}\u0000${exception?.reason ?? ''}`;
      groups.set(key, [...(groups.get(key) ?? []), a]);
    }
    for (const group of groups.values()) {
      const { resource, scenario, action } = group[0];
      const exception = exceptionFor(action, s.exceptions);
      const conditional = group.every((a) => (a.decision.dependsOn ?? []).length > 0);
      const what = resource.logicalId ? `production resource ${resource.constructPath} (${resource.cfnType})` : `production stack ${resource.stackName}`;
      const actions = listActions(group.map((a) => a.action));
      findings.push({
        ruleId: rule.id,
        severity: exception ? 'warning' : 'error',
        message: exception
          ? `${describe(s)} allows ${actions} on ${what} by the production exception "${exception.reason}"`
          : `${describe(s)} still allows ${actions} on ${what}, ${scenario}${conditional ? ', in requests the caller can shape' : ''}`,
        stackName: s.stack.stackName,
        constructPath: s.resource.constructPath,
        logicalId: s.resource.logicalId,
      });
    }
  }
  return findings;
}

const describeGuardrail = (s: PrincipalSweep) =>
  s.guardrail === 'workload-boundary' ? 'the workload boundary, for a workload granted every permission,' : 'the agent boundary and denies policy, for an agent granted every permission,';

/** The guardrail policies alone leave production read-only, by tag and by name. */
export function boundaryDeniesDestruction(options: ProductionRuleOptions = {}, sweepOf: (a: AssemblyModel) => AssemblySweep = (a) => sweepAssembly(a, { productionTag: productionTagSpec(options) })): Rule {
  return {
    id: 'AGR-BOUNDARY-DENIES',
    title: 'The guardrail policies leave production read-only, by tag and by name',
    why: 'The guardrail policies are what an agent cannot change: if they let a change through on a production stack or resource, an agent with broad permissions can take production down, or delete and recreate it.',
    fix: 'Keep AgentPermissionsBoundary unmodified and add ProductionProtection to every production stack; for resource types it does not cover, add Deny statements with additionalStatements.',
    acknowledgeable: false,
    check(assembly) {
      const swept = sweepOf(assembly);
      const findings = allowedFindings(this, swept.boundaries, describeGuardrail);
      for (const r of swept.inventory.notSwept) {
        findings.push({
          ruleId: this.id,
          severity: 'unresolved',
          message: `${r.cfnType} is a production resource${r.stateful ? ' that holds data' : ''} whose IAM resource type is unknown, so whether the guardrails protect it cannot be decided offline`,
          stackName: r.stackName,
          constructPath: r.constructPath,
          logicalId: r.logicalId,
        });
      }
      return findings;
    },
  };
}

/** No agent or service role can change production. */
export function effectivePermissions(options: ProductionRuleOptions = {}, sweepOf: (a: AssemblyModel) => AssemblySweep = (a) => sweepAssembly(a, { productionTag: productionTagSpec(options) })): Rule {
  return {
    id: 'AGR-EFFECTIVE-PERMISSIONS',
    title: 'No agent role can change, delete, recreate or untag production',
    why: "What counts is what a session can actually do: the sweep tries every IAM action on every production stack and resource through the role's own policies and its guardrails.",
    fix: 'Attach the guardrails to the role (AgentRole, AgentDeployRole, AgentBoundary.of) and remove the grants the finding names.',
    acknowledgeable: false,
    check(assembly) {
      return allowedFindings(this, sweepOf(assembly).roles, (s) => `${s.kind} role ${s.resource.constructPath}`);
    },
  };
}

/** Every production exception of every agent boundary, as a warning naming it. */
export const PRODUCTION_EXCEPTIONS: Rule = {
  id: 'AGR-PROD-EXCEPTIONS',
  title: 'Every exception to read-only production is named',
  why: 'An exception lets every agent under the boundary change production without two humans; reviewers must see each one and its reason.',
  fix: 'Remove the exception from allowProductionActions, or keep it if its reason still holds.',
  acknowledgeable: false,
  check(assembly) {
    return guardrailPolicies(assembly)
      .filter((p) => p.kind === 'agent-boundary')
      .flatMap(({ stack, resource }) =>
        productionExceptions(resource).map((e) => ({
          ruleId: PRODUCTION_EXCEPTIONS.id,
          severity: 'warning' as const,
          message: `agents may ${e.actions.join(', ')} on production (allowProductionActions): "${e.reason}"`,
          stackName: stack.stackName,
          constructPath: resource.constructPath,
          logicalId: resource.logicalId,
        })),
      );
  },
};
