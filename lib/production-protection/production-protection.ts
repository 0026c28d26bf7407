import { Annotations, Aspects, AspectPriority, CfnResource, Stack, Tags } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { iamServiceOf } from '../private/cfn-services';
import { ProductionTag, ResolvedProductionTag, resolveProductionTag } from './production-tag';
import { EnableBucketAbac, RetainStatefulResources } from './aspects';
import { StackPolicy } from './stack-policy';
import { protectedResourceNames, ProtectedResourceNames } from './protected-names';

export type { ProtectedResourceNames } from './protected-names';
import { STATEFUL_RESOURCE_TYPES } from './stateful-resource-types';

const PRODUCTION_PROTECTION_SYMBOL = Symbol.for('cdk-agent-guardrails.ProductionProtection');

/** Which resources the CloudFormation stack policy protects from replacement and deletion. */
export enum StackPolicyScope {
  /** Deny `Update:Replace` and `Update:Delete` on every resource of the stack. */
  ALL_RESOURCES = 'ALL_RESOURCES',
  /** Deny `Update:Replace` and `Update:Delete` only on stateful resource types. */
  STATEFUL_RESOURCES = 'STATEFUL_RESOURCES',
}

/** Properties for `ProductionProtection`. */
export interface ProductionProtectionProps {
  /**
   * The tag that marks production. It must match the agent permissions boundary's tag, which synth checks.
   *
   * @default - `Environment=production`
   */
  readonly productionTag?: ProductionTag;

  /**
   * Which resources the stack policy protects from `Update:Replace` and `Update:Delete`.
   *
   * @default StackPolicyScope.ALL_RESOURCES
   */
  readonly stackPolicyScope?: StackPolicyScope;

  /**
   * Opt out of the CloudFormation stack policy. Unsafe: an approved change set could then replace
   * or delete any resource of the stack.
   *
   * @default false
   */
  readonly disableStackPolicy?: boolean;

  /**
   * Opt out of termination protection. Unsafe: anyone allowed `cloudformation:DeleteStack` could
   * delete the stack in one call.
   *
   * @default false
   */
  readonly disableTerminationProtection?: boolean;

  /**
   * Opt out of retaining stateful resources (RETAIN deletion and update-replace policies, and the
   * services' own deletion protection). Unsafe: deleting or replacing them loses their data.
   *
   * @default false
   */
  readonly allowStatefulResourceDeletion?: boolean;

  /**
   * Opt out of S3 attribute-based access control on the stack's buckets. Unsafe for the size of the
   * guardrail policies: IAM evaluates a bucket's tags only with ABAC on, so without it each bucket
   * is protected by name in the agent denies policy, which then grows with every bucket.
   *
   * @default false
   */
  readonly disableBucketAbac?: boolean;

  /**
   * More resource types to treat as stateful, in addition to `STATEFUL_RESOURCE_TYPES`.
   *
   * @default - none
   */
  readonly additionalStatefulResourceTypes?: string[];
}

/**
 * Marks a stack as production and protects it: the production tag on the stack and every taggable
 * resource, termination protection, RETAIN on stateful resources, and a stack policy that denies
 * replacing and deleting resources. The agent permissions boundary in the same app finds every
 * `ProductionProtection` and denies agents destructive actions on these stacks by name and by tag.
 *
 * @example
 * new ProductionProtection(prodStack, 'ProductionProtection');
 */
export class ProductionProtection extends Construct {
  /** Whether `x` is a `ProductionProtection`. */
  public static isProductionProtection(x: unknown): x is ProductionProtection {
    return x !== null && typeof x === 'object' && PRODUCTION_PROTECTION_SYMBOL in x;
  }

  /** Whether `stack` is protected by a `ProductionProtection` (always a direct child of its stack). */
  public static isProtected(stack: Stack): boolean {
    return stack.node.children.some(ProductionProtection.isProductionProtection);
  }

  /** Every `ProductionProtection` in the construct tree that contains `scope`. */
  public static findAll(scope: IConstruct): ProductionProtection[] {
    return scope.node.root.node.findAll().filter(ProductionProtection.isProductionProtection);
  }

  /** The protected stack. */
  public readonly stack: Stack;

  /** The production tag applied to the stack. */
  public readonly productionTag: ResolvedProductionTag;

  /** The stack policy document, or undefined when disabled. */
  public readonly stackPolicy?: Record<string, unknown>;

  private readonly statefulTypes: Set<string>;
  private readonly bucketAbac: boolean;

  constructor(scope: Stack, id: string, props: ProductionProtectionProps = {}) {
    super(scope, id);
    Object.defineProperty(this, PRODUCTION_PROTECTION_SYMBOL, { value: true });

    const problems: string[] = [];
    if (!Stack.isStack(scope)) {
      problems.push(
        `ProductionProtection must be added directly to a Stack, got ${(scope as IConstruct).node?.path ?? String(scope)}; create it with the stack as scope`,
      );
    }
    const { tag, problems: tagProblems } = resolveProductionTag(props.productionTag, 'productionTag');
    problems.push(...tagProblems);
    for (const type of props.additionalStatefulResourceTypes ?? []) {
      if (!/^[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+$/.test(type)) {
        problems.push(`additionalStatefulResourceTypes must hold CloudFormation types like "AWS::S3::Bucket", got ${JSON.stringify(type)}`);
      }
    }
    if (props.disableStackPolicy && props.stackPolicyScope !== undefined) {
      problems.push('stackPolicyScope has no effect when disableStackPolicy is true; remove one of them');
    }
    if (problems.length > 0) {
      throw new Error(`Invalid ProductionProtection at ${this.node.path}:\n- ${problems.join('\n- ')}`);
    }

    this.stack = scope;
    this.productionTag = tag;
    this.bucketAbac = !props.disableBucketAbac;
    this.statefulTypes = new Set([...STATEFUL_RESOURCE_TYPES, ...(props.additionalStatefulResourceTypes ?? [])]);

    // Resources through the tag aspect; the stack itself explicitly, because apps created by
    // `cdk init` set @aws-cdk/core:explicitStackTags, under which the aspect skips stacks.
    Tags.of(scope).add(tag.key, tag.values[0]);
    scope.tags.setTag(tag.key, tag.values[0]);
    this.node.addValidation({ validate: () => this.validateStackTag() });

    if (props.disableBucketAbac) {
      Annotations.of(this).addWarningV2(
        'cdk-agent-guardrails:bucketAbacDisabled',
        "S3 ABAC is off on this production stack's buckets (disableBucketAbac: true); they are protected by name, which grows the agent denies policy",
      );
    } else {
      Aspects.of(scope).add(new EnableBucketAbac(), { priority: AspectPriority.MUTATING });
    }

    if (props.disableTerminationProtection) {
      Annotations.of(this).addWarningV2(
        'cdk-agent-guardrails:terminationProtectionDisabled',
        'Termination protection is disabled on a production stack (disableTerminationProtection: true)',
      );
    } else {
      scope.terminationProtection = true;
    }

    if (props.allowStatefulResourceDeletion) {
      Annotations.of(this).addWarningV2(
        'cdk-agent-guardrails:statefulDeletionAllowed',
        'Stateful resources of a production stack may be deleted (allowStatefulResourceDeletion: true)',
      );
    } else {
      Aspects.of(scope).add(new RetainStatefulResources(this.statefulTypes), { priority: AspectPriority.MUTATING });
    }

    if (props.disableStackPolicy) {
      Annotations.of(this).addWarningV2(
        'cdk-agent-guardrails:stackPolicyDisabled',
        'No stack policy protects this production stack from replacements and deletions (disableStackPolicy: true)',
      );
    } else {
      this.stackPolicy = stackPolicyDocument(props.stackPolicyScope ?? StackPolicyScope.ALL_RESOURCES, [...this.statefulTypes].sort());
      // A custom resource in the stack sets the policy on its own stack during deployment; see the
      // README for the first-deploy behaviour.
      new StackPolicy(this, 'StackPolicy', this.stackPolicy);
    }
  }

  /** What the guardrail policies protect by name in this stack, because no tag reaches it (see `protectedResourceNames`). */
  public protectedResourceNames(): ProtectedResourceNames {
    return protectedResourceNames(this.stack, this.bucketAbac);
  }

  /** The IAM service prefixes of this stack's resources (nested stacks included), plus CloudFormation. */
  public productionServices(): string[] {
    const services = new Set<string>(['cloudformation']);
    for (const child of this.stack.node.findAll()) {
      if (CfnResource.isCfnResource(child)) {
        const service = iamServiceOf(child.cfnResourceType);
        if (service !== undefined) services.add(service);
        // Instances an Auto Scaling group launches carry its tags.
        if (service === 'autoscaling') services.add('ec2');
      }
    }
    return [...services].sort();
  }

  private validateStackTag(): string[] {
    const value = this.stack.tags.tagValues()[this.productionTag.key];
    if (value === undefined || value.toLowerCase() !== this.productionTag.values[0].toLowerCase()) {
      return [
        `production stack ${this.stack.node.path} does not carry the production tag ${this.productionTag.key}=${this.productionTag.values[0]} (found ${value === undefined ? 'none' : JSON.stringify(value)}), ` +
          'so the guardrail policies would not protect it once deployed; remove whatever overrides or removes that stack tag',
      ];
    }
    return [];
  }
}

/** The stack policy: allow updates, deny replacing and deleting (everything, or stateful types). */
function stackPolicyDocument(scope: StackPolicyScope, statefulTypes: string[]): Record<string, unknown> {
  const deny: Record<string, unknown> = {
    Effect: 'Deny',
    Principal: '*',
    Action: ['Update:Replace', 'Update:Delete'],
    Resource: '*',
  };
  if (scope === StackPolicyScope.STATEFUL_RESOURCES) {
    deny.Condition = { StringEquals: { ResourceType: statefulTypes } };
  }
  return {
    Statement: [{ Effect: 'Allow', Principal: '*', Action: 'Update:*', Resource: '*' }, deny],
  };
}
