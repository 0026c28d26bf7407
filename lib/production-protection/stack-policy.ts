/*
 * Construct: the resources that set a production stack's CloudFormation stack policy during
 * deployment, as L1 resources: a function whose code is inline in the template, its role, and
 * the custom resource that calls it.
 */
import { ArnFormat, Aws, CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import {
  STACK_POLICY_BODY_PROPERTY,
  STACK_POLICY_HANDLER_SOURCE,
  STACK_POLICY_HANDLER_TIMEOUT_SECONDS,
  STACK_POLICY_RESOURCE_TYPE,
} from './stack-policy-handler';

/**
 * Sets `policy` as the stack policy of the stack it is in, at creation and at every update, with
 * permission for that one call on that one stack and for writing to the function's own log group.
 * CDK has no stack policy support (aws/aws-cdk#1697).
 */
export class StackPolicy extends Construct {
  constructor(scope: Construct, id: string, policy: Record<string, unknown>) {
    super(scope, id);
    const stack = Stack.of(this);

    // A log group of the stack's own, named before the function exists, so that the role can name
    // it without depending on the function (Lambda creates it at the first invocation).
    const logGroupName = `/agent-guardrails/stack-policy/${Aws.STACK_NAME}`;
    const logGroup = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const role = new iam.CfnRole(this, 'HandlerRole', {
      assumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      description: 'Sets the CloudFormation stack policy of this stack (cdk-agent-guardrails ProductionProtection)',
      policies: [
        {
          policyName: 'set-stack-policy',
          policyDocument: {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Action: 'cloudformation:SetStackPolicy', Resource: stack.stackId },
              // The log group, in both ARN forms CloudWatch Logs authorizes, and its streams.
              { Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [logGroup, `${logGroup}:*`] },
            ],
          },
        },
      ],
    });
    const handler = new lambda.CfnFunction(this, 'Handler', {
      code: { zipFile: STACK_POLICY_HANDLER_SOURCE },
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_22_X.name,
      role: role.attrArn,
      timeout: STACK_POLICY_HANDLER_TIMEOUT_SECONDS,
      loggingConfig: { logGroup: logGroupName },
      description: 'Sets the CloudFormation stack policy of this stack (cdk-agent-guardrails ProductionProtection)',
    });
    // Not the id 'Resource': that would give it the logical id of the AwsCustomResource that
    // earlier versions used, and CloudFormation refuses to change a resource's type.
    new CfnResource(this, 'Apply', {
      type: STACK_POLICY_RESOURCE_TYPE,
      properties: { ServiceToken: handler.attrArn, [STACK_POLICY_BODY_PROPERTY]: JSON.stringify(policy) },
    });
  }
}
