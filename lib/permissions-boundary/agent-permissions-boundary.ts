import { Annotations, Lazy, Stack, Stage, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { tokenPattern } from '../private/tokens';
import { withoutCovered } from '../private/wildcards';
import {
  BoundaryDocumentInput,
  buildBoundaryDocument,
  MANAGED_POLICY_SIZE_LIMIT,
  minifiedPolicySize,
  PolicyDocumentJson,
  StatementJson,
} from './boundary-document';
import { GuardrailPaths } from '../guardrail-paths';
import { ProductionProtection } from '../production-protection/production-protection';
import { ProductionTag, ResolvedProductionTag, resolveProductionTag } from '../production-protection/production-tag';

const BOUNDARY_SYMBOL = Symbol.for('cdk-agent-guardrails.AgentPermissionsBoundary');

/** Characters left below IAM's limit under which synth warns that user statements have little room. */
const LOW_HEADROOM_WARNING = 500;

/** Properties for `AgentPermissionsBoundary`. */
export interface AgentPermissionsBoundaryProps {
  /**
   * Name of the managed policy, created under the path `/agent-guardrails/`. IAM names are global to
   * the account: deploy one boundary per account, or give each a different name.
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
   * Stacks protected by `ProductionProtection` in this app are found automatically.
   *
   * @default - none
   */
  readonly productionStackNames?: string[];

  /**
   * More Deny statements for the boundary, for example for a service your agents must never use.
   * Allow statements are refused: the boundary already allows everything it does not deny.
   *
   * @default - none
   */
  readonly additionalStatements?: iam.PolicyStatement[];
}

/**
 * The permissions boundary for agent roles: a ceiling that allows everything except deleting or
 * recreating production, tampering with the guardrails, and escaping the boundary. Least privilege
 * lives in each agent role's own policies; this is what no agent can exceed even with
 * AdministratorAccess.
 *
 * Production stacks are found in the app (`ProductionProtection`) and in `productionStackNames`.
 *
 * @example
 * const boundary = new AgentPermissionsBoundary(stack, 'AgentBoundary');
 */
export class AgentPermissionsBoundary extends Construct {
  /** Whether `x` is an `AgentPermissionsBoundary`. */
  public static isAgentPermissionsBoundary(x: unknown): x is AgentPermissionsBoundary {
    return x !== null && typeof x === 'object' && BOUNDARY_SYMBOL in x;
  }

  /** The managed policy to use as a permissions boundary. */
  public readonly managedPolicy: iam.IManagedPolicy;

  /** ARN of the managed policy. */
  public readonly managedPolicyArn: string;

  /** Name of the managed policy. */
  public readonly managedPolicyName: string;

  /** The production tag this boundary protects. */
  public readonly productionTag: ResolvedProductionTag;

  private readonly extraStackNames: string[];
  private readonly additionalStatements: StatementJson[];

  constructor(scope: Construct, id: string, props: AgentPermissionsBoundaryProps = {}) {
    super(scope, id);
    Object.defineProperty(this, BOUNDARY_SYMBOL, { value: true });

    const name = props.managedPolicyName ?? 'AgentPermissionsBoundary';
    const problems: string[] = [];
    if (Token.isUnresolved(name) || !/^[\w+=,.@-]{1,128}$/.test(name)) {
      problems.push(
        `managedPolicyName must be a literal of 1-128 letters, digits and + = , . @ _ -, got ${JSON.stringify(name)}; the boundary's own conditions name it`,
      );
    }
    const { tag, problems: tagProblems } = resolveProductionTag(props.productionTag, 'productionTag');
    problems.push(...tagProblems);
    for (const stackName of props.productionStackNames ?? []) {
      if (Token.isUnresolved(stackName) || !/^[A-Za-z*][A-Za-z0-9*-]{0,127}$/.test(stackName)) {
        problems.push(
          `productionStackNames must hold literal stack names or patterns (letters, digits, - and *), got ${JSON.stringify(stackName)}`,
        );
      }
    }
    const additionalStatements = (props.additionalStatements ?? []).map((s) => s.toStatementJson() as StatementJson);
    additionalStatements.forEach((statement, i) => {
      if (statement.Effect !== 'Deny') {
        problems.push(
          `additionalStatements[${i}] has Effect ${statement.Effect}; only Deny statements are accepted because the boundary already allows everything it does not deny`,
        );
      }
    });
    if (problems.length > 0) {
      throw new Error(`Invalid AgentPermissionsBoundary at ${this.node.path}:\n- ${problems.join('\n- ')}`);
    }

    this.managedPolicyName = name;
    this.productionTag = tag;
    this.extraStackNames = props.productionStackNames ?? [];
    this.additionalStatements = additionalStatements;

    const resource = new iam.CfnManagedPolicy(this, 'Resource', {
      managedPolicyName: name,
      path: GuardrailPaths.ROOT,
      description: 'Permissions boundary for AI agent roles: no deleting or recreating production, no tampering, no escape.',
      policyDocument: Lazy.any({ produce: () => this.document() }),
    });
    this.managedPolicyArn = resource.ref;
    this.managedPolicy = iam.ManagedPolicy.fromManagedPolicyArn(this, 'Policy', resource.ref);

    this.node.addValidation({ validate: () => this.validateDocument() });
  }

  /**
   * The boundary's ARN as seen from `scope`. In the boundary's own stack this is the policy's `Ref`;
   * in another stack it is built from the (literal) path and name in that stack's account, and that
   * stack is made to deploy after the boundary's, with no cross-stack export to lock either.
   * The boundary must be deployed in the account of every role that uses it.
   */
  public arnFor(scope: IConstruct): string {
    const consumer = Stack.of(scope);
    const own = Stack.of(this);
    if (consumer === own) {
      return this.managedPolicyArn;
    }
    // Stack dependencies cannot cross stages: there the boundary's stack must be deployed first.
    if (Stage.of(consumer) === Stage.of(own) && !consumer.nested && !own.nested) {
      consumer.addStackDependency(own, 'roles use the agent permissions boundary');
    }
    return consumer.formatArn({
      service: 'iam',
      region: '',
      resource: 'policy',
      resourceName: `${GuardrailPaths.ROOT.slice(1)}${this.managedPolicyName}`,
    });
  }

  /** The production stacks this boundary protects by name: those in the app, then `productionStackNames`. */
  public productionStackNames(): string[] {
    const names = ProductionProtection.findAll(this).map((p) => p.stack.stackName);
    return withoutCovered([...names, ...this.extraStackNames]);
  }

  /** The boundary document as it will be deployed. */
  public document(): PolicyDocumentJson {
    return buildBoundaryDocument(this.documentInput());
  }

  /** The deployed size of the document: an unresolved account id counts as the 12 digits it becomes. */
  public minifiedSize(): number {
    const input = this.documentInput();
    const accountId = Token.isUnresolved(input.accountId) ? '000000000000' : input.accountId;
    return minifiedPolicySize(buildBoundaryDocument({ ...input, accountId }));
  }

  private documentInput(): BoundaryDocumentInput {
    const names = ProductionProtection.findAll(this).map((p) => p.protectedResourceNames());
    // A stack-name prefix also covers the names CloudFormation generates for its resources.
    const stackPrefixes = this.extraStackNames.filter((n) => n.endsWith('*'));
    return {
      productionTag: this.productionTag,
      productionStackNames: this.productionStackNames(),
      productionBucketNames: withoutCovered([...names.flatMap((n) => n.buckets), ...stackPrefixes.map((p) => p.toLowerCase())]),
      boundaryPolicyName: this.managedPolicyName,
      accountId: Stack.of(this).account,
      additionalStatements: this.additionalStatements,
    };
  }

  private validateDocument(): string[] {
    const errors: string[] = [];
    for (const protection of ProductionProtection.findAll(this)) {
      const stackName = protection.stack.stackName;
      if (Token.isUnresolved(stackName)) {
        errors.push(
          `production stack ${protection.stack.node.path} has an unresolved stack name, so the boundary cannot protect it by name; give it a literal stackName`,
        );
      }
      const applied = protection.productionTag;
      const matches =
        applied.key === this.productionTag.key &&
        this.productionTag.values.some((v) => v.toLowerCase() === applied.values[0].toLowerCase());
      if (!matches) {
        errors.push(
          `production stack ${protection.stack.node.path} is tagged ${applied.key}=${applied.values[0]}, which this boundary (productionTag ${this.productionTag.key}=${this.productionTag.values.join('|')}) does not recognise; use the same productionTag on both`,
        );
      }
    }
    if (errors.length > 0) {
      return errors;
    }

    const size = this.minifiedSize();
    if (size > MANAGED_POLICY_SIZE_LIMIT) {
      const stacks = this.productionStackNames().length;
      return [
        `the agent permissions boundary is ${size} characters minified, over IAM's ${MANAGED_POLICY_SIZE_LIMIT}-character limit for managed policies ` +
          `(${stacks} production stacks, ${this.additionalStatements.length} additional statements); ` +
          'give production stacks a common name prefix and list it once in productionStackNames (for example "Prod*"), or shorten additionalStatements',
      ];
    }
    if (MANAGED_POLICY_SIZE_LIMIT - size < LOW_HEADROOM_WARNING) {
      Annotations.of(this).addWarningV2(
        'cdk-agent-guardrails:boundaryNearLimit',
        `the agent permissions boundary is ${size} of ${MANAGED_POLICY_SIZE_LIMIT} characters; little room is left for more production stacks or statements`,
      );
    }
    return [];
  }
}

/**
 * Tells whether `arn`, a rendered and resolved `PermissionsBoundary` of a role or user in `node`'s
 * stack, names `boundary`: the boundary's own reference, or any ARN ending in its path and name.
 */
export function isBoundaryArn(node: IConstruct, arn: unknown, boundary: AgentPermissionsBoundary): boolean {
  if (arn === undefined) {
    return false;
  }
  const stack = Stack.of(node);
  if (JSON.stringify(arn) === JSON.stringify(stack.resolve(boundary.managedPolicyArn))) {
    return true;
  }
  return tokenPattern(stack, arn).endsWith(`:policy${GuardrailPaths.ROOT}${boundary.managedPolicyName}`);
}
