/*
 * What the app holds in production: every stack that carries the production tag (or that a
 * boundary names as production), and every resource of those stacks with the ARN, IAM resource
 * type and tags IAM would see.
 */
import { STATEFUL_RESOURCE_TYPES } from '../../production-protection/stateful-resource-types';
import { DEFAULT_PRODUCTION_TAG_KEY, DEFAULT_PRODUCTION_TAG_VALUES } from '../../production-protection/production-tag';
import { AssemblyModel, AssemblyStack, literalTags } from '../assembly';
import { wildcardMatches } from '../policy-evaluator';
import { IamCatalog } from './iam-catalog';
import { environmentOf, iamResourceTypeOf, resourceArn } from './resources';

/** The production tag: a key and the values that mean production (compared case-insensitively). */
export interface ProductionTagSpec {
  readonly key: string;
  readonly values: readonly string[];
}

/** A production stack or resource, as IAM sees it. */
export interface ProductionResource {
  readonly stackName: string;
  readonly templateFile: string;
  readonly constructPath: string;
  /** Undefined for the stack itself. */
  readonly logicalId?: string;
  readonly cfnType: string;
  /** The IAM service prefix and resource type. */
  readonly service: string;
  readonly iamType: string;
  readonly arn: string;
  /** Tags IAM would report as `aws:ResourceTag` (where the resource type supports it). */
  readonly tags: Readonly<Record<string, string>>;
  /** False when IAM does not evaluate the resource's tags (an S3 bucket with ABAC off). */
  readonly tagsEvaluated?: boolean;
  /** For a stack: a guardrail policy also names it, so it is tried without its tags too. */
  readonly namedByGuardrail?: boolean;
  /** Request keys (lower-case) that requests on the resource carry, where the action supports them: a record set's name. */
  readonly requestContext?: Readonly<Record<string, string[]>>;
}

/** A production resource whose IAM resource type is unknown, so the sweep cannot try it. */
export interface NotSwept {
  readonly stackName: string;
  readonly templateFile: string;
  readonly constructPath: string;
  readonly logicalId: string;
  readonly cfnType: string;
  /** Stateful types hold data; not sweeping one is reported as unresolved. */
  readonly stateful: boolean;
}

/** The production part of an app. */
export interface ProductionInventory {
  readonly stackNames: readonly string[];
  readonly resources: readonly ProductionResource[];
  readonly notSwept: readonly NotSwept[];
}

/** Resource types that are not resources IAM authorizes on their own (metadata, attachments). */
const NOT_RESOURCES = /^(AWS::CDK::Metadata|AWS::CloudFormation::(WaitCondition\w*|CustomResource)|AWS::IAM::Policy|AWS::Lambda::(Permission|EventSourceMapping)|AWS::SQS::QueuePolicy|AWS::SNS::(TopicPolicy|Subscription)|AWS::S3::BucketPolicy|AWS::EC2::(SubnetRouteTableAssociation|VPCGatewayAttachment|Route|SecurityGroupIngress|SecurityGroupEgress)|Custom::.*)$/;

/** The production tag from review options: `tagKey` and `tagValues`, each defaulting to `Environment=production`. */
export function productionTagSpec(options: { readonly tagKey?: string; readonly tagValues?: readonly string[] } = {}): ProductionTagSpec {
  return { key: options.tagKey ?? DEFAULT_PRODUCTION_TAG_KEY, values: options.tagValues ?? DEFAULT_PRODUCTION_TAG_VALUES };
}

/** Whether `stack` carries the production tag. */
export function isProductionStack(stack: AssemblyStack, tag: ProductionTagSpec): boolean {
  const values = tag.values.map((v) => v.toLowerCase());
  return Object.entries(stack.tags).some(([k, v]) => k.toLowerCase() === tag.key.toLowerCase() && values.includes(String(v).toLowerCase()));
}

/** Whether `name` matches one of `patterns` (stack names, `*` wildcards allowed). */
function namedBy(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => wildcardMatches(p, name));
}

/**
 * Resource types whose IAM resource supports tags but whose CloudFormation type takes none, so
 * that CloudFormation does not propagate the stack's tags to them: they are untagged. (API
 * Gateway's deployments and methods are not among them: API Gateway evaluates them with the tags
 * of their API; nor are Lambda and Step Functions versions and aliases, which IAM authorizes as
 * their function or state machine, with its tags.)
 */
const UNTAGGED_TYPES = new Set(['AWS::IAM::ManagedPolicy', 'AWS::EC2::LaunchTemplate', 'AWS::Lambda::LayerVersion']);

/**
 * The tags IAM would see on a resource: the stack's tags and CloudFormation's, which
 * CloudFormation propagates to resources that take tags, and the resource's own literal tags (a
 * global table's are on its replica in the stack's region). Types that take no tags get none.
 */
function resourceTags(stack: AssemblyStack, resource: AssemblyStack['resources'][number], stackTags: Record<string, string>): Record<string, string> {
  if (UNTAGGED_TYPES.has(resource.type)) return {};
  const properties = resource.properties;
  const replicas: any[] = Array.isArray(properties.Replicas) ? properties.Replicas : [];
  const replica = replicas.find((r) => r?.Region === stack.region) ?? replicas.find((r) => typeof r?.Region !== 'string') ?? replicas[0];
  const own = properties.Tags !== undefined ? properties.Tags : replica?.Tags;
  return { ...stackTags, ...literalTags(own), 'aws:cloudformation:logical-id': resource.logicalId };
}

/** What IAM sees of a resource beyond its ARN and tags: whether its tags count, and the names its requests carry. */
function requestFacts(resource: AssemblyStack['resources'][number]): Pick<ProductionResource, 'tagsEvaluated' | 'requestContext'> {
  if (resource.type === 'AWS::S3::Bucket') return { tagsEvaluated: resource.properties.AbacStatus === 'Enabled' };
  // Every record changed in a zone is named under the zone's name; a record set by its own name.
  const recordName = resource.type === 'AWS::Route53::RecordSet' || resource.type === 'AWS::Route53::HostedZone' ? resource.properties.Name : undefined;
  if (typeof recordName === 'string') {
    return { requestContext: { 'route53:changeresourcerecordsetsnormalizedrecordnames': [recordName.toLowerCase().replace(/\.$/, '')] } };
  }
  return {};
}

/** The production stacks and resources of `assembly`: tagged, or named by one of `namedStacks` (`*` wildcards allowed). */
export function productionInventory(assembly: AssemblyModel, catalog: IamCatalog, tag: ProductionTagSpec, namedStacks: readonly string[] = []): ProductionInventory {
  const stateful = new Set(STATEFUL_RESOURCE_TYPES);
  const resources: ProductionResource[] = [];
  const notSwept: NotSwept[] = [];
  const stacks = assembly.stacks.filter((s) => isProductionStack(s, tag) || namedBy(s.stackName, namedStacks));
  for (const stack of stacks) {
    const env = environmentOf(stack);
    const stackTags = { ...stack.tags, 'aws:cloudformation:stack-name': stack.stackName };
    // A nested stack is tried as a resource of the stack that holds it.
    if (stack.nestedIn === undefined) resources.push({
      namedByGuardrail: namedBy(stack.stackName, namedStacks),
      stackName: stack.stackName,
      templateFile: stack.templateFile,
      constructPath: stack.stackName,
      cfnType: 'AWS::CloudFormation::Stack',
      service: 'cloudformation',
      iamType: 'stack',
      arn: `arn:${env.partition}:cloudformation:${env.region}:${env.account}:stack/${stack.stackName}/00000000-0000-0000-0000-000000000000`,
      tags: stack.tags,
    });
    for (const resource of stack.resources) {
      if (NOT_RESOURCES.test(resource.type)) continue;
      if (resource.type === 'AWS::CloudFormation::Stack' && !assembly.stacks.some((s) => s.nestedIn === stack.stackName && s.stackName === `${stack.stackName}-${resource.logicalId}`)) {
        // A nested stack whose template is not in the assembly: its resources cannot be tried.
        notSwept.push({ stackName: stack.stackName, templateFile: stack.templateFile, constructPath: resource.constructPath, logicalId: resource.logicalId, cfnType: 'AWS::CloudFormation::Stack (nested template not found)', stateful: true });
      }
      const type = iamResourceTypeOf(catalog, resource.type);
      const arn = resourceArn(catalog, stack, resource);
      if (!type || !arn) {
        notSwept.push({ stackName: stack.stackName, templateFile: stack.templateFile, constructPath: resource.constructPath, logicalId: resource.logicalId, cfnType: resource.type, stateful: stateful.has(resource.type) });
        continue;
      }
      const entry: ProductionResource = {
        stackName: stack.stackName,
        templateFile: stack.templateFile,
        constructPath: resource.constructPath,
        logicalId: resource.logicalId,
        cfnType: resource.type,
        service: type.service,
        iamType: type.name,
        arn,
        tags: resourceTags(stack, resource, stackTags),
        ...requestFacts(resource),
      };
      resources.push(entry);
      if (resource.type === 'AWS::S3::Bucket') {
        // Objects: IAM evaluates the bucket's tags on them, with ABAC on.
        const objects = type.service === 's3' ? catalog.resourceType('s3', 'object') : undefined;
        if (objects) resources.push({ ...entry, constructPath: `${resource.constructPath} (objects)`, iamType: objects.name, arn: `${arn}/any-object-key` });
      }
    }
  }
  return { stackNames: stacks.map((s) => s.stackName), resources, notSwept };
}
