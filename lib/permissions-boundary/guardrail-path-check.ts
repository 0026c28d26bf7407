/*
 * The synth-time check that every role and user under a guardrail path carries the guardrail
 * policy of that path, however it was created (L2, L1, raw CfnResource, overrides).
 */
import { CfnResource, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { GuardrailPaths } from '../guardrail-paths';
import { mustCarryGuardrailPolicy } from '../private/guardrail-path';
import { renderedProperties, renderedPropertiesOf } from '../private/render';
import { tokenPattern } from '../private/tokens';
import type { AgentPermissionsBoundary } from './agent-permissions-boundary';

/** Which of the four guardrail policies: the agent boundary, the two agent deny policies, the workload boundary. */
export type AgentGuardrailPolicy = 'agent' | 'denies' | 'services' | 'workload';

/**
 * Roles and users under a guardrail path anywhere in the app, L1 and raw `CfnResource` included,
 * must carry the guardrail policy for that path: agent roles the agent boundary and both denies
 * policies; deploy roles, workload roles and users the workload boundary. Elevated roles are the
 * approval workflow's and carry none.
 */
export function guardrailPathProblems(boundary: AgentPermissionsBoundary, boundaries: readonly AgentPermissionsBoundary[]): string[] {
  const all = boundary.node.root.node.findAll();
  // With several guardrails in one app (one per account), a principal needs to satisfy one of
  // them, and the first reports it.
  if (boundaries[0] !== boundary) {
    return [];
  }
  const problems: string[] = [];
  for (const node of all) {
    if (!CfnResource.isCfnResource(node) || (node.cfnResourceType !== 'AWS::IAM::Role' && node.cfnResourceType !== 'AWS::IAM::User')) {
      continue;
    }
    // One not under a guardrail path has nothing to carry: only its path is read.
    if (!underGuardrailPath(renderedPropertiesOf(node, ['Path']).Path)) {
      continue;
    }
    const found = boundaries.map((b) => principalPathProblems(node, b));
    if (found.every((p) => p.length > 0)) {
      problems.push(...found[0]);
    }
  }
  return problems;
}

/** Why `node`, a role or user, does not carry what its guardrail path requires; empty when it does. */
export function principalPathProblems(node: CfnResource, boundary: AgentPermissionsBoundary): string[] {
  const rendered = renderedProperties(node);
  const path = rendered.Path;
  if (!underGuardrailPath(path)) {
    return [];
  }
  const agent = path.startsWith(GuardrailPaths.AGENT_ROLES);
  const expected = agent ? boundary.managedPolicyName : boundary.workloadPolicyName;
  const problems: string[] = [];
  if (!isPolicyArn(node, rendered.PermissionsBoundary, boundary, agent ? 'agent' : 'workload')) {
    problems.push(
      `${node.cfnResourceType} at ${node.node.path} lives under ${path} but does not carry the guardrail boundary ${expected} of ${boundary.node.path}; ` +
        (agent ? 'create agent roles with AgentRole' : 'apply it with AgentBoundary.of(scope).apply(boundary)') +
        ', and remove whatever replaced or cleared it (for example PermissionsBoundary.of(...).apply or .clear())',
    );
  }
  for (const kind of agent ? (['denies', 'services'] as const) : []) {
    if (!((rendered.ManagedPolicyArns as unknown[] | undefined) ?? []).some((arn) => isPolicyArn(node, arn, boundary, kind))) {
      problems.push(
        `${node.cfnResourceType} at ${node.node.path} is an agent role without the agent deny policy ${boundary.policyName(kind)}; create agent roles with AgentRole and do not remove its managed policies`,
      );
    }
  }
  return problems;
}

/** Whether `path`, a rendered and resolved IAM path, is one whose principals must carry a guardrail policy. */
function underGuardrailPath(path: unknown): path is string {
  return typeof path === 'string' && mustCarryGuardrailPolicy(path);
}

/**
 * Tells whether `arn`, a rendered and resolved property of a resource in `node`'s stack, names the
 * guardrail policy `kind` of `boundary`: its own reference, or any ARN ending in its path and name.
 */
export function isPolicyArn(node: IConstruct, arn: unknown, boundary: AgentPermissionsBoundary, kind: AgentGuardrailPolicy = 'agent'): boolean {
  if (arn === undefined) {
    return false;
  }
  const stack = Stack.of(node);
  const ref = { agent: boundary.managedPolicy, denies: boundary.denyPolicy, services: boundary.serviceDenyPolicy, workload: boundary.workloadPolicy }[kind].managedPolicyArn;
  if (JSON.stringify(arn) === JSON.stringify(stack.resolve(ref))) {
    return true;
  }
  return tokenPattern(stack, arn).endsWith(`:policy${GuardrailPaths.ROOT}${boundary.policyName(kind)}`);
}
