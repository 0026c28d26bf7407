/*
 * Review rules that read templates: agent sessions, boundaries on guardrail roles, production
 * stack protection, and the two-person rule. Each is a pure function of the assembly model.
 */
import { GuardrailPaths } from '../../guardrail-paths';
import { mustCarryGuardrailPolicy } from '../../private/guardrail-path';
import { isJoinOrString, renderIntrinsic } from '../../private/intrinsics';
import { STACK_POLICY_BODY_PROPERTY, STACK_POLICY_RESOURCE_TYPE } from '../../production-protection/stack-policy-handler';
import { STATEFUL_RESOURCE_TYPES } from '../../production-protection/stateful-resource-types';
import { AssemblyModel, AssemblyResource, AssemblyStack } from '../assembly';
import { wildcardMatches } from '../policy-evaluator';
import { isProductionStack, productionTagSpec } from '../sweep/production';
import { toArray } from '../../private/arrays';
import { GuardrailPolicy, GuardrailPolicyKind, guardrailPolicies, guardrailPolicyKindByName } from '../sweep/assembly-sweep';
import { NO_BROAD_GRANTS } from './grant-rules';
import { Finding, isLiteral, Rule, Severity } from './rule';

function finding(rule: Rule, stack: AssemblyStack, resource: AssemblyResource | undefined, severity: Severity, message: string): Finding {
  return { ruleId: rule.id, severity, message, stackName: stack.stackName, constructPath: resource?.constructPath ?? stack.stackName, logicalId: resource?.logicalId };
}

const UNRESOLVED = 'unresolved';

const roles = (stack: AssemblyStack) => stack.resources.filter((r) => r.type === 'AWS::IAM::Role');
const pathOf = (role: AssemblyResource): unknown => role.properties.Path ?? '/';

/** Agent sessions last at most one hour. */
export const AGENT_SESSION_LENGTH: Rule = {
  id: 'AGR-SESSION-1H',
  title: 'Agent sessions last at most one hour',
  why: 'A short session bounds what a compromised or confused agent can do before it must start again, attributed anew.',
  fix: 'Use AgentRole, whose sessions last one hour; do not raise MaxSessionDuration on agent roles.',
  acknowledgeable: true,
  check(assembly) {
    return assembly.stacks.flatMap((stack) =>
      roles(stack)
        .filter((role) => pathOf(role) === GuardrailPaths.AGENT_ROLES)
        .flatMap((role) => {
          const max = role.properties.MaxSessionDuration ?? 3600;
          if (!isLiteral(max)) {
            return [finding(this, stack, role, 'unresolved', 'the agent role\'s MaxSessionDuration cannot be read offline')];
          }
          return Number(max) > 3600 ? [finding(this, stack, role, 'error', `the agent role allows ${max}-second sessions; at most 3600`)] : [];
        }),
    );
  },
};

/**
 * Every role under a guardrail path carries the guardrail policy of that path: agent roles the
 * agent boundary and both agent deny policies; deploy and workload roles the workload boundary.
 */
export const GUARDRAIL_ROLES_BOUNDED: Rule = {
  id: 'AGR-BOUNDARY-ATTACHED',
  title: 'Every role an agent can reach carries its guardrail policies',
  why: 'A role without them is a way out of the guardrail: an agent that can assume or pass it acts without it; a workload role with the agent boundary reads production.',
  fix: 'Create agent roles with AgentRole and deploy roles with AgentDeployRole, and apply AgentBoundary.of(scope) to the stacks agents deploy.',
  acknowledgeable: false,
  check(assembly) {
    const policies = guardrailPolicies(assembly);
    return assembly.stacks.flatMap((stack) =>
      roles(stack).flatMap((role) => {
        const rolePath = pathOf(role);
        if (!isLiteral(rolePath)) {
          return [finding(this, stack, role, 'unresolved', 'the role\'s path cannot be read offline, so whether agents can reach it is unknown')];
        }
        if (!mustCarryGuardrailPolicy(String(rolePath))) {
          return [];
        }
        const agent = String(rolePath).startsWith(GuardrailPaths.AGENT_ROLES);
        const expected: GuardrailPolicyKind = agent ? 'agent-boundary' : 'workload-boundary';
        const found: Finding[] = [];
        const verdict = policyVerdict(policies, stack, role.properties.PermissionsBoundary);
        if (verdict === 'missing') {
          found.push(finding(this, stack, role, 'error', `the role under ${rolePath} has no permissions boundary`));
        } else if (verdict === 'unresolved') {
          found.push(finding(this, stack, role, 'unresolved', 'the role\'s boundary cannot be resolved offline'));
        } else if (verdict !== expected) {
          const what = verdict === 'other' ? 'another boundary' : `the ${verdict.replace('-', ' ')}`;
          found.push(finding(this, stack, role, 'error', `the role under ${rolePath} carries ${what}, not the ${expected.replace('-', ' ')}`));
        }
        if (agent) {
          const attached = (toArray(role.properties.ManagedPolicyArns) as unknown[]).map((arn) => policyVerdict(policies, stack, arn));
          for (const kind of ['agent-denies', 'agent-services'] as const) {
            if (attached.includes(kind)) continue;
            const what = kind === 'agent-denies' ? 'agent denies policy' : 'agent services deny policy';
            found.push(
              attached.includes('unresolved')
                ? finding(this, stack, role, 'unresolved', `whether the agent role carries the ${what} cannot be resolved offline`)
                : finding(this, stack, role, 'error', `the agent role does not carry the ${what}`),
            );
          }
        }
        return found;
      }),
    );
  },
};

/** Which guardrail policy a template value names, if any. */
function policyVerdict(policies: readonly GuardrailPolicy[], stack: AssemblyStack, value: any): GuardrailPolicyKind | 'missing' | 'other' | 'unresolved' {
  if (value === undefined) {
    return 'missing';
  }
  if (value?.Ref) {
    const policy = stack.resources.find((r) => r.logicalId === value.Ref);
    if (!policy) return 'unresolved';
    return policies.find((p) => p.stack === stack && p.resource === policy)?.kind ?? 'other';
  }
  if (!isJoinOrString(value)) {
    return 'unresolved';
  }
  const arn = renderIntrinsic(value, UNRESOLVED);
  const name = new RegExp(`:policy${GuardrailPaths.ROOT}([^/]+)$`).exec(arn)?.[1];
  if (name !== undefined) {
    const declared = policies.find((p) => p.resource.properties.ManagedPolicyName === name);
    return declared?.kind ?? guardrailPolicyKindByName(name);
  }
  return arn.includes(UNRESOLVED) ? 'unresolved' : 'other';
}

/** Options for the production rules. */
export interface ProductionRuleOptions {
  readonly tagKey?: string;
  readonly tagValues?: readonly string[];
  /**
   * Stacks that must be production, by stack name (`*` wildcards allowed): the review fails when
   * one is missing or does not carry the production tag.
   * @default - none: production is whatever carries the production tag
   */
  readonly productionStacks?: readonly string[];
}

/** Every stack the reviewer names as production is in the assembly and carries the production tag. */
export function productionStacksDeclared(options: ProductionRuleOptions = {}): Rule {
  const tag = productionTagSpec(options);
  return {
    id: 'AGR-PROD-DECLARED',
    title: 'The stacks named as production are production',
    why: 'Removing ProductionProtection, or its tag, from a production stack silently takes it out of every guardrail; naming production stacks to the review catches that.',
    fix: 'Add ProductionProtection to the stack, with the production tag the guardrails use.',
    acknowledgeable: false,
    check(assembly) {
      const findings: Finding[] = [];
      for (const pattern of options.productionStacks ?? []) {
        const roots = assembly.stacks.filter((s) => s.nestedIn === undefined && wildcardMatches(pattern, s.stackName));
        if (roots.length === 0) {
          findings.push({ ruleId: this.id, severity: 'error', message: `no stack of the assembly is named ${JSON.stringify(pattern)}, which must be production`, stackName: pattern, constructPath: pattern });
        }
        for (const stack of roots.filter((s) => !isProductionStack(s, tag))) {
          findings.push(finding(this, stack, undefined, 'error', `stack ${stack.stackName} must be production but does not carry the production tag ${tag.key}=${tag.values.join('|')}`));
        }
      }
      return findings;
    },
  };
}

/** Production stacks have termination protection, a stack policy, and RETAIN on stateful resources. */
export function productionStacksProtected(options: ProductionRuleOptions = {}): Rule {
  const tag = productionTagSpec(options);
  const stateful = new Set(STATEFUL_RESOURCE_TYPES);
  return {
    id: 'AGR-PROD-PROTECTED',
    title: 'Production stacks are protected against deletion and replacement',
    why: 'Termination protection, a stack policy and RETAIN keep a production stack and its data even when someone with the rights to change it makes a mistake.',
    fix: 'Add ProductionProtection to the stack; opt out only with its explicit disable/allow props.',
    acknowledgeable: true,
    check(assembly) {
      return assembly.stacks
        .filter((stack) => isProductionStack(stack, tag))
        .flatMap((stack) => {
          const found: Finding[] = [];
          // A nested stack has its root's termination protection and is updated through its root,
          // whose stack policy is checked: only its stateful resources are checked here.
          const root = stack.nestedIn === undefined;
          if (root && !stack.terminationProtection) {
            found.push(finding(this, stack, undefined, 'error', 'the production stack has no termination protection'));
          }
          const policies = root ? stack.resources.map((r) => stackPolicySet(stack, r)).filter((p) => p !== undefined) : [];
          if (root && !policies.some((p) => p.protects)) {
            const unread = policies.find((p) => !p.protects && p.unresolved);
            found.push(
              unread
                ? finding(this, stack, unread.resource, 'unresolved', 'the stack policy this resource sets cannot be read offline')
                : finding(this, stack, undefined, 'error', 'no stack policy protects the production stack from replacements and deletions'),
            );
          }
          for (const resource of stack.resources.filter((r) => stateful.has(r.type))) {
            if (resource.deletionPolicy !== 'Retain' || resource.updateReplacePolicy !== 'Retain') {
              found.push(finding(this, stack, resource, 'error', `${resource.type} is not retained on deletion and replacement`));
            }
          }
          return found;
        });
    },
  };
}

/** A stack policy a resource sets on its own stack, and whether it denies replacing and deleting. */
interface StackPolicySet {
  readonly resource: AssemblyResource;
  readonly protects: boolean;
  /** The policy could not be read offline. */
  readonly unresolved: boolean;
}

/** Stands for `AWS::StackId` inside a call's text: the stack the resource is in. */
const OWN_STACK = '#own-stack#';

/**
 * The stack policy `resource` sets on its own stack, if it sets one: `ProductionProtection`'s custom
 * resource (its type, served by a function of the same stack, the policy in its
 * `StackPolicyBody`), or an `AwsCustomResource` whose Create and Update call
 * `CloudFormation.SetStackPolicy` on `AWS::StackId`, as earlier versions of `ProductionProtection` made.
 */
function stackPolicySet(stack: AssemblyStack, resource: AssemblyResource): StackPolicySet | undefined {
  if (resource.type === STACK_POLICY_RESOURCE_TYPE) {
    const target = resource.properties.ServiceToken?.['Fn::GetAtt'];
    const served = Array.isArray(target) && target[1] === 'Arn' && stack.resources.some((r) => r.logicalId === target[0] && r.type === 'AWS::Lambda::Function');
    if (!served) return undefined;
    const body = resource.properties[STACK_POLICY_BODY_PROPERTY];
    return typeof body === 'string' ? { resource, protects: deniesReplaceAndDelete(body), unresolved: false } : { resource, protects: false, unresolved: true };
  }
  if (resource.type === 'Custom::AWS') {
    const calls = [resource.properties.Create, resource.properties.Update].map((call) => readSdkCall(call));
    if (!calls.every((c) => c?.service === 'CloudFormation' && c.action === 'SetStackPolicy' && c.parameters?.StackName === OWN_STACK)) {
      return undefined;
    }
    const bodies = calls.map((c) => c!.parameters.StackPolicyBody);
    const unresolved = bodies.some((b) => typeof b !== 'string' || b.includes(UNRESOLVED));
    return { resource, protects: !unresolved && bodies.every((b) => deniesReplaceAndDelete(b)), unresolved };
  }
  return undefined;
}

/** An `AwsCustomResource` call (JSON text, with intrinsics inside), parsed; `AWS::StackId` reads as `OWN_STACK`. */
function readSdkCall(value: unknown): any | undefined {
  if (!isJoinOrString(value)) return undefined;
  try {
    return JSON.parse(renderIntrinsic(value, (intrinsic) => ((intrinsic as { Ref?: unknown }).Ref === 'AWS::StackId' ? OWN_STACK : UNRESOLVED)));
  } catch {
    return undefined;
  }
}

/** Whether the stack policy `body` (JSON text) denies every principal `Update:Replace` and `Update:Delete`. */
function deniesReplaceAndDelete(body: string): boolean {
  let policy: any;
  try {
    policy = JSON.parse(body);
  } catch {
    return false;
  }
  return toArray<any>(policy?.Statement).some((statement) => {
    const actions = toArray<unknown>(statement?.Action).filter((a): a is string => typeof a === 'string');
    const covers = (action: string) => actions.some((pattern) => wildcardMatches(pattern, action));
    return statement?.Effect === 'Deny' && statement.Principal === '*' && statement.NotAction === undefined && covers('Update:Replace') && covers('Update:Delete');
  });
}

/** The approval workflow requires at least two approvals. */
export const TWO_APPROVALS: Rule = {
  id: 'AGR-TWO-APPROVALS',
  title: 'Elevated sessions need at least two approvals',
  why: 'One approval is not a two-person rule: a single human could grant an agent production access.',
  fix: 'Keep TwoPersonApproval.requiredApprovals at 2 or more, with at least as many approvers.',
  acknowledgeable: false,
  check(assembly) {
    return assembly.stacks.flatMap((stack) =>
      workflowFunctions(stack).flatMap((fn) => {
          const config = readConfig(fn.properties.Environment.Variables.AGENT_GUARDRAILS_CONFIG);
          if (!config || typeof config.requiredApprovals !== 'number') {
            return [finding(this, stack, fn, 'unresolved', 'the workflow configuration cannot be read offline')];
          }
          if (config.requiredApprovals < 2) {
            return [finding(this, stack, fn, 'error', `the workflow issues sessions after ${config.requiredApprovals} approval(s); at least 2`)];
          }
          if (!Array.isArray(config.approvers) || config.approvers.length < config.requiredApprovals) {
            return [finding(this, stack, fn, 'error', `the workflow needs ${config.requiredApprovals} approvals but names ${config.approvers?.length ?? 0} approvers`)];
          }
          return [];
        }),
    );
  },
};

/** The approval workflow's functions in `stack`: those that carry its configuration. */
export function workflowFunctions(stack: AssemblyStack): AssemblyResource[] {
  return stack.resources.filter((r) => r.type === 'AWS::Lambda::Function' && r.properties.Environment?.Variables?.AGENT_GUARDRAILS_CONFIG !== undefined);
}

/** The handler configuration, with intrinsics (inside JSON strings) replaced by a placeholder. */
export function readConfig(value: unknown): any | undefined {
  if (!isJoinOrString(value)) {
    return undefined;
  }
  try {
    return JSON.parse(renderIntrinsic(value, UNRESOLVED));
  } catch {
    return undefined;
  }
}

/** The template rules with their defaults. */
export function templateRules(options: ProductionRuleOptions = {}): Rule[] {
  return [GUARDRAIL_ROLES_BOUNDED, AGENT_SESSION_LENGTH, productionStacksProtected(options), TWO_APPROVALS, NO_BROAD_GRANTS];
}

/** Runs `rules` over `assembly`. */
export function review(assembly: AssemblyModel, rules: readonly Rule[]): Finding[] {
  return rules.flatMap((rule) => rule.check(assembly));
}
