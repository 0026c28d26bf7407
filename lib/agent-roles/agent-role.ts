import { Duration, Stack, Tags, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { GuardrailPaths } from '../guardrail-paths';
import { AgentPermissionsBoundary } from '../permissions-boundary/agent-permissions-boundary';
import { renderedProperties } from '../private/render';
import { agentTrustProblems, describeAgentTrustProblem } from './agent-trust';
import { tokenPattern } from '../private/tokens';
import { TASK_TAG_KEY } from '../private/session-names';

/** AWS managed policies that an agent role refuses: each one lets the agent do far more than its job. */
export const REFUSED_AWS_MANAGED_POLICIES: readonly string[] = ['AdministratorAccess', 'IAMFullAccess', 'PowerUserAccess'];

/** Tag key that marks agent roles; its value is `agent`. */
export const AGENT_ROLE_TAG_KEY = 'agent-guardrails:role';

/** Tag key that names the agent a role belongs to. */
export const AGENT_NAME_TAG_KEY = 'agent-guardrails:agent';

/** Properties for `AgentRole`. */
export interface AgentRoleProps {
  /**
   * Name of the agent, for example `coding-agent`. It is the role name (under the path
   * `/agent-guardrails/agent/`) and the source identity every session must carry, so CloudTrail
   * attributes each call to the agent. 2-64 letters, digits and + = , . @ _ -.
   */
  readonly agentName: string;

  /** The agent permissions boundary. It is always attached and cannot be switched off. */
  readonly boundary: AgentPermissionsBoundary;

  /**
   * Who starts agent sessions: a launcher role, a CI role, or an OIDC identity provider. Never a
   * human (IAM users, IAM Identity Center roles, SAML federation), never everyone, and never the
   * account root without a condition. Every assume must set the source identity to `agentName`.
   */
  readonly assumedBy: iam.IPrincipal;

  /**
   * Description of the role.
   *
   * @default - names the agent
   */
  readonly description?: string;
}

/** Options for `AgentRole.grantReadOnly`. */
export interface ReadOnlyOptions {
  /**
   * Also read data (S3 objects, table items, queue messages) with the AWS managed `ReadOnlyAccess`
   * policy, instead of metadata only with `ViewOnlyAccess`.
   *
   * @default false
   */
  readonly includeData?: boolean;
}

/**
 * A dedicated IAM role for one AI agent. It never runs with a human's permissions: it is assumed
 * only by the configured launcher with a source identity naming the agent, its sessions last at
 * most one hour, it always carries the agent boundary and the agent denies policy, and it refuses
 * administrator managed policies. Give it least privilege with `grantReadOnly`, `AgentDeployRole.grantDeploy` or
 * your own statements.
 *
 * @example
 * const agent = new AgentRole(stack, 'CodingAgent', {
 *   agentName: 'coding-agent',
 *   boundary,
 *   assumedBy: new iam.ArnPrincipal(launcherRoleArn),
 * });
 * agent.grantReadOnly();
 */
export class AgentRole extends iam.Role {
  /** Name of the agent; sessions must carry it as their source identity. */
  public readonly agentName: string;

  /** The agent permissions boundary attached to this role. */
  public readonly boundary: AgentPermissionsBoundary;

  constructor(scope: Construct, id: string, props: AgentRoleProps) {
    const trusted = trustedPrincipal(scope, id, props);
    super(scope, id, {
      roleName: props.agentName,
      path: GuardrailPaths.AGENT_ROLES,
      assumedBy: trusted,
      permissionsBoundary: props.boundary.managedPolicy,
      maxSessionDuration: Duration.hours(1),
      description: props.description ?? `AI agent ${props.agentName}: bounded by the agent permissions boundary`,
    });
    this.agentName = props.agentName;
    this.boundary = props.boundary;

    // Setting a source identity needs its own permission in the trust policy. So does tagging the
    // session: the launcher may name the task (the rationale CloudTrail and the audit show) and no
    // other tag, so that session tags cannot claim what attribute-based policies grant on.
    this.assumeRolePolicy!.addStatements(
      new iam.PolicyStatement({ actions: ['sts:SetSourceIdentity'], principals: [trusted] }),
      // TagSession is authorized only within the AssumeRole that requires the source identity.
      new iam.PolicyStatement({ actions: ['sts:TagSession'], principals: [props.assumedBy], conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [TASK_TAG_KEY] } } }),
    );
    Tags.of(this).add(AGENT_ROLE_TAG_KEY, 'agent');
    Tags.of(this).add(AGENT_NAME_TAG_KEY, props.agentName);

    // The agent deny policies are as binding as the boundary: nothing bounded can change this role.
    super.addManagedPolicy(iam.ManagedPolicy.fromManagedPolicyArn(this, 'AgentDenies', props.boundary.denyPolicyArnFor(this)));
    super.addManagedPolicy(iam.ManagedPolicy.fromManagedPolicyArn(this, 'AgentServiceDenies', props.boundary.serviceDenyPolicyArnFor(this)));
    const cfnRole = this.node.defaultChild as iam.CfnRole;
    this.node.addValidation({ validate: () => refusedManagedPolicies(cfnRole) });
    // Trust is checked again at synth: statements added later and escape hatches count too.
    this.node.addValidation({
      validate: () =>
        agentTrustProblems(renderedProperties(cfnRole).AssumeRolePolicyDocument, props.agentName).map(
          (problem) => `AgentRole ${this.node.path}: ${describeAgentTrustProblem(problem, props.agentName)}`,
        ),
    });
  }

  /** Refuses AWS managed administrator policies; see `REFUSED_AWS_MANAGED_POLICIES`. */
  public addManagedPolicy(policy: iam.IManagedPolicy): void {
    const refused = refusedPolicyName(Stack.of(this), policy.managedPolicyArn);
    if (refused) {
      throw new Error(
        `AgentRole ${this.node.path} refuses the AWS managed policy ${refused}: it grants far more than an agent's job. ` +
          'Use grantReadOnly(), AgentDeployRole.grantDeploy() or statements with the exact actions the agent needs',
      );
    }
    super.addManagedPolicy(policy);
  }

  /**
   * Lets the agent read: `ViewOnlyAccess` (metadata) or `ReadOnlyAccess` (data too), plus the
   * CloudFormation and CloudWatch Logs reads that reviewing a deployment needs.
   */
  public grantReadOnly(options: ReadOnlyOptions = {}): iam.Grant {
    this.addManagedPolicy(
      iam.ManagedPolicy.fromAwsManagedPolicyName(options.includeData ? 'ReadOnlyAccess' : 'job-function/ViewOnlyAccess'),
    );
    return iam.Grant.addToPrincipal({
      grantee: this,
      actions: [
        'cloudformation:Describe*',
        'cloudformation:DetectStackDrift',
        'cloudformation:DetectStackResourceDrift',
        'cloudformation:Get*',
        'cloudformation:List*',
        'logs:Describe*',
        'logs:FilterLogEvents',
        'logs:GetLogEvents',
        'logs:GetQueryResults',
        'logs:StartQuery',
      ],
      // Reading is allowed everywhere: the boundary, not this grant, protects production.
      resourceArns: ['*'],
    });
  }
}

/** The launcher principal, conditioned on the source identity naming the agent. Throws on refused principals. */
function trustedPrincipal(scope: Construct, id: string, props: AgentRoleProps): iam.IPrincipal {
  const problems: string[] = [];
  const name = props.agentName;
  if (Token.isUnresolved(name) || !/^[\w+=,.@-]{2,64}$/.test(name)) {
    problems.push(`agentName must be 2-64 letters, digits and + = , . @ _ - (it is the role name and the source identity), got ${JSON.stringify(name)}`);
  }
  if (!AgentPermissionsBoundary.isAgentPermissionsBoundary(props.boundary)) {
    problems.push('boundary must be an AgentPermissionsBoundary; the agent boundary cannot be switched off');
  }
  problems.push(...principalProblems(Stack.of(scope), props.assumedBy));
  if (problems.length > 0) {
    throw new Error(`Invalid AgentRole at ${scope.node.path}/${id}:\n- ${problems.join('\n- ')}`);
  }
  return new iam.PrincipalWithConditions(props.assumedBy, { StringEquals: { 'sts:SourceIdentity': name } });
}

/** Why a principal may not start agent sessions; empty when it may. */
function principalProblems(stack: Stack, principal: iam.IPrincipal): string[] {
  const fragment = principal.policyFragment;
  const conditioned = Object.keys(fragment.conditions).length > 0;
  const problems: string[] = [];
  const json = fragment.principalJson;
  for (const value of json.AWS ?? []) {
    const arn = tokenPattern(stack, value);
    if (arn === '*') {
      problems.push('assumedBy trusts every AWS principal ("*"); name the launcher role instead');
    } else if (/:root$/.test(arn) || /^\d{12}$/.test(arn)) {
      if (!conditioned) {
        problems.push(
          `assumedBy trusts the account root (${arn}) without a condition, which lets every principal in the account with sts:AssumeRole start the agent; ` +
            'name the launcher role, or wrap the principal in PrincipalWithConditions (for example ArnEquals aws:PrincipalArn)',
        );
      }
    } else if (/:user\//.test(arn)) {
      problems.push(`assumedBy trusts the IAM user ${arn}; an agent never runs with a human's credentials: name the launcher role that starts it`);
    } else if (/AWSReservedSSO_/.test(arn)) {
      problems.push(`assumedBy trusts the IAM Identity Center role ${arn}, which humans sign in to; name the launcher role that starts the agent`);
    }
  }
  for (const value of json.Federated ?? []) {
    if (typeof value === 'string' && /:saml-provider\//.test(value)) {
      problems.push(`assumedBy trusts the SAML provider ${value}, through which humans sign in; use the launcher role or an OIDC provider for CI`);
    }
  }
  const unknownKeys = Object.keys(json).filter((key) => !['AWS', 'Federated', 'Service'].includes(key));
  if (unknownKeys.length > 0) {
    problems.push('assumedBy trusts every principal ("Principal": "*" or a canonical user); name the launcher role instead');
  }
  if ((json.Service ?? []).length > 0) {
    problems.push(
      `assumedBy trusts the service ${json.Service!.join(', ')}, which cannot set a source identity; ` +
        "trust the service's own role instead and assume the agent role from it with a source identity",
    );
  }
  return problems;
}

function refusedPolicyName(stack: Stack, arn: string): string | undefined {
  const rendered = tokenPattern(stack, arn);
  return REFUSED_AWS_MANAGED_POLICIES.find((name) => rendered.endsWith(`:iam::aws:policy/${name}`));
}

function refusedManagedPolicies(role: iam.CfnRole): string[] {
  const stack = Stack.of(role);
  const arns = renderedProperties(role).ManagedPolicyArns as unknown[] | undefined;
  return (arns ?? [])
    .map((arn) => refusedPolicyName(stack, arn as string))
    .filter((name): name is string => name !== undefined)
    .map(
      (name) =>
        `AgentRole ${role.node.path} has the AWS managed policy ${name} attached; remove it and grant the exact actions the agent needs`,
    );
}
