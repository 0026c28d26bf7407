/**
 * The realistic example (examples/production-estate.ts: two production stacks using 28 services)
 * under the shipped guardrails. Catalog-driven: every action of the IAM catalog on every
 * production resource of a type it acts on is tried, and every write must be denied, every read
 * allowed. The review passes it, and fails as soon as any production statement is removed.
 */
import * as fs from 'fs';
import * as path from 'path';
import { buildApp as productionEstate } from '../../examples/production-estate';
import { ALLOW_EVERYTHING, AssemblyModel, compilePolicy, isPureRead, loadIamCatalog, resolveValue, reviewAssembly, sweep, sweepAssembly, SweptRequest } from '../../lib';
import { main } from '../../lib/cli/main';
import { formatText } from '../../lib/review/report-formats';
import { synthesizeApp } from '../support/assembly';
import { ACCOUNT, ADMINISTRATOR_ACCESS, simulate } from '../support/simulator';

const catalog = loadIamCatalog();
const TAG = { key: 'Environment', values: ['production'] };
const { dir, assembly } = synthesizeApp((app) => productionEstate(app));

/** The resolved document of the guardrail policy named `name`. */
function guardrailDocument(model: AssemblyModel, name: string): Parameters<typeof compilePolicy>[1] {
  const guardrails = model.stacks.find((s) => s.stackName === 'agent-guardrails')!;
  const policy = guardrails.resources.find((r) => r.type === 'AWS::IAM::ManagedPolicy' && r.properties.ManagedPolicyName === name)!;
  return resolveValue(policy.properties.PolicyDocument, guardrails, catalog) as Parameters<typeof compilePolicy>[1];
}

describe('every action on every production resource, for an agent granted every permission', () => {
  const requests: SweptRequest[] = [];
  const inventory = sweepAssembly(assembly).inventory;

  beforeAll(() => {
    const agent = {
      identity: [
        compilePolicy('AdministratorAccess', ALLOW_EVERYTHING),
        compilePolicy('agent denies', guardrailDocument(assembly, 'AgentPermissionsBoundary-Denies')),
        compilePolicy('agent services denies', guardrailDocument(assembly, 'AgentPermissionsBoundary-Services')),
      ],
      boundary: compilePolicy('agent boundary', guardrailDocument(assembly, 'AgentPermissionsBoundary')),
      principalContext: { 'aws:principalarn': 'arn:aws:iam::111122223333:role/agent-guardrails/agent/coding-agent', 'aws:principalaccount': '111122223333' },
    };
    sweep(agent, inventory, catalog, TAG, (r) => requests.push(r));
  });

  test('covers the services of a realistic estate, and every production resource', () => {
    expect(new Set(inventory.resources.map((r) => r.service)).size).toBeGreaterThanOrEqual(25);
    expect(inventory.notSwept).toEqual([]);
    expect([...inventory.stackNames].sort()).toEqual(['shop-data-prod', 'shop-edge-prod']);
  });

  test('tries every catalog action on every production resource of a type it acts on', () => {
    // Computed here from the catalog, independently of the sweep: a class of actions the sweep
    // skipped (say every Terminate*) would be missing below.
    const expected = new Set<string>();
    for (const resource of inventory.resources) {
      for (const action of catalog.actionsOf(resource.service)) {
        if (action.resourceTypes.some((t) => t.name.toLowerCase() === resource.iamType.toLowerCase())) expected.add(`${action.service}:${action.name} ${resource.arn}`);
      }
    }
    const tried = new Set(requests.filter((r) => r.scenario === 'as tagged').map((r) => `${r.action} ${r.resource.arn}`));
    expect([...expected].filter((k) => !tried.has(k))).toEqual([]);
    expect(expected.size).toBeGreaterThan(1500);
  });

  test('tries every write that names a production VPC, subnet or cluster in a condition key', () => {
    const placed = requests.filter((r) => r.scenario === 'named in request');
    expect(new Set(placed.map((r) => r.resource.cfnType))).toEqual(new Set(['AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::ECS::Cluster']));
    expect(placed.map((r) => r.action)).toEqual(expect.arrayContaining(['lambda:CreateFunction', 'route53:AssociateVPCWithHostedZone', 'elasticloadbalancing:CreateLoadBalancer', 'ecs:CreateService', 'ecs:RunTask']));
  });

  test('denies every write, and allows every read', () => {
    const writes = requests.filter((r) => r.change || r.scenario !== 'as tagged');
    const reads = requests.filter((r) => !r.change && r.scenario === 'as tagged');
    expect(writes.length).toBeGreaterThan(1500);
    expect(reads.length).toBeGreaterThan(400);
    expect(writes.filter((r) => r.decision.result !== 'ExplicitlyDenied').map((r) => `${r.action} on ${r.resource.constructPath} (${r.scenario})`)).toEqual([]);
    expect(reads.filter((r) => r.decision.result !== 'Allowed').map((r) => `${r.action} on ${r.resource.constructPath}`)).toEqual([]);
  });

  test('calls a write every action that is not a pure read, whatever its verb', () => {
    const byVerb = (verb: RegExp) => requests.filter((r) => r.scenario === 'as tagged' && verb.test(r.action.split(':')[1]));
    for (const verb of [/^Terminate/, /^Stop/, /^Put/, /^Modify/, /^Update/, /^Tag/, /^Invoke/, /^Start/]) {
      const found = byVerb(verb);
      expect(found.length).toBeGreaterThan(0);
      expect(found.filter((r) => !r.change && !isPureRead(catalog.actionsOf(r.action.split(':')[0]).find((a) => `${a.service}:${a.name}` === r.action)!))).toEqual([]);
    }
  });
});

describe('the review of the estate', () => {
  test('passes with nothing unresolved', () => {
    const report = reviewAssembly(assembly);
    expect(report.summary).toEqual({ errors: 0, warnings: 0, unresolved: 0, acknowledged: 0 });
  });

  test('lists the account-level writes no tag or name reaches, from the catalog', () => {
    const report = reviewAssembly(assembly);
    expect(report.sweep.accountLevelWrites).toEqual(expect.arrayContaining(['kinesis:UpdateShardCount', 'ecs:DeregisterTaskDefinition']));
    expect(report.sweep.accountLevelWrites.every((a) => catalog.actionsOf(a.split(':')[0]).find((x) => `${x.service}:${x.name}` === a)!.resourceTypes.length === 0)).toBe(true);
    const text = formatText(report, { baseDir: dir });
    expect(text).toMatch(/Account-level writes of production's services: .*\(\d+\)\n(.|\n)*  kinesis: .*UpdateShardCount/);
  });

  /** The assembly with statement `sid` removed from every guardrail policy. */
  function without(sid: string): AssemblyModel {
    return {
      stacks: assembly.stacks.map((stack) => ({
        ...stack,
        resources: stack.resources.map((r) =>
          r.type === 'AWS::IAM::ManagedPolicy' && r.properties.Path === '/agent-guardrails/'
            ? { ...r, properties: { ...r.properties, PolicyDocument: { ...r.properties.PolicyDocument, Statement: r.properties.PolicyDocument.Statement.filter((s: { Sid?: string }) => s.Sid !== sid) } } }
            : r,
        ),
      })),
    };
  }

  const productionStatements = () => {
    const guardrails = assembly.stacks.find((s) => s.stackName === 'agent-guardrails')!;
    const sids = guardrails.resources.filter((r) => r.type === 'AWS::IAM::ManagedPolicy').flatMap((r) => r.properties.PolicyDocument.Statement.map((s: { Sid?: string }) => s.Sid));
    return [...new Set<string>(sids.filter((sid: string | undefined) => sid?.startsWith('Prod')))].sort();
  };

  // Every production statement but ProdProposalRole, which decides on cloudformation:RoleArn, a key
  // the caller chooses: the sweep leaves such keys open (a Deny on them does not count), so the
  // simulator cases prove it instead.
  const SWEPT_STATEMENTS = [
    'ProdByArn',
    'ProdByName',
    'ProdClusterInTask',
    'ProdOffLimits',
    'ProdReadOnly',
    'ProdStackCreate',
    'ProdSubnetInLoadBalancer',
    'ProdSubnetInService',
    'ProdTagMint',
    'ProdVpcInFunction',
    'ProdVpcInZone',
  ];

  test('guards production with these statements', () => {
    expect(productionStatements()).toEqual([...SWEPT_STATEMENTS, 'ProdProposalRole'].sort());
  });

  test.each(SWEPT_STATEMENTS)('fails when %s is removed', (sid) => {
    const report = reviewAssembly(without(sid));
    expect(report.summary.errors).toBeGreaterThan(0);
    expect(report.findings.every((f) => f.ruleId === 'AGR-BOUNDARY-DENIES' || f.ruleId === 'AGR-EFFECTIVE-PERMISSIONS')).toBe(true);
  });

  test('the CLI exits 0 on the estate and 1 once ProdReadOnly is removed from the agent boundary', async () => {
    const quiet = { out: () => undefined, err: () => undefined, env: {} };
    expect(await main(['review', dir], quiet)).toBe(0);
    const broken = fs.mkdtempSync(`${dir}-broken`);
    fs.cpSync(dir, broken, { recursive: true });
    const file = path.join(broken, 'AgentGuardrails.template.json');
    const template = JSON.parse(fs.readFileSync(file, 'utf8'));
    for (const resource of Object.values<any>(template.Resources)) {
      if (resource.Properties?.ManagedPolicyName === 'AgentPermissionsBoundary') {
        resource.Properties.PolicyDocument.Statement = resource.Properties.PolicyDocument.Statement.filter((s: { Sid?: string }) => s.Sid !== 'ProdReadOnly');
      }
    }
    fs.writeFileSync(file, JSON.stringify(template));
    expect(await main(['review', broken], quiet)).toBe(1);
  });
});

describe('placing things in production, decided by iam-simulate', () => {
  const agent = () => ({
    identity: [ADMINISTRATOR_ACCESS, guardrailDocument(assembly, 'AgentPermissionsBoundary-Denies'), guardrailDocument(assembly, 'AgentPermissionsBoundary-Services')],
    boundary: guardrailDocument(assembly, 'AgentPermissionsBoundary'),
  });
  const workload = () => ({ identity: [ADMINISTRATOR_ACCESS], boundary: guardrailDocument(assembly, 'AgentPermissionsBoundary-Workload') });
  const WORKLOAD_ROLE = `arn:aws:iam::${ACCOUNT}:role/agent-workload/dev-api`;
  /** A value the guardrails name for `key`, read from the agent denies policy (ids are assigned at deployment). */
  const production = (key: string) => {
    const document = guardrailDocument(assembly, 'AgentPermissionsBoundary-Denies') as { Statement: any[] };
    const named = document.Statement.find((s) => s.Condition?.['ForAnyValue:StringLike']?.[key] !== undefined).Condition['ForAnyValue:StringLike'][key];
    // A cluster CloudFormation names is matched by its logical id: fill in the stack name and a suffix.
    return [named].flat()[0].replace('arn:*:ecs:*:*:cluster/*', `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/shop-edge-prod-`).replace(/\*$/, '-Ab12Cd34Ef56');
  };
  const own = (service: string, resource: string) => `arn:aws:${service}:eu-west-1:${ACCOUNT}:${resource}`;
  const cases: [string, string, string, string, string][] = [
    ['a function in a production VPC', 'lambda:CreateFunction', own('lambda', 'function:dev-api'), 'lambda:VpcIds', 'ProdVpcInFunction'],
    ['a function moved into a production VPC', 'lambda:UpdateFunctionConfiguration', own('lambda', 'function:dev-api'), 'lambda:VpcIds', 'ProdVpcInFunction'],
    ['a private zone associated with a production VPC', 'route53:AssociateVPCWithHostedZone', 'arn:aws:route53:::hostedzone/Z0DEVZONE', 'route53:VPCs', 'ProdVpcInZone'],
    ['a load balancer in production subnets', 'elasticloadbalancing:CreateLoadBalancer', own('elasticloadbalancing', 'loadbalancer/app/dev-api/0123456789abcdef'), 'elasticloadbalancing:Subnet', 'ProdSubnetInLoadBalancer'],
    ['a service in production subnets', 'ecs:CreateService', own('ecs', 'service/dev-cluster/dev-api'), 'ecs:subnet', 'ProdSubnetInService'],
    ['a task in a production cluster', 'ecs:RunTask', own('ecs', 'task-definition/dev-api:1'), 'ecs:cluster', 'ProdClusterInTask'],
  ];

  test.each(cases)('fails when an agent places %s (%s)', async (_what, action, resource, key, sid) => {
    const decision = await simulate({ action, resource, context: { [key]: [production(key)] } }, agent());
    expect(decision).toMatchObject({ result: 'ExplicitlyDenied', deniedBy: [sid] });
  });

  test.each(cases)('fails when a workload places %s (%s)', async (_what, action, resource, key, sid) => {
    const decision = await simulate({ action, resource, context: { [key]: [production(key)] }, principal: WORKLOAD_ROLE }, workload());
    expect(decision).toMatchObject({ result: 'ExplicitlyDenied', deniedBy: [sid] });
  });

  test.each(cases)('allows %s when the VPC, subnet or cluster is not production (%s)', async (_what, action, resource, key) => {
    const elsewhere = key === 'ecs:cluster' ? own('ecs', 'cluster/dev-cluster') : key.toLowerCase().includes('subnet') ? 'subnet-0dev1234567890abc' : 'vpc-0dev1234567890abc';
    expect((await simulate({ action, resource, context: { [key]: [elsewhere] } }, agent())).result).toBe('Allowed');
    expect((await simulate({ action, resource, context: { [key]: [elsewhere] }, principal: WORKLOAD_ROLE }, workload())).result).toBe('Allowed');
  });

  test('fails when an agent or a workload puts events on, or replays an archive to, the default bus production rules watch', async () => {
    const bus = `arn:aws:events:eu-west-1:${ACCOUNT}:event-bus/default`;
    expect(await simulate({ action: 'events:PutEvents', resource: bus }, agent())).toMatchObject({ result: 'ExplicitlyDenied', deniedBy: ['ProdByArn'] });
    expect(await simulate({ action: 'events:PutEvents', resource: bus, principal: WORKLOAD_ROLE }, workload())).toMatchObject({ result: 'ExplicitlyDenied', deniedBy: ['ProdByName'] });
    expect(await simulate({ action: 'events:StartReplay', resource: bus }, agent())).toMatchObject({ result: 'ExplicitlyDenied', deniedBy: ['ProdByArn'] });
    // Reading it stays allowed; a bus of the agent's own is its own.
    expect((await simulate({ action: 'events:DescribeEventBus', resource: bus }, agent())).result).toBe('Allowed');
    expect((await simulate({ action: 'events:PutEvents', resource: `arn:aws:events:eu-west-1:${ACCOUNT}:event-bus/dev-bus` }, agent())).result).toBe('Allowed');
  });
});
