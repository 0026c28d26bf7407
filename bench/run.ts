/**
 * Measures what the guardrails cost:
 *  1. the minified size of the four guardrail policies against IAM's 6,144-character limit, for the
 *     examples and for 1, 10 and 100 production stacks, with and without buckets and a shared
 *     name prefix (target: at most 5,000 for the realistic example, and no growth with the estate);
 *  2. the synth time of an app with 50 service stacks, with and without the guardrails, as a
 *     ratio measured in one run (the variants alternate, so machine noise hits both alike);
 *  3. in local mode, the machine time from a request's second approval to its credentials, and
 *     the states an approved request enters (Standard workflows are billed per state transition);
 *  4. the offline evaluator's throughput against iam-simulate's, in the same run;
 *  5. the effective-permission sweep: time per role, evaluations per second against iam-simulate on
 *     the sweep's own requests, and the review time of the example app.
 *
 * Run with `npm run bench` (`BENCH_ONLY=sweep` or `BENCH_ONLY=sizes` for one part). Prints a Markdown report.
 */
import { performance } from 'perf_hooks';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildApp, OrdersService } from '../examples/coding-agent';
import { buildApp as productionEstate } from '../examples/production-estate';
import {
  AgentBoundary,
  AgentGuardrailPolicy,
  AgentDeployRole,
  AgentPermissionsBoundary,
  AgentRole,
  compilePolicy,
  evaluate,
  EvaluationRequest,
  MANAGED_POLICY_SIZE_LIMIT,
  ProductionProtection,
  loadAssembly,
  loadIamCatalog,
  reviewAssembly,
  sweep,
  sweepAssembly,
  SweptRequest,
  sweptRoles,
} from '../lib';
import { DEFAULT_LOCAL_APPROVERS, IDENTITY_HEADER, startLocalServer } from '../lib/approval-workflow/local/server';

const STACKS = 50;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);

/** 50 service stacks, half production and half development, optionally with every guardrail. */
function serviceApp(guardrails: boolean, stackPolicy = true): App {
  const app = new App();
  const devStacks: Stack[] = [];
  for (let i = 0; i < STACKS; i++) {
    const production = i % 2 === 0;
    const name = production ? `prod-service-${i}` : `dev-service-${i}`;
    const stack = new Stack(app, name, { stackName: name });
    new OrdersService(stack, 'Orders');
    if (guardrails && production) {
      new ProductionProtection(stack, 'ProductionProtection', { disableStackPolicy: !stackPolicy });
    }
    if (!production) {
      devStacks.push(stack);
    }
  }
  if (guardrails) {
    const stack = new Stack(app, 'AgentGuardrails', { stackName: 'agent-guardrails' });
    const boundary = new AgentPermissionsBoundary(stack, 'Boundary', { productionStackNames: ['prod-*'] });
    devStacks.forEach((s) => AgentBoundary.of(s).apply(boundary));
    const agent = new AgentRole(stack, 'Agent', { agentName: 'coding-agent', boundary, assumedBy: new iam.ArnPrincipal('arn:aws:iam::111122223333:role/agent-launcher') });
    agent.grantReadOnly();
    new AgentDeployRole(stack, 'Deploy', { boundary, stackNames: ['dev-*'] }).grantDeploy(agent);
  }
  return app;
}

function timeSynth(guardrails: boolean, stackPolicy = true): number {
  const start = performance.now();
  serviceApp(guardrails, stackPolicy).synth();
  return performance.now() - start;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

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

const AGENT = 'arn:aws:sts::000000000000:assumed-role/coding-agent/bench';
const APPROVERS = DEFAULT_LOCAL_APPROVERS;

async function localCaller(url: string) {
  return async (method: string, path: string, identity: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: identity },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
}

/** Local mode: machine time from the second approval to credentials, and states entered per approved request. */
async function approvalBench(requests: number): Promise<string[]> {
  const latencies: number[] = [];
  const live = await startLocalServer();
  try {
    const call = await localCaller(live.url);
    for (let i = 0; i < requests; i++) {
      const id = (await call('POST', '/requests', AGENT, { role: 'deployer', justification: 'benchmark of the approval path' })).body.requestId as string;
      await call('POST', `/requests/${id}/approve`, APPROVERS[0]);
      const start = performance.now();
      await call('POST', `/requests/${id}/approve`, APPROVERS[1]);
      for (;;) {
        const collected = await call('GET', `/requests/${id}/credentials`, AGENT);
        if (collected.status === 200) break;
        if (collected.body.error !== 'not-issued') throw new Error(`request ${id}: ${collected.body.error}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
      latencies.push(performance.now() - start);
    }
  } finally {
    await live.close();
  }

  // The whole life of an approved request, with the session's end brought forward.
  const states: number[] = [];
  const lifecycle = await startLocalServer({ waitTimeOverrides: { UntilSessionEnds: 0 } });
  try {
    const call = await localCaller(lifecycle.url);
    for (let i = 0; i < 5; i++) {
      const id = (await call('POST', '/requests', AGENT, { role: 'deployer', justification: 'benchmark of the approval path' })).body.requestId as string;
      await call('POST', `/requests/${id}/approve`, APPROVERS[0]);
      await call('POST', `/requests/${id}/approve`, APPROVERS[1]);
      states.push((await lifecycle.workflow.outcome(id)).statesEntered);
    }
  } finally {
    await lifecycle.close();
  }

  const sorted = [...latencies].sort((a, b) => a - b);
  const p95 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)];
  const transitions = median(states);
  return [
    '',
    `### Approval workflow, local mode (${requests} approved requests, one at a time)`,
    '',
    '| measure | value |',
    '| --- | ---: |',
    `| second approval to credentials, median | ${median(latencies).toFixed(1)} ms |`,
    `| second approval to credentials, p95 | ${p95.toFixed(1)} ms |`,
    `| states entered by an approved request, from request to session end | ${transitions} |`,
    `| Step Functions cost per approved request at $0.025 per 1,000 state transitions | $${((transitions * 0.025) / 1000).toFixed(6)} |`,
  ];
}

/** Offline evaluator throughput against iam-simulate's, on the same requests in the same run. */
async function evaluatorBench(): Promise<string[]> {
  const { runSimulation } = require('@cloud-copilot/iam-simulate');
  const app = buildApp(new App());
  const boundaryConstruct = app.node.findAll().find(AgentPermissionsBoundary.isAgentPermissionsBoundary)!;
  const boundary = JSON.parse(JSON.stringify(boundaryConstruct.document()).replace(/\$\{Token\[[^\]]+\]\}/g, '111122223333'));
  const admin = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
  const requests: EvaluationRequest[] = [
    { action: 'cloudformation:DeleteStack', resource: 'arn:aws:cloudformation:us-east-1:111122223333:stack/orders-prod/1', context: { 'cloudformation:RoleArn': 'arn:aws:iam::111122223333:role/agent-guardrails/service/Deploy' } },
    { action: 'dynamodb:DeleteTable', resource: 'arn:aws:dynamodb:us-east-1:111122223333:table/orders', context: { 'aws:ResourceTag/Environment': 'Production' } },
    { action: 'iam:PassRole', resource: 'arn:aws:iam::111122223333:role/platform-admin', context: {} },
    { action: 's3:GetObject', resource: 'arn:aws:s3:::orders-prod-x/key', context: {} },
    { action: 'lambda:UpdateFunctionCode', resource: 'arn:aws:lambda:us-east-1:111122223333:function:dev', context: { 'aws:ResourceTag/Environment': 'development' } },
  ];
  const compiledBoundary = compilePolicy('boundary', boundary);
  const compiledAdmin = [compilePolicy('admin', admin)];
  const ours = 200_000;
  let start = performance.now();
  for (let i = 0; i < ours; i++) {
    evaluate(compiledAdmin, compiledBoundary, requests[i % requests.length]);
  }
  const oursPerSecond = ours / ((performance.now() - start) / 1000);
  const theirs = 2_000;
  start = performance.now();
  for (let i = 0; i < theirs; i++) {
    const r = requests[i % requests.length];
    await runSimulation(
      {
        request: { principal: 'arn:aws:iam::111122223333:role/agent-guardrails/agent/coding-agent', action: r.action, resource: { resource: r.resource, accountId: '111122223333' }, contextVariables: r.context },
        identityPolicies: [{ name: 'admin', policy: admin }],
        permissionBoundaryPolicies: [{ name: 'boundary', policy: boundary }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
  }
  const theirsPerSecond = theirs / ((performance.now() - start) / 1000);
  return [
    '',
    '### Offline evaluator (example boundary, AdministratorAccess, 5 request shapes)',
    '',
    '| evaluator | evaluations per second |',
    '| --- | ---: |',
    `| cdk-agent-guardrails (compiled once) | ${Math.round(oursPerSecond).toLocaleString('en')} |`,
    `| @cloud-copilot/iam-simulate | ${Math.round(theirsPerSecond).toLocaleString('en')} |`,
    `| ratio | ${(oursPerSecond / theirsPerSecond).toFixed(0)}x |`,
  ];
}

/** The sweep per role, its throughput against iam-simulate on its own requests, and review time. */
async function sweepBench(): Promise<string[]> {
  const { runSimulation } = require('@cloud-copilot/iam-simulate');
  let start = performance.now();
  const catalog = loadIamCatalog();
  const catalogMs = performance.now() - start;
  const apps = [
    { name: 'examples/coding-agent.ts', dir: buildApp(new App()).synth().directory },
    { name: `${STACKS} service stacks (25 production)`, dir: serviceApp(true).synth().directory },
  ];
  const lines = [
    '',
    `### Effective-permission sweep (${catalog.actions.length.toLocaleString('en')} catalog actions; catalog loaded once in ${catalogMs.toFixed(0)} ms)`,
    '',
    '| app | role | production resources | actions tried | evaluations | ms per sweep (median of 5) | evaluations per second |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  let sample: Array<{ request: SweptRequest; principal: string }> = [];
  let sampleRate = 0;
  for (const app of apps) {
    const assembly = loadAssembly(app.dir);
    const swept = sweepAssembly(assembly);
    const roles = sweptRoles(assembly, catalog);
    for (const role of roles) {
      const times: number[] = [];
      let result = sweep(role, swept.inventory, catalog, swept.productionTag);
      for (let i = 0; i < 5; i++) {
        start = performance.now();
        result = sweep(role, swept.inventory, catalog, swept.productionTag);
        times.push(performance.now() - start);
      }
      const ms = median(times);
      const rate = result.evaluations / (ms / 1000);
      lines.push(`| ${app.name} | ${role.resource.constructPath} (${role.kind}) | ${swept.inventory.resources.length} | ${result.actions} | ${result.evaluations.toLocaleString('en')} | ${ms.toFixed(1)} | ${Math.round(rate).toLocaleString('en')} |`);
      if (app === apps[1] && sample.length === 0) {
        sampleRate = rate;
        sweep(role, swept.inventory, catalog, swept.productionTag, (request) => sample.push({ request, principal: role.arn }));
      }
    }
  }
  // iam-simulate on the same requests, with the role's resolved policies taken as the worst case
  // (every permission) under the boundary: the cost of one request is what matters.
  const boundaryDoc = buildApp(new App()).node.findAll().find(AgentPermissionsBoundary.isAgentPermissionsBoundary)!;
  const boundary = JSON.parse(JSON.stringify(boundaryDoc.document()).replace(/\$\{Token\[[^\]]+\]\}/g, '123456789012'));
  const denies = JSON.parse(JSON.stringify(boundaryDoc.denyDocument()).replace(/\$\{Token\[[^\]]+\]\}/g, '123456789012'));
  const serviceDenies = boundaryDoc.serviceDenyDocument();
  sample = sample.slice(0, 1000);
  start = performance.now();
  for (const { request, principal } of sample) {
    await runSimulation(
      {
        request: { principal, action: request.action, resource: { resource: request.arn, accountId: '123456789012' }, contextVariables: request.context },
        identityPolicies: [{ name: 'admin', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }, { name: 'denies', policy: denies }, { name: 'services', policy: serviceDenies }],
        permissionBoundaryPolicies: [{ name: 'boundary', policy: boundary }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
  }
  const theirsRate = sample.length / ((performance.now() - start) / 1000);
  lines.push(
    '',
    '| sweep requests of the first role of the 50-stack app | evaluations per second |',
    '| --- | ---: |',
    `| the sweep (whole sweep, catalog walk and request building included) | ${Math.round(sampleRate).toLocaleString('en')} |`,
    `| iam-simulate on ${sample.length} of the same requests | ${Math.round(theirsRate).toLocaleString('en')} |`,
    `| ratio | ${(sampleRate / theirsRate).toFixed(0)}x |`,
  );
  const reviewTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    start = performance.now();
    reviewAssembly(loadAssembly(apps[0].dir));
    reviewTimes.push(performance.now() - start);
  }
  lines.push('', `Review of examples/coding-agent.ts (read cdk.out, every rule, every sweep; catalog already loaded): ${median(reviewTimes).toFixed(0)} ms median of 5; the first review in a process also loads the catalog (${catalogMs.toFixed(0)} ms).`);
  return lines;
}

/** The sizes of the four guardrail policies: the examples, then 1, 10 and 100 production stacks. */
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

async function main(): Promise<void> {
  if (process.env.BENCH_ONLY === 'sweep') {
    process.stdout.write(`${(await sweepBench()).join('\n')}\n`);
    return;
  }
  const lines: string[] = [];
  lines.push(...sizeBench());
  if (process.env.BENCH_ONLY === 'sizes') {
    process.stdout.write(`${lines.join('\n')}\n`);
    return;
  }
  // Warm up both variants once (module loading, JIT), then alternate.
  timeSynth(false);
  timeSynth(true);
  timeSynth(true, false);
  const without: number[] = [];
  const withGuardrails: number[] = [];
  const withoutStackPolicy: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    without.push(timeSynth(false));
    withGuardrails.push(timeSynth(true));
    withoutStackPolicy.push(timeSynth(true, false));
  }
  const a = median(without);
  const b = median(withGuardrails);
  const c = median(withoutStackPolicy);
  lines.push(
    '',
    `### Synth time, ${STACKS} service stacks (median of ${ROUNDS} alternating rounds, in-process \`app.synth()\`)`,
    '',
    '| variant | ms |',
    '| --- | ---: |',
    `| without guardrails | ${a.toFixed(0)} |`,
    `| with guardrails (25 protected, 25 bounded, boundary, agent, deploy role) | ${b.toFixed(0)} |`,
    `| with guardrails, but no stack-policy custom resource | ${c.toFixed(0)} |`,
    `| ratio, all guardrails | ${(b / a).toFixed(2)}x |`,
    `| ratio, without the stack-policy custom resource | ${(c / a).toFixed(2)}x |`,
  );
  lines.push(...(await approvalBench(Number(process.env.BENCH_REQUESTS ?? 30))));
  lines.push(...(await evaluatorBench()));
  lines.push(...(await sweepBench()));
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exitCode = 1;
});
