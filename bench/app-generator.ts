/**
 * Generates a deterministic app of any size for the scale measurements: `stacks` service stacks,
 * every other one production (`ProductionProtection`, so tagged Environment=production), each with
 * ten resources of common types, plus a guardrails stack with the agent boundary, two agent roles
 * (both read-only; one may also deploy the development stacks).
 *
 * With `guardrails: true` the app also carries what the library offers on top for such an app
 * (as in examples/coding-agent.ts): the boundary on every development stack's roles, two-person
 * approval and a circuit breaker watching both agents.
 *
 * No account or region: the stacks are environment-agnostic, so synth needs no lookups.
 */
import { App, Duration, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import {
  AgentBoundary,
  AgentCircuitBreaker,
  AgentDeployRole,
  AgentPermissionsBoundary,
  AgentRole,
  Approver,
  ProductionProtection,
  TwoPersonApproval,
} from '../lib';

/** Options of `generateApp`. */
export interface GenerateAppOptions {
  /**
   * Add everything else the library offers for such an app: the boundary on the development
   * stacks' roles, two-person approval and a circuit breaker.
   * @default false - production protection, the boundary, the two agent roles and the deploy role only
   */
  readonly guardrails?: boolean;
}

/** The name of the `index`-th service stack (even indexes are production). */
export function serviceStackName(index: number): string {
  return index % 2 === 0 ? `prod-service-${index}` : `dev-service-${index}`;
}

/** One service stack: ten resources of common types, with plain deterministic names. */
function serviceStack(app: App, index: number): Stack {
  const name = serviceStackName(index);
  const stack = new Stack(app, name, { stackName: name });

  const key = new kms.Key(stack, 'Key', { description: `${name} data key`, removalPolicy: RemovalPolicy.DESTROY });
  const table = new dynamodb.Table(stack, 'Table', {
    tableName: `${name}-orders`,
    partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
  });
  const queue = new sqs.Queue(stack, 'Queue', { queueName: `${name}-incoming`, visibilityTimeout: Duration.seconds(60) });
  const topic = new sns.Topic(stack, 'Topic', { topicName: `${name}-events` });
  const bucket = new s3.Bucket(stack, 'Bucket', { encryptionKey: key, enforceSSL: true });
  const secret = new secretsmanager.Secret(stack, 'Secret', { secretName: `${name}/api-key` });
  const parameter = new ssm.StringParameter(stack, 'Parameter', { parameterName: `/${name}/endpoint`, stringValue: 'https://example.com' });
  const logGroup = new logs.LogGroup(stack, 'Logs', { logGroupName: `/${name}/app`, retention: logs.RetentionDays.ONE_MONTH });
  const fn = new lambda.Function(stack, 'Handler', {
    functionName: `${name}-handler`,
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({});'),
    timeout: Duration.seconds(30),
    environment: { TABLE_NAME: table.tableName, TOPIC_ARN: topic.topicArn, PARAMETER: parameter.parameterName },
  });
  table.grantReadWriteData(fn);
  queue.grantConsumeMessages(fn);
  topic.grantPublish(fn);
  secret.grantRead(fn);
  bucket.grantRead(fn);

  // A role for an operator job, with its own policy on the stack's resources.
  const jobRole = new iam.Role(stack, 'JobRole', { roleName: `${name}-job`, assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  table.grantReadData(jobRole);
  logGroup.grantWrite(jobRole);
  parameter.grantRead(jobRole);

  if (index % 2 === 0) {
    new ProductionProtection(stack, 'ProductionProtection');
  } else {
    Tags.of(stack).add('Environment', 'development');
  }
  return stack;
}

/**
 * An app of `stacks` service stacks (half production) and one guardrails stack. Deterministic:
 * the same arguments give the same templates.
 */
export function generateApp(stacks: number, options: GenerateAppOptions = {}): App {
  const app = new App();
  const development: Stack[] = [];
  for (let i = 0; i < stacks; i++) {
    const stack = serviceStack(app, i);
    if (i % 2 === 1) {
      development.push(stack);
    }
  }

  const guardrails = new Stack(app, 'AgentGuardrails', { stackName: 'agent-guardrails' });
  const boundary = new AgentPermissionsBoundary(guardrails, 'Boundary', { productionStackNames: ['prod-*'] });
  const launcher = new iam.ArnPrincipal('arn:aws:iam::111122223333:role/agent-launcher');
  const coder = new AgentRole(guardrails, 'CodingAgent', { agentName: 'coding-agent', boundary, assumedBy: launcher });
  coder.grantReadOnly();
  const reviewer = new AgentRole(guardrails, 'ReviewAgent', { agentName: 'review-agent', boundary, assumedBy: launcher });
  reviewer.grantReadOnly();
  const deploy = new AgentDeployRole(guardrails, 'DevDeploy', { boundary, stackNames: ['dev-*'] });
  deploy.grantDeploy(coder);

  if (options.guardrails) {
    for (const stack of development) {
      AgentBoundary.of(stack).apply(boundary);
    }
    const approval = new TwoPersonApproval(guardrails, 'TwoPersonApproval', {
      approvers: [
        Approver.identityCenterUser('alice@example.com'),
        Approver.identityCenterUser('bob@example.com'),
        Approver.identityCenterUser('carol@example.com'),
      ],
      notifications: { emails: ['platform-approvers@example.com'] },
    });
    new AgentCircuitBreaker(guardrails, 'CircuitBreaker', { agents: [coder, reviewer], approval });
  }
  return app;
}
