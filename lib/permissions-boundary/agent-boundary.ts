import { Annotations, Aspects, AspectPriority, CfnResource, IAspect, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { AgentPermissionsBoundary } from './agent-permissions-boundary';
import { GuardrailPaths } from '../guardrail-paths';
import { renderedProperties } from '../private/render';
import { ProductionProtection } from '../production-protection/production-protection';

/** Options for `AgentBoundary.apply`. */
export interface AgentBoundaryOptions {
  /**
   * Keep the IAM paths of roles and managed policies instead of moving them under
   * `/agent-workload/`. Agents can only pass roles, and edit or delete managed policies, under
   * that path, so an agent that deploys this scope could not pass roles that keep another path.
   * Changing a path replaces the role or policy.
   *
   * @default false
   */
  readonly keepRolePaths?: boolean;
}

/**
 * Applies the workload boundary to every IAM role and user in a scope, L1 and raw `CfnResource`
 * included, so that whatever an agent deploys, passes or reaches there is bounded too. Roles are moved under
 * `/agent-workload/` so that agents may pass them. Roles in stacks with `ProductionProtection` are
 * left alone: agents cannot reach them, and bounding production workloads would deny them their
 * own data.
 *
 * Every role under a guardrail path anywhere in the app is also checked at synth (by the
 * boundary itself): one that does not carry its guardrail policy fails synthesis.
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

  /** Applies the workload boundary of `boundary` to every role and user in the scope. */
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
    // Raw CfnResource roles too: CDK's custom-resource providers (autoDeleteObjects, the VPC's
    // restrictDefaultSecurityGroup) create their roles that way.
    if (!CfnResource.isCfnResource(node) || ProductionProtection.isProtected(Stack.of(node))) {
      return;
    }
    if (node.cfnResourceType === 'AWS::IAM::ManagedPolicy') {
      // Agents edit and delete managed policies only under the workload path: one elsewhere may
      // be an administrator's.
      this.moveToWorkloadPath(node, node instanceof iam.CfnManagedPolicy ? node.path : renderedProperties(node).Path);
      return;
    }
    if (!PRINCIPAL_TYPES.has(node.cfnResourceType)) {
      return;
    }
    const boundaryArn = this.boundary.workloadArnFor(node);
    const isRole = node.cfnResourceType === 'AWS::IAM::Role';
    const typed = node instanceof iam.CfnRole || node instanceof iam.CfnUser;
    if (typed) {
      node.permissionsBoundary = boundaryArn;
    } else {
      node.addPropertyOverride('PermissionsBoundary', boundaryArn);
    }

    const path = node instanceof iam.CfnRole || node instanceof iam.CfnUser ? node.path : renderedProperties(node).Path;
    if (Token.isUnresolved(path)) {
      Annotations.of(node).addWarningV2(
        'cdk-agent-guardrails:unresolvedRolePath',
        'the IAM path of this principal is unresolved; agents can pass only roles under /agent-workload/',
      );
    } else if (isRole && (typeof path !== 'string' || (!path.startsWith(GuardrailPaths.ROOT) && !path.startsWith(GuardrailPaths.WORKLOAD)))) {
      if (this.options.keepRolePaths && path !== undefined && path !== '/') {
        Annotations.of(node).addWarningV2(
          'cdk-agent-guardrails:rolePathKept',
          `role path ${path} is kept (keepRolePaths); agents cannot pass this role to a service`,
        );
      } else if (!this.options.keepRolePaths) {
        this.moveToWorkloadPath(node, path);
      }
    }
  }

  private moveToWorkloadPath(node: CfnResource, path: unknown): void {
    if (this.options.keepRolePaths || Token.isUnresolved(path) || (typeof path === 'string' && path.startsWith(GuardrailPaths.WORKLOAD))) {
      return;
    }
    if (node instanceof iam.CfnRole || node instanceof iam.CfnManagedPolicy) {
      node.path = GuardrailPaths.WORKLOAD;
    } else {
      node.addPropertyOverride('Path', GuardrailPaths.WORKLOAD);
    }
  }
}

const PRINCIPAL_TYPES = new Set(['AWS::IAM::Role', 'AWS::IAM::User']);
