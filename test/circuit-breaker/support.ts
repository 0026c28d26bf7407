/**
 * The app the circuit breaker's tests synthesize: a production stack, and a guardrails stack
 * with the boundary, two agents, the approval workflow and the breaker, in one account and region.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AgentCircuitBreaker, AgentCircuitBreakerProps, AgentPermissionsBoundary, AgentRole, Approver, ProductionProtection, TwoPersonApproval } from '../../lib';
import { ACCOUNT } from './fixtures/records';

export const REGION = 'us-east-1';

/** Builds the app into `app` (an App, or a Stage); `props` replace the breaker's. */
export function buildBreakerApp<T extends Construct = App>(app: T, props: Partial<AgentCircuitBreakerProps> = {}) {
  const env = { account: ACCOUNT, region: REGION };
  const prod = new Stack(app, 'OrdersProd', { stackName: 'orders-prod', env });
  new sqs.Queue(prod, 'Incoming');
  new dynamodb.Table(prod, 'Ledger', { tableName: 'payments-ledger', partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
  new ProductionProtection(prod, 'ProductionProtection');
  const stack = new Stack(app, 'AgentGuardrails', { stackName: 'agent-guardrails', env });
  const boundary = new AgentPermissionsBoundary(stack, 'AgentBoundary');
  const launcher = new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/agent-launcher`);
  const agent = new AgentRole(stack, 'CodingAgent', { agentName: 'coding-agent', boundary, assumedBy: launcher });
  agent.grantReadOnly();
  const reviewer = new AgentRole(stack, 'ReviewAgent', { agentName: 'review-agent', boundary, assumedBy: launcher });
  const approval = new TwoPersonApproval(stack, 'Approval', {
    approvers: [Approver.identityCenterUser('alice@example.com'), Approver.identityCenterUser('bob@example.com')],
  });
  const breaker = new AgentCircuitBreaker(stack, 'CircuitBreaker', { agents: [agent], approval, ...props });
  return { app, stack, prod, boundary, agent, reviewer, approval, breaker };
}

/**
 * The code asset of a function of the breaker in the synthesized assembly at `dir`, found as a
 * deployment finds it: the template's `Code.S3Key`, published from the asset manifest's source.
 */
export function breakerCodeAsset(dir: string, stackArtifactId = 'AgentGuardrails', handler = 'index.breaker'): { key: string; dir: string; config: () => any } {
  const template = JSON.parse(fs.readFileSync(path.join(dir, `${stackArtifactId}.template.json`), 'utf8'));
  const fn: any = Object.values(template.Resources).find((r: any) => r.Type === 'AWS::Lambda::Function' && r.Properties.Handler === handler);
  const key: string = fn.Properties.Code.S3Key;
  const files = JSON.parse(fs.readFileSync(path.join(dir, `${stackArtifactId}.assets.json`), 'utf8')).files;
  const [asset]: any[] = Object.values(files).filter((f: any) => Object.values(f.destinations).some((d: any) => d.objectKey === key));
  const assetDir = path.resolve(dir, asset.source.path);
  return { key, dir: assetDir, config: () => JSON.parse(fs.readFileSync(path.join(assetDir, 'breaker-config.json'), 'utf8')) };
}
