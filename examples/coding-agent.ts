/**
 * A realistic app: a production stack and a development stack running the same service (a table,
 * a queue and a function), and a guardrails stack with the agent boundary, a coding agent's role,
 * and the deploy role through which the agent may deploy the development stack only.
 *
 * The agent can read everything, propose change sets for production, and deploy, update or delete
 * the development stack. It cannot delete, update or recreate the production stack or its
 * resources, even if someone attached AdministratorAccess to it. A circuit breaker watches its
 * calls: five denied calls within ten minutes, or one attempt to write to production, quarantine
 * its role until two approvers reset it.
 */
import { App, CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AgentBoundary, AgentCircuitBreaker, AgentDeployRole, AgentPermissionsBoundary, AgentRole, Approver, ProductionProtection, TwoPersonApproval } from '../lib';

/** The service: orders are queued, then written to a table by a function. */
export class OrdersService extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const table = new dynamodb.TableV2(this, 'Orders', {
      partitionKey: { name: 'orderId', type: dynamodb.AttributeType.STRING },
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    });
    const queue = new sqs.Queue(this, 'Incoming', { visibilityTimeout: Duration.seconds(60) });
    const handler = new lambda.Function(this, 'Writer', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async (event) => ({ batchItemFailures: [] });'),
      timeout: Duration.seconds(30),
      environment: { TABLE_NAME: table.tableName },
    });
    table.grantWriteData(handler);
    queue.grantConsumeMessages(handler);
  }
}

class ServiceStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    new OrdersService(this, 'Orders');
  }
}

/** Builds the example into `app` (a new one by default) and returns it. */
export function buildApp(app: App = new App()): App {
  const production = new ServiceStack(app, 'OrdersProd', { stackName: 'orders-prod' });
  new ProductionProtection(production, 'ProductionProtection');

  const development = new ServiceStack(app, 'OrdersDev', { stackName: 'orders-dev' });

  const guardrails = new Stack(app, 'AgentGuardrails', { stackName: 'agent-guardrails' });
  const boundary = new AgentPermissionsBoundary(guardrails, 'AgentBoundary');

  // Every role in the development stack carries the boundary and sits under /agent-workload/, so
  // the agent can deploy it (passing its roles) without reaching anything unbounded.
  AgentBoundary.of(development).apply(boundary);

  const agent = new AgentRole(guardrails, 'CodingAgent', {
    agentName: 'coding-agent',
    boundary,
    // The launcher (a CI job or a developer tool's service role) starts agent sessions with
    // `aws sts assume-role --source-identity coding-agent ...`. It is not a human identity.
    assumedBy: new iam.ArnPrincipal(`arn:${guardrails.partition}:iam::${guardrails.account}:role/agent-launcher`),
  });
  agent.grantReadOnly();

  const deploy = new AgentDeployRole(guardrails, 'DevDeploy', { boundary, stackNames: ['orders-dev'] });
  deploy.grantDeploy(agent);

  // Two of the platform team approve elevated sessions, and only they can reset the circuit breaker.
  const approval = new TwoPersonApproval(guardrails, 'TwoPersonApproval', {
    approvers: [
      Approver.identityCenterUser('alice@example.com'),
      Approver.identityCenterUser('bob@example.com'),
      Approver.identityCenterUser('carol@example.com'),
    ],
    notifications: { emails: ['platform-approvers@example.com'] },
  });
  // An agent that keeps hitting the guardrails, or tries to write to production, is quarantined.
  const breaker = new AgentCircuitBreaker(guardrails, 'CircuitBreaker', { agents: [agent], approval });
  breaker.securityTopic.addSubscription(new subscriptions.EmailSubscription('security@example.com'));

  // What the agent's operator needs: the role its sessions use, and the role it deploys with.
  new CfnOutput(guardrails, 'AgentRoleArn', { value: agent.roleArn, description: 'agent-guardrails setup-agent --role-arn' });
  new CfnOutput(guardrails, 'DeployRoleArn', { value: deploy.role.roleArn, description: 'cdk deploy orders-dev --role-arn' });
  return app;
}
