/*
 * Review rules decided by the effective-permission sweep: the boundary alone denies every
 * destructive action on production, by tag and by name; and no agent or service role, through
 * its own policies and its boundary, can do anything destructive to production.
 */
import { AssemblyModel } from '../assembly';
import { AssemblySweep, PrincipalSweep, sweepAssembly } from '../sweep/assembly-sweep';
import { productionTagSpec } from '../sweep/production';
import { AllowedDestructive } from '../sweep/sweep';
import { ProductionRuleOptions } from './template-rules';
import { Finding, Rule } from './rule';

const LISTED = 5;

function listActions(actions: string[]): string {
  const unique = [...new Set(actions)].sort();
  return unique.length <= LISTED ? unique.join(', ') : `${unique.slice(0, LISTED).join(', ')} and ${unique.length - LISTED} more`;
}

/** One finding per principal, production resource and scenario, listing the actions. */
function allowedFindings(rule: Rule, sweeps: readonly PrincipalSweep[], describe: (s: PrincipalSweep) => string): Finding[] {
  const findings: Finding[] = [];
  for (const s of sweeps) {
    const groups = new Map<string, AllowedDestructive[]>();
    for (const a of s.result.allowed) {
      const key = `${a.resource.constructPath}\u0000${a.scenario}`;
      groups.set(key, [...(groups.get(key) ?? []), a]);
    }
    for (const group of groups.values()) {
      const { resource, scenario } = group[0];
      const conditional = group.every((a) => (a.decision.dependsOn ?? []).length > 0);
      const what = resource.logicalId ? `production resource ${resource.constructPath} (${resource.cfnType})` : `production stack ${resource.stackName}`;
      findings.push({
        ruleId: rule.id,
        severity: 'error',
        message: `${describe(s)} still allows ${listActions(group.map((a) => a.action))} on ${what}, ${scenario}${conditional ? ', in requests the caller can shape' : ''}`,
        stackName: s.stack.stackName,
        constructPath: s.resource.constructPath,
        logicalId: s.resource.logicalId,
      });
    }
  }
  return findings;
}

/** The boundary denies every destructive action on production, by tag and by name. */
export function boundaryDeniesDestruction(options: ProductionRuleOptions = {}, sweepOf: (a: AssemblyModel) => AssemblySweep = (a) => sweepAssembly(a, { productionTag: productionTagSpec(options) })): Rule {
  return {
    id: 'AGR-BOUNDARY-DENIES',
    title: 'The boundary denies every destructive action on production, by tag and by name',
    why: 'The boundary is the one thing an agent cannot change: if it lets a destructive action through on a production stack or resource, an agent with broad permissions can delete or recreate production.',
    fix: 'Keep AgentPermissionsBoundary unmodified and add ProductionProtection to every production stack; for resource types it does not cover, add Deny statements with additionalStatements.',
    acknowledgeable: false,
    check(assembly) {
      const swept = sweepOf(assembly);
      const findings = allowedFindings(this, swept.boundaries, () => 'the boundary, for an agent granted every permission,');
      for (const r of swept.inventory.notSwept) {
        findings.push({
          ruleId: this.id,
          severity: 'unresolved',
          message: `${r.cfnType} is a production resource${r.stateful ? ' that holds data' : ''} whose IAM resource type is unknown, so whether the boundary protects it cannot be decided offline`,
          stackName: r.stackName,
          constructPath: r.constructPath,
          logicalId: r.logicalId,
        });
      }
      return findings;
    },
  };
}

/** No agent or service role can do anything destructive to production. */
export function effectivePermissions(options: ProductionRuleOptions = {}, sweepOf: (a: AssemblyModel) => AssemblySweep = (a) => sweepAssembly(a, { productionTag: productionTagSpec(options) })): Rule {
  return {
    id: 'AGR-EFFECTIVE-PERMISSIONS',
    title: 'No agent role can delete, recreate or untag production',
    why: 'What counts is what a session can actually do: the sweep tries every IAM action on every production stack and resource through the role\'s own policies and its boundary.',
    fix: 'Attach the agent boundary to the role (AgentRole, AgentDeployRole, AgentBoundary.of) and remove the grants the finding names.',
    acknowledgeable: false,
    check(assembly) {
      return allowedFindings(this, sweepOf(assembly).roles, (s) => `${s.kind} role ${s.resource.constructPath}`);
    },
  };
}
