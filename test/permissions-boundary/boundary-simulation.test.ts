/**
 * The synthesized agent boundary, evaluated by an IAM policy simulator. The agent's own policy is
 * AdministratorAccess throughout: whatever is denied here is denied by the boundary alone.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AgentPermissionsBoundary, ProductionProtection } from '../../lib';
import { ACCOUNT, ADMINISTRATOR_ACCESS, AGENT_ROLE_ARN, simulate } from '../support/simulator';
import { boundaryDocument, REGION, stackArn, synthTemplates } from '../support/template';

let boundary: any;

beforeAll(() => {
  const app = new App();
  const orders = new Stack(app, 'OrdersProd', { stackName: 'orders-prod' });
  new dynamodb.Table(orders, 'Orders', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
  new s3.Bucket(orders, 'Receipts');
  new sqs.Queue(orders, 'Incoming');
  new ProductionProtection(orders, 'ProductionProtection');

  const payments = new Stack(app, 'PaymentsProd', { stackName: 'payments-prod' });
  new dynamodb.Table(payments, 'Ledger', { tableName: 'ledger', partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
  new s3.Bucket(payments, 'Archive', { bucketName: `payments-archive-${payments.account}` });
  new ProductionProtection(payments, 'ProductionProtection');

  const guardrails = new Stack(app, 'Guardrails', { stackName: 'agent-guardrails' });
  new AgentPermissionsBoundary(guardrails, 'Boundary', { productionStackNames: ['legacy-billing'] });
  boundary = boundaryDocument(synthTemplates(app).get('agent-guardrails')!);
});

const role = (pathAndName: string) => `arn:aws:iam::${ACCOUNT}:role/${pathAndName}`;
const policy = (pathAndName: string) => `arn:aws:iam::${ACCOUNT}:policy/${pathAndName}`;
const tagged = (value: string) => ({ 'aws:ResourceTag/Environment': value });
const prod = tagged('production');

const BOUNDARY_ARN = policy('agent-guardrails/AgentPermissionsBoundary');
const DEPLOY_ROLE = role('agent-guardrails/service/DevDeployRole');
const WORKLOAD_ROLE = role('agent-workload/orders-dev-WriterRole-1A2B3C');
const CDK_EXEC_ROLE = role(`cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${REGION}`);
const CDK_DEPLOY_ROLE = role(`cdk-hnb659fds-deploy-role-${ACCOUNT}-${REGION}`);
const ADMIN_ROLE = role('platform-admin');
const withRole = (arn: string) => ({ 'cloudformation:RoleArn': arn });
const bounded = { 'iam:PermissionsBoundary': BOUNDARY_ARN };

interface Case {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
  /** The caller; the agent role by default. */
  readonly principal?: string;
  /** The boundary statement expected to deny the request; omit for requests that must be allowed. */
  readonly deniedBy?: string;
}

function table(cases: Record<string, Case>) {
  return Object.entries(cases).map(([name, c]) => [name, c] as const);
}

describe('production stacks', () => {
  test.each(table({
    'DeleteStack on a production stack known by name, untagged': { action: 'cloudformation:DeleteStack', resource: stackArn('orders-prod'), context: withRole(DEPLOY_ROLE), deniedBy: 'ProdStackByName' },
    'DeleteStack on a production stack outside the app (productionStackNames)': { action: 'cloudformation:DeleteStack', resource: stackArn('legacy-billing'), context: withRole(DEPLOY_ROLE), deniedBy: 'ProdStackByName' },
    'DeleteStack on an unknown stack tagged production': { action: 'cloudformation:DeleteStack', resource: stackArn('shadow'), context: { ...prod, ...withRole(DEPLOY_ROLE) }, deniedBy: 'ProdStackByTag' },
    'DeleteStack on a stack tagged Production': { action: 'cloudformation:DeleteStack', resource: stackArn('shadow'), context: { ...tagged('Production'), ...withRole(DEPLOY_ROLE) }, deniedBy: 'ProdStackByTag' },
    'DeleteStack on a stack tagged PRODUCTION': { action: 'cloudformation:DeleteStack', resource: stackArn('shadow'), context: { ...tagged('PRODUCTION'), ...withRole(DEPLOY_ROLE) }, deniedBy: 'ProdStackByTag' },
    'DeleteStack on a stack tagged pRoDuCtIoN': { action: 'cloudformation:DeleteStack', resource: stackArn('shadow'), context: { ...tagged('pRoDuCtIoN'), ...withRole(DEPLOY_ROLE) }, deniedBy: 'ProdStackByTag' },
    'UpdateStack on production, even with a bounded role': { action: 'cloudformation:UpdateStack', resource: stackArn('payments-prod'), context: withRole(DEPLOY_ROLE), deniedBy: 'ProdStackByName' },
    'ExecuteChangeSet on production': { action: 'cloudformation:ExecuteChangeSet', resource: stackArn('orders-prod'), deniedBy: 'ProdStackByName' },
    'ExecuteChangeSet on a stack tagged production': { action: 'cloudformation:ExecuteChangeSet', resource: stackArn('shadow'), context: prod, deniedBy: 'ProdStackByTag' },
    'UpdateTerminationProtection on production': { action: 'cloudformation:UpdateTerminationProtection', resource: stackArn('orders-prod'), deniedBy: 'ProdStackByName' },
    'SetStackPolicy on production': { action: 'cloudformation:SetStackPolicy', resource: stackArn('orders-prod'), deniedBy: 'ProdStackByName' },
    'TagResource on a production stack': { action: 'cloudformation:TagResource', resource: stackArn('orders-prod'), context: { 'aws:TagKeys': ['Owner'] }, deniedBy: 'ProdStackByName' },
    'UntagResource of the production tag on a stack': { action: 'cloudformation:UntagResource', resource: stackArn('shadow'), context: { ...prod, 'aws:TagKeys': ['Environment'] }, deniedBy: 'ProdStackByTag' },
    'CancelUpdateStack on production': { action: 'cloudformation:CancelUpdateStack', resource: stackArn('orders-prod'), deniedBy: 'ProdStackByName' },
    'ContinueUpdateRollback on production': { action: 'cloudformation:ContinueUpdateRollback', resource: stackArn('orders-prod'), context: withRole(DEPLOY_ROLE), deniedBy: 'ProdStackByName' },
    'RollbackStack on production': { action: 'cloudformation:RollbackStack', resource: stackArn('orders-prod'), context: withRole(DEPLOY_ROLE), deniedBy: 'ProdStackByName' },
    'SignalResource on production': { action: 'cloudformation:SignalResource', resource: stackArn('orders-prod'), deniedBy: 'ProdStackByName' },
    'CreateStackRefactor moving resources out of production': { action: 'cloudformation:CreateStackRefactor', resource: stackArn('orders-prod'), deniedBy: 'ProdStackByName' },
    'ExecuteStackRefactor on a stack tagged production': { action: 'cloudformation:ExecuteStackRefactor', resource: stackArn('shadow'), context: prod, deniedBy: 'ProdStackByTag' },
    'CreateStack recreating a production stack by name': { action: 'cloudformation:CreateStack', resource: stackArn('orders-prod'), context: withRole(DEPLOY_ROLE), deniedBy: 'ProdStackByName' },
    'CreateStack carrying the production tag': { action: 'cloudformation:CreateStack', resource: stackArn('orders-prod-v2'), context: { 'aws:RequestTag/Environment': 'production', 'aws:TagKeys': ['Environment'], ...withRole(DEPLOY_ROLE) }, deniedBy: 'ProdStackCreate' },
    'CreateStack carrying the production tag in another case': { action: 'cloudformation:CreateStack', resource: stackArn('orders-prod-v2'), context: { 'aws:RequestTag/Environment': 'Production', 'aws:TagKeys': ['Environment'], ...withRole(DEPLOY_ROLE) }, deniedBy: 'ProdStackCreate' },
    'create-type change set carrying the production tag': { action: 'cloudformation:CreateChangeSet', resource: stackArn('orders-prod-v2'), context: { 'aws:RequestTag/Environment': 'production', 'aws:TagKeys': ['Environment'], ...withRole(DEPLOY_ROLE) }, deniedBy: 'ProdStackCreate' },
  }))('denies %s', expectDenied);

  test.each(table({
    'DescribeStacks on production': { action: 'cloudformation:DescribeStacks', resource: stackArn('orders-prod') },
    'GetTemplate on production': { action: 'cloudformation:GetTemplate', resource: stackArn('orders-prod') },
    'DetectStackDrift on production': { action: 'cloudformation:DetectStackDrift', resource: stackArn('orders-prod') },
    'proposing a change set for production, as cdk deploy sends it (tags included)': { action: 'cloudformation:CreateChangeSet', resource: stackArn('orders-prod'), context: { ...prod, 'aws:RequestTag/Environment': 'production', 'aws:TagKeys': ['Environment'] } },
    'withdrawing a production change set': { action: 'cloudformation:DeleteChangeSet', resource: stackArn('orders-prod') },
    'CreateStack for a development stack with a bounded role': { action: 'cloudformation:CreateStack', resource: stackArn('orders-dev'), context: { 'aws:RequestTag/Environment': 'development', 'aws:TagKeys': ['Environment'], ...withRole(DEPLOY_ROLE) } },
    'UpdateStack on development with a bounded role': { action: 'cloudformation:UpdateStack', resource: stackArn('orders-dev'), context: { ...tagged('development'), ...withRole(DEPLOY_ROLE) } },
    'DeleteStack on development with a bounded role': { action: 'cloudformation:DeleteStack', resource: stackArn('orders-dev'), context: { ...tagged('development'), ...withRole(DEPLOY_ROLE) } },
    'ExecuteChangeSet on development': { action: 'cloudformation:ExecuteChangeSet', resource: stackArn('orders-dev'), context: tagged('development') },
    'UpdateStack on a stack tagged preproduction (values match whole)': { action: 'cloudformation:UpdateStack', resource: stackArn('orders-staging'), context: { ...tagged('preproduction'), ...withRole(DEPLOY_ROLE) } },
    'UpdateStack on a stack whose name starts like a production one': { action: 'cloudformation:UpdateStack', resource: stackArn('orders-prod-sandbox'), context: withRole(DEPLOY_ROLE) },
  }))('allows %s', expectAllowed);
});

describe('CloudFormation service roles', () => {
  test.each(table({
    'UpdateStack without a role (the stack would reuse its last, possibly admin, role)': { action: 'cloudformation:UpdateStack', resource: stackArn('orders-dev'), deniedBy: 'StackRoleBounded' },
    'UpdateStack with the CDK cfn-exec-role': { action: 'cloudformation:UpdateStack', resource: stackArn('orders-dev'), context: withRole(CDK_EXEC_ROLE), deniedBy: 'StackRoleBounded' },
    'CreateStack with an administrator role': { action: 'cloudformation:CreateStack', resource: stackArn('new-dev'), context: withRole(ADMIN_ROLE), deniedBy: 'StackRoleBounded' },
    'CreateChangeSet for development without a role': { action: 'cloudformation:CreateChangeSet', resource: stackArn('orders-dev'), deniedBy: 'StackRoleBounded' },
    'DeleteStack without a role': { action: 'cloudformation:DeleteStack', resource: stackArn('orders-dev'), deniedBy: 'StackRoleBounded' },
    'DeleteStack with a workload role instead of a deploy role': { action: 'cloudformation:DeleteStack', resource: stackArn('scratch'), context: withRole(WORKLOAD_ROLE), deniedBy: 'StackRoleBounded' },
  }))('denies %s', expectDenied);
});

describe('production resources', () => {
  test.each(table({
    'DeleteTable on a production table': { action: 'dynamodb:DeleteTable', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/anything`, context: prod, deniedBy: 'ProdResourceByTag' },
    'DeleteTable on a table tagged Production': { action: 'dynamodb:DeleteTable', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/anything`, context: tagged('Production'), deniedBy: 'ProdResourceByTag' },
    'UpdateTimeToLive on a production table': { action: 'dynamodb:UpdateTimeToLive', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/anything`, context: prod, deniedBy: 'ProdResourceByTag' },
    'DeleteBackup of a production table (backups carry no tags)': { action: 'dynamodb:DeleteBackup', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders-prod-OrdersTable-1A2B3C/backup/01700000000000-abcdef`, deniedBy: 'NoEscapeOrTamper' },
    'DeleteBackup of any table, since production backups cannot be told apart': { action: 'dynamodb:DeleteBackup', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/scratch/backup/01700000000000-abcdef`, deniedBy: 'NoEscapeOrTamper' },
    'DeleteDBInstance on a production database': { action: 'rds:DeleteDBInstance', resource: `arn:aws:rds:${REGION}:${ACCOUNT}:db:orders`, context: prod, deniedBy: 'ProdResourceByTag' },
    'DeleteDBCluster on a production cluster': { action: 'rds:DeleteDBCluster', resource: `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:orders`, context: prod, deniedBy: 'ProdResourceByTag' },
    'TerminateInstances on a production instance': { action: 'ec2:TerminateInstances', resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0`, context: prod, deniedBy: 'ProdResourceByTag' },
    'DeleteVolume on a production volume': { action: 'ec2:DeleteVolume', resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:volume/vol-0123456789abcdef0`, context: prod, deniedBy: 'ProdResourceByTag' },
    'DeleteFunction on a production function': { action: 'lambda:DeleteFunction', resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders-writer`, context: prod, deniedBy: 'ProdResourceByTag' },
    'DeleteService on a production ECS service': { action: 'ecs:DeleteService', resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/orders/api`, context: prod, deniedBy: 'ProdResourceByTag' },
    'DeleteQueue on a production queue': { action: 'sqs:DeleteQueue', resource: `arn:aws:sqs:${REGION}:${ACCOUNT}:orders-incoming`, context: prod, deniedBy: 'ProdResourceByTag' },
    'PurgeQueue on a production queue': { action: 'sqs:PurgeQueue', resource: `arn:aws:sqs:${REGION}:${ACCOUNT}:orders-incoming`, context: prod, deniedBy: 'ProdResourceByTag' },
    'DeleteTopic on a production topic': { action: 'sns:DeleteTopic', resource: `arn:aws:sns:${REGION}:${ACCOUNT}:orders-events`, context: prod, deniedBy: 'ProdResourceByTag' },
    'DeleteLogGroup on a production log group': { action: 'logs:DeleteLogGroup', resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/orders-writer`, context: prod, deniedBy: 'ProdResourceByTag' },
    'PutRetentionPolicy shortening production logs': { action: 'logs:PutRetentionPolicy', resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/orders-writer`, context: prod, deniedBy: 'ProdResourceByTag' },
    'ScheduleKeyDeletion on a production key': { action: 'kms:ScheduleKeyDeletion', resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`, context: prod, deniedBy: 'ProdResourceByTag' },
    'DeleteSecret on a production secret': { action: 'secretsmanager:DeleteSecret', resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:orders-db-AbCdEf`, context: prod, deniedBy: 'ProdResourceByTag' },
    'DeleteBucket on a production bucket named by CloudFormation': { action: 's3:DeleteBucket', resource: 'arn:aws:s3:::orders-prod-receipts1a2b3c-4d5e6f7g8h9i', deniedBy: 'ProdBucketByName' },
    'DeleteObject in a production bucket with an explicit name': { action: 's3:DeleteObject', resource: `arn:aws:s3:::payments-archive-${ACCOUNT}/2026/11/statement.pdf`, deniedBy: 'ProdBucketByName' },
    'PutLifecycleConfiguration expiring a production bucket': { action: 's3:PutLifecycleConfiguration', resource: 'arn:aws:s3:::orders-prod-receipts1a2b3c-4d5e6f7g8h9i', deniedBy: 'ProdBucketByName' },
    'a bucket policy letting another account delete production objects': { action: 's3:PutBucketPolicy', resource: 'arn:aws:s3:::orders-prod-receipts1a2b3c-4d5e6f7g8h9i', deniedBy: 'ProdBucketByName' },
    'BatchWriteItem deleting production items': { action: 'dynamodb:BatchWriteItem', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/ledger`, context: prod, deniedBy: 'ProdResourceByTag' },
    'PartiQL DELETE on a production table': { action: 'dynamodb:PartiQLDelete', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/ledger`, context: prod, deniedBy: 'ProdResourceByTag' },
    'DeleteAutoScalingGroup on production capacity': { action: 'autoscaling:DeleteAutoScalingGroup', resource: `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:11111111-2222-3333-4444-555555555555:autoScalingGroupName/orders`, context: prod, deniedBy: 'ProdResourceByTag' },
    'scaling production to zero': { action: 'autoscaling:SetDesiredCapacity', resource: `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:11111111-2222-3333-4444-555555555555:autoScalingGroupName/orders`, context: prod, deniedBy: 'ProdResourceByTag' },
    'deleting production container images': { action: 'ecr:BatchDeleteImage', resource: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/orders`, context: prod, deniedBy: 'ProdResourceByTag' },
    'a key policy locking everyone out of a production key': { action: 'kms:PutKeyPolicy', resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`, context: prod, deniedBy: 'ProdResourceByTag' },
    'deleting production parameters': { action: 'ssm:DeleteParameter', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/orders/db-url`, context: prod, deniedBy: 'ProdResourceByTag' },
    'deleting a production distribution': { action: 'cloudfront:DeleteDistribution', resource: `arn:aws:cloudfront::${ACCOUNT}:distribution/E1A2B3C4D5E6F7`, context: prod, deniedBy: 'ProdResourceByTag' },
  }))('denies %s', expectDenied);

  test.each(table({
    'reading a production table': { action: 'dynamodb:GetItem', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/ledger`, context: prod },
    'reading production objects': { action: 's3:GetObject', resource: `arn:aws:s3:::payments-archive-${ACCOUNT}/2026/11/statement.pdf` },
    'reading production logs': { action: 'logs:FilterLogEvents', resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/orders-writer`, context: prod },
    'DeleteTable on a development table': { action: 'dynamodb:DeleteTable', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders-dev-Orders`, context: tagged('development') },
    'DeleteTable on an untagged table': { action: 'dynamodb:DeleteTable', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/scratch` },
    'TerminateInstances on a development instance': { action: 'ec2:TerminateInstances', resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0fedcba9876543210`, context: tagged('development') },
    'UpdateFunctionCode on a development function': { action: 'lambda:UpdateFunctionCode', resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders-dev-writer`, context: tagged('development') },
    'DeleteBucket on a development bucket': { action: 's3:DeleteBucket', resource: 'arn:aws:s3:::orders-dev-receipts1a2b3c-4d5e6f7g8h9i' },
  }))('allows %s', expectAllowed);
});

describe('code on production compute, which runs with unbounded roles', () => {
  test.each(table({
    'new code for a production function (including the stack-policy custom resource)': { action: 'lambda:UpdateFunctionCode', resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders-prod-AWS679f53fac002430cb0da5b7982bd2287`, context: prod, deniedBy: 'ProdResourceByTag' },
    'a new layer or role on a production function': { action: 'lambda:UpdateFunctionConfiguration', resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders-writer`, context: prod, deniedBy: 'ProdResourceByTag' },
    'Run Command on a production instance': { action: 'ssm:SendCommand', resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0`, context: prod, deniedBy: 'ProdResourceByTag' },
    'a shell on a production instance': { action: 'ssm:StartSession', resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0`, context: prod, deniedBy: 'ProdResourceByTag' },
    'exec into a production container': { action: 'ecs:ExecuteCommand', resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/orders`, context: prod, deniedBy: 'ProdResourceByTag' },
    'an access entry on a production EKS cluster': { action: 'eks:CreateAccessEntry', resource: `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/orders`, context: prod, deniedBy: 'ProdResourceByTag' },
  }))('denies %s', expectDenied);

  test.each(table({
    'new code for a development function': { action: 'lambda:UpdateFunctionCode', resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders-dev-writer`, context: tagged('development') },
  }))('allows %s', expectAllowed);
});

describe('the production tag', () => {
  test.each(table({
    'removing the tag from a production instance': { action: 'ec2:DeleteTags', resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0`, context: { ...prod, 'aws:TagKeys': ['Environment'] }, deniedBy: 'ProdTagKey' },
    'changing the tag value on a production instance': { action: 'ec2:CreateTags', resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0`, context: { ...prod, 'aws:TagKeys': ['Environment'], 'aws:RequestTag/Environment': 'development' }, deniedBy: 'ProdTagKey' },
    'untagging a production table': { action: 'dynamodb:UntagResource', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/ledger`, context: { ...prod, 'aws:TagKeys': ['Environment'] }, deniedBy: 'ProdTagKey' },
    'retagging a production function with the key in another case': { action: 'lambda:TagResource', resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders-writer`, context: { ...prod, 'aws:TagKeys': ['environment'], 'aws:RequestTag/environment': 'dev' }, deniedBy: 'ProdTagKey' },
    'untagging a production queue': { action: 'sqs:UntagQueue', resource: `arn:aws:sqs:${REGION}:${ACCOUNT}:orders-incoming`, context: { ...prod, 'aws:TagKeys': ['Environment'] }, deniedBy: 'ProdTagKey' },
    'replacing a production bucket tag set (S3 sends no aws:TagKeys)': { action: 's3:PutBucketTagging', resource: 'arn:aws:s3:::orders-prod-receipts1a2b3c-4d5e6f7g8h9i', deniedBy: 'ProdBucketByName' },
  }))('denies %s', expectDenied);

  test.each(table({
    'adding another tag to a production function': { action: 'lambda:TagResource', resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders-writer`, context: { ...prod, 'aws:TagKeys': ['Owner'], 'aws:RequestTag/Owner': 'payments-team' } },
    'changing the environment tag of a development function': { action: 'lambda:UntagResource', resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders-dev-writer`, context: { ...tagged('development'), 'aws:TagKeys': ['Environment'] } },
  }))('allows %s', expectAllowed);
});

describe('the guardrail itself', () => {
  test.each(table({
    'removing the boundary from the agent role': { action: 'iam:DeleteRolePermissionsBoundary', resource: AGENT_ROLE_ARN, deniedBy: 'NoEscapeOrTamper' },
    'removing the boundary from a workload role': { action: 'iam:DeleteRolePermissionsBoundary', resource: WORKLOAD_ROLE, context: bounded, deniedBy: 'NoEscapeOrTamper' },
    'removing a boundary from a user': { action: 'iam:DeleteUserPermissionsBoundary', resource: `arn:aws:iam::${ACCOUNT}:user/build`, deniedBy: 'NoEscapeOrTamper' },
    'replacing the boundary of a workload role': { action: 'iam:PutRolePermissionsBoundary', resource: WORKLOAD_ROLE, context: { 'iam:PermissionsBoundary': policy('permissive') }, deniedBy: 'BoundedPrincipals' },
    'replacing the agent role boundary': { action: 'iam:PutRolePermissionsBoundary', resource: AGENT_ROLE_ARN, context: { 'iam:PermissionsBoundary': policy('permissive') }, deniedBy: 'GuardrailReadOnly' },
    'a new version of the boundary policy': { action: 'iam:CreatePolicyVersion', resource: BOUNDARY_ARN, deniedBy: 'GuardrailReadOnly' },
    'setting an older boundary version as default': { action: 'iam:SetDefaultPolicyVersion', resource: BOUNDARY_ARN, deniedBy: 'GuardrailReadOnly' },
    'deleting a boundary version': { action: 'iam:DeletePolicyVersion', resource: BOUNDARY_ARN, deniedBy: 'GuardrailReadOnly' },
    'deleting the boundary policy': { action: 'iam:DeletePolicy', resource: BOUNDARY_ARN, deniedBy: 'GuardrailReadOnly' },
    'untagging the boundary policy': { action: 'iam:UntagPolicy', resource: BOUNDARY_ARN, context: { 'aws:TagKeys': ['Owner'] }, deniedBy: 'GuardrailReadOnly' },
    'attaching AdministratorAccess to the agent role': { action: 'iam:AttachRolePolicy', resource: AGENT_ROLE_ARN, context: { ...bounded, 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' }, deniedBy: 'GuardrailReadOnly' },
    'writing an inline policy on the agent role': { action: 'iam:PutRolePolicy', resource: AGENT_ROLE_ARN, context: bounded, deniedBy: 'GuardrailReadOnly' },
    'editing the agent role trust policy': { action: 'iam:UpdateAssumeRolePolicy', resource: AGENT_ROLE_ARN, context: bounded, deniedBy: 'GuardrailReadOnly' },
    'untagging the agent role': { action: 'iam:UntagRole', resource: AGENT_ROLE_ARN, context: { 'aws:TagKeys': ['agent-guardrails:role'] }, deniedBy: 'GuardrailReadOnly' },
    'raising the agent role session limit': { action: 'iam:UpdateRole', resource: AGENT_ROLE_ARN, context: bounded, deniedBy: 'GuardrailReadOnly' },
    'deleting the agent role': { action: 'iam:DeleteRole', resource: AGENT_ROLE_ARN, context: bounded, deniedBy: 'GuardrailReadOnly' },
    'editing the deploy service role': { action: 'iam:AttachRolePolicy', resource: DEPLOY_ROLE, context: { ...bounded, 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' }, deniedBy: 'GuardrailReadOnly' },
    'creating a role under the guardrail path, even bounded': { action: 'iam:CreateRole', resource: role('agent-guardrails/agent/second-agent'), context: bounded, deniedBy: 'GuardrailReadOnly' },
    'putting this boundary on an administrator role (which would make it editable)': { action: 'iam:PutRolePermissionsBoundary', resource: ADMIN_ROLE, context: bounded, deniedBy: 'EditWorkloadOnly' },
    'putting this boundary on the CDK cfn-exec-role': { action: 'iam:PutRolePermissionsBoundary', resource: CDK_EXEC_ROLE, context: bounded, deniedBy: 'EditWorkloadOnly' },
    'putting this boundary on a user': { action: 'iam:PutUserPermissionsBoundary', resource: `arn:aws:iam::${ACCOUNT}:user/alice`, context: bounded, deniedBy: 'EditWorkloadOnly' },
  }))('denies %s', expectDenied);

  test.each(table({
    'reading the agent role': { action: 'iam:GetRole', resource: AGENT_ROLE_ARN },
    'putting this boundary on a workload role': { action: 'iam:PutRolePermissionsBoundary', resource: WORKLOAD_ROLE, context: bounded },
    'reading the boundary policy': { action: 'iam:GetPolicyVersion', resource: BOUNDARY_ARN },
  }))('allows %s', expectAllowed);
});

describe('escaping the boundary', () => {
  test.each(table({
    'creating a role without a boundary': { action: 'iam:CreateRole', resource: role('agent-workload/helper'), deniedBy: 'BoundedPrincipals' },
    'creating a role with another boundary': { action: 'iam:CreateRole', resource: role('agent-workload/helper'), context: { 'iam:PermissionsBoundary': policy('permissive') }, deniedBy: 'BoundedPrincipals' },
    'creating a user without a boundary': { action: 'iam:CreateUser', resource: `arn:aws:iam::${ACCOUNT}:user/helper`, deniedBy: 'BoundedPrincipals' },
    'attaching a policy to an unbounded role': { action: 'iam:AttachRolePolicy', resource: ADMIN_ROLE, context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' }, deniedBy: 'BoundedPrincipals' },
    'writing an inline policy on an unbounded role': { action: 'iam:PutRolePolicy', resource: ADMIN_ROLE, deniedBy: 'BoundedPrincipals' },
    'attaching a policy to an unbounded user': { action: 'iam:AttachUserPolicy', resource: `arn:aws:iam::${ACCOUNT}:user/alice`, context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' }, deniedBy: 'BoundedPrincipals' },
    'writing a group policy (groups cannot carry a boundary)': { action: 'iam:PutGroupPolicy', resource: `arn:aws:iam::${ACCOUNT}:group/developers`, deniedBy: 'BoundedPrincipals' },
    'attaching a group policy': { action: 'iam:AttachGroupPolicy', resource: `arn:aws:iam::${ACCOUNT}:group/developers`, context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' }, deniedBy: 'BoundedPrincipals' },
    'editing the trust policy of an unbounded role': { action: 'iam:UpdateAssumeRolePolicy', resource: ADMIN_ROLE, deniedBy: 'BoundedPrincipals' },
    'a new version of a policy outside the workload path': { action: 'iam:CreatePolicyVersion', resource: policy('platform-operators'), deniedBy: 'EditWorkloadOnly' },
    'rolling a policy outside the workload path back to an older version': { action: 'iam:SetDefaultPolicyVersion', resource: policy('platform-operators'), deniedBy: 'EditWorkloadOnly' },
    'an access key for a user': { action: 'iam:CreateAccessKey', resource: `arn:aws:iam::${ACCOUNT}:user/alice`, deniedBy: 'NoEscapeOrTamper' },
    'a console password for a user': { action: 'iam:CreateLoginProfile', resource: `arn:aws:iam::${ACCOUNT}:user/alice`, deniedBy: 'NoEscapeOrTamper' },
    'resetting a user password': { action: 'iam:UpdateLoginProfile', resource: `arn:aws:iam::${ACCOUNT}:user/alice`, deniedBy: 'NoEscapeOrTamper' },
    'joining a user to an admin group': { action: 'iam:AddUserToGroup', resource: `arn:aws:iam::${ACCOUNT}:group/admins`, deniedBy: 'NoEscapeOrTamper' },
    'removing a user from a group that holds their guardrails': { action: 'iam:RemoveUserFromGroup', resource: `arn:aws:iam::${ACCOUNT}:group/restricted`, deniedBy: 'NoEscapeOrTamper' },
    'deleting a group policy that denies humans something': { action: 'iam:DeleteGroupPolicy', resource: `arn:aws:iam::${ACCOUNT}:group/restricted`, deniedBy: 'BoundedPrincipals' },
    'swapping the signing certificate of the SAML provider humans sign in through': { action: 'iam:UpdateSAMLProvider', resource: `arn:aws:iam::${ACCOUNT}:saml-provider/Okta`, deniedBy: 'NoEscapeOrTamper' },
    'changing the thumbprint of an OIDC provider': { action: 'iam:UpdateOpenIDConnectProviderThumbprint', resource: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`, deniedBy: 'NoEscapeOrTamper' },
    'adding an audience to an OIDC provider': { action: 'iam:AddClientIDToOpenIDConnectProvider', resource: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`, deniedBy: 'NoEscapeOrTamper' },
    'swapping the CA of a Roles Anywhere trust anchor': { action: 'rolesanywhere:UpdateTrustAnchor', resource: `arn:aws:rolesanywhere:${REGION}:${ACCOUNT}:trust-anchor/0123456789abcdef`, deniedBy: 'NoEscapeOrTamper' },
    'a new Roles Anywhere trust anchor': { action: 'rolesanywhere:CreateTrustAnchor', resource: '*', deniedBy: 'NoEscapeOrTamper' },
    'assuming the CDK deploy role': { action: 'sts:AssumeRole', resource: CDK_DEPLOY_ROLE, deniedBy: 'AssumeGuardrailRoles' },
    'assuming the CDK cfn-exec-role': { action: 'sts:AssumeRole', resource: CDK_EXEC_ROLE, deniedBy: 'AssumeGuardrailRoles' },
    'assuming an administrator role': { action: 'sts:AssumeRole', resource: ADMIN_ROLE, deniedBy: 'AssumeGuardrailRoles' },
    'assuming an agent role in another account': { action: 'sts:AssumeRole', resource: 'arn:aws:iam::999988887777:role/agent-guardrails/agent/exfiltration', deniedBy: 'AssumeGuardrailRoles' },
    'assuming a workload role the agent created': { action: 'sts:AssumeRole', resource: WORKLOAD_ROLE, deniedBy: 'AgentSessionLimits' },
    'passing the CDK cfn-exec-role to CloudFormation': { action: 'iam:PassRole', resource: CDK_EXEC_ROLE, context: { 'iam:PassedToService': 'cloudformation.amazonaws.com' }, deniedBy: 'PassBoundedRoles' },
    'passing an administrator role to Lambda': { action: 'iam:PassRole', resource: ADMIN_ROLE, context: { 'iam:PassedToService': 'lambda.amazonaws.com' }, deniedBy: 'PassBoundedRoles' },
    'passing the agent role itself to EC2': { action: 'iam:PassRole', resource: AGENT_ROLE_ARN, context: { 'iam:PassedToService': 'ec2.amazonaws.com' }, deniedBy: 'PassBoundedRoles' },
    'stopping CloudTrail': { action: 'cloudtrail:StopLogging', resource: `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/organization`, deniedBy: 'NoEscapeOrTamper' },
    'deleting a trail': { action: 'cloudtrail:DeleteTrail', resource: `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/organization`, deniedBy: 'NoEscapeOrTamper' },
    'narrowing what a trail records': { action: 'cloudtrail:PutEventSelectors', resource: `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/organization`, deniedBy: 'NoEscapeOrTamper' },
    'leaving the organization': { action: 'organizations:LeaveOrganization', resource: '*', deniedBy: 'NoEscapeOrTamper' },
    'a StackSet (deploys with admin roles in other accounts)': { action: 'cloudformation:CreateStackSet', resource: '*', deniedBy: 'NoEscapeOrTamper' },
  }))('denies %s', expectDenied);

  test.each(table({
    'creating a role that carries this boundary': { action: 'iam:CreateRole', resource: role('agent-workload/helper'), context: bounded },
    'attaching a policy to a bounded workload role': { action: 'iam:AttachRolePolicy', resource: WORKLOAD_ROLE, context: { ...bounded, 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess' } },
    'editing the trust policy of a bounded workload role': { action: 'iam:UpdateAssumeRolePolicy', resource: WORKLOAD_ROLE, context: bounded },
    'a new version of a workload policy': { action: 'iam:CreatePolicyVersion', resource: policy('agent-workload/orders-dev-writer') },
    'passing a bounded workload role to Lambda': { action: 'iam:PassRole', resource: WORKLOAD_ROLE, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
    'passing the bounded deploy role to CloudFormation': { action: 'iam:PassRole', resource: DEPLOY_ROLE, context: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
    'assuming an agent role': { action: 'sts:AssumeRole', resource: role('agent-guardrails/agent/review-agent') },
    'a workload (not an agent) chaining into another workload role': { action: 'sts:AssumeRole', resource: role('agent-workload/orders-dev-PipelineActionRole'), principal: WORKLOAD_ROLE },
    'reading a login profile': { action: 'iam:GetLoginProfile', resource: `arn:aws:iam::${ACCOUNT}:user/alice` },
    'listing stack instances': { action: 'cloudformation:ListStackInstances', resource: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stackset/shared:11111111-2222-3333-4444-555555555555` },
    'reading a trail': { action: 'cloudtrail:GetTrail', resource: `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/organization` },
  }))('allows %s', expectAllowed);
});

describe('the approval workflow', () => {
  const workflow = { 'aws:ResourceTag/agent-guardrails:component': 'approval-workflow' };
  test.each(table({
    'answering a task token': { action: 'states:SendTaskSuccess', resource: '*', deniedBy: 'AgentSessionLimits' },
    'failing a task token': { action: 'states:SendTaskFailure', resource: '*', deniedBy: 'AgentSessionLimits' },
    'reading the requests table (task tokens, undelivered credentials)': { action: 'dynamodb:GetItem', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/Approval-Requests`, context: workflow, deniedBy: 'WorkflowOffLimits' },
    'writing an approval into the table': { action: 'dynamodb:UpdateItem', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/Approval-Requests`, context: workflow, deniedBy: 'WorkflowOffLimits' },
    'invoking the issuer': { action: 'lambda:InvokeFunction', resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:Approval-Issuer`, context: workflow, deniedBy: 'WorkflowOffLimits' },
    'starting an execution directly': { action: 'states:StartExecution', resource: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Approval-Workflow`, context: workflow, deniedBy: 'WorkflowOffLimits' },
    'changing the state machine': { action: 'states:UpdateStateMachine', resource: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Approval-Workflow`, context: workflow, deniedBy: 'WorkflowOffLimits' },
    'editing the API': { action: 'apigateway:PATCH', resource: `arn:aws:apigateway:${REGION}::/restapis/a1b2c3d4e5`, context: workflow, deniedBy: 'WorkflowOffLimits' },
    'publishing fake events': { action: 'sns:Publish', resource: `arn:aws:sns:${REGION}:${ACCOUNT}:Approval-Events`, context: workflow, deniedBy: 'WorkflowOffLimits' },
    'removing the workflow tag': { action: 'dynamodb:UntagResource', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/Approval-Requests`, context: { ...workflow, 'aws:TagKeys': ['agent-guardrails:component'] }, deniedBy: 'GuardrailTagKeys' },
    'assuming an elevated role': { action: 'sts:AssumeRole', resource: role('agent-guardrails/elevated/Approval-deployer'), deniedBy: 'AssumeGuardrailRoles' },
    'forging workflow events on its bus': { action: 'events:PutEvents', resource: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/Approval-EventBus`, context: workflow, deniedBy: 'WorkflowOffLimits' },
    'a role named like Identity Center, to pass for its users': { action: 'iam:CreateRole', resource: role('agent-workload/AWSReservedSSO_Approver_0123456789abcdef'), context: bounded, deniedBy: 'GuardrailReadOnly' },
    'editing the trust of a role named like Identity Center': { action: 'iam:UpdateAssumeRolePolicy', resource: role('AWSReservedSSO_Admin_0123456789abcdef'), context: bounded, deniedBy: 'GuardrailReadOnly' },
  }))('denies %s', expectDenied);

  test.each(table({
    'calling the approval API': { action: 'execute-api:Invoke', resource: `arn:aws:execute-api:${REGION}:${ACCOUNT}:a1b2c3d4e5/v1/POST/requests` },
    'a workload (not an agent) answering its own task tokens': { action: 'states:SendTaskSuccess', resource: '*', principal: WORKLOAD_ROLE },
  }))('allows %s', expectAllowed);
});

async function expectDenied(_name: string, c: Case) {
  const decision = await simulate({ action: c.action, resource: c.resource, context: c.context, principal: c.principal }, { identity: [ADMINISTRATOR_ACCESS], boundary });
  expect(decision.result).toBe('ExplicitlyDenied');
  expect(decision.deniedBy).toContain(c.deniedBy);
}

async function expectAllowed(_name: string, c: Case) {
  const decision = await simulate({ action: c.action, resource: c.resource, context: c.context, principal: c.principal }, { identity: [ADMINISTRATOR_ACCESS], boundary });
  expect(decision).toMatchObject({ result: 'Allowed', deniedBy: [] });
}
