import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AgentPermissionsBoundary, MANAGED_POLICY_SIZE_LIMIT, ProductionProtection } from '../../lib';
import { ACCOUNT, ADMINISTRATOR_ACCESS, simulate } from '../support/simulator';
import { guardrailDocuments, REGION, stackArn, synthTemplates } from '../support/template';

describe('AgentPermissionsBoundary', () => {
  test('creates the agent boundary, the two agent deny policies and the workload boundary under the guardrail path', () => {
    const app = new App();
    const stack = new Stack(app, 'Guardrails');
    new AgentPermissionsBoundary(stack, 'Boundary');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      ManagedPolicyName: 'AgentPermissionsBoundary',
      Path: '/agent-guardrails/',
      PolicyDocument: { Statement: Match.arrayWith([{ Sid: 'Ceiling', Effect: 'Allow', Action: '*', Resource: '*' }]) },
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', { ManagedPolicyName: 'AgentPermissionsBoundary-Denies', Path: '/agent-guardrails/' });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', { ManagedPolicyName: 'AgentPermissionsBoundary-Workload', Path: '/agent-guardrails/' });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      ManagedPolicyName: 'AgentPermissionsBoundary-Services',
      Path: '/agent-guardrails/',
      PolicyDocument: { Statement: [Match.objectLike({ Sid: 'SecurityServicesReadOnly' }), Match.objectLike({ Sid: 'IdentityReadOnly' })] },
    });
    template.hasResource('AWS::IAM::ManagedPolicy', { Metadata: { 'agent-guardrails:policy': 'agent-services' } });
    template.hasResource('AWS::IAM::ManagedPolicy', { Metadata: { 'agent-guardrails:policy': 'workload-boundary' } });
  });

  test('keeps the reads of the services production uses, found in stacks declared after it', async () => {
    const app = new App();
    const guardrails = new Stack(app, 'Guardrails', { stackName: 'agent-guardrails' });
    new AgentPermissionsBoundary(guardrails, 'Boundary');
    const late = new Stack(app, 'Late', { stackName: 'declared-later' });
    new sqs.Queue(late, 'Queue');
    new ProductionProtection(late, 'ProductionProtection');

    const { agentBoundary } = guardrailDocuments(synthTemplates(app).get('agent-guardrails')!);
    const decide = (action: string) =>
      simulate({ action, resource: `arn:aws:sqs:${REGION}:${ACCOUNT}:q`, context: { 'aws:ResourceTag/Environment': 'production' } }, { identity: [ADMINISTRATOR_ACCESS], boundary: agentBoundary });
    expect((await decide('sqs:GetQueueAttributes')).result).toBe('Allowed');
    expect((await decide('sqs:SetQueueAttributes')).deniedBy).toEqual(['ProdReadOnly']);
    // A service production does not use keeps no reads on production-tagged resources.
    const kinesis = await simulate({ action: 'kinesis:DescribeStream', resource: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/s`, context: { 'aws:ResourceTag/Environment': 'production' } }, { identity: [ADMINISTRATOR_ACCESS], boundary: agentBoundary });
    expect(kinesis.deniedBy).toEqual(['ProdReadOnly']);
  });

  test('keeps the reads of additionalReadServices', async () => {
    const app = new App();
    const guardrails = new Stack(app, 'Guardrails', { stackName: 'agent-guardrails' });
    new AgentPermissionsBoundary(guardrails, 'Boundary', { additionalReadServices: ['glue'] });
    const { agentBoundary } = guardrailDocuments(synthTemplates(app).get('agent-guardrails')!);
    const decision = await simulate({ action: 'glue:GetTable', resource: `arn:aws:glue:${REGION}:${ACCOUNT}:table/db/t`, context: { 'aws:ResourceTag/Environment': 'production' } }, { identity: [ADMINISTRATOR_ACCESS], boundary: agentBoundary });
    expect(decision.result).toBe('Allowed');
  });

  test('protects a custom production tag, in any case', async () => {
    const app = new App();
    const guardrails = new Stack(app, 'Guardrails', { stackName: 'agent-guardrails' });
    new AgentPermissionsBoundary(guardrails, 'Boundary', { productionTag: { key: 'stage', values: ['prod', 'live'] } });
    const { agentBoundary } = guardrailDocuments(synthTemplates(app).get('agent-guardrails')!);

    const deleteTable = (context: Record<string, string>) =>
      simulate({ action: 'dynamodb:DeleteTable', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/t`, context }, { identity: [ADMINISTRATOR_ACCESS], boundary: agentBoundary });
    expect((await deleteTable({ 'aws:ResourceTag/stage': 'Live' })).result).toBe('ExplicitlyDenied');
    expect((await deleteTable({ 'aws:ResourceTag/stage': 'PROD' })).result).toBe('ExplicitlyDenied');
    expect((await deleteTable({ 'aws:ResourceTag/stage': 'dev' })).result).toBe('Allowed');
    expect((await deleteTable({ 'aws:ResourceTag/Environment': 'production' })).result).toBe('Allowed');
  });

  test('puts additional Deny statements in the agent denies policy and the workload boundary', async () => {
    const app = new App();
    const guardrails = new Stack(app, 'Guardrails', { stackName: 'agent-guardrails' });
    new AgentPermissionsBoundary(guardrails, 'Boundary', {
      additionalStatements: [new iam.PolicyStatement({ sid: 'NoBedrock', effect: iam.Effect.DENY, actions: ['bedrock:InvokeModel'], resources: ['*'] })],
    });
    const documents = guardrailDocuments(synthTemplates(app).get('agent-guardrails')!);
    const request = { action: 'bedrock:InvokeModel', resource: `arn:aws:bedrock:${REGION}::foundation-model/any` };
    expect((await simulate(request, { identity: [ADMINISTRATOR_ACCESS, documents.agentDenies], boundary: documents.agentBoundary })).deniedBy).toEqual(['NoBedrock']);
    expect((await simulate(request, { identity: [ADMINISTRATOR_ACCESS], boundary: documents.workloadBoundary })).deniedBy).toEqual(['NoBedrock']);
  });

  describe('production exceptions', () => {
    test('let agents perform the named actions on production, and are recorded for the review', async () => {
      const app = new App();
      const guardrails = new Stack(app, 'Guardrails', { stackName: 'agent-guardrails' });
      new AgentPermissionsBoundary(guardrails, 'Boundary', {
        allowProductionActions: [{ actions: ['dynamodb:PutItem'], reason: 'agents record deployment notes in the ops table' }],
      });
      const template = synthTemplates(app).get('agent-guardrails')!;
      const { agentBoundary, workloadBoundary } = guardrailDocuments(template);
      const put = { action: 'dynamodb:PutItem', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/ops`, context: { 'aws:ResourceTag/Environment': 'production' } };
      expect((await simulate(put, { identity: [ADMINISTRATOR_ACCESS], boundary: agentBoundary })).result).toBe('Allowed');
      expect((await simulate({ ...put, action: 'dynamodb:DeleteItem' }, { identity: [ADMINISTRATOR_ACCESS], boundary: agentBoundary })).deniedBy).toEqual(['ProdReadOnly']);
      // Workloads get no exception.
      expect((await simulate({ ...put, principal: `arn:aws:iam::${ACCOUNT}:role/agent-workload/w` }, { identity: [ADMINISTRATOR_ACCESS], boundary: workloadBoundary })).deniedBy).toEqual(['ProdOffLimits']);
      const [policy] = Object.values(template.Resources).filter((r: any) => r.Properties?.ManagedPolicyName === 'AgentPermissionsBoundary') as any[];
      expect(policy.Metadata['agent-guardrails:production-exceptions']).toEqual([{ actions: ['dynamodb:PutItem'], reason: 'agents record deployment notes in the ops table' }]);
    });

    test.each([
      ['the reason is too short', [{ actions: ['dynamodb:PutItem'], reason: 'notes' }], /allowProductionActions\[0\]\.reason must say in at least 10 characters/],
      ['an action is not an IAM action', [{ actions: ['*:Put*'], reason: 'a long enough reason' }], /allowProductionActions\[0\]\.actions must hold IAM actions like "dynamodb:PutItem"/],
      ['an action does not exist', [{ actions: ['dynamodb:PutItems'], reason: 'a long enough reason' }], /names "dynamodb:PutItems", which matches no action in the IAM action catalog/],
      ['an action deletes', [{ actions: ['dynamodb:*Item'], reason: 'a long enough reason' }], /includes dynamodb:DeleteItem.*never exceptions; run them through the two-person approval workflow/],
      ['an action changes a stack', [{ actions: ['cloudformation:ExecuteChangeSet'], reason: 'a long enough reason' }], /includes cloudformation:ExecuteChangeSet/],
    ])('fail when %s', (_name, allowProductionActions, message) => {
      const stack = new Stack(new App(), 'Guardrails');
      expect(() => new AgentPermissionsBoundary(stack, 'Boundary', { allowProductionActions })).toThrow(message);
    });
  });

  test('fails when an additional statement allows', () => {
    const stack = new Stack(new App(), 'Guardrails');
    expect(
      () => new AgentPermissionsBoundary(stack, 'Boundary', { additionalStatements: [new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] })] }),
    ).toThrow(/additionalStatements\[0\] has Effect Allow; only Deny statements are accepted/);
  });

  test.each([
    ['managedPolicyName has a space', { managedPolicyName: 'agent boundary' }, /managedPolicyName must be a literal of 1-119 .* got "agent boundary"/],
    ['the tag key is reserved by AWS', { productionTag: { key: 'aws:cloudformation:stack-name' } }, /productionTag.key must be .* got "aws:cloudformation:stack-name"/],
    ['no production value is given', { productionTag: { values: [] } }, /productionTag.values must name at least one value/],
    ['a production stack name is not a stack name', { productionStackNames: ['orders prod'] }, /productionStackNames must hold literal stack names .* got "orders prod"/],
    ['a read service is not an IAM service', { additionalReadServices: ['Glue Data Catalog'] }, /additionalReadServices must hold IAM service prefixes .* got "Glue Data Catalog"/],
  ])('fails when %s', (_name, props, message) => {
    const stack = new Stack(new App(), 'Guardrails');
    expect(() => new AgentPermissionsBoundary(stack, 'Boundary', props)).toThrow(message);
  });

  test('fails at synth when a production stack uses another tag', () => {
    const app = new App();
    new AgentPermissionsBoundary(new Stack(app, 'Guardrails'), 'Boundary');
    new ProductionProtection(new Stack(app, 'Prod', { stackName: 'orders-prod' }), 'ProductionProtection', { productionTag: { key: 'Stage', values: ['prod'] } });
    expect(() => app.synth()).toThrow(/is tagged Stage=prod, which this boundary \(productionTag Environment=production\) does not recognise/);
  });

  test('does not grow with tagged production stacks and buckets', () => {
    const sizes = (count: number) => {
      const app = new App();
      const boundary = new AgentPermissionsBoundary(new Stack(app, 'Guardrails'), 'Boundary');
      for (let i = 0; i < count; i++) {
        const stack = new Stack(app, `Prod${i}`, { stackName: `service-${i}-production` });
        new s3.Bucket(stack, 'Data');
        new ProductionProtection(stack, 'ProductionProtection');
      }
      return boundary.sizes();
    };
    expect(sizes(100)).toEqual(sizes(1));
  });

  test('fails at synth with the fix when a policy exceeds the IAM limit', () => {
    const app = new App();
    new AgentPermissionsBoundary(new Stack(app, 'Guardrails'), 'Boundary', {
      productionStackNames: Array.from({ length: 120 }, (_, i) => `legacy-service-number-${i}`),
    });
    expect(() => app.synth()).toThrow(
      new RegExp(`the agent denies policy is \\d+ characters minified, over IAM's ${MANAGED_POLICY_SIZE_LIMIT}-character limit .*common name prefix`),
    );
  });

  test('fits the same stacks once their common prefix is listed, and still protects each', async () => {
    const app = new App();
    new AgentPermissionsBoundary(new Stack(app, 'Guardrails', { stackName: 'agent-guardrails' }), 'Boundary', {
      productionStackNames: ['legacy-service-*', ...Array.from({ length: 120 }, (_, i) => `legacy-service-number-${i}`)],
    });
    const { agentBoundary, agentDenies } = guardrailDocuments(synthTemplates(app).get('agent-guardrails')!);
    expect(JSON.stringify(agentDenies).length).toBeLessThan(MANAGED_POLICY_SIZE_LIMIT);
    const decision = await simulate({ action: 'cloudformation:DeleteStack', resource: stackArn('legacy-service-number-42') }, { identity: [ADMINISTRATOR_ACCESS, agentDenies], boundary: agentBoundary });
    expect(decision.deniedBy).toContain('ProdStackByName');
  });

  test('warns when little room is left below the limit', () => {
    const app = new App();
    const guardrails = new Stack(app, 'Guardrails');
    const names = (count: number) => Array.from({ length: count }, (_, i) => `legacy-service-number-${i}`);
    // The workload boundary names the stacks too, and has less room than the agent denies policy.
    const sizeWith = (count: number) => new AgentPermissionsBoundary(new Stack(new App(), 'Probe'), 'Boundary', { productionStackNames: names(count) }).sizes().workload;
    let count = 1;
    while (MANAGED_POLICY_SIZE_LIMIT - sizeWith(count) >= 500 && count < 200) count++;
    const boundary = new AgentPermissionsBoundary(guardrails, 'Boundary', { productionStackNames: names(count) });
    expect(MANAGED_POLICY_SIZE_LIMIT - boundary.sizes().workload).toBeLessThan(500);
    app.synth();
    Annotations.fromStack(guardrails).hasWarning('/Guardrails/Boundary', Match.stringLikeRegexp('the workload boundary is \\d+ of 6144 characters; little room is left'));
  });

  /** An app whose `count` production stacks each have a VPC of their own (2 AZs, 4 subnets). */
  function networkedEstate(count: number, allowPlacementInProduction?: boolean) {
    const app = new App();
    const guardrails = new Stack(app, 'Guardrails', { stackName: 'agent-guardrails' });
    const boundary = new AgentPermissionsBoundary(guardrails, 'Boundary', { allowPlacementInProduction });
    for (let i = 0; i < count; i++) {
      const stack = new Stack(app, `Prod${i}`, { stackName: `shop-${i}-prod` });
      new ec2.Vpc(stack, 'Network', { maxAzs: 2, natGateways: 0 });
      new ProductionProtection(stack, 'ProductionProtection', { disableStackPolicy: true });
    }
    return { app, guardrails, boundary };
  }

  test('counts each id read from a production stack at deployment as 24 characters, a subnet id\'s length', () => {
    const { app, boundary } = networkedEstate(1);
    const created = ProductionProtection.findAll(app)[0].protectedResourceNames();
    // The same VPC imported with literal ids of 24 characters each: the policies are as long.
    const imported = new App();
    const literal = new AgentPermissionsBoundary(new Stack(imported, 'Guardrails'), 'Boundary');
    const stack = new Stack(imported, 'Prod0', { stackName: 'shop-0-prod' });
    const id = (prefix: string, i: number) => `${prefix}-${String(i).padStart(23 - prefix.length, '0')}`;
    ec2.Vpc.fromVpcAttributes(stack, 'Network', {
      vpcId: id('vpc', 0),
      availabilityZones: created.subnetIds.map((_, i) => `eu-west-1${'abcd'[i]}`),
      publicSubnetIds: created.subnetIds.map((_, i) => id('subnet', i)),
    });
    new ProductionProtection(stack, 'ProductionProtection', { disableStackPolicy: true });
    expect(id('subnet', 1)).toHaveLength(24);
    expect(created.subnetIds.length).toBeGreaterThan(1);
    expect(literal.sizes().denies).toBe(boundary.sizes().denies);
    expect(literal.sizes().workload).toBe(boundary.sizes().workload);
  });

  test('fails at synth when the production VPCs no longer fit, and says how to fix it', () => {
    const { app } = networkedEstate(5);
    expect(() => app.synth()).toThrow(/workload boundary is \d+ characters minified, over IAM's 6144-character limit.*share VPCs and clusters between production stacks \(or, unsafe, set allowPlacementInProduction\)/);
  });

  test('allowPlacementInProduction drops the placement statements, and warns', () => {
    const { app, guardrails, boundary } = networkedEstate(5, true);
    app.synth();
    const sids = [...boundary.denyDocument().Statement, ...boundary.workloadDocument().Statement].map((st) => st.Sid);
    expect(sids.filter((sid) => /^Prod(Vpc|Subnet|Cluster)In/.test(sid ?? ''))).toEqual([]);
    Annotations.fromStack(guardrails).hasWarning('/Guardrails/Boundary', Match.stringLikeRegexp('allowPlacementInProduction: true'));
  });
});
