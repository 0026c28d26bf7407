/* Pure: which IAM service a CloudFormation resource type belongs to. */

/** CloudFormation namespaces whose IAM service prefix is not simply the lower-cased namespace. */
const SERVICE_PREFIXES: Readonly<Record<string, string>> = {
  ApiGatewayV2: 'apigateway',
  ApplicationAutoScaling: 'application-autoscaling',
  CertificateManager: 'acm',
  Cognito: 'cognito-idp',
  DocDB: 'rds',
  EFS: 'elasticfilesystem',
  EMR: 'elasticmapreduce',
  ElasticLoadBalancing: 'elasticloadbalancing',
  ElasticLoadBalancingV2: 'elasticloadbalancing',
  Elasticsearch: 'es',
  KinesisFirehose: 'firehose',
  MSK: 'kafka',
  Neptune: 'rds',
  OpenSearchServerless: 'aoss',
  OpenSearchService: 'es',
  RedshiftServerless: 'redshift-serverless',
  ResourceGroups: 'resource-groups',
  StepFunctions: 'states',
};

/** CloudFormation types whose IAM service differs from their namespace's. */
const TYPE_SERVICES: Readonly<Record<string, string>> = {
  'AWS::Cognito::IdentityPool': 'cognito-identity',
  'AWS::Cognito::IdentityPoolRoleAttachment': 'cognito-identity',
  'AWS::Cognito::IdentityPoolPrincipalTag': 'cognito-identity',
};

/**
 * The IAM service prefix of a CloudFormation resource type (`AWS::StepFunctions::StateMachine` is
 * `states`), or undefined for types that are not AWS resources (`Custom::*`, third-party types).
 * The prefix is a guess for namespaces not listed here: callers check it against the catalog.
 */
export function iamServiceOf(cfnType: string): string | undefined {
  const [vendor, namespace, typeName] = cfnType.split('::');
  if (vendor !== 'AWS' || !namespace || !typeName) {
    return undefined;
  }
  return TYPE_SERVICES[cfnType] ?? SERVICE_PREFIXES[namespace] ?? namespace.toLowerCase();
}
