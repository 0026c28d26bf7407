/**
 * A realistic production estate under the guardrails: an edge stack (a VPC, a load-balanced ECS
 * service with autoscaling, a PostgreSQL database, a Redis cache, a bastion, DNS, a certificate
 * and a CDN)
 * and a data stack (a function with an alias fed by a queue, a table, a bucket, a stream, a
 * secret, an event bus with a rule and an archive, a state machine, a build project, an API, a
 * parameter, an alarm, a repository and feature flags), each marked production; a development
 * stack the coding agent deploys; and the guardrails.
 *
 * Production is read-only to the agent, even if someone attached AdministratorAccess to it: it
 * reads everything and proposes change sets; every change takes two humans.
 */
import { App, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { AgentBoundary, AgentDeployRole, AgentPermissionsBoundary, AgentRole, ProductionProtection } from '../lib';

const ENV = { account: '111122223333', region: 'eu-west-1' };

/** The shop's edge: network, containers, database, cache, DNS, certificate and CDN. */
class EdgeStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps & { readonly domainName: string }) {
    super(scope, id, props);
    const vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const zone = new route53.PublicHostedZone(this, 'Zone', { zoneName: props.domainName });
    const certificate = new acm.Certificate(this, 'Certificate', {
      domainName: `api.${props.domainName}`,
      validation: acm.CertificateValidation.fromDns(zone),
    });

    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    const api = new ecsPatterns.ApplicationLoadBalancedFargateService(this, 'Api', {
      cluster,
      desiredCount: 2,
      minHealthyPercent: 100,
      circuitBreaker: { rollback: true },
      certificate,
      domainName: `api.${props.domainName}`,
      domainZone: zone,
      redirectHTTP: true,
      taskImageOptions: { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable'), containerPort: 80 },
    });
    api.service.autoScaleTaskCount({ minCapacity: 2, maxCapacity: 10 }).scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });
    // AWS services publish to the default bus: this rule makes it production's.
    new events.Rule(this, 'ApiTaskStopped', {
      eventPattern: { source: ['aws.ecs'], detailType: ['ECS Task State Change'], detail: { clusterArn: [cluster.clusterArn], lastStatus: ['STOPPED'] } },
      targets: [new targets.SqsQueue(new sqs.Queue(this, 'StoppedTasks', { enforceSSL: true, retentionPeriod: Duration.days(14) }))],
    });

    const database = new rds.DatabaseInstance(this, 'Database', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      storageEncrypted: true,
      multiAz: true,
    });
    database.connections.allowDefaultPortFrom(api.service);

    const cacheSubnets = new elasticache.CfnSubnetGroup(this, 'CacheSubnets', {
      description: 'Private subnets of the session cache',
      subnetIds: vpc.privateSubnets.map((s) => s.subnetId),
    });
    const cacheSecurityGroup = new ec2.SecurityGroup(this, 'CacheSecurityGroup', { vpc, description: 'Session cache' });
    cacheSecurityGroup.connections.allowFrom(api.service, ec2.Port.tcp(6379));
    new elasticache.CfnReplicationGroup(this, 'Sessions', {
      replicationGroupDescription: 'Session cache',
      engine: 'redis',
      cacheNodeType: 'cache.t4g.small',
      numCacheClusters: 2,
      automaticFailoverEnabled: true,
      transitEncryptionEnabled: true,
      atRestEncryptionEnabled: true,
      cacheSubnetGroupName: cacheSubnets.ref,
      securityGroupIds: [cacheSecurityGroup.securityGroupId],
    });

    // Operators reach the database through a bastion, with Session Manager.
    new ec2.BastionHostLinux(this, 'Bastion', { vpc, subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } });

    new cloudfront.Distribution(this, 'Cdn', {
      defaultBehavior: { origin: new origins.LoadBalancerV2Origin(api.loadBalancer, { protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY }) },
    });
  }
}

/** The shop's data and back office: events, storage, workflows, builds and configuration. */
class DataStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const key = new kms.Key(this, 'Key', { enableKeyRotation: true });
    const orders = new dynamodb.TableV2(this, 'Orders', {
      partitionKey: { name: 'orderId', type: dynamodb.AttributeType.STRING },
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(key),
    });
    const receipts = new s3.Bucket(this, 'Receipts', { encryptionKey: key, versioned: true, enforceSSL: true, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL });
    const deadLetters = new sqs.Queue(this, 'DeadLetters', { encryptionMasterKey: key, retentionPeriod: Duration.days(14) });
    const incoming = new sqs.Queue(this, 'Incoming', { encryptionMasterKey: key, visibilityTimeout: Duration.seconds(60), deadLetterQueue: { queue: deadLetters, maxReceiveCount: 3 } });
    const notifications = new sns.Topic(this, 'Notifications', { masterKey: key });
    const clicks = new kinesis.Stream(this, 'Clicks', { encryption: kinesis.StreamEncryption.KMS, encryptionKey: key });
    const apiKeys = new secretsmanager.Secret(this, 'PaymentProviderKey', { encryptionKey: key });

    const writer = new lambda.Function(this, 'Writer', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
      timeout: Duration.seconds(30),
      environment: { TABLE_NAME: orders.tableName, BUCKET: receipts.bucketName, TOPIC: notifications.topicArn, SECRET: apiKeys.secretArn },
    });
    const live = writer.addAlias('live');
    live.addEventSource(new SqsEventSource(incoming));
    orders.grantWriteData(live);
    receipts.grantPut(live);
    notifications.grantPublish(live);
    apiKeys.grantRead(live);
    clicks.grantRead(live);

    const bus = new events.EventBus(this, 'Bus');
    bus.archive('Archive', { eventPattern: { source: ['shop.orders'] }, retention: Duration.days(30) });
    const fulfilment = new sfn.StateMachine(this, 'Fulfilment', {
      definitionBody: sfn.DefinitionBody.fromChainable(new tasks.LambdaInvoke(this, 'Fulfil', { lambdaFunction: live, outputPath: '$.Payload' })),
      timeout: Duration.minutes(15),
    });
    new events.Rule(this, 'OrderPlaced', { eventBus: bus, eventPattern: { source: ['shop.orders'], detailType: ['OrderPlaced'] }, targets: [new targets.SfnStateMachine(fulfilment)] });

    new codebuild.Project(this, 'Reports', {
      buildSpec: codebuild.BuildSpec.fromObject({ version: '0.2', phases: { build: { commands: ['echo building nightly reports'] } } }),
      encryptionKey: key,
    });
    new apigateway.LambdaRestApi(this, 'PublicApi', { handler: live, proxy: true });
    new ssm.StringParameter(this, 'CheckoutMode', { parameterName: '/shop/checkout-mode', stringValue: 'live' });
    new cloudwatch.Alarm(this, 'WriterErrors', { metric: live.metricErrors({ period: Duration.minutes(5) }), threshold: 5, evaluationPeriods: 1 });
    new ecr.Repository(this, 'Images', { imageScanOnPush: true, removalPolicy: RemovalPolicy.RETAIN });

    const flags = new appconfig.Application(this, 'Flags');
    const environment = new appconfig.Environment(this, 'FlagsProduction', { application: flags });
    new appconfig.HostedConfiguration(this, 'FlagsConfiguration', {
      application: flags,
      content: appconfig.ConfigurationContent.fromInlineJson('{"newCheckout": false}'),
      deployTo: [environment],
      deploymentStrategy: new appconfig.DeploymentStrategy(this, 'Linear', { rolloutStrategy: appconfig.RolloutStrategy.linear({ growthFactor: 20, deploymentDuration: Duration.minutes(10) }) }),
    });
  }
}

/** A development copy the agent deploys and tears down. */
class DevelopmentStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const table = new dynamodb.TableV2(this, 'Orders', { partitionKey: { name: 'orderId', type: dynamodb.AttributeType.STRING }, removalPolicy: RemovalPolicy.DESTROY });
    const writer = new lambda.Function(this, 'Writer', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({});'),
      environment: { TABLE_NAME: table.tableName },
    });
    table.grantWriteData(writer);
    new s3.Bucket(this, 'Scratch', { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
  }
}

/** Builds the example into `app` (a new one by default) and returns it. */
export function buildApp(app: App = new App()): App {
  // The guardrails name the production hosted zones through weak references (no exports), as
  // CDK recommends for every cross-stack reference.
  app.node.setContext('@aws-cdk/core:defaultCrossStackReferences', 'weak');
  const edge = new EdgeStack(app, 'ShopEdgeProd', { stackName: 'shop-edge-prod', env: ENV, domainName: 'shop.example.com' });
  new ProductionProtection(edge, 'ProductionProtection');
  const data = new DataStack(app, 'ShopDataProd', { stackName: 'shop-data-prod', env: ENV });
  new ProductionProtection(data, 'ProductionProtection');

  const development = new DevelopmentStack(app, 'ShopDev', { stackName: 'shop-dev', env: ENV });

  const guardrails = new Stack(app, 'AgentGuardrails', { stackName: 'agent-guardrails', env: ENV });
  const boundary = new AgentPermissionsBoundary(guardrails, 'AgentBoundary');
  AgentBoundary.of(development).apply(boundary);

  const agent = new AgentRole(guardrails, 'CodingAgent', {
    agentName: 'coding-agent',
    boundary,
    assumedBy: new iam.ArnPrincipal(`arn:${guardrails.partition}:iam::${guardrails.account}:role/agent-launcher`),
  });
  agent.grantReadOnly();
  new AgentDeployRole(guardrails, 'DevDeploy', { boundary, stackNames: ['shop-dev'] }).grantDeploy(agent);
  return app;
}
