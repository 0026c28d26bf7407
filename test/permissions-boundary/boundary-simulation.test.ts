/**
 * The synthesized guardrail policies, evaluated by an IAM policy simulator. The agent's own policy
 * is AdministratorAccess throughout (plus the agent denies policy every agent role carries): what is
 * denied here is denied by the guardrails alone. Workloads, the roles agents deploy or create, are
 * evaluated with AdministratorAccess under the workload boundary.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AgentPermissionsBoundary, ProductionProtection } from '../../lib';
import { ACCOUNT, ADMINISTRATOR_ACCESS, AGENT_ROLE_ARN, Decision, simulate } from '../support/simulator';
import { guardrailDocuments, REGION, stackArn, synthTemplates } from '../support/template';

let documents: ReturnType<typeof guardrailDocuments>;

/** Stands for the id of the orders zone, which CloudFormation assigns: read from the deny policy in `decide`. */
const ORDERS_ZONE = 'ORDERS-ZONE-ID';
let ordersZoneId: string;

beforeAll(() => {
  const app = new App();
  const orders = new Stack(app, 'OrdersProd', { stackName: 'orders-prod' });
  new dynamodb.Table(orders, 'Orders', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
  new s3.Bucket(orders, 'Receipts');
  new sqs.Queue(orders, 'Incoming');
  new secretsmanager.Secret(orders, 'DbPassword');
  new route53.PublicHostedZone(orders, 'Zone', { zoneName: 'shop.example.com' });
  new ProductionProtection(orders, 'ProductionProtection');

  // In another account: the guardrails cannot reference its zone, so they protect its records by name.
  const legacy = new Stack(app, 'LegacyProd', { stackName: 'legacy-prod', env: { account: '444455556666', region: 'eu-west-1' } });
  new route53.PublicHostedZone(legacy, 'Zone', { zoneName: 'legacy.example.org' });
  new ProductionProtection(legacy, 'ProductionProtection', { disableStackPolicy: true });

  const payments = new Stack(app, 'PaymentsProd', { stackName: 'payments-prod' });
  new dynamodb.Table(payments, 'Ledger', { tableName: 'ledger', partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
  new s3.Bucket(payments, 'Archive', { bucketName: `payments-archive-${payments.account}` });
  new ProductionProtection(payments, 'ProductionProtection', { disableBucketAbac: true });

  const guardrails = new Stack(app, 'Guardrails', { stackName: 'agent-guardrails' });
  new AgentPermissionsBoundary(guardrails, 'Boundary', { productionStackNames: ['legacy-billing'] });
  documents = guardrailDocuments(synthTemplates(app).get('agent-guardrails')!);
  const byArn = documents.agentDenies.Statement.find((st: { Sid?: string }) => st.Sid === 'ProdByArn');
  ordersZoneId = byArn.Resource.find((r: string) => r.includes(':hostedzone/')).split('/').pop();
});

const withZone = (c: Case): Case => ({ ...c, resource: c.resource.replace(ORDERS_ZONE, ordersZoneId) });

const role = (pathAndName: string) => `arn:aws:iam::${ACCOUNT}:role/${pathAndName}`;
const policy = (pathAndName: string) => `arn:aws:iam::${ACCOUNT}:policy/${pathAndName}`;
const tagged = (value: string) => ({ 'aws:ResourceTag/Environment': value });
const prod = tagged('production');
const arn = (service: string, resource: string, region = REGION) => `arn:aws:${service}:${region}:${ACCOUNT}:${resource}`;

const BOUNDARY_ARN = policy('agent-guardrails/AgentPermissionsBoundary');
const WORKLOAD_BOUNDARY_ARN = policy('agent-guardrails/AgentPermissionsBoundary-Workload');
const DEPLOY_ROLE = role('agent-guardrails/service/DevDeployRole');
const WORKLOAD_ROLE = role('agent-workload/orders-dev-WriterRole-1A2B3C');
const CDK_EXEC_ROLE = role(`cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${REGION}`);
const CDK_DEPLOY_ROLE = role(`cdk-hnb659fds-deploy-role-${ACCOUNT}-${REGION}`);
const ADMIN_ROLE = role('platform-admin');
const withRole = (roleArn: string) => ({ 'cloudformation:RoleArn': roleArn });
const bounded = { 'iam:PermissionsBoundary': WORKLOAD_BOUNDARY_ARN };

interface Case {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
  /** The caller; the agent role by default. */
  readonly principal?: string;
  /** The S3 bucket of the request has ABAC on (ProductionProtection turns it on). */
  readonly bucketAbac?: boolean;
  /** The boundary statement expected to deny the request; omit for requests that must be allowed. */
  readonly deniedBy?: string;
}

function table(cases: Record<string, Case>) {
  return Object.entries(cases).map(([name, c]) => [name, c] as const);
}

/** A table test that `decide` denies the case, by the statement it names. */
const denied = (decide: (c: Case) => Promise<Decision>) => async (_name: string, c: Case) => {
  const decision = await decide(c);
  expect(decision.result).toBe('ExplicitlyDenied');
  expect(decision.deniedBy).toContain(c.deniedBy);
};

/** A table test that `decide` allows the case, with no Deny matching. */
const allowed = (decide: (c: Case) => Promise<Decision>) => async (_name: string, c: Case) => {
  expect(await decide(c)).toMatchObject({ result: 'Allowed', deniedBy: [] });
};

const expectAgentDenied = denied(decideAgent);
const expectAgentAllowed = allowed(decideAgent);
const expectWorkloadDenied = denied(decideWorkload);
const expectWorkloadAllowed = allowed(decideWorkload);

describe('production stacks', () => {
  test.each(table({
    'DeleteStack on a production stack': { action: 'cloudformation:DeleteStack', resource: stackArn('orders-prod'), context: { ...prod, ...withRole(DEPLOY_ROLE) }, deniedBy: 'ProdReadOnly' },
    'DeleteStack on a stack tagged Production': { action: 'cloudformation:DeleteStack', resource: stackArn('shadow'), context: { ...tagged('Production'), ...withRole(DEPLOY_ROLE) }, deniedBy: 'ProdReadOnly' },
    'DeleteStack on a stack tagged pRoDuCtIoN': { action: 'cloudformation:DeleteStack', resource: stackArn('shadow'), context: { ...tagged('pRoDuCtIoN'), ...withRole(DEPLOY_ROLE) }, deniedBy: 'ProdReadOnly' },
    'DeleteStack on a production stack outside the app, untagged (productionStackNames)': { action: 'cloudformation:DeleteStack', resource: stackArn('legacy-billing'), context: withRole(DEPLOY_ROLE), deniedBy: 'ProdStackByName' },
    'UpdateStack on production, even with a bounded role': { action: 'cloudformation:UpdateStack', resource: stackArn('payments-prod'), context: { ...prod, ...withRole(DEPLOY_ROLE) }, deniedBy: 'ProdReadOnly' },
    'ExecuteChangeSet on production': { action: 'cloudformation:ExecuteChangeSet', resource: stackArn('orders-prod'), context: prod, deniedBy: 'ProdReadOnly' },
    'UpdateTerminationProtection on production': { action: 'cloudformation:UpdateTerminationProtection', resource: stackArn('orders-prod'), context: prod, deniedBy: 'ProdReadOnly' },
    'SetStackPolicy on production': { action: 'cloudformation:SetStackPolicy', resource: stackArn('orders-prod'), context: prod, deniedBy: 'ProdReadOnly' },
    'TagResource on a production stack': { action: 'cloudformation:TagResource', resource: stackArn('orders-prod'), context: { ...prod, 'aws:TagKeys': ['Owner'] }, deniedBy: 'ProdReadOnly' },
    'UntagResource of the production tag on a stack': { action: 'cloudformation:UntagResource', resource: stackArn('shadow'), context: { ...prod, 'aws:TagKeys': ['Environment'] }, deniedBy: 'ProdReadOnly' },
    'CancelUpdateStack on production': { action: 'cloudformation:CancelUpdateStack', resource: stackArn('orders-prod'), context: prod, deniedBy: 'ProdReadOnly' },
    'ContinueUpdateRollback on production': { action: 'cloudformation:ContinueUpdateRollback', resource: stackArn('orders-prod'), context: { ...prod, ...withRole(DEPLOY_ROLE) }, deniedBy: 'ProdReadOnly' },
    'SignalResource on production': { action: 'cloudformation:SignalResource', resource: stackArn('orders-prod'), context: prod, deniedBy: 'ProdReadOnly' },
    'CreateStackRefactor moving resources out of production': { action: 'cloudformation:CreateStackRefactor', resource: stackArn('orders-prod'), context: prod, deniedBy: 'ProdReadOnly' },
    'CreateStack carrying the production tag': { action: 'cloudformation:CreateStack', resource: stackArn('orders-prod-v2'), context: { 'aws:RequestTag/Environment': 'production', 'aws:TagKeys': ['Environment'], ...withRole(DEPLOY_ROLE) }, deniedBy: 'ProdTagMint' },
    'CreateStack carrying the production tag in another case': { action: 'cloudformation:CreateStack', resource: stackArn('orders-prod-v2'), context: { 'aws:RequestTag/environment': 'Production', 'aws:TagKeys': ['environment'], ...withRole(DEPLOY_ROLE) }, deniedBy: 'ProdTagMint' },
    'create-type change set carrying the production tag': { action: 'cloudformation:CreateChangeSet', resource: stackArn('orders-prod-v2'), context: { 'aws:RequestTag/Environment': 'production', 'aws:TagKeys': ['Environment'], ...withRole(DEPLOY_ROLE) }, deniedBy: 'ProdStackCreate' },
  }))('denies %s', expectAgentDenied);

  test.each(table({
    'DescribeStacks on production': { action: 'cloudformation:DescribeStacks', resource: stackArn('orders-prod'), context: prod },
    'GetTemplate on production': { action: 'cloudformation:GetTemplate', resource: stackArn('orders-prod'), context: prod },
    'DetectStackDrift on production': { action: 'cloudformation:DetectStackDrift', resource: stackArn('orders-prod'), context: prod },
    'reading a stack outside the app by name': { action: 'cloudformation:DescribeStackEvents', resource: stackArn('legacy-billing') },
    'proposing a change set for production, as cdk deploy sends it (tags included)': { action: 'cloudformation:CreateChangeSet', resource: stackArn('orders-prod'), context: { ...prod, 'aws:RequestTag/Environment': 'production', 'aws:TagKeys': ['Environment'] } },
    'withdrawing a production change set': { action: 'cloudformation:DeleteChangeSet', resource: stackArn('orders-prod'), context: prod },
    'CreateStack for a development stack with a bounded role': { action: 'cloudformation:CreateStack', resource: stackArn('orders-dev'), context: { 'aws:RequestTag/Environment': 'development', 'aws:TagKeys': ['Environment'], ...withRole(DEPLOY_ROLE) } },
    'UpdateStack on development with a bounded role': { action: 'cloudformation:UpdateStack', resource: stackArn('orders-dev'), context: { ...tagged('development'), ...withRole(DEPLOY_ROLE) } },
    'DeleteStack on development with a bounded role': { action: 'cloudformation:DeleteStack', resource: stackArn('orders-dev'), context: { ...tagged('development'), ...withRole(DEPLOY_ROLE) } },
    'ExecuteChangeSet on development': { action: 'cloudformation:ExecuteChangeSet', resource: stackArn('orders-dev'), context: tagged('development') },
    'UpdateStack on a stack tagged preproduction (values match whole)': { action: 'cloudformation:UpdateStack', resource: stackArn('orders-staging'), context: { ...tagged('preproduction'), ...withRole(DEPLOY_ROLE) } },
  }))('allows %s', expectAgentAllowed);
});

describe('CloudFormation service roles', () => {
  test.each(table({
    'UpdateStack without a role (the stack would reuse its last, possibly admin, role)': { action: 'cloudformation:UpdateStack', resource: stackArn('orders-dev'), deniedBy: 'StackRoleBounded' },
    'UpdateStack with the CDK cfn-exec-role': { action: 'cloudformation:UpdateStack', resource: stackArn('orders-dev'), context: withRole(CDK_EXEC_ROLE), deniedBy: 'StackRoleBounded' },
    'CreateStack with an administrator role': { action: 'cloudformation:CreateStack', resource: stackArn('new-dev'), context: withRole(ADMIN_ROLE), deniedBy: 'StackRoleBounded' },
    'CreateChangeSet for development without a role': { action: 'cloudformation:CreateChangeSet', resource: stackArn('orders-dev'), deniedBy: 'StackRoleBounded' },
    'DeleteStack without a role': { action: 'cloudformation:DeleteStack', resource: stackArn('orders-dev'), deniedBy: 'StackRoleBounded' },
    'DeleteStack with a workload role instead of a deploy role': { action: 'cloudformation:DeleteStack', resource: stackArn('scratch'), context: withRole(WORKLOAD_ROLE), deniedBy: 'StackRoleBounded' },
  }))('denies %s', expectAgentDenied);
});

const table1 = arn('dynamodb', 'table/ledger');
const service = arn('ecs', 'service/orders/api');
const fn = arn('lambda', 'function:orders-writer');
const db = arn('rds', 'db:orders');
const instance = arn('ec2', 'instance/i-0123456789abcdef0');
const listener = arn('elasticloadbalancing', 'listener/app/orders/50dc6c495c0c9188/f2f7dc8efc522ab2');
const targetGroup = arn('elasticloadbalancing', 'targetgroup/orders/73e2d6bc24d8a067');
const securityGroup = arn('ec2', 'security-group/sg-0123456789abcdef0');
const queue = arn('sqs', 'orders-incoming');
const topic = arn('sns', 'orders-events');
const secret = arn('secretsmanager', 'secret:orders-db-AbCdEf');
const stream = arn('kinesis', 'stream/orders');
const stateMachine = arn('states', 'stateMachine:orders');
const rule = arn('events', 'rule/orders-nightly');
const key = arn('kms', 'key/1234abcd-12ab-34cd-56ef-1234567890ab');
const project = arn('codebuild', 'project/orders-build');
const bucket = 'arn:aws:s3:::orders-prod-receipts1a2b3c-4d5e6f7g8h9i';

describe('production is read-only: outage without deletion', () => {
  test.each(table({
    'scaling an ECS service to zero': { action: 'ecs:UpdateService', resource: service, context: prod, deniedBy: 'ProdReadOnly' },
    'stopping production tasks': { action: 'ecs:StopTask', resource: arn('ecs', 'task/orders/0123456789abcdef'), context: prod, deniedBy: 'ProdReadOnly' },
    'throttling a function to zero': { action: 'lambda:PutFunctionConcurrency', resource: fn, context: prod, deniedBy: 'ProdReadOnly' },
    'shifting alias traffic': { action: 'lambda:UpdateAlias', resource: `${fn}:live`, context: prod, deniedBy: 'ProdReadOnly' },
    'disabling an event source mapping': { action: 'lambda:UpdateEventSourceMapping', resource: arn('lambda', 'event-source-mapping:0123abcd-0000-1111-2222-333344445555'), context: prod, deniedBy: 'ProdReadOnly' },
    'stopping a database': { action: 'rds:StopDBInstance', resource: db, context: prod, deniedBy: 'ProdReadOnly' },
    'rebooting a database': { action: 'rds:RebootDBInstance', resource: db, context: prod, deniedBy: 'ProdReadOnly' },
    'modifying a database': { action: 'rds:ModifyDBInstance', resource: db, context: prod, deniedBy: 'ProdReadOnly' },
    'changing a parameter group': { action: 'rds:ModifyDBParameterGroup', resource: arn('rds', 'pg:orders'), context: prod, deniedBy: 'ProdReadOnly' },
    'stopping an instance': { action: 'ec2:StopInstances', resource: instance, context: prod, deniedBy: 'ProdReadOnly' },
    'changing instance user data': { action: 'ec2:ModifyInstanceAttribute', resource: instance, context: prod, deniedBy: 'ProdReadOnly' },
    'changing a listener': { action: 'elasticloadbalancing:ModifyListener', resource: listener, context: prod, deniedBy: 'ProdReadOnly' },
    'deregistering targets': { action: 'elasticloadbalancing:DeregisterTargets', resource: targetGroup, context: prod, deniedBy: 'ProdReadOnly' },
    'changing a health check': { action: 'elasticloadbalancing:ModifyTargetGroup', resource: targetGroup, context: prod, deniedBy: 'ProdReadOnly' },
    'opening a security group': { action: 'ec2:AuthorizeSecurityGroupIngress', resource: securityGroup, context: prod, deniedBy: 'ProdReadOnly' },
    'closing egress': { action: 'ec2:RevokeSecurityGroupEgress', resource: securityGroup, context: prod, deniedBy: 'ProdReadOnly' },
    'replacing a route': { action: 'ec2:ReplaceRoute', resource: arn('ec2', 'route-table/rtb-0123456789abcdef0'), context: prod, deniedBy: 'ProdReadOnly' },
    'changing a network ACL': { action: 'ec2:ReplaceNetworkAclEntry', resource: arn('ec2', 'network-acl/acl-0123456789abcdef0'), context: prod, deniedBy: 'ProdReadOnly' },
    'changing a VPC endpoint policy': { action: 'ec2:ModifyVpcEndpoint', resource: arn('ec2', 'vpc-endpoint/vpce-0123456789abcdef0'), context: prod, deniedBy: 'ProdReadOnly' },
    'changing queue attributes': { action: 'sqs:SetQueueAttributes', resource: queue, context: prod, deniedBy: 'ProdReadOnly' },
    'receiving production messages (they move towards the dead-letter queue)': { action: 'sqs:ReceiveMessage', resource: queue, context: prod, deniedBy: 'ProdReadOnly' },
    'changing topic attributes': { action: 'sns:SetTopicAttributes', resource: topic, context: prod, deniedBy: 'ProdReadOnly' },
    'changing a table': { action: 'dynamodb:UpdateTable', resource: table1, context: prod, deniedBy: 'ProdReadOnly' },
    'turning off point-in-time recovery': { action: 'dynamodb:UpdateContinuousBackups', resource: table1, context: prod, deniedBy: 'ProdReadOnly' },
    'writing items': { action: 'dynamodb:PutItem', resource: table1, context: prod, deniedBy: 'ProdReadOnly' },
    'shortening stream retention': { action: 'kinesis:DecreaseStreamRetentionPeriod', resource: stream, context: prod, deniedBy: 'ProdReadOnly' },
    'disabling a rule': { action: 'events:DisableRule', resource: rule, context: prod, deniedBy: 'ProdReadOnly' },
    'retargeting a rule': { action: 'events:PutTargets', resource: rule, context: prod, deniedBy: 'ProdReadOnly' },
    'updating a state machine': { action: 'states:UpdateStateMachine', resource: stateMachine, context: prod, deniedBy: 'ProdReadOnly' },
    'starting an execution': { action: 'states:StartExecution', resource: stateMachine, context: prod, deniedBy: 'ProdReadOnly' },
    'changing a secret value': { action: 'secretsmanager:PutSecretValue', resource: secret, context: prod, deniedBy: 'ProdReadOnly' },
    'rotating a secret': { action: 'secretsmanager:RotateSecret', resource: secret, context: prod, deniedBy: 'ProdReadOnly' },
    'changing an API stage': { action: 'apigateway:PATCH', resource: `arn:aws:apigateway:${REGION}::/restapis/a1b2c3d4e5/stages/prod`, context: prod, deniedBy: 'ProdReadOnly' },
    'changing scaling': { action: 'application-autoscaling:RegisterScalableTarget', resource: arn('application-autoscaling', 'scalable-target/0123456789abcdef0123456789abcdef'), context: prod, deniedBy: 'ProdReadOnly' },
    'silencing an alarm': { action: 'cloudwatch:DisableAlarmActions', resource: arn('cloudwatch', 'alarm:orders-errors'), context: prod, deniedBy: 'ProdReadOnly' },
    'suspending bucket versioning': { action: 's3:PutBucketVersioning', resource: bucket, context: prod, bucketAbac: true, deniedBy: 'ProdReadOnly' },
    'removing the public access block': { action: 's3:PutBucketPublicAccessBlock', resource: bucket, context: prod, bucketAbac: true, deniedBy: 'ProdReadOnly' },
    'changing bucket encryption': { action: 's3:PutEncryptionConfiguration', resource: bucket, context: prod, bucketAbac: true, deniedBy: 'ProdReadOnly' },
    'overwriting an object': { action: 's3:PutObject', resource: `${bucket}/receipts/1.pdf`, context: prod, bucketAbac: true, deniedBy: 'ProdReadOnly' },
    'changing a parameter': { action: 'ssm:PutParameter', resource: arn('ssm', 'parameter/orders/db-url'), context: prod, deniedBy: 'ProdReadOnly' },
    'starting an AppConfig deployment': { action: 'appconfig:StartDeployment', resource: arn('appconfig', 'application/abc1234/environment/def5678'), context: prod, deniedBy: 'ProdReadOnly' },
    'changing a distribution': { action: 'cloudfront:UpdateDistribution', resource: `arn:aws:cloudfront::${ACCOUNT}:distribution/E1A2B3C4D5E6F7`, context: prod, deniedBy: 'ProdReadOnly' },
    'changing a cache cluster': { action: 'elasticache:ModifyReplicationGroup', resource: arn('elasticache', 'replicationgroup:orders'), context: prod, deniedBy: 'ProdReadOnly' },
    'changing a record of a production zone': { action: 'route53:ChangeResourceRecordSets', resource: `arn:aws:route53:::hostedzone/${ORDERS_ZONE}`, context: { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['api.shop.example.com'] }, deniedBy: 'ProdByArn' },
    'turning off DNSSEC on a production zone': { action: 'route53:DisableHostedZoneDNSSEC', resource: `arn:aws:route53:::hostedzone/${ORDERS_ZONE}`, deniedBy: 'ProdByArn' },
    'changing a production DNS record of a zone out of reach, by its name': { action: 'route53:ChangeResourceRecordSets', resource: 'arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ', context: { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['api.legacy.example.org'] }, deniedBy: 'ProdRecordsByName' },
    'changing the apex record of a zone out of reach': { action: 'route53:ChangeResourceRecordSets', resource: 'arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ', context: { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['legacy.example.org'] }, deniedBy: 'ProdRecordsByName' },
  }))('denies %s', expectAgentDenied);
});

describe('production is read-only: deletion and code', () => {
  test.each(table({
    'DeleteTable on a production table': { action: 'dynamodb:DeleteTable', resource: table1, context: prod, deniedBy: 'ProdReadOnly' },
    'DeleteBackup of any table, since production backups cannot be told apart': { action: 'dynamodb:DeleteBackup', resource: arn('dynamodb', 'table/scratch/backup/01700000000000-abcdef'), deniedBy: 'NoEscapeOrTamper' },
    'DeleteDBCluster': { action: 'rds:DeleteDBCluster', resource: arn('rds', 'cluster:orders'), context: prod, deniedBy: 'ProdReadOnly' },
    'TerminateInstances': { action: 'ec2:TerminateInstances', resource: instance, context: prod, deniedBy: 'ProdReadOnly' },
    'DeleteFunction': { action: 'lambda:DeleteFunction', resource: fn, context: prod, deniedBy: 'ProdReadOnly' },
    'PurgeQueue': { action: 'sqs:PurgeQueue', resource: queue, context: prod, deniedBy: 'ProdReadOnly' },
    'ScheduleKeyDeletion': { action: 'kms:ScheduleKeyDeletion', resource: key, context: prod, deniedBy: 'ProdReadOnly' },
    'a KMS grant to another account': { action: 'kms:CreateGrant', resource: key, context: prod, deniedBy: 'ProdReadOnly' },
    'DeleteBucket (ABAC on: by tag)': { action: 's3:DeleteBucket', resource: bucket, context: prod, bucketAbac: true, deniedBy: 'ProdReadOnly' },
    'DeleteObject in a bucket with ABAC off (by name)': { action: 's3:DeleteObject', resource: `arn:aws:s3:::payments-archive-${ACCOUNT}/2026/11/statement.pdf`, deniedBy: 'ProdBucketByName' },
    'a bucket policy on a bucket with ABAC off (by name)': { action: 's3:PutBucketPolicy', resource: `arn:aws:s3:::payments-archive-${ACCOUNT}`, deniedBy: 'ProdBucketByName' },
    'new code for a production function': { action: 'lambda:UpdateFunctionCode', resource: fn, context: prod, deniedBy: 'ProdReadOnly' },
    'a public function URL': { action: 'lambda:CreateFunctionUrlConfig', resource: fn, context: prod, deniedBy: 'ProdReadOnly' },
    'a resource policy letting anyone invoke a function': { action: 'lambda:AddPermission', resource: fn, context: prod, deniedBy: 'ProdReadOnly' },
    'invoking a production function': { action: 'lambda:InvokeFunction', resource: fn, context: prod, deniedBy: 'ProdReadOnly' },
    'a build with a buildspec override': { action: 'codebuild:StartBuild', resource: project, context: prod, deniedBy: 'ProdReadOnly' },
    'changing a build project': { action: 'codebuild:UpdateProject', resource: project, context: prod, deniedBy: 'ProdReadOnly' },
    'Run Command on a production instance': { action: 'ssm:SendCommand', resource: instance, context: prod, deniedBy: 'ProdReadOnly' },
    'an SSM association (it runs on instances chosen by tag)': { action: 'ssm:CreateAssociation', resource: arn('ssm', 'document/AWS-RunShellScript', REGION), deniedBy: 'NoEscapeOrTamper' },
    'a shell on a production instance': { action: 'ssm:StartSession', resource: instance, context: prod, deniedBy: 'ProdReadOnly' },
    'exec into a production container': { action: 'ecs:ExecuteCommand', resource: arn('ecs', 'cluster/orders'), context: prod, deniedBy: 'ProdReadOnly' },
    'an EKS access policy on a production cluster': { action: 'eks:AssociateAccessPolicy', resource: arn('eks', 'access-entry/orders/role/111122223333/admin/abc'), context: prod, deniedBy: 'ProdReadOnly' },
    'sharing a database snapshot': { action: 'rds:ModifyDBSnapshotAttribute', resource: arn('rds', 'snapshot:orders-nightly'), context: prod, deniedBy: 'ProdReadOnly' },
    'a queue policy for another account': { action: 'sqs:AddPermission', resource: queue, context: prod, deniedBy: 'ProdReadOnly' },
    'a secret resource policy': { action: 'secretsmanager:PutResourcePolicy', resource: secret, context: prod, deniedBy: 'ProdReadOnly' },
    'a table resource policy': { action: 'dynamodb:PutResourcePolicy', resource: table1, context: prod, deniedBy: 'ProdReadOnly' },
    'sharing an EBS snapshot': { action: 'ec2:ModifySnapshotAttribute', resource: `arn:aws:ec2:${REGION}::snapshot/snap-0123456789abcdef0`, context: prod, deniedBy: 'ProdReadOnly' },
    'replicating a production bucket elsewhere': { action: 's3:PutReplicationConfiguration', resource: bucket, context: prod, bucketAbac: true, deniedBy: 'ProdReadOnly' },
    'an SSH key pushed to a production instance': { action: 'ec2-instance-connect:SendSSHPublicKey', resource: instance, context: prod, deniedBy: 'ProdReadOnly' },
    'the serial console of a production instance': { action: 'ec2-instance-connect:SendSerialConsoleSSHPublicKey', resource: instance, context: prod, deniedBy: 'ProdReadOnly' },
    'running a production task definition': { action: 'ecs:RunTask', resource: arn('ecs', 'task-definition/orders-api:7'), context: prod, deniedBy: 'ProdReadOnly' },
    'a production role passed to a Glue development endpoint': { action: 'iam:PassRole', resource: role('orders-prod-GlueRole-1A2B3C'), context: { 'iam:PassedToService': 'glue.amazonaws.com' }, deniedBy: 'PassBoundedRoles' },
    'adding a user to an admin group of a production user pool': { action: 'cognito-idp:AdminAddUserToGroup', resource: arn('cognito-idp', 'userpool/us-east-1_AbCdEfGhI'), context: prod, deniedBy: 'ProdReadOnly' },
    'deleting a production certificate': { action: 'acm:DeleteCertificate', resource: arn('acm', 'certificate/0123abcd-0000-1111-2222-333344445555'), context: prod, deniedBy: 'ProdReadOnly' },
    'deleting production flow logs': { action: 'ec2:DeleteFlowLogs', resource: arn('ec2', 'vpc-flow-log/fl-0123456789abcdef0'), context: prod, deniedBy: 'ProdReadOnly' },
  }))('denies %s', expectAgentDenied);

  test.each(table({
    'reading a production table': { action: 'dynamodb:GetItem', resource: table1, context: prod },
    'querying a production table': { action: 'dynamodb:Query', resource: table1, context: prod },
    'reading production objects': { action: 's3:GetObject', resource: `${bucket}/receipts/1.pdf`, context: prod, bucketAbac: true },
    'reading objects in a bucket protected by name': { action: 's3:GetObject', resource: `arn:aws:s3:::payments-archive-${ACCOUNT}/2026/11/statement.pdf` },
    'reading queue attributes': { action: 'sqs:GetQueueAttributes', resource: queue, context: prod },
    'describing a production function': { action: 'lambda:GetFunctionConfiguration', resource: fn, context: prod },
    'reading a secret value': { action: 'secretsmanager:GetSecretValue', resource: secret, context: prod },
    'reading a production DNS record set': { action: 'route53:ListResourceRecordSets', resource: 'arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ' },
    'changing a development DNS record': { action: 'route53:ChangeResourceRecordSets', resource: 'arn:aws:route53:::hostedzone/Z9999999999ABCDEFGHIJ', context: { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['api.dev.example.net'] } },
    'changing a record of a name that only ends like production': { action: 'route53:ChangeResourceRecordSets', resource: 'arn:aws:route53:::hostedzone/Z9999999999ABCDEFGHIJ', context: { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['mylegacy.example.org'] } },
    'DeleteTable on a development table': { action: 'dynamodb:DeleteTable', resource: arn('dynamodb', 'table/orders-dev-Orders'), context: tagged('development') },
    'DeleteTable on an untagged table': { action: 'dynamodb:DeleteTable', resource: arn('dynamodb', 'table/scratch') },
    'TerminateInstances on a development instance': { action: 'ec2:TerminateInstances', resource: arn('ec2', 'instance/i-0fedcba9876543210'), context: tagged('development') },
    'UpdateFunctionCode on a development function': { action: 'lambda:UpdateFunctionCode', resource: arn('lambda', 'function:orders-dev-writer'), context: tagged('development') },
    'DeleteBucket on a development bucket': { action: 's3:DeleteBucket', resource: 'arn:aws:s3:::orders-dev-receipts1a2b3c-4d5e6f7g8h9i' },
  }))('allows %s', expectAgentAllowed);
});

describe('the production tag', () => {
  test.each(table({
    'removing the tag from a production instance': { action: 'ec2:DeleteTags', resource: instance, context: { ...prod, 'aws:TagKeys': ['Environment'] }, deniedBy: 'ProdReadOnly' },
    'changing the tag value on a production instance': { action: 'ec2:CreateTags', resource: instance, context: { ...prod, 'aws:TagKeys': ['Environment'], 'aws:RequestTag/Environment': 'development' }, deniedBy: 'ProdReadOnly' },
    'adding another tag to a production function': { action: 'lambda:TagResource', resource: fn, context: { ...prod, 'aws:TagKeys': ['Owner'], 'aws:RequestTag/Owner': 'payments-team' }, deniedBy: 'ProdReadOnly' },
    'tagging a development table as production': { action: 'dynamodb:TagResource', resource: arn('dynamodb', 'table/orders-dev-Orders'), context: { 'aws:TagKeys': ['Environment'], 'aws:RequestTag/Environment': 'production' }, deniedBy: 'ProdTagMint' },
    'creating a table tagged production': { action: 'dynamodb:CreateTable', resource: arn('dynamodb', 'table/orders-v2'), context: { 'aws:TagKeys': ['Environment'], 'aws:RequestTag/Environment': 'Production' }, deniedBy: 'ProdTagMint' },
  }))('denies %s', expectAgentDenied);

  test.each(table({
    'changing the environment tag of a development function': { action: 'lambda:UntagResource', resource: arn('lambda', 'function:orders-dev-writer'), context: { ...tagged('development'), 'aws:TagKeys': ['Environment'] } },
    'creating a table tagged development': { action: 'dynamodb:CreateTable', resource: arn('dynamodb', 'table/orders-dev'), context: { 'aws:TagKeys': ['Environment'], 'aws:RequestTag/Environment': 'development' } },
  }))('allows %s', expectAgentAllowed);
});

describe('identity and the security services', () => {
  test.each(table({
    'deleting the SAML provider humans sign in through (to recreate it)': { action: 'iam:DeleteSAMLProvider', resource: `arn:aws:iam::${ACCOUNT}:saml-provider/Okta`, deniedBy: 'NoEscapeOrTamper' },
    'creating a SAML provider': { action: 'iam:CreateSAMLProvider', resource: `arn:aws:iam::${ACCOUNT}:saml-provider/Okta`, deniedBy: 'NoEscapeOrTamper' },
    'creating an OIDC provider': { action: 'iam:CreateOpenIDConnectProvider', resource: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`, deniedBy: 'NoEscapeOrTamper' },
    'an Identity Center account assignment': { action: 'sso:CreateAccountAssignment', resource: 'arn:aws:sso:::instance/ssoins-0123456789abcdef', deniedBy: 'IdentityReadOnly' },
    'an inline policy on a permission set': { action: 'sso:PutInlinePolicyToPermissionSet', resource: 'arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef', deniedBy: 'IdentityReadOnly' },
    'joining a group in the identity store': { action: 'identitystore:CreateGroupMembership', resource: 'arn:aws:identitystore::111122223333:identitystore/d-0123456789', deniedBy: 'IdentityReadOnly' },
    'disabling GuardDuty': { action: 'guardduty:DeleteDetector', resource: arn('guardduty', 'detector/12abc34d567e8fa901bc2d34e56789f0'), deniedBy: 'SecurityServicesReadOnly' },
    'archiving GuardDuty findings (an account-level action)': { action: 'guardduty:ArchiveFindings', resource: '*', deniedBy: 'SecurityServicesReadOnly' },
    'suppressing Security Hub findings': { action: 'securityhub:BatchUpdateFindings', resource: arn('securityhub', 'hub/default'), deniedBy: 'SecurityServicesReadOnly' },
    'stopping the Config recorder': { action: 'config:StopConfigurationRecorder', resource: arn('config', 'configuration-recorder/default/abcdef0123456789'), deniedBy: 'SecurityServicesReadOnly' },
    'deleting an Access Analyzer analyzer': { action: 'access-analyzer:DeleteAnalyzer', resource: arn('access-analyzer', 'analyzer/account'), deniedBy: 'SecurityServicesReadOnly' },
    'disabling Macie': { action: 'macie2:DisableMacie', resource: '*', deniedBy: 'SecurityServicesReadOnly' },
    'disabling Inspector': { action: 'inspector2:Disable', resource: '*', deniedBy: 'SecurityServicesReadOnly' },
    'leaving Detective': { action: 'detective:DisassociateMembership', resource: arn('detective', 'graph:0123456789abcdef'), deniedBy: 'SecurityServicesReadOnly' },
  }))('denies %s', expectAgentDenied);

  test.each(table({
    'reading GuardDuty findings': { action: 'guardduty:GetFindings', resource: '*' },
    'reading Security Hub findings': { action: 'securityhub:GetFindings', resource: arn('securityhub', 'hub/default') },
    'listing permission sets': { action: 'sso:ListPermissionSets', resource: 'arn:aws:sso:::instance/ssoins-0123456789abcdef' },
  }))('allows %s', expectAgentAllowed);
});

describe('the guardrail itself', () => {
  test.each(table({
    'removing the boundary from the agent role': { action: 'iam:DeleteRolePermissionsBoundary', resource: AGENT_ROLE_ARN, deniedBy: 'NoBoundaryRemoval' },
    'removing the boundary from a workload role': { action: 'iam:DeleteRolePermissionsBoundary', resource: WORKLOAD_ROLE, context: bounded, deniedBy: 'NoBoundaryRemoval' },
    'removing a boundary from a user': { action: 'iam:DeleteUserPermissionsBoundary', resource: `arn:aws:iam::${ACCOUNT}:user/build`, deniedBy: 'NoBoundaryRemoval' },
    'replacing the boundary of a workload role': { action: 'iam:PutRolePermissionsBoundary', resource: WORKLOAD_ROLE, context: { 'iam:PermissionsBoundary': policy('permissive') }, deniedBy: 'BoundedPrincipals' },
    'giving a workload role the agent boundary instead of the workload one': { action: 'iam:PutRolePermissionsBoundary', resource: WORKLOAD_ROLE, context: { 'iam:PermissionsBoundary': BOUNDARY_ARN }, deniedBy: 'BoundedPrincipals' },
    'replacing the agent role boundary': { action: 'iam:PutRolePermissionsBoundary', resource: AGENT_ROLE_ARN, context: { 'iam:PermissionsBoundary': policy('permissive') }, deniedBy: 'GuardrailReadOnly' },
    'a new version of the boundary policy': { action: 'iam:CreatePolicyVersion', resource: BOUNDARY_ARN, deniedBy: 'GuardrailReadOnly' },
    'a new version of the agent denies policy': { action: 'iam:CreatePolicyVersion', resource: policy('agent-guardrails/AgentPermissionsBoundary-Denies'), deniedBy: 'GuardrailReadOnly' },
    'detaching the agent denies policy': { action: 'iam:DetachRolePolicy', resource: AGENT_ROLE_ARN, context: { 'iam:PolicyARN': policy('agent-guardrails/AgentPermissionsBoundary-Denies') }, deniedBy: 'GuardrailReadOnly' },
    'setting an older boundary version as default': { action: 'iam:SetDefaultPolicyVersion', resource: BOUNDARY_ARN, deniedBy: 'GuardrailReadOnly' },
    'deleting the workload boundary': { action: 'iam:DeletePolicy', resource: WORKLOAD_BOUNDARY_ARN, deniedBy: 'GuardrailReadOnly' },
    'attaching AdministratorAccess to the agent role': { action: 'iam:AttachRolePolicy', resource: AGENT_ROLE_ARN, context: { ...bounded, 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' }, deniedBy: 'GuardrailReadOnly' },
    'editing the agent role trust policy': { action: 'iam:UpdateAssumeRolePolicy', resource: AGENT_ROLE_ARN, context: bounded, deniedBy: 'GuardrailReadOnly' },
    'untagging the agent role': { action: 'iam:UntagRole', resource: AGENT_ROLE_ARN, context: { 'aws:TagKeys': ['agent-guardrails:role'] }, deniedBy: 'GuardrailReadOnly' },
    'raising the agent role session limit': { action: 'iam:UpdateRole', resource: AGENT_ROLE_ARN, context: bounded, deniedBy: 'GuardrailReadOnly' },
    'editing the deploy service role': { action: 'iam:AttachRolePolicy', resource: DEPLOY_ROLE, context: { ...bounded, 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' }, deniedBy: 'GuardrailReadOnly' },
    'creating a role under the guardrail path, even bounded': { action: 'iam:CreateRole', resource: role('agent-guardrails/agent/second-agent'), context: bounded, deniedBy: 'GuardrailReadOnly' },
    'putting the workload boundary on an administrator role (which would make it editable)': { action: 'iam:PutRolePermissionsBoundary', resource: ADMIN_ROLE, context: bounded, deniedBy: 'EditWorkloadOnly' },
    'putting the workload boundary on a user': { action: 'iam:PutUserPermissionsBoundary', resource: `arn:aws:iam::${ACCOUNT}:user/alice`, context: bounded, deniedBy: 'EditWorkloadOnly' },
  }))('denies %s', expectAgentDenied);

  test.each(table({
    'reading the agent role': { action: 'iam:GetRole', resource: AGENT_ROLE_ARN },
    'putting the workload boundary on a workload role': { action: 'iam:PutRolePermissionsBoundary', resource: WORKLOAD_ROLE, context: bounded },
    'reading the boundary policy': { action: 'iam:GetPolicyVersion', resource: BOUNDARY_ARN },
  }))('allows %s', expectAgentAllowed);
});

describe('escaping the guardrail', () => {
  test.each(table({
    'creating a role without a boundary': { action: 'iam:CreateRole', resource: role('agent-workload/helper'), deniedBy: 'BoundedPrincipals' },
    'creating a role with the agent boundary (it lets reads of production through)': { action: 'iam:CreateRole', resource: role('agent-workload/helper'), context: { 'iam:PermissionsBoundary': BOUNDARY_ARN }, deniedBy: 'BoundedPrincipals' },
    'creating a user without a boundary': { action: 'iam:CreateUser', resource: `arn:aws:iam::${ACCOUNT}:user/helper`, deniedBy: 'BoundedPrincipals' },
    'attaching a policy to an unbounded role': { action: 'iam:AttachRolePolicy', resource: ADMIN_ROLE, context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' }, deniedBy: 'BoundedPrincipals' },
    'writing a group policy (groups cannot carry a boundary)': { action: 'iam:PutGroupPolicy', resource: `arn:aws:iam::${ACCOUNT}:group/developers`, deniedBy: 'BoundedPrincipals' },
    'editing the trust policy of an unbounded role': { action: 'iam:UpdateAssumeRolePolicy', resource: ADMIN_ROLE, deniedBy: 'BoundedPrincipals' },
    'a new version of a policy outside the workload path': { action: 'iam:CreatePolicyVersion', resource: policy('platform-operators'), deniedBy: 'EditWorkloadOnly' },
    'an access key for a user': { action: 'iam:CreateAccessKey', resource: `arn:aws:iam::${ACCOUNT}:user/alice`, deniedBy: 'NoEscapeOrTamper' },
    'a console password for a user': { action: 'iam:CreateLoginProfile', resource: `arn:aws:iam::${ACCOUNT}:user/alice`, deniedBy: 'NoEscapeOrTamper' },
    'joining a user to an admin group': { action: 'iam:AddUserToGroup', resource: `arn:aws:iam::${ACCOUNT}:group/admins`, deniedBy: 'NoEscapeOrTamper' },
    'deleting an MFA device': { action: 'iam:DeactivateMFADevice', resource: `arn:aws:iam::${ACCOUNT}:user/alice`, deniedBy: 'NoEscapeOrTamper' },
    'swapping the signing certificate of the SAML provider': { action: 'iam:UpdateSAMLProvider', resource: `arn:aws:iam::${ACCOUNT}:saml-provider/Okta`, deniedBy: 'NoEscapeOrTamper' },
    'changing the thumbprint of an OIDC provider': { action: 'iam:UpdateOpenIDConnectProviderThumbprint', resource: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`, deniedBy: 'NoEscapeOrTamper' },
    'adding an audience to an OIDC provider': { action: 'iam:AddClientIDToOpenIDConnectProvider', resource: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`, deniedBy: 'NoEscapeOrTamper' },
    'a new Roles Anywhere trust anchor': { action: 'rolesanywhere:CreateTrustAnchor', resource: '*', deniedBy: 'NoEscapeOrTamper' },
    'assuming the CDK deploy role': { action: 'sts:AssumeRole', resource: CDK_DEPLOY_ROLE, deniedBy: 'AgentSessionLimits' },
    'assuming the CDK cfn-exec-role': { action: 'sts:AssumeRole', resource: CDK_EXEC_ROLE, deniedBy: 'AgentSessionLimits' },
    'assuming an agent role in another account': { action: 'sts:AssumeRole', resource: 'arn:aws:iam::999988887777:role/agent-guardrails/agent/exfiltration', deniedBy: 'AgentSessionLimits' },
    'assuming a workload role the agent created': { action: 'sts:AssumeRole', resource: WORKLOAD_ROLE, deniedBy: 'AgentSessionLimits' },
    'passing the CDK cfn-exec-role to CloudFormation': { action: 'iam:PassRole', resource: CDK_EXEC_ROLE, context: { 'iam:PassedToService': 'cloudformation.amazonaws.com' }, deniedBy: 'PassBoundedRoles' },
    'passing a production role to a notebook': { action: 'iam:PassRole', resource: role('orders-prod-WriterRole-1A2B3C'), context: { 'iam:PassedToService': 'sagemaker.amazonaws.com' }, deniedBy: 'PassBoundedRoles' },
    'passing the agent role itself to EC2': { action: 'iam:PassRole', resource: AGENT_ROLE_ARN, context: { 'iam:PassedToService': 'ec2.amazonaws.com' }, deniedBy: 'PassBoundedRoles' },
    'stopping CloudTrail': { action: 'cloudtrail:StopLogging', resource: arn('cloudtrail', 'trail/organization'), deniedBy: 'NoEscapeOrTamper' },
    'narrowing what a trail records': { action: 'cloudtrail:PutEventSelectors', resource: arn('cloudtrail', 'trail/organization'), deniedBy: 'NoEscapeOrTamper' },
    'leaving the organization': { action: 'organizations:LeaveOrganization', resource: '*', deniedBy: 'NoEscapeOrTamper' },
    'a StackSet (deploys with admin roles in other accounts)': { action: 'cloudformation:CreateStackSet', resource: '*', deniedBy: 'NoEscapeOrTamper' },
    'deleting the CDK bootstrap stack': { action: 'cloudformation:DeleteStack', resource: stackArn('CDKToolkit'), context: withRole(DEPLOY_ROLE), deniedBy: 'CdkBootstrapProtected' },
    'a policy on the CDK asset bucket': { action: 's3:PutBucketPolicy', resource: `arn:aws:s3:::cdk-hnb659fds-assets-${ACCOUNT}-${REGION}`, deniedBy: 'CdkBootstrapProtected' },
    'a lifecycle policy expiring production images': { action: 'ecr:PutLifecyclePolicy', resource: arn('ecr', `repository/cdk-hnb659fds-container-assets-${ACCOUNT}-${REGION}`), deniedBy: 'CdkBootstrapProtected' },
    'changing the bootstrap version parameter': { action: 'ssm:PutParameter', resource: arn('ssm', 'parameter/cdk-bootstrap/hnb659fds/version'), deniedBy: 'CdkBootstrapProtected' },
    'a production proposal naming a role that would become the stack\'s': { action: 'cloudformation:CreateChangeSet', resource: stackArn('orders-prod'), context: { ...prod, ...withRole(WORKLOAD_ROLE) }, deniedBy: 'ProdProposalRole' },
  }))('denies %s', expectAgentDenied);

  test.each(table({
    'creating a role that carries the workload boundary': { action: 'iam:CreateRole', resource: role('agent-workload/helper'), context: bounded },
    'attaching a policy to a bounded workload role': { action: 'iam:AttachRolePolicy', resource: WORKLOAD_ROLE, context: { ...bounded, 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess' } },
    'a new version of a workload policy': { action: 'iam:CreatePolicyVersion', resource: policy('agent-workload/orders-dev-writer') },
    'passing a bounded workload role to Lambda': { action: 'iam:PassRole', resource: WORKLOAD_ROLE, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
    'passing the bounded deploy role to CloudFormation': { action: 'iam:PassRole', resource: DEPLOY_ROLE, context: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
    'assuming an agent role': { action: 'sts:AssumeRole', resource: role('agent-guardrails/agent/review-agent') },
    'reading a login profile': { action: 'iam:GetLoginProfile', resource: `arn:aws:iam::${ACCOUNT}:user/alice` },
    'reading an MFA device': { action: 'iam:GetMFADevice', resource: `arn:aws:iam::${ACCOUNT}:user/alice` },
    'reading a trail': { action: 'cloudtrail:GetTrail', resource: arn('cloudtrail', 'trail/organization') },
  }))('allows %s', expectAgentAllowed);
});

describe('the approval workflow and the guardrails\' own resources', () => {
  const workflow = { 'aws:ResourceTag/agent-guardrails:component': 'approval-workflow' };
  test.each(table({
    'answering a task token': { action: 'states:SendTaskSuccess', resource: '*', deniedBy: 'AgentSessionLimits' },
    'reading the requests table (task tokens, undelivered credentials)': { action: 'dynamodb:GetItem', resource: arn('dynamodb', 'table/Approval-Requests'), context: workflow, deniedBy: 'GuardrailOffLimits' },
    'writing an approval into the table': { action: 'dynamodb:UpdateItem', resource: arn('dynamodb', 'table/Approval-Requests'), context: workflow, deniedBy: 'GuardrailOffLimits' },
    'invoking the issuer': { action: 'lambda:InvokeFunction', resource: arn('lambda', 'function:Approval-Issuer'), context: workflow, deniedBy: 'GuardrailOffLimits' },
    'starting an execution directly': { action: 'states:StartExecution', resource: arn('states', 'stateMachine:Approval-Workflow'), context: workflow, deniedBy: 'GuardrailOffLimits' },
    'silencing a guardrail alarm': { action: 'cloudwatch:DisableAlarmActions', resource: arn('cloudwatch', 'alarm:agent-breaker'), context: { 'aws:ResourceTag/agent-guardrails:component': 'circuit-breaker' }, deniedBy: 'GuardrailOffLimits' },
    'publishing fake events': { action: 'sns:Publish', resource: arn('sns', 'Approval-Events'), context: workflow, deniedBy: 'GuardrailOffLimits' },
    'removing the workflow tag': { action: 'dynamodb:UntagResource', resource: arn('dynamodb', 'table/Approval-Requests'), context: { ...workflow, 'aws:TagKeys': ['agent-guardrails:component'] }, deniedBy: 'GuardrailTagKeys' },
    'assuming an elevated role': { action: 'sts:AssumeRole', resource: role('agent-guardrails/elevated/Approval-deployer'), deniedBy: 'AgentSessionLimits' },
    'a role named like Identity Center, to pass for its users': { action: 'iam:CreateRole', resource: role('agent-workload/AWSReservedSSO_Approver_0123456789abcdef'), context: bounded, deniedBy: 'GuardrailReadOnly' },
  }))('denies %s', expectAgentDenied);

  test.each(table({
    'calling the approval API': { action: 'execute-api:Invoke', resource: arn('execute-api', 'a1b2c3d4e5/v1/POST/requests') },
  }))('allows %s', expectAgentAllowed);
});

describe('workloads: the roles agents deploy or create', () => {
  test.each(table({
    'reading a production table (workloads never need production)': { action: 'dynamodb:GetItem', resource: table1, context: prod, deniedBy: 'ProdOffLimits' },
    'deleting a production stack': { action: 'cloudformation:DeleteStack', resource: stackArn('orders-prod'), context: { ...prod, ...withRole(DEPLOY_ROLE) }, deniedBy: 'ProdOffLimits' },
    'a production stack outside the app, by name': { action: 'cloudformation:DescribeStacks', resource: stackArn('legacy-billing'), deniedBy: 'ProdByName' },
    'objects of a bucket with ABAC off, by name': { action: 's3:GetObject', resource: `arn:aws:s3:::payments-archive-${ACCOUNT}/2026/11/statement.pdf`, deniedBy: 'ProdByName' },
    'a production DNS record': { action: 'route53:ChangeResourceRecordSets', resource: 'arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ', context: { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['www.legacy.example.org'] }, deniedBy: 'ProdRecordsByName' },
    'a production hosted zone': { action: 'route53:DeleteHostedZone', resource: `arn:aws:route53:::hostedzone/${ORDERS_ZONE}`, deniedBy: 'ProdByName' },
    'creating a resource tagged production': { action: 'sqs:CreateQueue', resource: arn('sqs', 'orders-v2'), context: { 'aws:TagKeys': ['Environment'], 'aws:RequestTag/Environment': 'production' }, deniedBy: 'ProdTagMint' },
    'proposing a change set tagged production': { action: 'cloudformation:CreateChangeSet', resource: stackArn('orders-prod'), context: { 'aws:RequestTag/Environment': 'production', ...withRole(DEPLOY_ROLE) }, deniedBy: 'ProdTagMint' },
    'creating a role without the workload boundary': { action: 'iam:CreateRole', resource: role('agent-workload/helper'), deniedBy: 'BoundedPrincipals' },
    'assuming an agent role': { action: 'sts:AssumeRole', resource: role('agent-guardrails/agent/coding-agent'), deniedBy: 'WorkloadSessionLimits' },
    'assuming the CDK cfn-exec-role': { action: 'sts:AssumeRole', resource: CDK_EXEC_ROLE, deniedBy: 'WorkloadSessionLimits' },
    'passing an administrator role': { action: 'iam:PassRole', resource: ADMIN_ROLE, context: { 'iam:PassedToService': 'lambda.amazonaws.com' }, deniedBy: 'PassBoundedRoles' },
    'an access key for a user': { action: 'iam:CreateAccessKey', resource: `arn:aws:iam::${ACCOUNT}:user/alice`, deniedBy: 'NoEscapeOrTamper' },
    'disabling GuardDuty': { action: 'guardduty:DeleteDetector', resource: arn('guardduty', 'detector/12abc34d567e8fa901bc2d34e56789f0'), deniedBy: 'NoEscapeOrTamper' },
    'an Identity Center account assignment': { action: 'sso:CreateAccountAssignment', resource: 'arn:aws:sso:::instance/ssoins-0123456789abcdef', deniedBy: 'NoEscapeOrTamper' },
    'deploying a stack with an administrator role': { action: 'cloudformation:UpdateStack', resource: stackArn('orders-dev'), context: withRole(CDK_EXEC_ROLE), deniedBy: 'StackRoleBounded' },
    'answering a task token (tokens are not bound to their caller: the approval workflow\'s would do)': { action: 'states:SendTaskSuccess', resource: '*', deniedBy: 'WorkloadTaskTokens' },
    'deleting the CDK bootstrap stack through the deploy role': { action: 'cloudformation:DeleteStack', resource: stackArn('CDKToolkit'), context: withRole(DEPLOY_ROLE), deniedBy: 'CdkBootstrapProtected' },
    'the approval table': { action: 'dynamodb:GetItem', resource: arn('dynamodb', 'table/Approval-Requests'), context: { 'aws:ResourceTag/agent-guardrails:component': 'approval-workflow' }, deniedBy: 'GuardrailOffLimits' },
  }))('denies %s', expectWorkloadDenied);

  test.each(table({
    'a workload chaining into another workload role': { action: 'sts:AssumeRole', resource: role('agent-workload/orders-dev-PipelineActionRole') },
    'writing to a development table': { action: 'dynamodb:PutItem', resource: arn('dynamodb', 'table/orders-dev-Orders'), context: tagged('development') },
    'creating a workload role with the workload boundary': { action: 'iam:CreateRole', resource: role('agent-workload/helper'), context: bounded },
    'passing a workload role': { action: 'iam:PassRole', resource: WORKLOAD_ROLE, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
    'the deploy role deploying a development stack through itself': { action: 'cloudformation:CreateStack', resource: stackArn('orders-dev-nested'), context: withRole(DEPLOY_ROLE) },
  }))('allows %s', expectWorkloadAllowed);
});

async function decideAgent(raw: Case) {
  const c = withZone(raw);
  return simulate({ action: c.action, resource: c.resource, context: c.context, principal: c.principal, bucketAbac: c.bucketAbac }, { identity: [ADMINISTRATOR_ACCESS, documents.agentDenies, documents.agentServiceDenies], boundary: documents.agentBoundary });
}

async function decideWorkload(raw: Case) {
  const c = withZone(raw);
  return simulate({ action: c.action, resource: c.resource, context: c.context, principal: c.principal ?? WORKLOAD_ROLE, bucketAbac: c.bucketAbac }, { identity: [ADMINISTRATOR_ACCESS], boundary: documents.workloadBoundary });
}
