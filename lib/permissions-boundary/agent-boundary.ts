import { Annotations, Aspects, AspectPriority, IAspect, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { AgentPermissionsBoundary, isBoundaryArn } from './agent-permissions-boundary';
import { GuardrailPaths } from '../guardrail-paths';
import { renderedProperties } from '../private/render';
import { ProductionProtection } from '../production-protection/production-protection';

/** Options for `AgentBoundary.apply`. */
export interface AgentBoundaryOptions {
  /**
   * Keep the IAM paths of roles instead of moving them under `/agent-workload/`. Agents can only
   * pass roles under that path (or guardrail service roles), so an agent that deploys this scope
   * could not pass roles that keep another path. Changing a role's path replaces the role.
   *
   * @default false
   */
  readonly keepRolePaths?: boolean;
}

/**
 * Applies the agent permissions boundary to every IAM role and user in a scope, L1 included, so
 * that whatever an agent deploys, passes or reaches there is bounded too. Roles are moved under
 * `/agent-workload/` so that agents may pass them. Roles in stacks with `ProductionProtection` are
 * left alone: agents cannot reach them, and bounding production workloads would deny them their
 * own data.
 *
 * Every role under a guardrail path is also checked at synth: one that does not carry the
 * boundary fails synthesis.
 *
 * @example
 * AgentBoundary.of(devStack).apply(boundary);
 */
export class AgentBoundary {
  /** The agent boundary of a construct tree. */
  public static of(scope: IConstruct): AgentBoundary {
    return new AgentBoundary(scope);
  }

  private constructor(private readonly scope: IConstruct) {}

  /** Applies `boundary` to every role and user in the scope. */
  public apply(boundary: AgentPermissionsBoundary, options: AgentBoundaryOptions = {}): void {
    Aspects.of(this.scope).add(new ApplyAgentBoundary(boundary, options), { priority: AspectPriority.MUTATING });
  }
}

class ApplyAgentBoundary implements IAspect {
  constructor(
    private readonly boundary: AgentPermissionsBoundary,
    private readonly options: AgentBoundaryOptions,
  ) {}

  public visit(node: IConstruct): void {
    if (!(node instanceof iam.CfnRole) && !(node instanceof iam.CfnUser)) {
      return;
    }
    if (ProductionProtection.isProtected(Stack.of(node))) {
      return;
    }
    node.permissionsBoundary = this.boundary.arnFor(node);

    const path = node.path;
    if (Token.isUnresolved(path)) {
      Annotations.of(node).addWarningV2(
        'cdk-agent-guardrails:unresolvedRolePath',
        'the IAM path of this principal is unresolved; agents can pass only roles under /agent-workload/',
      );
    } else if (node instanceof iam.CfnRole && !path?.startsWith(GuardrailPaths.ROOT) && !path?.startsWith(GuardrailPaths.WORKLOAD)) {
      if (this.options.keepRolePaths && path !== undefined && path !== '/') {
        Annotations.of(node).addWarningV2(
          'cdk-agent-guardrails:rolePathKept',
          `role path ${path} is kept (keepRolePaths); agents cannot pass this role to a service`,
        );
      } else if (!this.options.keepRolePaths) {
        node.path = GuardrailPaths.WORKLOAD;
      }
    }
    requireBoundaryUnderGuardrailPaths(node, this.boundary);
  }
}

/**
 * Adds a synth-time check to a role or user: if it lives under a guardrail path, it must carry
 * `boundary`. Registered once per node.
 */
export function requireBoundaryUnderGuardrailPaths(node: iam.CfnRole | iam.CfnUser, boundary: AgentPermissionsBoundary): void {
  const marker = Symbol.for(`cdk-agent-guardrails.boundaryCheck.${boundary.node.addr}`);
  if ((node as any)[marker]) {
    return;
  }
  Object.defineProperty(node, marker, { value: true });
  node.node.addValidation({
    validate: () => {
      const rendered = renderedProperties(node);
      const path = rendered.Path;
      const guarded =
        typeof path === 'string' && (path.startsWith(GuardrailPaths.ROOT) || path.startsWith(GuardrailPaths.WORKLOAD));
      if (guarded && !isBoundaryArn(node, rendered.PermissionsBoundary, boundary)) {
        return [
          `${node.cfnResourceType} at ${node.node.path} lives under ${path} but does not carry the agent permissions boundary ${boundary.node.path}; ` +
            'remove whatever replaced or cleared its boundary (for example PermissionsBoundary.of(...).apply or .clear())',
        ];
      }
      return [];
    },
  });
}
