/**
 * Two-person approval for production changes. The coding agent may propose a change set for the
 * production stack but never execute it; to execute it, it asks for the "prod-deployer" elevated
 * role, and gets a session scoped to that change set only after two of the platform team approve.
 */
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sso from 'aws-cdk-lib/aws-sso';
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
    // Who asks, for what, the impact and how to decide, by email (Slack and Teams channels too).
    notifications: { emails: ['platform-approvers@example.com'] },
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

  // Identity Center users approve with a permission set that may call the approval API. It lives
  // where Identity Center is managed; assign it to the approvers in the workflow's account.
  new sso.CfnPermissionSet(guardrails, 'ApproverPermissionSet', {
    instanceArn: 'arn:aws:sso:::instance/ssoins-0123456789abcdef',
    name: 'ElevationApprover',
    description: 'Approve, deny and revoke elevated sessions for agents',
    sessionDuration: 'PT1H',
    inlinePolicy: workflow.approverPolicy(),
  });

  new CfnOutput(guardrails, 'AgentRoleArn', { value: agent.roleArn, description: 'The agent role: agent-guardrails setup-agent --role-arn' });
  new CfnOutput(guardrails, 'ApprovalApiUrl', { value: workflow.api.url, description: 'The approval API: AGENT_GUARDRAILS_URL, or --url' });
  return app;
}
