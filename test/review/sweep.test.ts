/**
 * The effective-permission sweep and the rules it decides, on synthesized apps: the examples pass,
 * and each way of leaving production open is found, with the actions, the resource and how it was
 * tried. Decisions the sweep makes without caller-chosen keys are held to iam-simulate.
 */
import { App, CfnResource, Fn, NestedStack, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  AgentPermissionsBoundary,
  AgentRole,
  ALLOW_EVERYTHING,
  AssemblyModel,
  boundaryDeniesDestruction,
  buildAgentBoundary,
  buildAgentDenies,
  compilePolicy,
  describeAssumption,
  effectivePermissions,
  iamCatalog,
  iamResourceTypeOf,
  loadIamCatalog,
  ProductionProtection,
  productionStacksProtected,
  resolveValue,
  sweep,
  sweepAssembly,
  SweptRequest,
} from '../../lib';
import { buildApp as codingAgent } from '../../examples/coding-agent';
import { buildApp as twoPersonApproval } from '../../examples/two-person-approval';
import { synthesizeApp } from '../support/assembly';
import { sampleInput } from '../support/boundary';
import { simulate } from '../support/simulator';

const TAG = { key: 'Environment', values: ['production'] };
const catalog = loadIamCatalog();

/**
 * A production stack with a table, and a guardrails stack whose agent boundary and denies policy
 * (from the pure builders) lack the statements in `without`; the agent role carries both.
 */
function appWithBoundary(options: { without?: string[]; stackNames?: string[]; extra?: (prod: Stack) => void; agentStatements?: iam.PolicyStatement[]; bounded?: boolean; sketchResources?: boolean }) {
  return synthesizeApp((app: App) => {
    const prod = new Stack(app, 'Prod', { stackName: 'orders-prod', tags: { Environment: 'production' } });
    new dynamodb.Table(prod, 'Orders', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
    options.extra?.(prod);
    const guardrails = new Stack(app, 'Guardrails', { stackName: 'agent-guardrails' });
    const input = sampleInput({ productionStackNames: options.stackNames ?? [], productionBucketNames: [], boundaryPolicyName: 'AgentBoundary', workloadBoundaryName: 'AgentBoundary-Workload', accountId: '123456789012' });
    const policy = (id: string, name: string, document: { Statement: Array<{ Sid?: string }> }) =>
      new iam.CfnManagedPolicy(guardrails, id, { path: '/agent-guardrails/', managedPolicyName: name, policyDocument: { ...document, Statement: document.Statement.filter((s) => !(options.without ?? []).includes(s.Sid ?? '')) } });
    const boundary = policy('Boundary', 'AgentBoundary', buildAgentBoundary(input));
    const denies = policy('Denies', 'AgentBoundary-Denies', buildAgentDenies(input));
    new iam.CfnRole(guardrails, 'Agent', {
      path: '/agent-guardrails/agent/',
      permissionsBoundary: options.bounded === false ? undefined : boundary.ref,
      managedPolicyArns: options.bounded === false ? undefined : [denies.ref],
      assumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/launcher' }, Action: 'sts:AssumeRole' }] },
      policies: [{ policyName: 'own', policyDocument: { Version: '2012-10-17', Statement: (options.agentStatements ?? [new iam.PolicyStatement({ actions: ['*'], resources: ['*'] })]).map((s) => s.toStatementJson()) } }],
    });
  }, options).assembly;
}

/** The resolved document of the guardrail policy named `name` in the guardrails stack. */
function guardrailDocument(assembly: AssemblyModel, name: string): unknown {
  const guardrails = assembly.stacks.find((st) => st.stackName === 'agent-guardrails')!;
  const policy = guardrails.resources.find((r) => r.type === 'AWS::IAM::ManagedPolicy' && r.properties.ManagedPolicyName === name)!;
  return resolveValue(policy.properties.PolicyDocument, guardrails, catalog);
}
type Document = Parameters<typeof compilePolicy>[1];
const boundaryOf = (assembly: AssemblyModel) => guardrailDocument(assembly, 'AgentBoundary') as Document;
const deniesOf = (assembly: AssemblyModel) => guardrailDocument(assembly, 'AgentBoundary-Denies') as Document;

const actionsOf = (findings: Array<{ message: string }>) => findings.map((f) => f.message).join('\n');

describe('the examples', () => {
  test.each([
    ['examples/coding-agent.ts', codingAgent],
    ['examples/two-person-approval.ts', twoPersonApproval],
  ])('%s: no agent, deploy role or boundary leaves anything destructive allowed on production', (_name, build) => {
    const { assembly } = synthesizeApp((app) => build(app));
    const swept = sweepAssembly(assembly);
    expect(swept.inventory.resources.length).toBeGreaterThan(3);
    expect(swept.roles.length + swept.boundaries.length).toBeGreaterThanOrEqual(2);
    for (const s of [...swept.roles, ...swept.boundaries]) {
      expect(s.result.evaluations).toBeGreaterThan(100);
      expect(s.result.allowed).toEqual([]);
    }
    expect(boundaryDeniesDestruction().check(assembly)).toEqual([]);
    expect(effectivePermissions().check(assembly)).toEqual([]);
  });

  test('the coding agent example sweeps every production resource it deploys', () => {
    const { assembly } = synthesizeApp((app) => codingAgent(app));
    const swept = sweepAssembly(assembly);
    expect(swept.inventory.stackNames).toEqual(['orders-prod']);
    expect(swept.inventory.resources.map((r) => r.cfnType).sort()).toEqual(
      expect.arrayContaining(['AWS::CloudFormation::Stack', 'AWS::DynamoDB::GlobalTable', 'AWS::SQS::Queue', 'AWS::Lambda::Function', 'AWS::IAM::Role']),
    );
    expect(swept.inventory.notSwept).toEqual([]);
    // AWS managed policies are not in the assembly: the sweep says it assumed the worst.
    const agent = swept.roles.find((r) => r.kind === 'agent')!;
    expect(agent.assumptions).toEqual([{ code: 'managed-policy-unread', policy: expect.stringMatching(/ViewOnlyAccess$/) }]);
  });
});

describe('AGR-BOUNDARY-DENIES and AGR-EFFECTIVE-PERMISSIONS', () => {
  test('pass with the whole boundary, even for an agent granted every permission', () => {
    const assembly = appWithBoundary({});
    expect(boundaryDeniesDestruction().check(assembly)).toEqual([]);
    expect(effectivePermissions().check(assembly)).toEqual([]);
  });

  test('fails when the agent boundary does not make tagged production read-only', () => {
    const assembly = appWithBoundary({ without: ['ProdReadOnly'] });
    const message = actionsOf(boundaryDeniesDestruction().check(assembly));
    expect(message).toMatch(/the agent boundary and denies policy, for an agent granted every permission, still allows .*dynamodb:.* on production resource Prod\/Orders\/Resource \(AWS::DynamoDB::Table\), as tagged/);
    expect(message).toMatch(/dynamodb:UntagResource.*production tag changed/);
    expect(boundaryDeniesDestruction().check(assembly).every((f) => f.constructPath === 'Guardrails/Boundary' && f.severity === 'error')).toBe(true);
    const agent = sweepAssembly(assembly).roles.find((r) => r.kind === 'agent')!;
    expect(agent.result.allowed.map((a) => a.action)).toEqual(expect.arrayContaining(['dynamodb:UpdateTable', 'dynamodb:PutItem', 'cloudformation:ExecuteChangeSet']));
  });

  test('counts every write, not only deletions: a boundary that denies only deletes fails', () => {
    const deletesOnly = { Sid: 'DeletesOnly', Effect: 'Deny', Action: ['dynamodb:Delete*', 'cloudformation:DeleteStack'], Resource: '*' };
    const assembly = appWithBoundary({ without: ['ProdReadOnly'], agentStatements: [new iam.PolicyStatement({ actions: ['*'], resources: ['*'] }), iam.PolicyStatement.fromJson(deletesOnly)] });
    const allowed = sweepAssembly(assembly).roles.find((r) => r.kind === 'agent')!.result.allowed.map((a) => a.action);
    expect(allowed).not.toContain('dynamodb:DeleteTable');
    expect(allowed).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateTable', 'dynamodb:UpdateTimeToLive', 'cloudformation:UpdateStack']));
    expect(effectivePermissions().check(assembly).length).toBeGreaterThan(0);
  });

  test('tries a stack a guardrail names without its tags, and fails when nothing protects it by name', () => {
    const named = appWithBoundary({ stackNames: ['orders-prod'] });
    expect(boundaryDeniesDestruction().check(named)).toEqual([]);
    const swept = sweepAssembly(named);
    const untagged: SweptRequest[] = [];
    const agent = swept.roles.find((r) => r.kind === 'agent')!;
    const probe = (withoutByName: boolean) => ({
      identity: [compilePolicy('admin', ALLOW_EVERYTHING), compilePolicy('denies', withoutByName ? { Statement: [] } : deniesOf(named))],
      boundary: compilePolicy('boundary', boundaryOf(named)),
      principalContext: { 'aws:principalarn': 'arn:aws:iam::123456789012:role/agent-guardrails/agent/any-agent' },
    });
    expect(agent.result.evaluations).toBeGreaterThan(0);
    expect(sweep(probe(false), swept.inventory, catalog, TAG, (r) => r.scenario === 'untagged, by name' && untagged.push(r)).allowed).toEqual([]);
    expect(untagged.length).toBeGreaterThan(10);
    const open = sweep(probe(true), swept.inventory, catalog, TAG).allowed;
    expect(open).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'cloudformation:DeleteStack', scenario: 'untagged, by name' })]));
  });

  test('fails when an agent role has no boundary, and passes when its own policy grants nothing destructive', () => {
    expect(actionsOf(effectivePermissions().check(appWithBoundary({ bounded: false })))).toMatch(/cloudformation:.*DeleteStack.*orders-prod, as tagged/);
    const readOnly = appWithBoundary({ bounded: false, agentStatements: [new iam.PolicyStatement({ actions: ['dynamodb:DescribeTable', 'cloudformation:Describe*'], resources: ['*'] })] });
    expect(effectivePermissions().check(readOnly)).toEqual([]);
  });

  test('lists destructive actions no tag can protect, and fails when nothing covers one', () => {
    const assembly = appWithBoundary({
      extra: (prod) => new lambda.CfnLayerVersion(prod, 'Layer', { content: { s3Bucket: 'artifacts', s3Key: 'layer.zip' } }),
    });
    const swept = sweepAssembly(assembly);
    const agent = swept.roles.find((r) => r.kind === 'agent')!;
    expect(agent.result.tagBlind).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'lambda:DeleteLayerVersion', resourceType: 'lambda:layerVersion', decision: expect.objectContaining({ result: 'Allowed' }) })]));
    expect(actionsOf(boundaryDeniesDestruction().check(assembly))).toMatch(/lambda:AddLayerVersionPermission, lambda:DeleteLayerVersion.* on production resource Prod\/Layer \(AWS::Lambda::LayerVersion\)/);
  });

  test('reports a stateful production resource it cannot try as unresolved, not as passing', () => {
    const assembly = appWithBoundary({});
    const full = loadIamCatalog();
    // A catalog without DynamoDB's table type: the table can no longer be tried.
    const partial = iamCatalog(full.actions, []);
    const rule = boundaryDeniesDestruction({}, (a) => sweepAssembly(a, { catalog: partial }));
    expect(rule.check(assembly)).toEqual(expect.arrayContaining([expect.objectContaining({ severity: 'unresolved', constructPath: 'Prod/Orders/Resource' })]));
  });
});

test('the sweep decides as iam-simulate does wherever no caller-chosen key is involved', async () => {
  const { assembly } = synthesizeApp((app) => {
    codingAgent(app);
    // Production resources of more kinds, for more varied requests.
    const prod = app.node.findChild('OrdersProd') as Stack;
    new lambda.CfnLayerVersion(prod, 'Layer', { content: { s3Bucket: 'artifacts', s3Key: 'layer.zip' } });
  });
  const swept = sweepAssembly(assembly);
  const guardrails = assembly.stacks.find((s) => s.stackName === 'agent-guardrails')!;
  const boundaryResource = guardrails.resources.find((r) => r.type === 'AWS::IAM::ManagedPolicy')!;
  const boundary = resolveValue(boundaryResource.properties.PolicyDocument, guardrails, catalog) as { Statement: unknown };
  const agentArn = 'arn:aws:iam::123456789012:role/agent-guardrails/agent/any-agent';
  const requests: SweptRequest[] = [];
  const probe = {
    identity: [compilePolicy('admin', ALLOW_EVERYTHING)],
    boundary: compilePolicy('boundary', boundary),
    principalContext: { 'aws:principalarn': agentArn, 'aws:principalaccount': '123456789012' },
  };
  sweep(probe, swept.inventory, catalog, TAG, (r) => requests.push(r));
  const definite = requests.filter((r) => (r.decision.dependsOn ?? []).length === 0);
  expect(definite.length).toBeGreaterThan(200);
  expect(definite.some((r) => r.decision.result === 'Allowed') && definite.some((r) => r.decision.result === 'ExplicitlyDenied')).toBe(true);
  const disagreements: string[] = [];
  for (const r of definite) {
    const theirs = await simulate(
      { action: r.action, resource: r.resource.arn, context: r.context as Record<string, string | string[]>, principal: agentArn, accountId: '123456789012' },
      { identity: [ALLOW_EVERYTHING], boundary },
    );
    if (theirs.result !== r.decision.result) disagreements.push(`${r.action} on ${r.resource.arn} (${r.scenario}): ours ${r.decision.result}, iam-simulate ${theirs.result}`);
  }
  expect(disagreements).toEqual([]);
});

test('an agent role made with AgentRole is swept through its boundary', () => {
  const { assembly } = synthesizeApp((app) => {
    const prod = new Stack(app, 'Prod', { stackName: 'orders-prod' });
    new dynamodb.TableV2(prod, 'Orders', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
    new ProductionProtection(prod, 'ProductionProtection');
    const guardrails = new Stack(app, 'Guardrails');
    const boundary = new AgentPermissionsBoundary(guardrails, 'Boundary');
    const agent = new AgentRole(guardrails, 'Agent', { agentName: 'coding-agent', boundary, assumedBy: new iam.ArnPrincipal('arn:aws:iam::123456789012:role/launcher') });
    agent.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:*', 'cloudformation:*'], resources: ['*'] }));
  });
  const agent = sweepAssembly(assembly).roles.find((r) => r.kind === 'agent')!;
  expect(agent.assumptions).toEqual([]);
  expect(agent.result.allowed).toEqual([]);
  expect(agent.result.evaluations).toBeGreaterThan(50);
});

test('every CloudFormation type the sweep maps names a resource type of the IAM catalog', () => {
  const types = [
    'AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable', 'AWS::SQS::Queue', 'AWS::SNS::Topic', 'AWS::Lambda::Function', 'AWS::Lambda::LayerVersion',
    'AWS::S3::Bucket', 'AWS::IAM::Role', 'AWS::IAM::ManagedPolicy', 'AWS::Logs::LogGroup', 'AWS::KMS::Key', 'AWS::RDS::DBInstance', 'AWS::RDS::DBCluster',
    'AWS::Neptune::DBCluster', 'AWS::DocDB::DBCluster', 'AWS::StepFunctions::StateMachine', 'AWS::Events::EventBus', 'AWS::Events::Rule',
    'AWS::SecretsManager::Secret', 'AWS::ECS::Cluster', 'AWS::ECS::Service', 'AWS::EC2::Instance', 'AWS::EC2::Volume', 'AWS::EC2::VPC', 'AWS::EC2::EIP',
    'AWS::EFS::FileSystem', 'AWS::ECR::Repository', 'AWS::Kinesis::Stream', 'AWS::KinesisFirehose::DeliveryStream', 'AWS::Cognito::UserPool',
    'AWS::ElastiCache::ReplicationGroup', 'AWS::ElastiCache::CacheCluster', 'AWS::AutoScaling::AutoScalingGroup', 'AWS::ElasticLoadBalancingV2::LoadBalancer',
    'AWS::ElasticLoadBalancingV2::Listener', 'AWS::ElasticLoadBalancingV2::TargetGroup', 'AWS::EKS::Cluster', 'AWS::CloudFront::Distribution',
    'AWS::Backup::BackupVault', 'AWS::SSM::Parameter', 'AWS::ApiGateway::RestApi', 'AWS::OpenSearchService::Domain', 'AWS::Elasticsearch::Domain',
    'AWS::Redshift::Cluster', 'AWS::MSK::Cluster', 'AWS::RedshiftServerless::Namespace', 'AWS::OpenSearchServerless::Collection',
  ];
  const unmapped = types.filter((t) => iamResourceTypeOf(catalog, t) === undefined);
  expect(unmapped).toEqual([]);
  expect(iamResourceTypeOf(catalog, 'AWS::Made::Up')).toBeUndefined();
});

test('fails as unresolved when a production resource has a type the sweep cannot map', () => {
  const assembly = appWithBoundary({ extra: (prod) => new CfnResource(prod, 'Thing', { type: 'AWS::Made::Up' }), sketchResources: true });
  expect(boundaryDeniesDestruction().check(assembly)).toEqual([expect.objectContaining({ severity: 'unresolved', constructPath: 'Prod/Thing', message: expect.stringMatching(/AWS::Made::Up is a production resource whose IAM resource type is unknown/) })]);
});

test('a production managed policy carries no tags, so only a statement by name could protect it', () => {
  const assembly = appWithBoundary({ extra: (prod) => new iam.ManagedPolicy(prod, 'Shared', { statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] })] }) });
  expect(actionsOf(boundaryDeniesDestruction().check(assembly))).toMatch(/iam:DeletePolicy.* on production resource Prod\/Shared\/Resource \(AWS::IAM::ManagedPolicy\), as tagged/);
});

test('policy variables and values that cannot be resolved offline widen an Allow, and are recorded', () => {
  const assembly = appWithBoundary({
    bounded: false,
    agentStatements: [
      new iam.PolicyStatement({ actions: ['dynamodb:DeleteTable'], resources: ['arn:aws:dynamodb:*:*:table/${aws:PrincipalTag/team}-*'] }),
      new iam.PolicyStatement({ actions: ['sqs:DeleteQueue'], resources: [Fn.importValue('queue-arn')] }),
    ],
  });
  const agent = sweepAssembly(assembly).roles.find((r) => r.kind === 'agent')!;
  expect(agent.result.allowed.map((a) => a.action)).toContain('dynamodb:DeleteTable');
  expect(agent.assumptions).toEqual([expect.objectContaining({ code: 'allow-widened', statement: '0' }), expect.objectContaining({ code: 'allow-widened', statement: '1' })]);
  expect(agent.assumptions.map(describeAssumption)).toEqual([expect.stringMatching(/statement 0: .*taken as "\*"/), expect.stringMatching(/statement 1: .*taken as "\*"/)]);
});

test('the shipped boundary leaves nothing destructive allowed on common production resource types', () => {
  const types = [
    'AWS::DynamoDB::Table', 'AWS::SQS::Queue', 'AWS::SNS::Topic', 'AWS::Lambda::Function', 'AWS::IAM::Role', 'AWS::Logs::LogGroup', 'AWS::KMS::Key',
    'AWS::RDS::DBInstance', 'AWS::RDS::DBCluster', 'AWS::StepFunctions::StateMachine', 'AWS::Events::EventBus', 'AWS::SecretsManager::Secret',
    'AWS::ECS::Cluster', 'AWS::ECS::Service', 'AWS::EC2::Instance', 'AWS::EC2::Volume', 'AWS::EFS::FileSystem', 'AWS::ECR::Repository', 'AWS::Kinesis::Stream',
    'AWS::Cognito::UserPool', 'AWS::ElastiCache::ReplicationGroup', 'AWS::EKS::Cluster', 'AWS::SSM::Parameter', 'AWS::OpenSearchService::Domain',
  ];
  const { assembly } = synthesizeApp((app) => {
    const prod = new Stack(app, 'Prod', { stackName: 'orders-prod' });
    types.forEach((type, i) => new CfnResource(prod, `Resource${i}`, { type }));
    new ProductionProtection(prod, 'ProductionProtection', { disableStackPolicy: true });
    new AgentPermissionsBoundary(new Stack(app, 'Guardrails'), 'Boundary');
  }, { sketchResources: true });
  const swept = sweepAssembly(assembly);
  expect(swept.inventory.resources.map((r) => r.cfnType)).toEqual(expect.arrayContaining(types));
  expect(swept.boundaries[0].result.allowed.map((a) => `${a.action} on ${a.resource.cfnType}`)).toEqual([]);
});

describe('nested stacks', () => {
  function nested(bucketName: string | undefined) {
    return synthesizeApp((app) => {
      const prod = new Stack(app, 'Prod', { stackName: 'orders-prod' });
      const data = new NestedStack(prod, 'Data');
      new dynamodb.Table(data, 'Archive', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
      new lambda.CfnLayerVersion(data, 'Layer', { content: { s3Bucket: bucketName ?? 'artifacts', s3Key: 'layer.zip' } });
      new ProductionProtection(prod, 'ProductionProtection');
      new AgentPermissionsBoundary(new Stack(app, 'Guardrails'), 'Boundary');
    }).assembly;
  }

  test('resources of a production stack\'s nested stacks are swept as production', () => {
    const swept = sweepAssembly(nested(undefined));
    expect(swept.inventory.resources.map((r) => r.constructPath)).toEqual(expect.arrayContaining(['Prod/Data/Archive/Resource', 'Prod/Data/Layer']));
    // The nested stack itself is tried as a resource of its root, by tag; only roots are named in the boundary.
    const nestedStack = swept.inventory.resources.find((r) => r.cfnType === 'AWS::CloudFormation::Stack' && r.logicalId !== undefined)!;
    expect(nestedStack.constructPath).toMatch(/^Prod\/Data\.NestedStack/);
    const allowed = swept.boundaries[0].result.allowed.map((a) => `${a.action} on ${a.resource.constructPath}`);
    // The table is protected by its tag; the layer version carries none and is protected by name.
    expect(allowed).toEqual([]);
  });

  test('AGR-PROD-PROTECTED checks the stateful resources of nested stacks, not their termination protection', () => {
    expect(productionStacksProtected().check(nested(undefined))).toEqual([]);
  });
});

describe('decisions shared by resources the policies cannot tell apart', () => {
  const table = (name: string, logicalId: string) => ({
    stackName: 'orders-prod',
    templateFile: 'orders-prod.template.json',
    constructPath: `Prod/${logicalId}`,
    logicalId,
    cfnType: 'AWS::DynamoDB::Table',
    service: 'dynamodb',
    iamType: 'table',
    arn: `arn:aws:dynamodb:us-east-1:123456789012:table/${name}`,
    tags: { Environment: 'production', 'aws:cloudformation:logical-id': logicalId },
  });
  const inventory = { stackNames: ['orders-prod'], resources: [table('orders', 'Orders'), table('archive', 'Archive'), table('audit', 'Audit')], notSwept: [] };
  const allow = (statements: unknown[]) => ({ identity: [compilePolicy('own', { Statement: statements })], principalContext: {} });
  const deleted = (policies: ReturnType<typeof allow>) => sweep(policies, inventory, catalog, TAG).allowed.filter((a) => a.action === 'dynamodb:DeleteTable').map((a) => a.resource.logicalId);

  test('tells resources apart by the statements that name their ARN', () => {
    expect(deleted(allow([{ Effect: 'Allow', Action: 'dynamodb:DeleteTable', Resource: 'arn:aws:dynamodb:*:*:table/archive' }]))).toEqual(['Archive']);
  });

  test('tells resources apart by the tags the conditions read', () => {
    const policies = allow([
      { Effect: 'Allow', Action: 'dynamodb:DeleteTable', Resource: '*' },
      { Effect: 'Deny', Action: 'dynamodb:DeleteTable', Resource: '*', Condition: { StringEquals: { 'aws:ResourceTag/aws:cloudformation:logical-id': 'Orders' } } },
    ]);
    expect(deleted(policies)).toEqual(['Archive', 'Audit']);
  });

  test('still shows every request with its own ARN and context', () => {
    const requests: SweptRequest[] = [];
    const result = sweep(allow([{ Effect: 'Allow', Action: 'dynamodb:DeleteTable', Resource: '*' }]), inventory, catalog, TAG, (r) => requests.push(r));
    const deletes = requests.filter((r) => r.action === 'dynamodb:DeleteTable' && r.scenario === 'as tagged');
    expect(deletes.map((r) => [r.arn, r.context['aws:resourcetag/aws:cloudformation:logical-id'], r.decision.result])).toEqual([
      ['arn:aws:dynamodb:us-east-1:123456789012:table/orders', 'Orders', 'Allowed'],
      ['arn:aws:dynamodb:us-east-1:123456789012:table/archive', 'Archive', 'Allowed'],
      ['arn:aws:dynamodb:us-east-1:123456789012:table/audit', 'Audit', 'Allowed'],
    ]);
    expect(requests.length).toBe(result.evaluations);
  });
});
