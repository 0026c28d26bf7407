/*
 * Construct logic: what the guardrail policies must name in a production stack, because no tag
 * reaches it. Some resources carry no tag IAM evaluates; others are named inside a request (a
 * condition key) rather than as the resource IAM authorizes, so their tag is never checked.
 */
import { CfnResource, ReferenceStrength, Stack, Token } from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { renderedProperties } from '../private/render';
import { generatedNamePrefix, physicalNamePattern } from '../private/tokens';
import { ABAC_ENABLED } from './aspects';
import { TAG_BLIND_TYPES } from './protected-by-name';

/** The default event bus, as an ARN pattern: production's when a production rule matches events on it. */
export const DEFAULT_EVENT_BUS_ARN = 'arn:*:events:*:*:event-bus/default';

/** Names of a production stack's resources that the guardrail policies protect by name. */
export interface ProtectedResourceNames {
  /** Names or patterns of S3 buckets whose tags IAM does not evaluate (ABAC off). */
  readonly buckets: string[];
  /** DNS names of the stack's hosted zones: their records are protected by name. */
  readonly recordNames: string[];
  /**
   * ARN patterns of resources whose types carry no tags IAM evaluates (layer versions, archives...),
   * and the default event bus when a production rule matches events on it.
   */
  readonly resourceArns: string[];
  /**
   * ARNs of resources no tag protects whose identifiers CloudFormation assigns at deployment
   * (hosted zones, hosted configuration versions). They hold weak references to this stack
   * (`Fn::GetStackOutput`), which the guardrail policies use when in the same stage and account.
   */
  readonly referencedArns: string[];
  /**
   * Production VPC ids, which requests name in condition keys (`route53:VPCs`, `lambda:VpcIds`):
   * weak references for the stack's own VPCs, literal ids for VPCs it looks up or imports.
   */
  readonly vpcIds: string[];
  /** Production subnet ids (`elasticloadbalancing:Subnet`, `ecs:subnet`), like `vpcIds`. */
  readonly subnetIds: string[];
  /** ARN patterns of production ECS clusters (`ecs:cluster`). */
  readonly clusterArns: string[];
}

/**
 * What the guardrail policies protect by name in `stack`: S3 buckets whose tags IAM does not
 * evaluate (ABAC off; `bucketAbac` says whether the stack turns it on), as IAM patterns (a bucket
 * CloudFormation names itself is matched by the lower-cased stack-name prefix it gets); the DNS
 * names of hosted zones; the tag-blind types of `PRODUCTION_TYPES_PROTECTED_BY_NAME`; the ids of
 * hosted zones and hosted configuration versions; and the VPCs, subnets, clusters and default
 * event bus that requests can name without IAM checking their tags.
 */
export function protectedResourceNames(stack: Stack, bucketAbac: boolean): ProtectedResourceNames {
  const buckets = new Set<string>();
  const recordNames = new Set<string>();
  const resourceArns = new Set<string>();
  const referencedArns: string[] = [];
  const vpcIds = new Set<string>();
  const subnetIds = new Set<string>();
  const clusterArns = new Set<string>();
  for (const child of stack.node.findAll()) {
    // Each class is read only for a resource of its type: aws-cdk-lib loads a service's module the
    // first time one of its classes is read, which an app without such resources never needs.
    const type = CfnResource.isCfnResource(child) ? child.cfnResourceType : undefined;
    if (type === 'AWS::Route53::HostedZone' && child instanceof route53.CfnHostedZone) {
      referencedArns.push(`arn:*:route53:::hostedzone/${weak(child.ref)}`);
    } else if (type === 'AWS::AppConfig::HostedConfigurationVersion' && child instanceof appconfig.CfnHostedConfigurationVersion) {
      referencedArns.push(`arn:*:appconfig:*:*:application/${weak(child.applicationId)}/configurationprofile/${weak(child.configurationProfileId)}/hostedconfigurationversion/*`);
    } else if (isOfType(child, 'AWS::EC2::VPC')) {
      vpcIds.add(weak(child.ref));
    } else if (isOfType(child, 'AWS::EC2::Subnet')) {
      subnetIds.add(weak(child.ref));
    } else if (isOfType(child, 'AWS::ECS::Cluster')) {
      // A cluster CloudFormation names itself is called <stack>-<logical id>-<random>.
      const declared = renderedProperties(child).ClusterName;
      const name = typeof declared === 'string' ? physicalNamePattern(Stack.of(child), declared) : undefined;
      clusterArns.add(`arn:*:ecs:*:*:cluster/${name ?? `*${Stack.of(child).getLogicalId(child)}*`}`);
    } else if (type === 'AWS::Events::Rule' && child instanceof events.CfnRule && renderedProperties(child).EventPattern !== undefined && isDefaultBus(child.eventBusName)) {
      resourceArns.add(DEFAULT_EVENT_BUS_ARN);
    } else if (isImportedVpc(child)) {
      // Looked up or imported: the ids are literal, and the same in every stage.
      addLiteral(vpcIds, child.vpcId);
      for (const subnet of [...child.publicSubnets, ...child.privateSubnets, ...child.isolatedSubnets]) addLiteral(subnetIds, subnet.subnetId);
    }
    const blind = type !== undefined ? TAG_BLIND_TYPES[type] : undefined;
    if (blind && CfnResource.isCfnResource(child)) {
      const declared = renderedProperties(child)[blind.nameProperty];
      resourceArns.add(blind.arn(typeof declared === 'string' ? declared : `*${Stack.of(child).getLogicalId(child)}*`));
    }
    // ABAC is turned on by an aspect at synth: before that, a bucket with no status will get it.
    const bucket = type === 'AWS::S3::Bucket' && child instanceof s3.CfnBucket ? child : undefined;
    const abac = bucket ? (bucket.abacStatus ?? (bucketAbac ? ABAC_ENABLED : undefined)) : undefined;
    if (bucket && Stack.of(bucket) === stack && abac !== ABAC_ENABLED) {
      const explicit = bucket.bucketName === undefined ? undefined : physicalNamePattern(stack, bucket.bucketName);
      buckets.add(explicit ?? generatedNamePrefix(stack.stackName, 20, true));
    }
    if (type === 'AWS::Route53::HostedZone' && child instanceof route53.CfnHostedZone && child.name !== undefined && !Token.isUnresolved(child.name)) {
      recordNames.add(child.name.toLowerCase().replace(/\.$/, ''));
    }
  }
  return {
    buckets: [...buckets].sort(),
    recordNames: [...recordNames].sort(),
    resourceArns: [...resourceArns].sort(),
    referencedArns,
    vpcIds: [...vpcIds],
    subnetIds: [...subnetIds],
    clusterArns: [...clusterArns].sort(),
  };
}

/** Whether `x` is a resource of CloudFormation type `type`, however it was made (L1, L2 or raw `CfnResource`). */
function isOfType(x: unknown, type: string): x is CfnResource {
  return CfnResource.isCfnResource(x as IConstruct) && (x as CfnResource).cfnResourceType === type;
}

/** A rule on the default bus names none, or names it `default` (by name or ARN). */
function isDefaultBus(name: string | undefined): boolean {
  return name === undefined || (!Token.isUnresolved(name) && (name === 'default' || name.endsWith(':event-bus/default')));
}

/** A VPC the stack looks up or imports (`Vpc.fromLookup`, `Vpc.fromVpcAttributes`), not one it creates. */
function isImportedVpc(x: unknown): x is ec2.IVpc {
  // `ec2.Vpc` is read last, for something that is a VPC (see protectedResourceNames).
  return typeof x === 'object' && x !== null && 'vpcId' in x && 'publicSubnets' in x && 'selectSubnets' in x && !(x instanceof ec2.Vpc);
}

function addLiteral(into: Set<string>, value: string): void {
  if (!Token.isUnresolved(value)) into.add(value);
}

/**
 * A weak cross-stack reference (`Fn::GetStackOutput`, no export): the guardrail policies name a
 * production resource by the id CloudFormation gave it, and nobody is ever blocked from changing
 * or removing that resource because the guardrails name it.
 */
function weak(value: string): string {
  return Stack.consumeReference(value, ReferenceStrength.WEAK);
}
