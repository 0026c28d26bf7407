import { Annotations, Lazy, Stack, Stage, Token, Tokenization } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { GuardrailPaths } from '../guardrail-paths';
import { withoutCovered } from '../private/wildcards';
import { ProductionProtection, ProtectedResourceNames } from '../production-protection/production-protection';
import { ProductionTag, ResolvedProductionTag, resolveProductionTag } from '../production-protection/production-tag';
import {
  BoundaryDocumentInput,
  buildAgentBoundary,
  buildAgentDenies,
  buildAgentServiceDenies,
  buildWorkloadBoundary,
  MANAGED_POLICY_SIZE_LIMIT,
  PolicyDocumentJson,
  PRODUCTION_REQUEST_KEYS,
  StatementJson,
} from './boundary-document';
import { catalogActionsOf, guardrailActionLists } from './catalog-actions';
import { AgentGuardrailPolicy, guardrailPathProblems } from './guardrail-path-check';
import { exceptionProblems, ProductionActionException } from './production-exceptions';
import { GUARDRAIL_POLICY_METADATA, PRODUCTION_EXCEPTIONS_METADATA } from './metadata';

const BOUNDARY_SYMBOL = Symbol.for('cdk-agent-guardrails.AgentPermissionsBoundary');

/** Characters left below IAM's limit under which synth warns that little room is left. */
const LOW_HEADROOM_WARNING = 500;

/** Characters counted for an id a policy reads from a production stack at deployment: subnet ids have 24, VPC and hosted zone ids fewer. */
const DEPLOYED_ID_LENGTH = 24;



/** Properties for `AgentPermissionsBoundary`. */
export interface AgentPermissionsBoundaryProps {
  /**
   * Name of the agent boundary policy, created under the path `/agent-guardrails/`. The workload
   * boundary and the agent denies policies are named after it (`<name>-Workload`, `<name>-Denies`,
   * `<name>-Services`).
   * IAM names are global to the account: deploy one per account, or give each a different name.
   *
   * @default 'AgentPermissionsBoundary'
   */
  readonly managedPolicyName?: string;

  /**
   * The tag that marks production. Every `ProductionProtection` in the app must use the same key
   * and one of these values.
   *
   * @default - `Environment=production`
   */
  readonly productionTag?: ProductionTag;

  /**
   * Production stacks that are not in this app, by name or pattern (`*` matches any characters).
   * They are protected by name as well as by tag. Stacks protected by `ProductionProtection` in
   * this app carry the production tag and are protected by it.
   *
   * @default - none
   */
  readonly productionStackNames?: string[];

  /**
   * IAM service prefixes (for example `glue`) of production resources made outside this app whose
   * reads agents keep. Reads are kept for the services of this app's production stacks; on
   * anything else that carries the production tag, every action is denied, reads included.
   *
   * @default - none
   */
  readonly additionalReadServices?: string[];

  /**
   * Actions agents may perform on production anyway. Each is an exception to "production is
   * read-only", recorded in the template and reported by the review as a warning with its reason.
   * Deletions, stops, restores and CloudFormation stack changes are never accepted: those go
   * through the two-person approval workflow.
   *
   * @default - none: production is read-only to agents
   */
  readonly allowProductionActions?: ProductionActionException[];

  /**
   * Opt out of denying requests that place something in a production VPC, subnet or ECS cluster:
   * a function, load balancer, service, task or private hosted zone of the agent's own. Unsafe:
   * agents and their workloads could then reach production's network and run on its capacity. The
   * policies name every production VPC and subnet for this, so an account with many production VPCs
   * may not fit IAM's size limit; the review reports each such request as allowed.
   *
   * @default false
   */
  readonly allowPlacementInProduction?: boolean;

  /**
   * More Deny statements, for example for a service your agents must never use. They go into the
   * agent denies policy and the workload boundary. Allow statements are refused: both already
   * allow everything they do not deny.
   *
   * @default - none
   */
  readonly additionalStatements?: iam.PolicyStatement[];
}


/**
 * The guardrail policies for agents, as four customer managed policies under `/agent-guardrails/`:
 *
 * - the agent boundary (`managedPolicy`), on agent roles: production is read-only (every action
 *   but reads and change-set proposals is denied on anything carrying the production tag), and
 *   the guardrail cannot be changed or escaped;
 * - the agent denies policy (`denyPolicy`), attached to every agent role: production resources no
 *   tag protects, by name, and where requests name them in condition keys; credentials;
 * - the agent services denies policy (`serviceDenyPolicy`), attached to every agent role: the
 *   account's security and identity services are read-only;
 * - the workload boundary (`workloadPolicy`), on deploy roles and on every role agents create:
 *   nothing at all on production, and no escape.
 *
 * Least privilege lives in each agent role's own policies; these are what no agent can exceed
 * even with AdministratorAccess. Production stacks are found in the app (`ProductionProtection`).
 *
 * @example
 * const boundary = new AgentPermissionsBoundary(stack, 'AgentBoundary');
 */
export class AgentPermissionsBoundary extends Construct {
  /** Whether `x` is an `AgentPermissionsBoundary`. */
  public static isAgentPermissionsBoundary(x: unknown): x is AgentPermissionsBoundary {
    return x !== null && typeof x === 'object' && BOUNDARY_SYMBOL in x;
  }

  /** The agent boundary: the permissions boundary of agent roles. */
  public readonly managedPolicy: iam.IManagedPolicy;

  /** ARN of the agent boundary. */
  public readonly managedPolicyArn: string;

  /** Name of the agent boundary. */
  public readonly managedPolicyName: string;

  /** The deny policy every agent role carries. */
  public readonly denyPolicy: iam.IManagedPolicy;

  /** Name of the deny policy. */
  public readonly denyPolicyName: string;

  /** The deny policy every agent role carries for the account's security and identity services. */
  public readonly serviceDenyPolicy: iam.IManagedPolicy;

  /** Name of the services deny policy. */
  public readonly serviceDenyPolicyName: string;

  /** The workload boundary: the permissions boundary of deploy roles and of every role agents create. */
  public readonly workloadPolicy: iam.IManagedPolicy;

  /** Name of the workload boundary. */
  public readonly workloadPolicyName: string;

  /** The production tag this boundary protects. */
  public readonly productionTag: ResolvedProductionTag;

  private readonly extraStackNames: string[];
  private readonly extraReadServices: string[];
  private readonly exceptions: ProductionActionException[];
  private readonly additionalStatements: StatementJson[];
  private readonly placementAllowed: boolean;
  private readonly refs: Record<AgentGuardrailPolicy, string>;
  /** The input of the four deployed documents, taken when synth resolves the first of them. */
  private deployed?: BoundaryDocumentInput;

  constructor(scope: Construct, id: string, props: AgentPermissionsBoundaryProps = {}) {
    super(scope, id);
    Object.defineProperty(this, BOUNDARY_SYMBOL, { value: true });

    const name = props.managedPolicyName ?? 'AgentPermissionsBoundary';
    const problems: string[] = [];
    if (Token.isUnresolved(name) || !/^[\w+=,.@-]{1,119}$/.test(name)) {
      problems.push(
        `managedPolicyName must be a literal of 1-119 letters, digits and + = , . @ _ - (the policies named after it add 9 characters), got ${JSON.stringify(name)}`,
      );
    }
    const { tag, problems: tagProblems } = resolveProductionTag(props.productionTag, 'productionTag');
    problems.push(...tagProblems);
    for (const stackName of props.productionStackNames ?? []) {
      if (Token.isUnresolved(stackName) || !/^[A-Za-z*][A-Za-z0-9*-]{0,127}$/.test(stackName)) {
        problems.push(`productionStackNames must hold literal stack names or patterns (letters, digits, - and *), got ${JSON.stringify(stackName)}`);
      }
    }
    for (const service of props.additionalReadServices ?? []) {
      if (catalogActionsOf(service).length === 0) {
        problems.push(`additionalReadServices must hold IAM service prefixes such as "glue", got ${JSON.stringify(service)}, which the IAM action catalog does not know`);
      }
    }
    problems.push(...exceptionProblems(props.allowProductionActions ?? []));
    const additionalStatements = (props.additionalStatements ?? []).map((s) => s.toStatementJson() as StatementJson);
    additionalStatements.forEach((statement, i) => {
      if (statement.Effect !== 'Deny') {
        problems.push(
          `additionalStatements[${i}] has Effect ${statement.Effect}; only Deny statements are accepted because the guardrail policies already allow everything they do not deny`,
        );
      }
    });
    if (problems.length > 0) {
      throw new Error(`Invalid AgentPermissionsBoundary at ${this.node.path}:\n- ${problems.join('\n- ')}`);
    }

    this.managedPolicyName = name;
    this.denyPolicyName = `${name}-Denies`;
    this.serviceDenyPolicyName = `${name}-Services`;
    this.workloadPolicyName = `${name}-Workload`;
    this.productionTag = tag;
    this.extraStackNames = props.productionStackNames ?? [];
    this.extraReadServices = props.additionalReadServices ?? [];
    this.exceptions = props.allowProductionActions ?? [];
    this.additionalStatements = additionalStatements;
    this.placementAllowed = props.allowPlacementInProduction === true;
    if (this.placementAllowed) {
      Annotations.of(this).addWarningV2(
        'cdk-agent-guardrails:placementInProductionAllowed',
        'agents and their workloads may place functions, load balancers, services, tasks and private hosted zones in production VPCs, subnets and ECS clusters (allowPlacementInProduction: true)',
      );
    }

    const policy = (policyId: string, policyName: string, description: string, build: (input: BoundaryDocumentInput) => PolicyDocumentJson) =>
      new iam.CfnManagedPolicy(this, policyId, {
        managedPolicyName: policyName,
        path: GuardrailPaths.ROOT,
        description,
        // CDK resolves each document once and keeps it: the four are built from one reading of the app.
        policyDocument: Lazy.any({ produce: () => build(this.deployedInput()) }),
      });
    const agent = policy('Resource', name, 'Permissions boundary for AI agent roles: production is read-only; no tampering, no escape.', buildAgentBoundary);
    const denies = policy('Denies', this.denyPolicyName, 'Attached to AI agent roles: production resources no tag protects, credentials, tampering.', buildAgentDenies);
    const services = policy('Services', this.serviceDenyPolicyName, 'Attached to AI agent roles: the security and identity services are read-only.', buildAgentServiceDenies);
    const workload = policy('Workload', this.workloadPolicyName, 'Permissions boundary for roles AI agents deploy or create: nothing on production, no escape.', buildWorkloadBoundary);
    agent.addMetadata(GUARDRAIL_POLICY_METADATA, 'agent-boundary');
    denies.addMetadata(GUARDRAIL_POLICY_METADATA, 'agent-denies');
    services.addMetadata(GUARDRAIL_POLICY_METADATA, 'agent-services');
    workload.addMetadata(GUARDRAIL_POLICY_METADATA, 'workload-boundary');
    if (this.exceptions.length > 0) {
      agent.addMetadata(PRODUCTION_EXCEPTIONS_METADATA, this.exceptions.map((e) => ({ actions: [...e.actions], reason: e.reason })));
    }

    this.refs = { agent: agent.ref, denies: denies.ref, services: services.ref, workload: workload.ref };
    this.managedPolicyArn = agent.ref;
    this.managedPolicy = iam.ManagedPolicy.fromManagedPolicyArn(this, 'Policy', agent.ref);
    this.denyPolicy = iam.ManagedPolicy.fromManagedPolicyArn(this, 'DenyPolicy', denies.ref);
    this.serviceDenyPolicy = iam.ManagedPolicy.fromManagedPolicyArn(this, 'ServiceDenyPolicy', services.ref);
    this.workloadPolicy = iam.ManagedPolicy.fromManagedPolicyArn(this, 'WorkloadPolicy', workload.ref);

    this.node.addValidation({ validate: () => this.validateDocuments() });
  }

  /**
   * The agent boundary's ARN as seen from `scope`. In the boundary's own stack this is the policy's
   * `Ref`; in another stack it is built from the (literal) path and name in that stack's account,
   * and that stack is made to deploy after the boundary's, with no cross-stack export to lock
   * either. The policies must be deployed in the account of every role that uses them.
   */
  public arnFor(scope: IConstruct): string {
    return this.policyArnFor(scope, 'agent');
  }

  /** The agent denies policy's ARN as seen from `scope` (see `arnFor`). */
  public denyPolicyArnFor(scope: IConstruct): string {
    return this.policyArnFor(scope, 'denies');
  }

  /** The services deny policy's ARN as seen from `scope` (see `arnFor`). */
  public serviceDenyPolicyArnFor(scope: IConstruct): string {
    return this.policyArnFor(scope, 'services');
  }

  /** The workload boundary's ARN as seen from `scope` (see `arnFor`). */
  public workloadArnFor(scope: IConstruct): string {
    return this.policyArnFor(scope, 'workload');
  }

  /** The production stacks in the app and in `productionStackNames`, by name or pattern. */
  public productionStackNames(): string[] {
    const names = ProductionProtection.findAll(this).map((p) => p.stack.stackName);
    return withoutCovered([...names, ...this.extraStackNames]);
  }

  /** The agent boundary as it will be deployed. */
  public document(): PolicyDocumentJson {
    return buildAgentBoundary(this.documentInput());
  }

  /** The agent denies policy as it will be deployed. */
  public denyDocument(): PolicyDocumentJson {
    return buildAgentDenies(this.documentInput());
  }

  /** The services deny policy as it will be deployed. */
  public serviceDenyDocument(): PolicyDocumentJson {
    return buildAgentServiceDenies(this.documentInput());
  }

  /** The workload boundary as it will be deployed. */
  public workloadDocument(): PolicyDocumentJson {
    return buildWorkloadBoundary(this.documentInput());
  }

  /** The deployed size of the agent boundary: an unresolved account id counts as the 12 digits it becomes. */
  public minifiedSize(): number {
    return this.sizes().agent;
  }

  /**
   * The deployed size of each of the four policies. An unresolved account id counts as its 12
   * digits; an id read from a production stack at deployment (a VPC, subnet or hosted zone id) as
   * `DEPLOYED_ID_LENGTH` characters, the longest such id.
   */
  public sizes(): Record<AgentGuardrailPolicy, number> {
    return sizesOf(this.documentInput());
  }

  /** The name of guardrail policy `kind`. */
  public policyName(kind: AgentGuardrailPolicy): string {
    return { agent: this.managedPolicyName, denies: this.denyPolicyName, services: this.serviceDenyPolicyName, workload: this.workloadPolicyName }[kind];
  }

  private policyArnFor(scope: IConstruct, kind: AgentGuardrailPolicy): string {
    const consumer = Stack.of(scope);
    const own = Stack.of(this);
    if (consumer === own) {
      return this.refs[kind];
    }
    // Stack dependencies cannot cross stages: there the boundary's stack must be deployed first.
    if (Stage.of(consumer) === Stage.of(own) && !consumer.nested && !own.nested) {
      consumer.addStackDependency(own, 'roles use the agent guardrail policies');
    }
    const name = this.policyName(kind);
    return consumer.formatArn({ service: 'iam', region: '', resource: 'policy', resourceName: `${GuardrailPaths.ROOT.slice(1)}${name}` });
  }

  /** The input the deployed documents are built from: read from the app once, when synth resolves the first. */
  private deployedInput(): BoundaryDocumentInput {
    this.deployed ??= this.documentInput();
    return this.deployed;
  }

  private documentInput(): BoundaryDocumentInput {
    const protections = ProductionProtection.findAll(this);
    const referenceable = new Set(this.referenceable(protections));
    const names = protections.map((p) => ({ ...p.protectedResourceNames(), reachable: referenceable.has(p) }));
    // A stack-name prefix also covers the names CloudFormation generates for its buckets.
    const stackPrefixes = this.extraStackNames.filter((n) => n.endsWith('*'));
    const bucketNames = withoutCovered([...names.flatMap((n) => n.buckets), ...stackPrefixes.map((p) => p.toLowerCase())]);
    const resourceArns = [...withoutCovered(names.flatMap((n) => n.resourceArns)), ...names.flatMap((n) => (n.reachable ? n.referencedArns : []))];
    // Ids read from a stack at deployment only where a weak reference reaches it; literal ids always.
    const requestNames = (pick: (n: ProtectedResourceNames) => string[]) =>
      [...new Set(names.flatMap((n) => pick(n).filter((v) => n.reachable || !Token.isUnresolved(v))))];
    const productionRequestNames = this.placementAllowed
      ? {}
      : { vpcIds: requestNames((n) => n.vpcIds), subnetIds: requestNames((n) => n.subnetIds), clusterArns: withoutCovered(names.flatMap((n) => n.clusterArns)) };
    const requestServices = PRODUCTION_REQUEST_KEYS.filter((k) => (productionRequestNames[k.names] ?? []).length > 0).map((k) => k.key.split(':')[0]);
    // Reads are kept for the services production uses, and for those of everything named.
    const namedServices = [...(bucketNames.length > 0 ? ['s3'] : []), ...resourceArns.map((arn) => arn.split(':')[2]), ...requestServices];
    const lists = guardrailActionLists(['cloudformation', ...protections.flatMap((p) => p.productionServices()), ...namedServices, ...this.extraReadServices]);
    return {
      productionTag: this.productionTag,
      productionReadActions: lists.productionReadActions,
      productionActionExceptions: this.exceptions.flatMap((e) => e.actions),
      productionStackNames: withoutCovered(this.extraStackNames),
      productionBucketNames: bucketNames,
      // A zone the policies can name by reference is protected whole (ProdByArn); the records of
      // zones out of reach are protected by their names.
      productionRecordNames: names.flatMap((n) => (n.reachable ? [] : n.recordNames)),
      productionResourceArns: resourceArns,
      productionRequestNames,
      securityServiceWrites: lists.securityServiceWrites,
      identityServiceWrites: lists.identityServiceWrites,
      boundaryPolicyName: this.managedPolicyName,
      workloadBoundaryName: this.workloadPolicyName,
      accountId: Stack.of(this).account,
      additionalStatements: this.additionalStatements,
    };
  }

  /**
   * The production stacks whose deploy-time identifiers these policies may reference: in the same
   * stage and account as the boundary's stack (a weak reference reads another region's outputs).
   */
  private referenceable(protections: ProductionProtection[]): ProductionProtection[] {
    const own = Stack.of(this);
    return protections.filter((p) => Stage.of(p.stack) === Stage.of(own) && p.stack.account === own.account && !own.nested);
  }

  private validateDocuments(): string[] {
    const errors: string[] = [];
    const protections = ProductionProtection.findAll(this);
    for (const protection of protections) {
      const applied = protection.productionTag;
      const matches =
        applied.key === this.productionTag.key && this.productionTag.values.some((v) => v.toLowerCase() === applied.values[0].toLowerCase());
      if (!matches) {
        errors.push(
          `production stack ${protection.stack.node.path} is tagged ${applied.key}=${applied.values[0]}, which this boundary (productionTag ${this.productionTag.key}=${this.productionTag.values.join('|')}) does not recognise; use the same productionTag on both`,
        );
      }
    }
    errors.push(...guardrailPathProblems(this, this.node.root.node.findAll().filter(AgentPermissionsBoundary.isAgentPermissionsBoundary)));
    const referenceable = this.referenceable(protections);
    for (const protection of protections.filter((p) => !referenceable.includes(p))) {
      const named = protection.protectedResourceNames();
      if (named.referencedArns.length > 0 || [...named.vpcIds, ...named.subnetIds].some((v) => Token.isUnresolved(v))) {
        Annotations.of(this).addWarningV2(
          'cdk-agent-guardrails:productionOutOfReach',
          `production stack ${protection.stack.node.path} is in another stage or account, so the guardrail policies cannot name its hosted zones, hosted configuration versions, VPCs and subnets; ` +
            'their records stay protected by name and their tags still protect the VPCs and subnets themselves, but not requests that name them in a condition key: deploy the guardrails in the same stage and account',
        );
      }
    }
    if (errors.length > 0) {
      return errors;
    }

    // The sizes of the documents as deployed (validation runs after synth has resolved them).
    const sizes = sizesOf(this.deployed ?? this.documentInput());
    const names: Record<AgentGuardrailPolicy, string> = { agent: 'agent boundary', denies: 'agent denies policy', services: 'agent services deny policy', workload: 'workload boundary' };
    const fixes: Record<AgentGuardrailPolicy, string> = {
      agent: 'it grows with the number of services production uses: list fewer additionalReadServices or allowProductionActions',
      denies: 'it grows with the production resources no tag protects and with the VPCs, subnets and ECS clusters of production stacks: share VPCs and clusters between production stacks (or, unsafe, set allowPlacementInProduction), give production stacks a common name prefix and list it once in productionStackNames (for example "prod-*"), keep S3 ABAC on for production buckets, or shorten additionalStatements',
      services: 'it holds every write of the security and identity services the IAM action catalog lists, and nothing of this app',
      workload: 'shorten additionalStatements, share VPCs and clusters between production stacks (or, unsafe, set allowPlacementInProduction), or give production stacks a common name prefix and list it once in productionStackNames',
    };
    for (const kind of ['agent', 'denies', 'services', 'workload'] as const) {
      if (sizes[kind] > MANAGED_POLICY_SIZE_LIMIT) {
        errors.push(`the ${names[kind]} is ${sizes[kind]} characters minified, over IAM's ${MANAGED_POLICY_SIZE_LIMIT}-character limit for managed policies; ${fixes[kind]}`);
      } else if (MANAGED_POLICY_SIZE_LIMIT - sizes[kind] < LOW_HEADROOM_WARNING) {
        Annotations.of(this).addWarningV2(
          `cdk-agent-guardrails:${kind}PolicyNearLimit`,
          `the ${names[kind]} is ${sizes[kind]} of ${MANAGED_POLICY_SIZE_LIMIT} characters; little room is left (${fixes[kind]})`,
        );
      }
    }
    return errors;
  }
}

/**
 * The deployed size of each of the four policies built from `input`. An unresolved account id
 * counts as its 12 digits; an id read from a production stack at deployment (a VPC, subnet or
 * hosted zone id) as `DEPLOYED_ID_LENGTH` characters, the longest such id.
 */
function sizesOf(input: BoundaryDocumentInput): Record<AgentGuardrailPolicy, number> {
  const sized = { ...input, accountId: Token.isUnresolved(input.accountId) ? '000000000000' : input.accountId };
  const deployed = (document: PolicyDocumentJson) => {
    const fragments = Tokenization.reverseString(JSON.stringify(document)).mapTokens({ mapToken: () => 'x'.repeat(DEPLOYED_ID_LENGTH) });
    return String(fragments.join({ join: (left: unknown, right: unknown) => `${left}${right}` })).length;
  };
  return {
    agent: deployed(buildAgentBoundary(sized)),
    denies: deployed(buildAgentDenies(sized)),
    services: deployed(buildAgentServiceDenies(sized)),
    workload: deployed(buildWorkloadBoundary(sized)),
  };
}

export { isPolicyArn, principalPathProblems } from './guardrail-path-check';
export type { AgentGuardrailPolicy } from './guardrail-path-check';
export type { ProductionActionException } from './production-exceptions';
