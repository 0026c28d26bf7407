import { Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { GuardrailPaths } from '../guardrail-paths';
import { AgentPermissionsBoundary } from '../permissions-boundary/agent-permissions-boundary';
import { STACK_ROLE_ACTIONS } from '../permissions-boundary/boundary-document';
import { wildcardOverlap } from '../private/wildcards';

/** Properties for `AgentDeployRole`. */
export interface AgentDeployRoleProps {
  /** The agent guardrails; the deploy role carries their workload boundary, so nothing deployed through it reaches production or escapes. */
  readonly boundary: AgentPermissionsBoundary;

  /**
   * Names of the non-production stacks agents may deploy through this role. A trailing `*` matches
   * a name prefix (`dev-*`). Synth fails if a name matches a production stack.
   */
  readonly stackNames: string[];

  /**
   * What the stacks may create, as managed policies for the CloudFormation service role. The
   * boundary still applies on top.
   *
   * @default - `PowerUserAccess`, plus IAM management of roles, policies and instance profiles under `/agent-workload/`
   */
  readonly executionPolicies?: iam.IManagedPolicy[];

  /**
   * Qualifier of the CDK bootstrap stack whose asset bucket agents publish to.
   *
   * @default 'hnb659fds'
   */
  readonly bootstrapQualifier?: string;

  /**
   * Key prefix under which agents publish file assets to the bootstrap bucket. They can write
   * nowhere else in it: production's assets sit at the bucket's root, named by their content
   * hash, and an overwritten one would ship the agent's code at the next human deployment. Give
   * agent-deployed apps `new DefaultStackSynthesizer({ bucketPrefix: 'agent-assets-' })` (or the
   * same option of `CliCredentialsStackSynthesizer`). No `/`: the guardrails recognise
   * production's assets as a 64-character name after the last `/`.
   *
   * @default 'agent-assets-'
   */
  readonly assetPrefix?: string;

  /**
   * The ECR repository agents push container image assets to (the synthesizer's
   * `imageAssetsRepositoryName`). Agents never push to the bootstrap repository, where
   * production's images live.
   *
   * @default - agents publish no container images
   */
  readonly imageAssetsRepository?: ecr.IRepository;
}

/**
 * A CloudFormation service role for stacks that agents deploy. It lives under
 * `/agent-guardrails/service/` and carries the workload boundary, so it is the only kind of role an
 * agent may name with `cdk deploy --role-arn` (the CDK bootstrap `cfn-exec-role` is an
 * administrator, which agents may neither assume nor pass). `grantDeploy` lets an agent deploy the
 * named stacks through it, and nothing else.
 *
 * @example
 * const deploy = new AgentDeployRole(stack, 'DevDeploy', { boundary, stackNames: ['DevStack'] });
 * deploy.grantDeploy(agent);
 */
export class AgentDeployRole extends Construct {
  /** The CloudFormation service role. */
  public readonly role: iam.Role;

  /** Stack names (or prefixes) this role deploys. */
  public readonly stackNames: string[];

  private readonly boundary: AgentPermissionsBoundary;
  private readonly qualifier: string;
  private readonly assetPrefix: string;
  private readonly imageAssetsRepository?: ecr.IRepository;

  constructor(scope: Construct, id: string, props: AgentDeployRoleProps) {
    super(scope, id);
    const problems: string[] = [];
    if (props.stackNames.length === 0) {
      problems.push('stackNames must name at least one stack that agents may deploy, got []');
    }
    for (const name of props.stackNames) {
      if (Token.isUnresolved(name) || !/^[A-Za-z][A-Za-z0-9-]{0,127}\*?$/.test(name)) {
        problems.push(
          `stackNames must hold literal stack names (a letter, then letters, digits and -), optionally ending in * for a prefix, got ${JSON.stringify(name)}`,
        );
      }
    }
    const qualifier = props.bootstrapQualifier ?? 'hnb659fds';
    if (!/^[A-Za-z0-9_-]{1,10}$/.test(qualifier)) {
      problems.push(`bootstrapQualifier must be 1-10 letters, digits, _ and -, got ${JSON.stringify(qualifier)}`);
    }
    const assetPrefix = props.assetPrefix ?? 'agent-assets-';
    if (Token.isUnresolved(assetPrefix) || !/^[A-Za-z0-9_.-]{1,64}$/.test(assetPrefix)) {
      problems.push(`assetPrefix must be 1-64 letters, digits, _ . and - (no "/"), such as "agent-assets-", got ${JSON.stringify(assetPrefix)}`);
    }
    if (problems.length > 0) {
      throw new Error(`Invalid AgentDeployRole at ${this.node.path}:\n- ${problems.join('\n- ')}`);
    }
    this.boundary = props.boundary;
    this.stackNames = [...props.stackNames];
    this.qualifier = qualifier;
    this.assetPrefix = assetPrefix;
    this.imageAssetsRepository = props.imageAssetsRepository;

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('cloudformation.amazonaws.com'),
      path: GuardrailPaths.SERVICE_ROLES,
      permissionsBoundary: iam.ManagedPolicy.fromManagedPolicyArn(this, 'WorkloadBoundary', props.boundary.workloadArnFor(this)),
      description: deployRoleDescription(this.stackNames),
      managedPolicies: props.executionPolicies ?? [iam.ManagedPolicy.fromAwsManagedPolicyName('PowerUserAccess')],
    });
    if (props.executionPolicies === undefined) {
      this.role.addToPrincipalPolicy(workloadIamStatement(Stack.of(this)));
    }
    this.node.addValidation({ validate: () => this.validateNotProduction() });
  }

  /**
   * Lets `grantee` deploy, update and delete the named stacks through this role, pass this role to
   * CloudFormation (and nothing else), publish file assets under `assetPrefix` in the bootstrap
   * bucket, and push images to `imageAssetsRepository` if there is one.
   */
  public grantDeploy(grantee: iam.IGrantable): iam.Grant {
    const stack = Stack.of(this);
    const stackArns = this.stackNames.map((name) =>
      stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: name.endsWith('*') ? name : `${name}/*` }),
    );
    const assetBucket = `cdk-${this.qualifier}-assets-${stack.account}-${stack.region}`;

    const grant = iam.Grant.addToPrincipal({
      grantee,
      // The calls that act with a service role: the boundary requires a bounded one, this grant this one.
      actions: [...STACK_ROLE_ACTIONS],
      resourceArns: stackArns,
      conditions: { ArnEquals: { 'cloudformation:RoleArn': this.role.roleArn } },
    });
    grant.combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: [
          'cloudformation:DeleteChangeSet',
          'cloudformation:Describe*',
          'cloudformation:ExecuteChangeSet',
          'cloudformation:GetTemplate',
          'cloudformation:GetTemplateSummary',
          'cloudformation:ListStackResources',
        ],
        resourceArns: stackArns,
      }),
    );
    grant.combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['iam:PassRole'],
        resourceArns: [this.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
      }),
    );
    grant.combine(
      iam.Grant.addToPrincipal({
        grantee,
        // This action has no resource type: it accepts only "*".
        actions: ['cloudformation:ValidateTemplate'],
        resourceArns: ['*'],
      }),
    );
    const bucketArn = stack.formatArn({ service: 's3', region: '', account: '', resource: assetBucket });
    grant.combine(iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetBucketLocation', 's3:ListBucket'], resourceArns: [bucketArn] }));
    grant.combine(iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject*'], resourceArns: [`${bucketArn}/*`] }));
    grant.combine(iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: [`${bucketArn}/${this.assetPrefix}*`] }));
    if (this.imageAssetsRepository) {
      grant.combine(this.imageAssetsRepository.grantPullPush(grantee));
      grant.combine(
        iam.Grant.addToPrincipal({
          grantee,
          // GetAuthorizationToken has no resource type: it accepts only "*".
          actions: ['ecr:GetAuthorizationToken'],
          resourceArns: ['*'],
        }),
      );
    }
    grant.combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['ssm:GetParameter', 'ssm:GetParameters'],
        resourceArns: [stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: `cdk-bootstrap/${this.qualifier}/version` })],
      }),
    );
    return grant;
  }

  private validateNotProduction(): string[] {
    const production = this.boundary.productionStackNames();
    return this.stackNames.flatMap((name) =>
      production
        .filter((prod) => wildcardOverlap(name, prod))
        .map(
          (prod) =>
            `AgentDeployRole ${this.node.path} would let agents deploy "${name}", which matches the production stack "${prod}"; ` +
            'agents never deploy production: remove it from stackNames and execute production change sets through the approval workflow',
        ),
    );
  }
}

/** IAM's limit for a role description. */
const DESCRIPTION_LIMIT = 1000;

/** The role description naming the stacks, shortened to fit IAM's 1,000 characters. */
function deployRoleDescription(stackNames: readonly string[]): string {
  const full = `CloudFormation service role for agent deployments of ${stackNames.join(', ')}`;
  if (full.length <= DESCRIPTION_LIMIT) return full;
  const suffix = ` and ${stackNames.length} stacks in all`;
  return `${full.slice(0, DESCRIPTION_LIMIT - suffix.length - 3)}...${suffix}`;
}

/** IAM management limited to the workload path, so stacks deployed by agents can create bounded roles. */
function workloadIamStatement(stack: Stack): iam.PolicyStatement {
  const arn = (resource: string) => stack.formatArn({ service: 'iam', region: '', resource, resourceName: `${GuardrailPaths.WORKLOAD.slice(1)}*` });
  return new iam.PolicyStatement({
    actions: [
      'iam:AddRoleToInstanceProfile',
      'iam:AttachRolePolicy',
      'iam:CreateInstanceProfile',
      'iam:CreatePolicy',
      'iam:CreatePolicyVersion',
      'iam:CreateRole',
      'iam:DeleteInstanceProfile',
      'iam:DeletePolicy',
      'iam:DeletePolicyVersion',
      'iam:DeleteRole',
      'iam:DeleteRolePolicy',
      'iam:DetachRolePolicy',
      'iam:Get*',
      'iam:List*',
      'iam:PassRole',
      'iam:PutRolePermissionsBoundary',
      'iam:PutRolePolicy',
      'iam:RemoveRoleFromInstanceProfile',
      'iam:TagPolicy',
      'iam:TagRole',
      'iam:UntagPolicy',
      'iam:UntagRole',
      'iam:UpdateAssumeRolePolicy',
      'iam:UpdateRole',
      'iam:UpdateRoleDescription',
    ],
    resources: [arn('role'), arn('policy'), arn('instance-profile')],
  });
}
