/*
 * Review rule: every elevated role that allows break-glass, read from the approval workflow's
 * deployed configuration. A pure function of the assembly model.
 */
import { AssemblyStack } from '../assembly';
import { Finding, Rule } from './rule';
import { readConfig, workflowFunctions } from './template-rules';

/** Reports every elevated role with break-glass: one approver alone can issue it. */
export const BREAK_GLASS: Rule = {
  id: 'AGR-BREAK-GLASS',
  title: 'Break-glass lets one approver issue an elevated session alone',
  why: 'A break-glass session has no second approval: one approver, or whoever holds their credentials, gets the role at once, with every permission of it when no change set is named.',
  fix: 'Keep breakGlass only on roles an incident needs, with a short maxSessionDuration, a tight rateLimit and a securityTopic someone watches; remove it when it is not needed.',
  // A warning never fails a build, so there is nothing to acknowledge: every review shows it.
  acknowledgeable: false,
  check(assembly) {
    return assembly.stacks.flatMap((stack) => workflowsOf(stack).flatMap(({ path, fn }) => {
      const at = (severity: Finding['severity'], message: string, resource = fn): Finding => ({
        ruleId: this.id,
        severity,
        message,
        stackName: stack.stackName,
        constructPath: resource.constructPath,
        logicalId: resource.logicalId,
      });
      const config = readConfig(fn.properties.Environment.Variables.AGENT_GUARDRAILS_CONFIG);
      if (!config || typeof config.roles !== 'object' || config.roles === null) {
        return [at('unresolved', `whether the workflow at ${path} allows break-glass cannot be read offline`)];
      }
      return Object.entries<any>(config.roles)
        .filter(([, role]) => role?.breakGlass)
        .map(([name, role]) => {
          const { maxSessionSeconds, rateLimit } = role.breakGlass;
          const roleName = typeof role.arn === 'string' ? role.arn.split('/').pop() : undefined;
          const resource = stack.resources.find((r) => r.type === 'AWS::IAM::Role' && r.properties.RoleName === roleName) ?? fn;
          return at(
            'warning',
            `break-glass is enabled for elevated role "${name}" of the workflow at ${path}: one approver alone can issue a session of up to ${Math.round(maxSessionSeconds / 60)} minutes, ${rateLimit?.count} per ${Math.round((rateLimit?.perSeconds ?? 0) / 3600)} hours`,
            resource,
          );
        });
    }));
  },
};

/** One function per approval workflow in `stack` (all three carry the same configuration), with the workflow's construct path. */
function workflowsOf(stack: AssemblyStack) {
  const byWorkflow = new Map<string, ReturnType<typeof workflowFunctions>[number]>();
  for (const fn of workflowFunctions(stack)) {
    const path = fn.constructPath.split('/').slice(0, -2).join('/') || fn.constructPath;
    if (!byWorkflow.has(path)) byWorkflow.set(path, fn);
  }
  return [...byWorkflow].map(([path, fn]) => ({ path, fn }));
}
