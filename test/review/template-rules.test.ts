import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, Fn, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as cr from 'aws-cdk-lib/custom-resources';
import {
  AGENT_SESSION_LENGTH,
  AgentPermissionsBoundary,
  AgentBoundary,
  AgentDeployRole,
  AgentRole,
  AssemblyError,
  Approver,
  GUARDRAIL_ROLES_BOUNDED,
  loadAssembly,
  NO_BROAD_GRANTS,
  productionStacksProtected,
  ProductionProtection,
  StackPolicyScope,
  review,
  templateRules,
  TWO_APPROVALS,
  TwoPersonApproval,
} from '../../lib';
import { buildApp as codingAgent } from '../../examples/coding-agent';
import { buildApp as twoPersonApproval } from '../../examples/two-person-approval';

/** Synthesizes as the CDK CLI does; `skipSynthChecks` for apps broken on purpose in ways synth itself refuses. */
function synthesized(build: (app: App) => void, skipSynthChecks = false) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'agr-review-'));
  const app = new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true } });
  build(app);
  app.synth({ skipValidation: skipSynthChecks });
  return loadAssembly(outdir);
}

function guardrails(app: App) {
  const stack = new Stack(app, 'Guardrails', { stackName: 'agent-guardrails' });
  const boundary = new AgentPermissionsBoundary(stack, 'Boundary');
  return { stack, boundary };
}

test.each([
  ['examples/coding-agent.ts', codingAgent],
  ['examples/two-person-approval.ts', twoPersonApproval],
])('%s passes every template rule', (_name, build) => {
  expect(review(synthesized((app) => build(app)), templateRules())).toEqual([]);
});

describe('AGR-SESSION-1H', () => {
  test('fails when an agent role allows longer sessions', () => {
    const assembly = synthesized((app) => {
      const { stack, boundary } = guardrails(app);
      const agent = new AgentRole(stack, 'Agent', { agentName: 'coding-agent', boundary, assumedBy: new iam.ArnPrincipal('arn:aws:iam::111122223333:role/launcher') });
      (agent.node.defaultChild as iam.CfnRole).addPropertyOverride('MaxSessionDuration', 7200);
    });
    expect(AGENT_SESSION_LENGTH.check(assembly)).toEqual([
      expect.objectContaining({ severity: 'error', constructPath: 'Guardrails/Agent/Resource', message: expect.stringMatching(/7200-second sessions/) }),
    ]);
  });
});

describe('AGR-BOUNDARY-ATTACHED', () => {
  test('fails when a role under a guardrail path has no boundary, another one, or the wrong guardrail policy', () => {
    const assembly = synthesized((app) => {
      const { stack, boundary } = guardrails(app);
      new iam.CfnRole(stack, 'Unbounded', { path: '/agent-workload/', assumeRolePolicyDocument: { Statement: [] } });
      const other = new iam.ManagedPolicy(stack, 'Permissive', { statements: [new iam.PolicyStatement({ actions: ['*'], resources: ['*'] })] });
      new iam.CfnRole(stack, 'OtherBoundary', {
        path: '/agent-guardrails/agent/',
        permissionsBoundary: other.managedPolicyArn,
        managedPolicyArns: [boundary.denyPolicy.managedPolicyArn, boundary.serviceDenyPolicy.managedPolicyArn],
        assumeRolePolicyDocument: { Statement: [] },
      });
      new iam.CfnRole(stack, 'WorkloadWithAgentBoundary', { path: '/agent-workload/', permissionsBoundary: boundary.managedPolicyArn, assumeRolePolicyDocument: { Statement: [] } });
      new iam.CfnRole(stack, 'AgentWithoutDenies', { path: '/agent-guardrails/agent/', permissionsBoundary: boundary.managedPolicyArn, assumeRolePolicyDocument: { Statement: [] } });
      new iam.CfnRole(stack, 'AgentWithoutServices', { path: '/agent-guardrails/agent/', permissionsBoundary: boundary.managedPolicyArn, managedPolicyArns: [boundary.denyPolicy.managedPolicyArn], assumeRolePolicyDocument: { Statement: [] } });
    }, true);
    expect(GUARDRAIL_ROLES_BOUNDED.check(assembly).map((f) => [f.constructPath, f.message])).toEqual([
      ['Guardrails/Unbounded', 'the role under /agent-workload/ has no permissions boundary'],
      ['Guardrails/OtherBoundary', 'the role under /agent-guardrails/agent/ carries another boundary, not the agent boundary'],
      ['Guardrails/WorkloadWithAgentBoundary', 'the role under /agent-workload/ carries the agent boundary, not the workload boundary'],
      ['Guardrails/AgentWithoutDenies', 'the agent role does not carry the agent denies policy'],
      ['Guardrails/AgentWithoutDenies', 'the agent role does not carry the agent services deny policy'],
      ['Guardrails/AgentWithoutServices', 'the agent role does not carry the agent services deny policy'],
    ]);
  });

  test('passes roles that carry their guardrail policies', () => {
    const assembly = synthesized((app) => {
      const { stack, boundary } = guardrails(app);
      new AgentRole(stack, 'Agent', { agentName: 'coding-agent', boundary, assumedBy: new iam.ArnPrincipal('arn:aws:iam::111122223333:role/launcher') });
      new AgentDeployRole(stack, 'Deploy', { boundary, stackNames: ['dev'] });
      const dev = new Stack(app, 'Dev');
      new iam.Role(dev, 'Workload', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      AgentBoundary.of(dev).apply(boundary);
    });
    expect(GUARDRAIL_ROLES_BOUNDED.check(assembly)).toEqual([]);
  });

  test('reports a boundary it cannot resolve offline as unresolved, not as passing', () => {
    const assembly = synthesized((app) => {
      const { stack } = guardrails(app);
      new iam.CfnRole(stack, 'Imported', { path: '/agent-workload/', permissionsBoundary: Fn.importValue('boundary-arn'), assumeRolePolicyDocument: { Statement: [] } });
    }, true);
    expect(GUARDRAIL_ROLES_BOUNDED.check(assembly)).toEqual([expect.objectContaining({ severity: 'unresolved', constructPath: 'Guardrails/Imported' })]);
  });
});

describe('AGR-PROD-PROTECTED', () => {
  test('fails for each protection a production stack lacks', () => {
    const assembly = synthesized((app) => {
      const prod = new Stack(app, 'Prod', { stackName: 'orders-prod' });
      new sqs.Queue(prod, 'Orders');
      new ProductionProtection(prod, 'ProductionProtection', { disableStackPolicy: true, disableTerminationProtection: true, allowStatefulResourceDeletion: true });
    });
    expect(productionStacksProtected().check(assembly).map((f) => f.message)).toEqual([
      'the production stack has no termination protection',
      'no stack policy protects the production stack from replacements and deletions',
      'AWS::SQS::Queue is not retained on deletion and replacement',
    ]);
  });

  /** A protected production stack, its stack policy resource changed by `change`. */
  const withStackPolicy = (change: (apply: CfnResource, prod: Stack) => void = () => undefined, scope?: StackPolicyScope) =>
    synthesized((app) => {
      const prod = new Stack(app, 'Prod', { stackName: 'orders-prod' });
      new sqs.Queue(prod, 'Orders');
      const protection = new ProductionProtection(prod, 'ProductionProtection', { stackPolicyScope: scope });
      change(protection.node.findChild('StackPolicy').node.findChild('Apply') as CfnResource, prod);
    });
  const allowAll = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 'Update:*', Resource: '*' }] });

  test.each([
    ['every resource', StackPolicyScope.ALL_RESOURCES],
    ['stateful resources', StackPolicyScope.STATEFUL_RESOURCES],
  ])('passes when ProductionProtection sets a stack policy that protects %s', (_name, scope) => {
    expect(productionStacksProtected().check(withStackPolicy(undefined, scope))).toEqual([]);
  });

  test('passes when an AwsCustomResource sets the stack policy, as earlier versions of ProductionProtection did', () => {
    const assembly = synthesized((app) => {
      const prod = new Stack(app, 'Prod', { stackName: 'orders-prod' });
      const protection = new ProductionProtection(prod, 'ProductionProtection', { disableStackPolicy: true });
      const call: cr.AwsSdkCall = {
        service: 'CloudFormation',
        action: 'SetStackPolicy',
        parameters: { StackName: prod.stackId, StackPolicyBody: JSON.stringify({ Statement: [{ Effect: 'Deny', Principal: '*', Action: 'Update:*', Resource: '*' }] }) },
        physicalResourceId: cr.PhysicalResourceId.of('stack-policy'),
      };
      new cr.AwsCustomResource(protection, 'StackPolicy', {
        onCreate: call,
        onUpdate: call,
        installLatestAwsSdk: false,
        policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: [prod.stackId] }),
      });
    });
    expect(productionStacksProtected().check(assembly)).toEqual([]);
  });

  test.each([
    ['the stack policy allows everything', (apply: CfnResource) => apply.addPropertyOverride('StackPolicyBody', allowAll)],
    [
      'the stack policy denies replacing but not deleting',
      (apply: CfnResource) => apply.addPropertyOverride('StackPolicyBody', JSON.stringify({ Statement: [{ Effect: 'Deny', Principal: '*', Action: 'Update:Replace', Resource: '*' }] })),
    ],
    ['the stack policy is not JSON', (apply: CfnResource) => apply.addPropertyOverride('StackPolicyBody', '{"Statement": [')],
    ['no function of the stack serves the resource', (apply: CfnResource) => apply.addPropertyOverride('ServiceToken', 'arn:aws:lambda:us-east-1:111122223333:function:anything')],
    ['the resource is of another type', (apply: CfnResource) => apply.addOverride('Type', 'Custom::StackPolicy')],
  ])('fails when %s', (_name, change) => {
    expect(productionStacksProtected().check(withStackPolicy(change))).toEqual([
      expect.objectContaining({ severity: 'error', stackName: 'orders-prod', message: 'no stack policy protects the production stack from replacements and deletions' }),
    ]);
  });

  test('fails when an AwsCustomResource sets the policy of another stack', () => {
    const assembly = synthesized((app) => {
      const prod = new Stack(app, 'Prod', { stackName: 'orders-prod' });
      const protection = new ProductionProtection(prod, 'ProductionProtection', { disableStackPolicy: true });
      const other = 'arn:aws:cloudformation:us-east-1:111122223333:stack/payments-prod/4d3c2b1a-0000-1111-2222-333344445555';
      const call: cr.AwsSdkCall = { service: 'CloudFormation', action: 'SetStackPolicy', parameters: { StackName: other, StackPolicyBody: allowAll.replace('Allow', 'Deny') }, physicalResourceId: cr.PhysicalResourceId.of('stack-policy') };
      new cr.AwsCustomResource(protection, 'StackPolicy', { onCreate: call, onUpdate: call, installLatestAwsSdk: false, policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: [other] }) });
    });
    expect(productionStacksProtected().check(assembly).map((f) => f.message)).toEqual(['no stack policy protects the production stack from replacements and deletions']);
  });

  test('reports a stack policy it cannot read offline as unresolved, not as passing', () => {
    const assembly = withStackPolicy((apply) => apply.addPropertyOverride('StackPolicyBody', Fn.importValue('stack-policy')));
    expect(productionStacksProtected().check(assembly)).toEqual([
      expect.objectContaining({ severity: 'unresolved', constructPath: 'Prod/ProductionProtection/StackPolicy/Apply', message: 'the stack policy this resource sets cannot be read offline' }),
    ]);
  });

  test('recognises production by the configured tag, in any case', () => {
    const assembly = synthesized((app) => {
      const prod = new Stack(app, 'Prod', { stackName: 'orders-prod', tags: { stage: 'LIVE' } });
      new sqs.Queue(prod, 'Orders');
    });
    expect(productionStacksProtected({ tagKey: 'stage', tagValues: ['live'] }).check(assembly)).toHaveLength(3);
    expect(productionStacksProtected().check(assembly)).toEqual([]);
  });
});

describe('AGR-TWO-APPROVALS', () => {
  test('fails when the deployed configuration asks for one approval', () => {
    const assembly = synthesized((app) => {
      const stack = new Stack(app, 'Approvals');
      const workflow = new TwoPersonApproval(stack, 'Approval', {
        approvers: [Approver.iamUser('arn:aws:iam::111122223333:user/bob'), Approver.iamUser('arn:aws:iam::111122223333:user/carol')],
      });
      workflow.addElevatedRole('deployer', { statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] })] });
      const fn = workflow.node.findChild('Issuer').node.defaultChild as any;
      fn.addPropertyOverride('Environment.Variables.AGENT_GUARDRAILS_CONFIG', JSON.stringify({ requiredApprovals: 1, approvers: [] }));
    });
    expect(TWO_APPROVALS.check(assembly)).toEqual([expect.objectContaining({ severity: 'error', message: expect.stringMatching(/after 1 approval/), constructPath: 'Approvals/Approval/Issuer/Resource' })]);
  });
});

describe('loadAssembly', () => {
  test('fails with what to do when there is no cloud assembly', () => {
    expect(() => loadAssembly(path.join(os.tmpdir(), 'no-such-cdk-out'))).toThrow(new AssemblyError(`${path.join(os.tmpdir(), 'no-such-cdk-out')} is not a cloud assembly (no manifest.json); run "npx cdk synth" first, or name the cdk.out directory`));
  });

  test('fails with what to do when the manifest is corrupt', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agr-corrupt-'));
    fs.writeFileSync(path.join(dir, 'manifest.json'), '{ not json');
    expect(() => loadAssembly(dir)).toThrow(/manifest.json is not valid JSON .*synthesize again with "npx cdk synth"/);
  });
});

describe('AGR-NO-BROAD-GRANTS', () => {
  function agentWith(...statements: iam.PolicyStatement[]) {
    return synthesized((app) => {
      const { stack, boundary } = guardrails(app);
      const agent = new AgentRole(stack, 'Agent', { agentName: 'coding-agent', boundary, assumedBy: new iam.ArnPrincipal('arn:aws:iam::111122223333:role/launcher') });
      statements.forEach((s) => agent.addToPrincipalPolicy(s));
    });
  }

  test.each([
    ['passing any role', new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: ['*'] }), /may pass \*, which is not a bounded role/],
    ['passing the CDK cfn-exec-role', new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: ['arn:aws:iam::111122223333:role/cdk-hnb659fds-cfn-exec-role-111122223333-us-east-1'] }), /may pass arn:aws:iam::111122223333:role\/cdk-hnb659fds-cfn-exec-role/],
    ['iam:* on everything', new iam.PolicyStatement({ actions: ['iam:*'], resources: ['*'] }), /is granted iam:\* on "\*"/],
    ['cloudformation:* on everything', new iam.PolicyStatement({ actions: ['cloudformation:*'], resources: ['*'] }), /is granted cloudformation:\* on "\*"/],
    ['sts:AssumeRole on everything', new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: ['*'] }), /is granted sts:AssumeRole on "\*"/],
  ])('fails for %s', (_name, statement, message) => {
    // iam:* on "*" also passes any role: each grant is reported on its own.
    expect(NO_BROAD_GRANTS.check(agentWith(statement))).toEqual(expect.arrayContaining([expect.objectContaining({ severity: 'error', message: expect.stringMatching(message) })]));
  });

  test('passes exact grants and passing a bounded deploy role', () => {
    const assembly = agentWith(
      new iam.PolicyStatement({ actions: ['cloudformation:Describe*', 'iam:Get*'], resources: ['*'] }),
      new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: ['arn:aws:iam::111122223333:role/agent-workload/orders-dev-Writer'] }),
    );
    expect(NO_BROAD_GRANTS.check(assembly)).toEqual([]);
  });
});
