import { App, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ProductionProtection, ProductionProtectionProps, StackPolicyScope } from '../../lib';
import { STACK_POLICY_RESOURCE_TYPE } from '../../lib/production-protection/stack-policy-handler';
import { simulate } from '../support/simulator';
import { inlinePoliciesOf, resolveIntrinsics, stackArn } from '../support/template';

function protectedStack(props?: ProductionProtectionProps) {
  const app = new App();
  const stack = new Stack(app, 'Prod', { stackName: 'orders-prod' });
  new dynamodb.Table(stack, 'Orders', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING }, removalPolicy: RemovalPolicy.DESTROY });
  new s3.Bucket(stack, 'Receipts');
  new sqs.Queue(stack, 'Incoming');
  const protection = new ProductionProtection(stack, 'ProductionProtection', props);
  return { app, stack, protection };
}

/** The stack policy resource of `stack`, its function, the function's role and that role's policies, and the policy it sets. */
function stackPolicyOf(stack: Stack) {
  const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, any> };
  const resources = Object.entries(template.Resources);
  const [[resourceId, resource], ...others] = resources.filter(([, r]) => r.Type === STACK_POLICY_RESOURCE_TYPE);
  expect(others).toEqual([]);
  const functionId: string = resource.Properties.ServiceToken['Fn::GetAtt'][0];
  const fn = template.Resources[functionId];
  const roleId: string = fn.Properties.Role['Fn::GetAtt'][0];
  const role = template.Resources[roleId];
  // As CloudFormation fills them in for the stack orders-prod.
  const deployed = (value: any): any =>
    value?.Ref === 'AWS::StackId' ? stackArn('orders-prod') : value?.Ref === 'AWS::StackName' ? 'orders-prod' : Array.isArray(value) ? value.map(deployed) : value && typeof value === 'object' && !('Ref' in value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deployed(v)])) : value;
  const rolePolicies = [
    ...(role.Properties.Policies ?? []).map((p: any) => resolveIntrinsics(deployed(p.PolicyDocument), template as any)),
    ...inlinePoliciesOf(deployed(template), roleId),
  ];
  return { template, resourceId, resource, functionId, fn, role, rolePolicies, deployed, policy: JSON.parse(resource.Properties.StackPolicyBody) };
}

describe('ProductionProtection', () => {
  test('tags the stack and its resources as production', () => {
    const { app, stack } = protectedStack();
    expect(app.synth().getStackByName('orders-prod').tags).toEqual({ Environment: 'production' });
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', { Tags: [{ Key: 'Environment', Value: 'production' }] });
  });

  test('turns on termination protection', () => {
    const { app } = protectedStack();
    expect(app.synth().getStackByName('orders-prod').terminationProtection).toBe(true);
  });

  test('retains stateful resources on delete and replacement, overriding DESTROY, and turns on deletion protection', () => {
    const { stack } = protectedStack();
    const template = Template.fromStack(stack);
    for (const type of ['AWS::DynamoDB::Table', 'AWS::S3::Bucket', 'AWS::SQS::Queue']) {
      template.hasResource(type, { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
    template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
    Annotations.fromStack(stack).hasInfo('/Prod/Orders/Resource', Match.stringLikeRegexp('had removal policy DESTROY; production protection retains it'));
  });

  test('turns on RDS deletion protection', () => {
    const app = new App();
    const stack = new Stack(app, 'Prod', { stackName: 'orders-prod' });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
    new rds.DatabaseInstance(stack, 'Db', { engine: rds.DatabaseInstanceEngine.POSTGRES, vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }, storageEncrypted: true });
    new ProductionProtection(stack, 'ProductionProtection');
    Template.fromStack(stack).hasResource('AWS::RDS::DBInstance', { DeletionPolicy: 'Retain', Properties: Match.objectLike({ DeletionProtection: true }) });
  });

  test('sets a stack policy that denies replacing and deleting every resource', () => {
    const { policy } = stackPolicyOf(protectedStack().stack);
    expect(policy.Statement).toEqual([
      { Effect: 'Allow', Principal: '*', Action: 'Update:*', Resource: '*' },
      { Effect: 'Deny', Principal: '*', Action: ['Update:Replace', 'Update:Delete'], Resource: '*' },
    ]);
  });

  test('sets it through a function whose code is in the template, with no asset, carrying the production tag', () => {
    const { app, stack } = protectedStack();
    const { fn, role } = stackPolicyOf(stack);
    expect(fn.Properties).toMatchObject({ Handler: 'index.handler', Runtime: 'nodejs22.x', Code: { ZipFile: expect.stringContaining('SetStackPolicyCommand') } });
    expect(fn.Properties.Code.ZipFile.length).toBeLessThan(4096);
    for (const tagged of [fn, role]) expect(tagged.Properties.Tags).toEqual([{ Key: 'Environment', Value: 'production' }]);
    expect(app.synth().getStackByName('orders-prod').assets).toEqual([]);
  });

  test('gives the function least privilege: SetStackPolicy on its own stack, and writing to its own log group', async () => {
    const { fn, role, rolePolicies, deployed } = stackPolicyOf(protectedStack().stack);
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(rolePolicies).toHaveLength(1);
    const logGroupName = deployed(fn.Properties.LoggingConfig.LogGroup);
    expect(resolveIntrinsics(logGroupName, {} as any)).toBe('/agent-guardrails/stack-policy/orders-prod');
    const logGroup = 'arn:aws:logs:us-east-1:111122223333:log-group:/agent-guardrails/stack-policy/orders-prod';
    const decide = async (action: string, resource: string) => (await simulate({ action, resource }, { identity: rolePolicies })).result;
    expect(await decide('cloudformation:SetStackPolicy', stackArn('orders-prod'))).toBe('Allowed');
    expect(await decide('logs:CreateLogGroup', logGroup)).toBe('Allowed');
    expect(await decide('logs:CreateLogStream', `${logGroup}:log-stream:2026/12/03/handler[$LATEST]abc`)).toBe('Allowed');
    expect(await decide('logs:PutLogEvents', `${logGroup}:log-stream:2026/12/03/handler[$LATEST]abc`)).toBe('Allowed');
    expect(await decide('cloudformation:SetStackPolicy', stackArn('payments-prod'))).toBe('ImplicitlyDenied');
    expect(await decide('cloudformation:UpdateStack', stackArn('orders-prod'))).toBe('ImplicitlyDenied');
    expect(await decide('logs:PutLogEvents', 'arn:aws:logs:us-east-1:111122223333:log-group:/agent-guardrails/stack-policy/payments-prod:log-stream:x')).toBe('ImplicitlyDenied');
    expect(await decide('logs:CreateLogGroup', `${logGroup}-other`)).toBe('ImplicitlyDenied');
  });

  test("gives the stack policy resource a logical id of its own, not the one of earlier versions' Custom::AWS, whose type CloudFormation would refuse to change", () => {
    const { resourceId, template } = stackPolicyOf(protectedStack().stack);
    expect(resourceId).toMatch(/^ProductionProtectionStackPolicyApply/);
    expect(template.Resources.ProductionProtectionStackPolicy627F7F71).toBeUndefined();
  });

  test('limits the stack policy to stateful resource types when asked', () => {
    const { stack } = protectedStack({ stackPolicyScope: StackPolicyScope.STATEFUL_RESOURCES, additionalStatefulResourceTypes: ['AWS::Timestream::Table'] });
    const deny = stackPolicyOf(stack).policy.Statement[1];
    expect(deny.Condition.StringEquals.ResourceType).toEqual(expect.arrayContaining(['AWS::DynamoDB::Table', 'AWS::RDS::DBInstance', 'AWS::Timestream::Table']));
  });

  test('opts out only when told to, and says so', () => {
    const { app, stack } = protectedStack({ disableStackPolicy: true, disableTerminationProtection: true, allowStatefulResourceDeletion: true });
    const template = Template.fromStack(stack);
    template.resourceCountIs(STACK_POLICY_RESOURCE_TYPE, 0);
    template.resourceCountIs('AWS::Lambda::Function', 0);
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    expect(app.synth().getStackByName('orders-prod').terminationProtection).toBe(false);
    const warnings = Annotations.fromStack(stack).findWarning('/Prod/ProductionProtection', Match.anyValue());
    expect(warnings.map((w) => w.entry.data)).toEqual([
      expect.stringMatching(/Termination protection is disabled/),
      expect.stringMatching(/Stateful resources .* may be deleted/),
      expect.stringMatching(/No stack policy protects/),
    ]);
  });

  test('warns when deletion protection is explicitly off on a production table', () => {
    const app = new App();
    const stack = new Stack(app, 'Prod', { stackName: 'orders-prod' });
    new dynamodb.CfnTable(stack, 'Raw', { keySchema: [{ attributeName: 'id', keyType: 'HASH' }], attributeDefinitions: [{ attributeName: 'id', attributeType: 'S' }], billingMode: 'PAY_PER_REQUEST', deletionProtectionEnabled: false });
    new ProductionProtection(stack, 'ProductionProtection');
    Template.fromStack(stack).hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
    Annotations.fromStack(stack).hasWarning('/Prod/Raw', Match.stringLikeRegexp('deletionProtectionEnabled is explicitly false'));
  });

  test('turns on S3 ABAC on its buckets, so their production tag is evaluated, and names none of them', () => {
    const { app, stack, protection } = protectedStack();
    app.synth();
    Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', { AbacStatus: 'Enabled' });
    expect(protection.protectedResourceNames()).toEqual({ buckets: [], recordNames: [], resourceArns: [], referencedArns: [], vpcIds: [], subnetIds: [], clusterArns: [] });
  });

  test('names the buckets whose tags IAM does not evaluate, when ABAC is turned off', () => {
    const app = new App();
    const stack = new Stack(app, 'Prod', { stackName: 'Orders-Production-Stack-With-A-Long-Name' });
    new s3.Bucket(stack, 'Generated');
    new s3.Bucket(stack, 'Named', { bucketName: `archive-${stack.account}` });
    const protection = new ProductionProtection(stack, 'ProductionProtection', { disableBucketAbac: true });

    expect(protection.protectedResourceNames()).toEqual({ buckets: ['archive-*', 'orders-production-st-*'], recordNames: [], resourceArns: [], referencedArns: [], vpcIds: [], subnetIds: [], clusterArns: [] });
    Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', { AbacStatus: Match.absent() });
    Annotations.fromStack(stack).hasWarning('/Prod/ProductionProtection', Match.stringLikeRegexp('S3 ABAC is off'));
  });

  test('names the DNS zones whose records are protected by name, and the services production uses', () => {
    const app = new App();
    const stack = new Stack(app, 'Prod', { stackName: 'orders-prod' });
    new route53.PublicHostedZone(stack, 'Zone', { zoneName: 'Shop.Example.com.' });
    new sqs.Queue(stack, 'Queue');
    const protection = new ProductionProtection(stack, 'ProductionProtection', { disableStackPolicy: true });
    expect(protection.protectedResourceNames().recordNames).toEqual(['shop.example.com']);
    expect(protection.productionServices()).toEqual(['cloudformation', 'route53', 'sqs']);
  });

  test('names the resources no tag protects: layer versions and archives, by their name or logical id', () => {
    const app = new App();
    const stack = new Stack(app, 'Prod', { stackName: 'orders-prod' });
    new lambda.CfnLayerVersion(stack, 'Shared', { content: { s3Bucket: 'artifacts', s3Key: 'layer.zip' } });
    new lambda.CfnLayerVersion(stack, 'Named', { layerName: 'orders-common', content: { s3Bucket: 'artifacts', s3Key: 'layer.zip' } });
    new events.CfnArchive(stack, 'Archive', { sourceArn: 'arn:aws:events:us-east-1:111122223333:event-bus/default' });
    const protection = new ProductionProtection(stack, 'ProductionProtection', { disableStackPolicy: true });
    expect(protection.protectedResourceNames().resourceArns).toEqual([
      'arn:*:events:*:*:archive/*Archive*',
      'arn:*:lambda:*:*:layer:*Shared*:*',
      'arn:*:lambda:*:*:layer:orders-common:*',
    ]);
  });

  test('names what requests place in production: its VPCs and subnets, looked up or created, its clusters, and the default bus its rules watch', () => {
    const app = new App();
    const stack = new Stack(app, 'Prod', { stackName: 'orders-prod', env: { account: '111122223333', region: 'eu-west-1' } });
    new ec2.Vpc(stack, 'Network', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'app', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    ec2.Vpc.fromVpcAttributes(stack, 'Shared', { vpcId: 'vpc-0shared', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-0shared'] });
    new ecs.CfnCluster(stack, 'Generated');
    new ecs.CfnCluster(stack, 'Named', { clusterName: 'orders' });
    new events.Rule(stack, 'TaskStopped', { eventPattern: { source: ['aws.ecs'] } });
    new events.Rule(stack, 'Nightly', { schedule: events.Schedule.rate(Duration.days(1)) });
    const protection = new ProductionProtection(stack, 'ProductionProtection', { disableStackPolicy: true });

    const names = protection.protectedResourceNames();
    // The stack's own VPC and subnets by weak reference (their ids are assigned at deployment), the imported ones literally.
    const literal = (values: string[]) => values.filter((v) => !Token.isUnresolved(v));
    expect(literal(names.vpcIds)).toEqual(['vpc-0shared']);
    expect(names.vpcIds).toHaveLength(2);
    expect(literal(names.subnetIds)).toEqual(['subnet-0shared']);
    expect(names.subnetIds).toHaveLength(3);
    expect(names.clusterArns).toEqual(['arn:*:ecs:*:*:cluster/*Generated*', 'arn:*:ecs:*:*:cluster/orders']);
    // A rule that matches events makes the default bus production's; a schedule alone would not.
    expect(names.resourceArns).toEqual(['arn:*:events:*:*:event-bus/default']);
  });

  test('fails when only a schedule runs on the default bus: nothing names it', () => {
    const app = new App();
    const stack = new Stack(app, 'Prod', { stackName: 'orders-prod' });
    new events.Rule(stack, 'Nightly', { schedule: events.Schedule.rate(Duration.days(1)) });
    new events.Rule(stack, 'OnOwnBus', { eventBus: new events.EventBus(stack, 'Bus'), eventPattern: { source: ['shop'] } });
    const protection = new ProductionProtection(stack, 'ProductionProtection', { disableStackPolicy: true });
    expect(protection.protectedResourceNames().resourceArns).toEqual([]);
  });

  test.each([true, false])('tags the stack itself with @aws-cdk/core:explicitStackTags %s', (explicit) => {
    const app = new App({ context: { '@aws-cdk/core:explicitStackTags': explicit } });
    const stack = new Stack(app, 'Prod', { stackName: 'orders-prod' });
    new sqs.Queue(stack, 'Queue');
    new ProductionProtection(stack, 'ProductionProtection');
    const assembly = app.synth();
    expect(assembly.getStackByName('orders-prod').tags).toEqual({ Environment: 'production' });
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', { Tags: [{ Key: 'Environment', Value: 'production' }] });
  });

  test('fails at synth when the production stack ends up without the production tag', () => {
    const app = new App({ context: { '@aws-cdk/core:explicitStackTags': true } });
    const stack = new Stack(app, 'Prod', { stackName: 'orders-prod' });
    new ProductionProtection(stack, 'ProductionProtection');
    stack.tags.setTag('Environment', 'staging', 1000);
    expect(() => app.synth()).toThrow(/production stack Prod does not carry the production tag Environment=production \(found "staging"\)/);
  });

  test.each([
    ['its scope is not a stack', (app: App) => new ProductionProtection(new Construct(new Stack(app, 'S'), 'Nested') as unknown as Stack, 'P'), /must be added directly to a Stack/],
    ['the tag key is empty', (app: App) => new ProductionProtection(new Stack(app, 'S'), 'P', { productionTag: { key: '' } }), /productionTag.key must be 1-128 characters/],
    ['a stateful type is not a CloudFormation type', (app: App) => new ProductionProtection(new Stack(app, 'S'), 'P', { additionalStatefulResourceTypes: ['Bucket'] }), /additionalStatefulResourceTypes must hold CloudFormation types .* got "Bucket"/],
    ['the stack policy is both scoped and disabled', (app: App) => new ProductionProtection(new Stack(app, 'S'), 'P', { disableStackPolicy: true, stackPolicyScope: StackPolicyScope.ALL_RESOURCES }), /stackPolicyScope has no effect when disableStackPolicy is true/],
  ])('fails when %s, and changes nothing', (_name, create, message) => {
    const app = new App();
    expect(() => create(app)).toThrow(message);
    const stack = app.node.findChild('S') as Stack;
    expect(stack.terminationProtection).toBe(false);
    expect(stack.tags.tagValues()).toEqual({});
  });
});
