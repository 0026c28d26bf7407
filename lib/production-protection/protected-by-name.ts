/* Pure: the production resource types the guardrails protect by name, because no tag reaches them. */

/**
 * Production resource types no tag protects (IAM evaluates no `aws:ResourceTag` on them, or
 * CloudFormation cannot tag them), with the ARN pattern of one: the literal name property, or,
 * for a name CloudFormation generates, anything containing the logical id.
 */
export const TAG_BLIND_TYPES: Readonly<Record<string, { readonly nameProperty: string; readonly arn: (name: string) => string }>> = {
  'AWS::Lambda::LayerVersion': { nameProperty: 'LayerName', arn: (n) => `arn:*:lambda:*:*:layer:${n}:*` },
  'AWS::Events::Archive': { nameProperty: 'ArchiveName', arn: (n) => `arn:*:events:*:*:archive/${n}` },
  'AWS::Events::Connection': { nameProperty: 'Name', arn: (n) => `arn:*:events:*:*:connection/${n}/*` },
  'AWS::Events::ApiDestination': { nameProperty: 'Name', arn: (n) => `arn:*:events:*:*:api-destination/${n}/*` },
  'AWS::Events::Endpoint': { nameProperty: 'Name', arn: (n) => `arn:*:events:*:*:endpoint/${n}` },
  'AWS::ApiGateway::Account': { nameProperty: '-', arn: () => 'arn:*:apigateway:*::/account' },
  'AWS::AutoScaling::LaunchConfiguration': { nameProperty: 'LaunchConfigurationName', arn: (n) => `arn:*:autoscaling:*:*:launchConfiguration:*:launchConfigurationName/${n}` },
};

/** The production resource types the guardrails protect by name, because no tag reaches them. */
export const PRODUCTION_TYPES_PROTECTED_BY_NAME: readonly string[] = Object.keys(TAG_BLIND_TYPES).sort();

