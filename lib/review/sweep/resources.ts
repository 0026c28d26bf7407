/*
 * Template resources as IAM sees them: which IAM resource type a CloudFormation type is, the name
 * and ARN CloudFormation would give it, and template values (Ref, Fn::GetAtt, Fn::Join, Fn::Sub)
 * resolved for one assumed account and region, so that policies and production resources agree.
 */
import { AssemblyModel, AssemblyResource, AssemblyStack } from '../assembly';
import { iamServiceOf } from '../../private/cfn-services';
import { IamCatalog } from './iam-catalog';

/** The account and region assumed for stacks that do not name theirs. */
export const ASSUMED_ENVIRONMENT = { account: '123456789012', region: 'us-east-1', partition: 'aws' } as const;

/** A stack's account, region and partition, as the sweep assumes them. */
export interface SweepEnvironment {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
}

/** The environment of `stack`: its own account and region, or the assumed ones. */
export function environmentOf(stack: AssemblyStack): SweepEnvironment {
  return { account: stack.account ?? ASSUMED_ENVIRONMENT.account, region: stack.region ?? ASSUMED_ENVIRONMENT.region, partition: ASSUMED_ENVIRONMENT.partition };
}

/** CloudFormation types whose IAM resource type is not their own name. */
const RESOURCE_TYPES: Record<string, string> = {
  'AWS::DynamoDB::GlobalTable': 'table',
  'AWS::RDS::DBInstance': 'db',
  'AWS::RDS::DBCluster': 'cluster',
  'AWS::Neptune::DBCluster': 'cluster',
  'AWS::DocDB::DBCluster': 'cluster',
  'AWS::Events::Rule': 'rule-on-default-event-bus',
  'AWS::ElastiCache::CacheCluster': 'cluster',
  'AWS::ElasticLoadBalancingV2::LoadBalancer': 'loadbalancer/app/',
  'AWS::IAM::ManagedPolicy': 'policy',
  'AWS::ApiGateway::RestApi': 'RestApi',
  'AWS::KinesisFirehose::DeliveryStream': 'deliverystream',
  'AWS::EC2::EIP': 'elastic-ip',
  'AWS::ElasticLoadBalancingV2::Listener': 'listener/app',
  'AWS::ElasticLoadBalancingV2::TargetGroup': 'targetgroup',
  // Acted on through the resource they belong to, whose ARN they carry (see resourceArn).
  'AWS::Lambda::Alias': 'function',
  'AWS::Lambda::Version': 'function',
  'AWS::RDS::DBSubnetGroup': 'subgrp',
  'AWS::Route53::RecordSet': 'hostedzone',
  'AWS::SecretsManager::SecretTargetAttachment': 'Secret',
  'AWS::AppConfig::HostedConfigurationVersion': 'hostedconfigurationversion',
  'AWS::ApplicationAutoScaling::ScalingPolicy': 'ScalableTarget',
};

/**
 * Types acted on through another resource: the property naming it, and what follows its ARN
 * (an alias qualifies its function's ARN; a record set is changed through its zone).
 */
const THROUGH: Record<string, { property: string; suffix?: (resource: AssemblyResource) => string | undefined }> = {
  'AWS::Lambda::Alias': { property: 'FunctionName', suffix: (r) => (typeof r.properties.Name === 'string' ? `:${r.properties.Name}` : undefined) },
  'AWS::Lambda::Version': { property: 'FunctionName', suffix: () => ':1' },
  'AWS::Route53::RecordSet': { property: 'HostedZoneId' },
  'AWS::SecretsManager::SecretTargetAttachment': { property: 'SecretId' },
  'AWS::ApplicationAutoScaling::ScalingPolicy': { property: 'ScalingTargetId' },
};

/** The IAM resource type of a CloudFormation type, if the catalog has one. */
export function iamResourceTypeOf(catalog: IamCatalog, cfnType: string): { service: string; name: string; arn: string; conditionKeys: readonly string[] } | undefined {
  const typeName = cfnType.split('::')[2];
  const service = iamServiceOf(cfnType);
  if (service === undefined) {
    return undefined;
  }
  const named = RESOURCE_TYPES[cfnType];
  const found = named
    ? catalog.resourceType(service, named)
    : (catalog.resourceType(service, typeName) ?? catalog.resourceType(service, typeName.replace(/([a-z])([A-Z])/g, '$1-$2')));
  return found ? { service: found.service, name: found.name, arn: found.arn, conditionKeys: found.conditionKeys } : undefined;
}

/** The physical name CloudFormation gives a resource: its name property, or stack-LogicalId. */
export function physicalName(stack: AssemblyStack, resource: AssemblyResource): string {
  if (resource.type === 'AWS::SSM::Parameter' && typeof resource.properties.Name === 'string') {
    // The ARN holds the name without its leading slash: parameter/orders/db-url.
    return resource.properties.Name.replace(/^\//, '');
  }
  const typeName = resource.type.split('::')[2] ?? '';
  const candidates = [`${typeName}Name`, 'Name', `${typeName}Identifier`, 'DBInstanceIdentifier', 'DBClusterIdentifier', 'ClusterName'];
  for (const property of candidates) {
    if (typeof resource.properties[property] === 'string') {
      return resource.properties[property];
    }
  }
  const generated = `${stack.stackName}-${resource.logicalId}`;
  return resource.type === 'AWS::S3::Bucket' ? generated.toLowerCase() : generated;
}

/** An ARN from a catalog ARN format: the first name variable gets `name`, later ones `name` too. */
export function formatArn(format: string, env: SweepEnvironment, name: string): string {
  return format.replace(/\$\{([^}]+)\}/g, (_m, variable: string) => {
    switch (variable) {
      case 'Partition':
        return env.partition;
      case 'Region':
        return env.region;
      case 'Account':
        return env.account;
      default:
        return name;
    }
  });
}

/** The ARN of a role or managed policy CloudFormation would create: its path, then its name. */
function iamArn(stack: AssemblyStack, resource: AssemblyResource, env: SweepEnvironment): string | undefined {
  const kind = resource.type === 'AWS::IAM::Role' ? 'role' : resource.type === 'AWS::IAM::ManagedPolicy' ? 'policy' : undefined;
  if (!kind) return undefined;
  const iamPath = resource.properties.Path ?? '/';
  const name = resource.properties[kind === 'role' ? 'RoleName' : 'ManagedPolicyName'] ?? `${stack.stackName}-${resource.logicalId}`;
  return typeof iamPath === 'string' && typeof name === 'string' ? `arn:${env.partition}:iam::${env.account}:${kind}${iamPath}${name}` : undefined;
}

/** The ARN of a resource of `stack`, if its type is known to the catalog. */
export function resourceArn(catalog: IamCatalog, stack: AssemblyStack, resource: AssemblyResource): string | undefined {
  const env = environmentOf(stack);
  const iam = iamArn(stack, resource, env);
  if (iam) return iam;
  const type = iamResourceTypeOf(catalog, resource.type);
  if (!type) return undefined;
  if (resource.type === 'AWS::AppConfig::HostedConfigurationVersion') {
    // Named by the ids of its application and configuration profile, then its version number.
    const application = resourceThrough(catalog, stack, resource.properties.ApplicationId);
    const profile = resourceThrough(catalog, stack, resource.properties.ConfigurationProfileId);
    return application && profile ? formatArn(type.arn, env, '').replace(/application\/.*$/, `application/${lastSegment(application)}/configurationprofile/${lastSegment(profile)}/hostedconfigurationversion/1`) : undefined;
  }
  const through = THROUGH[resource.type];
  if (through) {
    const owner = resourceThrough(catalog, stack, resource.properties[through.property]);
    const suffix = through.suffix ? through.suffix(resource) : '';
    return owner !== undefined && suffix !== undefined ? `${owner.startsWith('arn:') ? owner : formatArn(type.arn, env, owner)}${suffix}` : undefined;
  }
  return formatArn(type.arn, env, physicalName(stack, resource));
}

/** The id at the end of an ARN (`.../configurationprofile/abc` is `abc`), or the value itself. */
function lastSegment(value: string): string {
  return value.startsWith('arn:') ? value.slice(value.lastIndexOf('/') + 1) : value;
}

/** The ARN or name a property pointing at another resource resolves to (a literal, a Ref, or an Arn). */
function resourceThrough(catalog: IamCatalog, stack: AssemblyStack, value: unknown): string | undefined {
  const target = value !== null && typeof value === 'object' && 'Ref' in value ? stack.resources.find((r) => r.logicalId === (value as { Ref: string }).Ref) : undefined;
  if (target) return resourceArn(catalog, stack, target) ?? physicalName(stack, target);
  const resolved = resolveValue(value, stack, catalog);
  return typeof resolved === 'string' && !resolved.includes(UNRESOLVED) ? resolved : undefined;
}

/** Marks a part of a value that cannot be resolved offline. */
export const UNRESOLVED = '#unresolved#';

/**
 * Resolves a template value for `stack` of `assembly`: pseudo parameters, Ref and Fn::GetAtt Arn of
 * resources whose names and ARNs are known, Fn::Join and Fn::Sub. Anything else (imports,
 * parameters, other attributes) becomes `UNRESOLVED` inside the text.
 */
export function resolveValue(value: unknown, stack: AssemblyStack, catalog: IamCatalog): unknown {
  const env = environmentOf(stack);
  const resolve = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(resolve);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, any>;
    if ('Ref' in o) return ref(String(o.Ref));
    if ('Fn::GetAtt' in o) {
      const [logicalId, attribute] = Array.isArray(o['Fn::GetAtt']) ? o['Fn::GetAtt'] : String(o['Fn::GetAtt']).split('.');
      const target = stack.resources.find((r) => r.logicalId === logicalId);
      return target && attribute === 'Arn' ? (resourceArn(catalog, stack, target) ?? UNRESOLVED) : UNRESOLVED;
    }
    if ('Fn::Join' in o) {
      const [separator, parts] = o['Fn::Join'];
      const resolved = resolve(parts);
      return Array.isArray(resolved) && typeof separator === 'string' ? resolved.map((p) => (typeof p === 'string' ? p : UNRESOLVED)).join(separator) : UNRESOLVED;
    }
    if ('Fn::Sub' in o) {
      const [text, variables] = typeof o['Fn::Sub'] === 'string' ? [o['Fn::Sub'], {}] : o['Fn::Sub'];
      return String(text).replace(/\$\{([^}!]+)\}/g, (_m: string, name: string) => {
        const bound = variables?.[name] !== undefined ? resolve(variables[name]) : name.includes('.') ? resolve({ 'Fn::GetAtt': name.split('.') }) : ref(name);
        return typeof bound === 'string' ? bound : UNRESOLVED;
      });
    }
    // Cross-stack references: an export (strong) or another stack's output (weak).
    const imported =
      typeof o['Fn::ImportValue'] === 'string'
        ? stack.imports?.get(`export:${o['Fn::ImportValue']}`)
        : typeof o['Fn::GetStackOutput']?.StackName === 'string' && typeof o['Fn::GetStackOutput']?.OutputName === 'string'
          ? stack.imports?.get(`output:${o['Fn::GetStackOutput'].StackName}:${o['Fn::GetStackOutput'].OutputName}`)
          : undefined;
    if (imported) return resolveValue(imported.value, imported.stack, catalog);
    if (Object.keys(o).some((k) => k.startsWith('Fn::'))) return UNRESOLVED;
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
  };
  const ref = (name: string): string => {
    switch (name) {
      case 'AWS::Partition':
        return env.partition;
      case 'AWS::AccountId':
        return env.account;
      case 'AWS::Region':
        return env.region;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stack.stackName;
    }
    const target = stack.resources.find((r) => r.logicalId === name);
    if (!target) return UNRESOLVED;
    if (target.type === 'AWS::IAM::ManagedPolicy') return iamArn(stack, target, env) ?? UNRESOLVED;
    if (target.type === 'AWS::IAM::Role') return String(target.properties.RoleName ?? `${stack.stackName}-${target.logicalId}`);
    return iamResourceTypeOf(catalog, target.type) ? physicalName(stack, target) : UNRESOLVED;
  };
  return resolve(value);
}

/** The stack of `assembly` holding a resource whose ARN is `arn`, with the resource. */
export function findByArn(catalog: IamCatalog, assembly: AssemblyModel, arn: string): { stack: AssemblyStack; resource: AssemblyResource } | undefined {
  for (const stack of assembly.stacks) {
    for (const resource of stack.resources) {
      if (resourceArn(catalog, stack, resource) === arn) return { stack, resource };
    }
  }
  return undefined;
}
