/** The smallest useful setup: one production stack, one bounded agent. Shown in the README. */
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AgentPermissionsBoundary, AgentRole, ProductionProtection } from '../lib';

export function buildApp(app: App = new App()): App {
  const prod = new Stack(app, 'Prod', { stackName: 'shop-prod' });
  new sqs.Queue(prod, 'Orders');
  new ProductionProtection(prod, 'ProductionProtection');

  const guardrails = new Stack(app, 'Guardrails', { stackName: 'agent-guardrails' });
  const boundary = new AgentPermissionsBoundary(guardrails, 'AgentBoundary');
  const agent = new AgentRole(guardrails, 'CodingAgent', {
    agentName: 'coding-agent',
    boundary,
    assumedBy: new iam.ArnPrincipal(`arn:${guardrails.partition}:iam::${guardrails.account}:role/agent-launcher`),
  });
  agent.grantReadOnly();
  // The agent's operator needs its role's ARN: `cdk deploy` prints it.
  new CfnOutput(guardrails, 'AgentRoleArn', { value: agent.roleArn });
  return app;
}
