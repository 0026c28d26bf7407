import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AgentDeployRole, AgentPermissionsBoundary, AgentRole, ProductionProtection } from '../../lib';
import { ACCOUNT, ADMINISTRATOR_ACCESS, simulate } from '../support/simulator';
import { agentEvaluator, guardrailDocuments, REGION, stackArn, synthTemplates } from '../support/template';

function setup(stackNames: string[] = ['orders-dev']) {
  const app = new App();
  const prod = new Stack(app, 'OrdersProd', { stackName: 'orders-prod' });
  new ProductionProtection(prod, 'ProductionProtection');
  const stack = new Stack(app, 'Guardrails', { stackName: 'agent-guardrails', env: { account: ACCOUNT, region: REGION } });
  const boundary = new AgentPermissionsBoundary(stack, 'Boundary');
  const agent = new AgentRole(stack, 'Agent', { agentName: 'coding-agent', boundary, assumedBy: new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/agent-launcher`) });
  const deploy = new AgentDeployRole(stack, 'DevDeploy', { boundary, stackNames });
  return { app, stack, boundary, agent, deploy };
}

describe('AgentDeployRole', () => {
  test('is a CloudFormation service role under the service path that carries the boundary', () => {
    const { stack } = setup();
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      Path: '/agent-guardrails/service/',
      PermissionsBoundary: { Ref: Match.stringLikeRegexp('^Boundary') },
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'cloudformation.amazonaws.com' } })] },
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/PowerUserAccess']] }],
    });
  });

  describe('an agent granted deployment, evaluated with its boundary', () => {
    let decide: ReturnType<typeof agentEvaluator>['decide'];
    let deployRoleArn: string;

    let template: ReturnType<typeof synthTemplates> extends Map<string, infer T> ? T : never;
    const templateOf = () => template;

    beforeAll(() => {
      const { app, agent, deploy } = setup();
      deploy.grantDeploy(agent);
      template = synthTemplates(app).get('agent-guardrails')!;
      ({ decide, deployRoleArn } = agentEvaluator(template, 'coding-agent'));
    });

    test('may create, update and delete the named stack through the deploy role', async () => {
      for (const action of ['cloudformation:CreateStack', 'cloudformation:UpdateStack', 'cloudformation:DeleteStack', 'cloudformation:CreateChangeSet']) {
        expect(await decide(action, stackArn('orders-dev'), { 'cloudformation:RoleArn': deployRoleArn })).toBe('Allowed');
      }
      expect(await decide('cloudformation:ExecuteChangeSet', stackArn('orders-dev'))).toBe('Allowed');
    });

    test('may pass the deploy role to CloudFormation only', async () => {
      expect(await decide('iam:PassRole', deployRoleArn, { 'iam:PassedToService': 'cloudformation.amazonaws.com' })).toBe('Allowed');
      expect(await decide('iam:PassRole', deployRoleArn, { 'iam:PassedToService': 'lambda.amazonaws.com' })).toBe('ImplicitlyDenied');
    });

    const HASH = 'a'.repeat(40) + '0123456789abcdef01234567';
    const bucket = `arn:aws:s3:::cdk-hnb659fds-assets-${ACCOUNT}-${REGION}`;

    test('may publish file assets under its own prefix of the bootstrap bucket, and read them all', async () => {
      expect(await decide('s3:PutObject', `${bucket}/agent-assets-${HASH}.zip`)).toBe('Allowed');
      expect(await decide('s3:GetObject', `${bucket}/${HASH}.zip`)).toBe('Allowed');
    });

    test('fails to overwrite or delete the assets production deploys from, even if granted', async () => {
      expect(await decide('s3:PutObject', `${bucket}/${HASH}.zip`)).not.toBe('Allowed');
      // The guardrail itself, for an agent granted everything:
      const { agentBoundary, agentDenies } = guardrailDocuments(templateOf());
      for (const [action, resource] of [
        ['s3:PutObject', `${bucket}/${HASH}.zip`],
        ['s3:DeleteObject', `${bucket}/${HASH}.json`],
        ['ecr:PutImage', `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/cdk-hnb659fds-container-assets-${ACCOUNT}-${REGION}`],
      ]) {
        const decision = await simulate({ action, resource }, { identity: [ADMINISTRATOR_ACCESS, agentDenies], boundary: agentBoundary });
        expect(decision.deniedBy).toEqual(['CdkBootstrapProtected']);
      }
      const own = await simulate({ action: 's3:PutObject', resource: `${bucket}/agent-assets-${HASH}.zip` }, { identity: [ADMINISTRATOR_ACCESS, agentDenies], boundary: agentBoundary });
      expect(own.result).toBe('Allowed');
    });

    test('fails to deploy without the deploy role or with another role', async () => {
      expect(await decide('cloudformation:UpdateStack', stackArn('orders-dev'))).toBe('ExplicitlyDenied');
      expect(await decide('cloudformation:UpdateStack', stackArn('orders-dev'), { 'cloudformation:RoleArn': `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${REGION}` })).toBe('ExplicitlyDenied');
    });

    test('fails to deploy stacks it was not granted, production above all', async () => {
      expect(await decide('cloudformation:UpdateStack', stackArn('billing-dev'), { 'cloudformation:RoleArn': deployRoleArn })).toBe('ImplicitlyDenied');
      const production = { 'cloudformation:RoleArn': deployRoleArn, 'aws:ResourceTag/Environment': 'production' };
      expect(await decide('cloudformation:UpdateStack', stackArn('orders-prod'), production)).toBe('ExplicitlyDenied');
      expect(await decide('cloudformation:DeleteStack', stackArn('orders-prod'), production)).toBe('ExplicitlyDenied');
    });
  });

  test.each([
    ['names a production stack', ['orders-prod'], /would let agents deploy "orders-prod", which matches the production stack "orders-prod"/],
    ['names a prefix that covers a production stack', ['orders-*'], /would let agents deploy "orders-\*", which matches the production stack "orders-prod"/],
  ])('fails at synth when stackNames %s', (_name, stackNames, message) => {
    const { app } = setup(stackNames);
    expect(() => app.synth()).toThrow(message);
  });

  test.each([
    ['is empty', [], /stackNames must name at least one stack/],
    ['is a bare wildcard', ['*'], /stackNames must hold literal stack names/],
    ['holds an invalid name', ['orders_dev'], /got "orders_dev"/],
  ])('fails when stackNames %s', (_name, stackNames, message) => {
    const app = new App();
    const stack = new Stack(app, 'Guardrails');
    const boundary = new AgentPermissionsBoundary(stack, 'Boundary');
    expect(() => new AgentDeployRole(stack, 'Deploy', { boundary, stackNames })).toThrow(message);
  });

  test('uses the execution policies it is given instead of the defaults', () => {
    const app = new App();
    const stack = new Stack(app, 'Guardrails');
    const boundary = new AgentPermissionsBoundary(stack, 'Boundary');
    new AgentDeployRole(stack, 'Deploy', {
      boundary,
      stackNames: ['orders-dev'],
      executionPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonDynamoDBFullAccess')],
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Role', {
      Path: '/agent-guardrails/service/',
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonDynamoDBFullAccess']] }],
    });
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });
  test('keeps its description within IAM\'s 1,000 characters for 100 stack names', () => {
    const app = new App();
    const stack = new Stack(app, 'Guardrails');
    const boundary = new AgentPermissionsBoundary(stack, 'Boundary');
    new AgentDeployRole(stack, 'Deploy', { boundary, stackNames: Array.from({ length: 100 }, (_, i) => `dev-service-${i}`) });
    const [role] = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Role'));
    expect(role.Properties.Description.length).toBeLessThanOrEqual(1000);
    expect(role.Properties.Description).toMatch(/^CloudFormation service role for agent deployments of dev-service-0, .*\.\.\. and 100 stacks in all$/);
  });
  test('fails when the asset prefix is not a key prefix', () => {
    const stack = new Stack(new App(), 'Guardrails');
    const boundary = new AgentPermissionsBoundary(stack, 'Boundary');
    expect(() => new AgentDeployRole(stack, 'Deploy', { boundary, stackNames: ['dev'], assetPrefix: 'agent/assets' })).toThrow(/assetPrefix must be 1-64 letters, digits, _ . and - \(no "\/"\), such as "agent-assets-", got "agent\/assets"/);
  });
});
