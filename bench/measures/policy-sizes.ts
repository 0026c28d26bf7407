/**
 * The minified size of the four guardrail policies against IAM's 6,144-character limit, for the
 * examples and for 1, 10 and 100 production stacks, with and without buckets and a shared name
 * prefix. No timing.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildApp, OrdersService } from '../../examples/coding-agent';
import { buildApp as productionEstate } from '../../examples/production-estate';
import { AgentDeployRole, AgentGuardrailPolicy, AgentPermissionsBoundary, MANAGED_POLICY_SIZE_LIMIT, ProductionProtection } from '../../lib';
import { Measure } from './measure';

/** The sizes of the four guardrail policies for `count` production stacks (a table each, a bucket if asked). */
function guardrailSizes(count: number, options: { buckets: boolean; sharedPrefix: boolean; vpcs?: boolean }): Record<AgentGuardrailPolicy, number> {
  const app = new App();
  const boundary = new AgentPermissionsBoundary(new Stack(app, 'Guardrails'), 'Boundary');
  for (let i = 0; i < count; i++) {
    const name = options.sharedPrefix ? `prod-orders-${i}` : `${['orders', 'billing', 'search', 'ledger', 'catalog'][i % 5]}-service-${i}-live`;
    const stack = new Stack(app, `P${i}`, { stackName: name });
    new OrdersService(stack, 'Orders');
    if (options.buckets) new s3.Bucket(stack, 'Data');
    if (options.vpcs) new ec2.Vpc(stack, 'Network', { maxAzs: 2, natGateways: 0 });
    new ProductionProtection(stack, 'ProductionProtection', { disableStackPolicy: true });
  }
  return boundary.sizes();
}

/** The sizes of the four guardrail policies: the examples, then 1, 10 and 100 production stacks. */
export const policySizes: Measure = {
  name: 'policy-sizes',
  async run() {
    return { rows: [], details: sizeBench() };
  },
};

function sizeBench(): string[] {
  const sized = (label: string, sizes: Record<AgentGuardrailPolicy, number>) =>
    `| ${label} | ${sizes.agent} | ${sizes.denies} | ${sizes.services} | ${sizes.workload} | ${MANAGED_POLICY_SIZE_LIMIT - Math.max(...Object.values(sizes))} |`;
  const sizesOf = (app: App) => app.node.findAll().find(AgentPermissionsBoundary.isAgentPermissionsBoundary)!.sizes();
  const lines: string[] = [];
  lines.push(
    '### Guardrail policy sizes (minified, IAM limit 6,144 each)',
    '',
    '| app | agent boundary | agent denies | agent services denies | workload boundary | room left in the fullest |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    sized('examples/coding-agent.ts (1 production stack)', sizesOf(buildApp(new App()))),
    sized('examples/production-estate.ts (2 production stacks, 28 services; target: agent boundary at most 5,000)', sizesOf(productionEstate(new App()))),
  );
  // VPCs are named in the policies (requests name their ids in condition keys): each adds its
  // VPC id and subnet ids, so these rows grow with the number of production VPCs.
  for (const n of [1, 2, 4]) {
    lines.push(sized(`${n} production stack${n > 1 ? 's' : ''} with a VPC each (2 AZs, 4 subnets)`, guardrailSizes(n, { buckets: false, sharedPrefix: false, vpcs: true })));
  }
  for (const n of [1, 10, 100]) {
    for (const buckets of [false, true]) {
      for (const sharedPrefix of [false, true]) {
        lines.push(sized(`${n} production stacks${buckets ? ' with a bucket each' : ''}, ${sharedPrefix ? 'shared name prefix' : 'no shared prefix'}`, guardrailSizes(n, { buckets, sharedPrefix })));
      }
    }
  }
  const deployApp = new App();
  const deployStack = new Stack(deployApp, 'Guardrails');
  const deployBoundary = new AgentPermissionsBoundary(deployStack, 'Boundary');
  new AgentDeployRole(deployStack, 'Deploy', { boundary: deployBoundary, stackNames: Array.from({ length: 100 }, (_, i) => `dev-service-${i}`) });
  deployApp.synth();
  lines.push('', 'AgentDeployRole with 100 stack names synthesizes (its description stays within IAM\'s 1,000 characters).');

  return lines;
}

