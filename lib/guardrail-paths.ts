/**
 * IAM paths that the guardrails reserve. A path is part of a role's or policy's ARN and cannot be
 * changed after creation, so the permissions boundary can tell guardrail-owned principals from every
 * other principal by ARN alone, with no condition key that an action might not support.
 *
 * Only principals that carry the agent permissions boundary may live under these paths.
 */
export class GuardrailPaths {
  /** Everything the guardrails own: the boundary policy and the roles below. Agents cannot change it. */
  public static readonly ROOT = '/agent-guardrails/';

  /** Agent roles. The only roles an agent session may assume. */
  public static readonly AGENT_ROLES = '/agent-guardrails/agent/';

  /** Bounded service roles created by the guardrails (CloudFormation deploy roles). Agents may pass them. */
  public static readonly SERVICE_ROLES = '/agent-guardrails/service/';

  /**
   * Elevated roles of the two-person approval workflow. They trust only its issuing function;
   * agents may neither assume nor pass them.
   */
  public static readonly ELEVATED_ROLES = '/agent-guardrails/elevated/';

  /**
   * Roles and managed policies that agents create for their workloads. Agents may pass these roles
   * and edit these policies; every role here must carry the agent boundary (agents cannot create one
   * without it, and `AgentBoundary.of(scope)` puts roles in a scope here).
   */
  public static readonly WORKLOAD = '/agent-workload/';

  private constructor() {}
}
