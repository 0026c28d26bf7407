/**
 * Two-person approval for production changes. The coding agent may propose a change set for the
 * production stack but never execute it; to execute it, it asks for the "prod-deployer" elevated
 * role, and gets a session scoped to that change set only after two of the platform team approve.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AgentPermissionsBoundary, AgentRole, Approver, ProductionProtection, TwoPersonApproval } from '../lib';

/** Builds the example into `app` (a new one by default) and returns it. */
export function buildApp(app: App = new App()): App {
  const production = new Stack(app, 'PaymentsProd', { stackName: 'payments-prod' });
  new sqs.Queue(production, 'Settlements', { enforceSSL: true });
  new ProductionProtection(production, 'ProductionProtection');

  // The guardrails (boundary, agent, approval workflow) are production too: agents cannot change them.
  const guardrails = new Stack(app, 'Guardrails', { stackName: 'agent-guardrails' });
  new ProductionProtection(guardrails, 'ProductionProtection');
  const boundary = new AgentPermissionsBoundary(guardrails, 'AgentBoundary');
  const agent = new AgentRole(guardrails, 'CodingAgent', {
    agentName: 'coding-agent',
    boundary,
    assumedBy: new iam.ArnPrincipal(`arn:${guardrails.partition}:iam::${guardrails.account}:role/agent-launcher`),
  });
  agent.grantReadOnly();

  const workflow = new TwoPersonApproval(guardrails, 'TwoPersonApproval', {
    approvers: [
      Approver.identityCenterUser('alice@example.com'),
      Approver.identityCenterUser('bob@example.com'),
      Approver.identityCenterUser('carol@example.com'),
    ],
  });
  workflow.addElevatedRole('prod-deployer', {
    description: 'Executes an approved change set on a production stack',
    stackNames: ['payments-prod'],
    statements: [
      new iam.PolicyStatement({
        actions: ['cloudformation:ExecuteChangeSet', 'cloudformation:DescribeChangeSet', 'cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents'],
        resources: [production.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: 'payments-prod/*' })],
      }),
    ],
  });
  workflow.grantRequest(agent);
  return app;
}
