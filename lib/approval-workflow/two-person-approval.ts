import * as fs from 'fs';
import * as path from 'path';
import { Annotations, ArnFormat, Aws, Duration, Lazy, Names, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ENV } from './handlers/env';
import { ElevatedRoleConfig, WorkflowConfig } from './handlers/deps';
import { LISTED_ATTRIBUTES, STATUS_INDEX } from './handlers/store';
import { ApproverSpec, approverProblems } from './logic/identity';
import { MAX_SESSION_SECONDS, MIN_SESSION_SECONDS } from './logic/request';
import { GuardrailPaths } from '../guardrail-paths';
import { GUARDRAIL_COMPONENT_TAG } from '../permissions-boundary/boundary-document';


/** What administrators may do with the approval key: manage it, never sign or verify with it. */
const KEY_ADMINISTRATION = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:Delete*',
  'kms:Describe*',
  'kms:Disable*',
  'kms:Enable*',
  'kms:Get*',
  'kms:List*',
  'kms:Put*',
  'kms:Revoke*',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:Update*',
] as const;

/** What reads or changes the items of a DynamoDB table, or copies them out. */
const TABLE_DATA_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DeleteItem',
  'dynamodb:ExportTableToPointInTime',
  'dynamodb:GetItem',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:PartiQL*',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:UpdateItem',
] as const;

/** The directory of the bundled handlers (built by `npm run bundle`, shipped in the package). */
export const HANDLER_BUNDLE_DIR = path.join(__dirname, 'handlers', 'dist');

/** The identities one human signs in with, for `Approver.human`. */
export interface HumanIdentities {
  /**
   * Their IAM Identity Center user name.
   *
   * @default - none
   */
  readonly identityCenterUser?: string;

  /**
   * ARNs of their IAM users.
   *
   * @default - none
   */
  readonly iamUsers?: string[];

  /**
   * ARNs of roles only they use: every session of such a role counts as them.
   *
   * @default - none
   */
  readonly roles?: string[];
}

/** An eligible approver: one human, with every identity they sign in with. See the README for the identity model. */
export class Approver {
  /**
   * A human with several identities (say an IAM user and an Identity Center user): all of them
   * count as this human, as approver, as requester and as the human an agent works for.
   */
  public static human(name: string, identities: HumanIdentities): Approver {
    return new Approver({
      human: name,
      identities: [
        ...(identities.identityCenterUser !== undefined ? [{ kind: 'identity-center-user' as const, userName: identities.identityCenterUser }] : []),
        ...(identities.iamUsers ?? []).map((userArn) => ({ kind: 'iam-user' as const, userArn })),
        ...(identities.roles ?? []).map((roleArn) => ({ kind: 'role' as const, roleArn })),
      ],
    });
  }

  /** A human who signs in as one IAM user, named after it. */
  public static iamUser(userArn: string): Approver {
    return new Approver({ human: lastSegment(userArn), identities: [{ kind: 'iam-user', userArn }] });
  }

  /** A human who signs in through IAM Identity Center, by user name, whichever permission set they use. */
  public static identityCenterUser(userName: string): Approver {
    return new Approver({ human: userName, identities: [{ kind: 'identity-center-user', userName }] });
  }

  /** A role only one human uses: every session of it counts as the same single person, whatever the session name. */
  public static role(roleArn: string): Approver {
    return new Approver({ human: lastSegment(roleArn), identities: [{ kind: 'role', roleArn }] });
  }

  private constructor(public readonly spec: ApproverSpec) {}
}

function lastSegment(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/** Properties for `TwoPersonApproval`. */
export interface TwoPersonApprovalProps {
  /** The humans who may approve, each with every identity they sign in with. At least `requiredApprovals` of them. */
  readonly approvers: Approver[];

  /**
   * Opt out of requiring `onBehalfOf` on requests made by roles (agents, pipelines). Unsafe: the
   * human who operates an agent could then approve its requests, since nothing names them.
   *
   * @default false
   */
  readonly allowRequestsWithoutOnBehalfOf?: boolean;

  /**
   * Distinct humans who must approve before a session is issued. At least 2.
   *
   * @default 2
   */
  readonly requiredApprovals?: number;

  /**
   * Requests one requester may have waiting for approval at a time (1 to 50); more are refused
   * with 429 until one is decided.
   *
   * @default 3
   */
  readonly maxPendingPerRequester?: number;

  /**
   * How long a request waits for approvals before it expires. 5 minutes to 24 hours.
   *
   * @default Duration.hours(1)
   */
  readonly requestTimeout?: Duration;
}

/** Options for an elevated role. */
export interface ElevatedRoleOptions {
  /** What sessions of the role may do (the session policy narrows it further per request). */
  readonly statements?: iam.PolicyStatement[];

  /**
   * Managed policies for the role.
   *
   * @default - none
   */
  readonly managedPolicies?: iam.IManagedPolicy[];

  /**
   * The longest session a request may ask for. 15 minutes to 1 hour: sessions are issued by a
   * function, a role session itself, and STS limits role-chained sessions to one hour.
   *
   * @default Duration.hours(1)
   */
  readonly maxSessionDuration?: Duration;

  /**
   * Description of the role.
   *
   * @default - names the workflow
   */
  readonly description?: string;

  /**
   * Stacks whose change sets sessions of this role execute, by name (`*` matches any characters).
   *
   * @default - any stack in the workflow's account and region
   */
  readonly stackNames?: string[];

  /**
   * What to do with a change set that removes or replaces production resources holding data:
   * each approver must accept the risk explicitly (`acceptRisk`), or the request is refused.
   *
   * @default RiskyChangeSets.REQUIRE_ACCEPTANCE
   */
  readonly riskyChangeSets?: RiskyChangeSets;

  /**
   * Opt out of binding requests to a change set. Unsafe: a request without one gets a session
   * with every permission of the role, and approvers see no change set.
   *
   * @default false
   */
  readonly allowRequestsWithoutChangeSet?: boolean;
}

/** What an elevated role does with change sets that remove or replace production data. */
export enum RiskyChangeSets {
  /** Every approver must accept the risk explicitly (`acceptRisk: true`, `--accept-risk`). */
  REQUIRE_ACCEPTANCE = 'accept',
  /** Such change sets are refused when requested. */
  REFUSE = 'refuse',
}

/**
 * Two-person approval for elevated sessions. An agent, or the human operating it, asks for an
 * elevated role through a SigV4-signed REST API; a Standard Step Functions workflow waits (task
 * token) until two distinct eligible humans approve, then a dedicated function issues a session
 * scoped to the request, which only the requester can collect, once. Any approver can deny; a
 * pending request expires; an issued session can be revoked and ends on time. Every state change
 * is recorded on the request and published to SNS and EventBridge.
 *
 * @example
 * const approval = new TwoPersonApproval(stack, 'Approval', {
 *   approvers: [Approver.identityCenterUser('alice@example.com'), Approver.identityCenterUser('bob@example.com')],
 * });
 * approval.addElevatedRole('deployer', { statements: [...] });
 * approval.grantRequest(agent);
 */
export class TwoPersonApproval extends Construct {
  /** Requests, approvals and their history. */
  public readonly table: dynamodb.Table;
  /** The workflow. */
  public readonly stateMachine: sfn.StateMachine;
  /** The REST API (IAM authorization on every method). */
  public readonly api: apigateway.RestApi;
  /** Every state change, for email, chat or a pager. */
  public readonly topic: sns.Topic;
  /** Every state change as an EventBridge event (`source: agent-guardrails`); only the workflow writes to it. */
  public readonly eventBus: events.EventBus;
  /** The function that issues sessions: the only principal the elevated roles trust. */
  public readonly issuer: lambda.Function;

  private readonly roles = new Map<string, ElevatedRoleConfig>();
  private readonly requiredApprovals: number;
  private readonly approverSpecs: ApproverSpec[];
  private readonly allowRequestsWithoutOnBehalfOf: boolean;
  private readonly pendingSeconds: number;
  private readonly maxPendingPerRequester: number;
  private readonly stateMachineName: string;

  constructor(scope: Construct, id: string, props: TwoPersonApprovalProps) {
    super(scope, id);
    const requiredApprovals = props.requiredApprovals ?? 2;
    const requestTimeout = props.requestTimeout ?? Duration.hours(1);
    const problems: string[] = [];
    if (!Number.isInteger(requiredApprovals) || requiredApprovals < 2) {
      problems.push(`requiredApprovals must be at least 2, got ${requiredApprovals}: one approval is not a two-person rule`);
    }
    problems.push(...approverProblems(props.approvers.map((a) => a.spec)));
    const humans = new Set(props.approvers.map((a) => a.spec.human.toLowerCase())).size;
    if (humans < requiredApprovals) {
      problems.push(`approvers must name at least requiredApprovals (${requiredApprovals}) distinct humans, got ${humans}`);
    }
    const maxPending = props.maxPendingPerRequester ?? 3;
    if (!Number.isInteger(maxPending) || maxPending < 1 || maxPending > 50) {
      problems.push(`maxPendingPerRequester must be a whole number from 1 to 50, got ${maxPending}`);
    }
    if (!requestTimeout.isUnresolved() && (requestTimeout.toSeconds() < 300 || requestTimeout.toSeconds() > 86400)) {
      problems.push(`requestTimeout must be from 5 minutes to 24 hours, got ${requestTimeout.toHumanString()}`);
    }
    if (!fs.existsSync(path.join(HANDLER_BUNDLE_DIR, 'index.js'))) {
      problems.push(`the bundled handlers are missing from ${HANDLER_BUNDLE_DIR}; run "npm run bundle" (npm ci runs it)`);
    }
    if (problems.length > 0) {
      throw new Error(`Invalid TwoPersonApproval at ${this.node.path}:\n- ${problems.join('\n- ')}`);
    }
    this.requiredApprovals = requiredApprovals;
    this.approverSpecs = props.approvers.map((a) => a.spec);
    this.allowRequestsWithoutOnBehalfOf = props.allowRequestsWithoutOnBehalfOf === true;
    if (this.allowRequestsWithoutOnBehalfOf) {
      Annotations.of(this).addWarningV2(
        'cdk-agent-guardrails:requestsWithoutOnBehalfOf',
        'roles may ask for elevated sessions without naming the human they act for (allowRequestsWithoutOnBehalfOf: true): that human could approve them',
      );
    }
    this.pendingSeconds = requestTimeout.toSeconds();
    this.maxPendingPerRequester = maxPending;

    // Only the workflow's own functions read or write requests (approvals, task tokens, undelivered
    // credentials): the statement is added once they exist.
    const tablePolicy = new iam.PolicyDocument();
    this.table = new dynamodb.Table(this, 'Requests', {
      resourcePolicy: tablePolicy,
      partitionKey: { name: 'requestId', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: 'ttl',
    });
    // Approvers list what waits for them; the index holds no credentials and no task tokens.
    this.table.addGlobalSecondaryIndex({
      indexName: STATUS_INDEX.name,
      partitionKey: { name: STATUS_INDEX.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: STATUS_INDEX.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [...LISTED_ATTRIBUTES],
    });
    this.topic = new sns.Topic(this, 'Events', { enforceSSL: true, displayName: 'Agent guardrails: elevation requests' });
    // A bus of its own, tagged with the workflow, so that nobody bounded can forge its events.
    this.eventBus = new events.EventBus(this, 'EventBus', { description: 'Agent guardrails: elevation request state changes' });

    const code = lambda.Code.fromAsset(HANDLER_BUNDLE_DIR);
    const fn = (name: string, handler: string, description: string) =>
      new lambda.Function(this, name, {
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        code,
        handler: `index.${handler}`,
        description,
        timeout: Duration.seconds(30),
        memorySize: 256,
        tracing: lambda.Tracing.ACTIVE,
        logGroup: new logs.LogGroup(this, `${name}Logs`, { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN }),
      });
    const apiHandler = fn('ApiHandler', 'api', 'Elevation requests API: create, approve, deny, revoke, collect');
    const taskHandler = fn('TaskHandler', 'task', 'Elevation workflow: waits for approvals and ends requests');
    this.issuer = fn('Issuer', 'task', 'Elevation workflow: issues the approved session (the only principal elevated roles trust)');

    // Named, so that the functions can be told its ARN without depending on it (it depends on them).
    this.stateMachineName = Names.uniqueResourceName(this, { maxLength: 80, separator: '-' });
    this.stateMachine = this.buildStateMachine(taskHandler, requestTimeout);
    // A request the workflow could not carry through ends FAILED, which fails its execution: page someone.
    new cloudwatch.Alarm(this, 'WorkflowFailures', {
      alarmDescription: 'An elevation request failed in the two-person approval workflow; see its history (agent-guardrails status ID)',
      metric: this.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new cloudwatchActions.SnsAction(this.topic));
    const stateMachineArn = Stack.of(this).formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: this.stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    const config = Lazy.string({ produce: () => Stack.of(this).toJsonString(this.workflowConfig()) });
    for (const f of [apiHandler, taskHandler, this.issuer]) {
      this.table.grantReadWriteData(f);
      this.topic.grantPublish(f);
      this.eventBus.grantPutEventsTo(f);
      f.addEnvironment(ENV.config, config);
      f.addEnvironment(ENV.table, this.table.tableName);
      f.addEnvironment(ENV.topic, this.topic.topicArn);
      f.addEnvironment(ENV.eventBus, this.eventBus.eventBusName);
      f.addEnvironment(ENV.stateMachine, stateMachineArn);
    }
    // Approvals carry an HMAC made by the API function with a key administrators manage but cannot
    // use; the issuer verifies it. A row written into the table by anyone else never counts.
    const approvalKey = new kms.Key(this, 'ApprovalKey', {
      keySpec: kms.KeySpec.HMAC_256,
      keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC,
      description: 'Agent guardrails: proofs of two-person approvals (sign: API function; verify: issuer)',
      removalPolicy: RemovalPolicy.RETAIN,
      policy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            sid: 'AdministerNotUse',
            principals: [new iam.AccountRootPrincipal()],
            actions: [...KEY_ADMINISTRATION],
            resources: ['*'],
          }),
          new iam.PolicyStatement({ sid: 'ApiSigns', principals: [new iam.ArnPrincipal(apiHandler.role!.roleArn)], actions: ['kms:GenerateMac'], resources: ['*'] }),
          new iam.PolicyStatement({ sid: 'IssuerVerifies', principals: [new iam.ArnPrincipal(this.issuer.role!.roleArn)], actions: ['kms:VerifyMac'], resources: ['*'] }),
        ],
      }),
    });
    for (const f of [apiHandler, taskHandler, this.issuer]) {
      f.addEnvironment(ENV.approvalKey, approvalKey.keyArn);
    }
    tablePolicy.addStatements(
      new iam.PolicyStatement({
        sid: 'WorkflowOnly',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [...TABLE_DATA_ACTIONS],
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': [apiHandler, taskHandler, this.issuer].map((f) => f.role!.roleArn) } },
      }),
    );
    // Step Functions permissions by formatted ARN, for the same reason.
    apiHandler.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [stateMachineArn] }));
    for (const f of [apiHandler, taskHandler]) {
      f.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'], resources: [stateMachineArn] }));
    }
    // The workflow describes the change set itself, at request time and again before issuing.
    for (const f of [apiHandler, this.issuer]) {
      f.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['cloudformation:DescribeChangeSet'], resources: [Stack.of(this).formatArn({ service: 'cloudformation', resource: 'stack', resourceName: '*' })] }),
      );
    }
    // Revocation writes, lists and prunes inline policies on this workflow's elevated roles only.
    apiHandler.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['iam:DeleteRolePolicy', 'iam:ListRolePolicies', 'iam:PutRolePolicy'], resources: [this.elevatedRoleArn('*')] }),
    );

    this.api = new apigateway.RestApi(this, 'Api', {
      description: 'Two-person approval for elevated sessions (IAM authorization)',
      defaultMethodOptions: { authorizationType: apigateway.AuthorizationType.IAM },
      policy: this.apiPolicy(),
      // API Gateway writes access logs with the account's CloudWatch role: created here, and kept.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: 'v1',
        accessLogDestination: new apigateway.LogGroupLogDestination(new logs.LogGroup(this, 'ApiAccessLogs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN })),
        // Who called what, and what came of it: the caller's ARN is what the handler decides on.
        accessLogFormat: apigateway.AccessLogFormat.custom(
          JSON.stringify({
            requestId: apigateway.AccessLogField.contextRequestId(),
            time: apigateway.AccessLogField.contextRequestTime(),
            caller: apigateway.AccessLogField.contextIdentityUserArn(),
            sourceIp: apigateway.AccessLogField.contextIdentitySourceIp(),
            method: apigateway.AccessLogField.contextHttpMethod(),
            path: apigateway.AccessLogField.contextPath(),
            status: apigateway.AccessLogField.contextStatus(),
            error: apigateway.AccessLogField.contextErrorMessage(),
          }),
        ),
        tracingEnabled: true,
        throttlingRateLimit: 20,
        throttlingBurstLimit: 40,
        // New requests have a budget of their own, so that a flood of them never crowds out approvers.
        methodOptions: { '/requests/POST': { throttlingRateLimit: 5, throttlingBurstLimit: 10 } },
      },
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
    });
    const integration = new apigateway.LambdaIntegration(apiHandler);
    const requests = this.api.root.addResource('requests');
    requests.addMethod('POST', integration);
    requests.addMethod('GET', integration);
    const one = requests.addResource('{id}');
    one.addMethod('GET', integration);
    for (const action of ['approve', 'deny', 'revoke']) {
      one.addResource(action).addMethod('POST', integration);
    }
    one.addResource('credentials').addMethod('GET', integration);

    // The agent boundary keeps agents away from everything carrying this tag.
    Tags.of(this).add(GUARDRAIL_COMPONENT_TAG.key, GUARDRAIL_COMPONENT_TAG.approvalWorkflow);
  }

  /**
   * Adds a role that approved requests may name. It lives under `/agent-guardrails/elevated/`,
   * trusts only the issuer function, and sessions of it carry the requester's source identity.
   */
  public addElevatedRole(name: string, options: ElevatedRoleOptions = {}): iam.Role {
    const max = options.maxSessionDuration ?? Duration.hours(1);
    const problems: string[] = [];
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(name)) {
      problems.push(`name must be 1-32 lower-case letters, digits and -, starting with a letter; got ${JSON.stringify(name)}`);
    }
    if (this.roles.has(name)) {
      problems.push(`an elevated role named ${JSON.stringify(name)} already exists`);
    }
    if (max.isUnresolved() || max.toSeconds() < MIN_SESSION_SECONDS || max.toSeconds() > MAX_SESSION_SECONDS) {
      problems.push(`maxSessionDuration must be from 15 minutes to 1 hour (STS limits role-chained sessions to one hour), got ${max.toHumanString()}`);
    }
    if ((options.statements ?? []).length === 0 && (options.managedPolicies ?? []).length === 0) {
      problems.push('give the role statements or managedPolicies: an elevated role with no permissions is of no use');
    }
    for (const stackName of options.stackNames ?? []) {
      if (!/^[A-Za-z*][A-Za-z0-9*-]{0,127}$/.test(stackName)) {
        problems.push(`stackNames must hold stack names or patterns (letters, digits, - and *), got ${JSON.stringify(stackName)}`);
      }
    }
    if (problems.length > 0) {
      throw new Error(`Invalid elevated role for ${this.node.path}:\n- ${problems.join('\n- ')}`);
    }
    const id = `Elevated${name.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase())}`;
    const role = new iam.Role(this, id, {
      roleName: this.elevatedRoleName(name),
      path: GuardrailPaths.ELEVATED_ROLES,
      permissionsBoundary: this.elevatedBoundary(),
      assumedBy: new iam.ArnPrincipal(this.issuer.role!.roleArn),
      maxSessionDuration: Duration.hours(1),
      description: options.description ?? `Elevated role "${name}": issued only after two-person approval by ${this.node.path}`,
      managedPolicies: options.managedPolicies,
      inlinePolicies: options.statements ? { Elevated: new iam.PolicyDocument({ statements: options.statements }) } : undefined,
    });
    role.assumeRolePolicy!.addStatements(new iam.PolicyStatement({ actions: ['sts:SetSourceIdentity', 'sts:TagSession'], principals: [new iam.ArnPrincipal(this.issuer.role!.roleArn)] }));
    const arn = this.elevatedRoleArn(name);
    this.issuer.addToRolePolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'], resources: [arn] }));
    this.roles.set(name, {
      arn,
      maxSessionSeconds: max.toSeconds(),
      changeSetRequired: options.allowRequestsWithoutChangeSet !== true,
      ...(options.stackNames ? { stackNames: [...options.stackNames] } : {}),
      riskyChangeSets: options.riskyChangeSets ?? RiskyChangeSets.REQUIRE_ACCEPTANCE,
    });
    if (options.allowRequestsWithoutChangeSet) {
      Annotations.of(role).addWarningV2(
        'cdk-agent-guardrails:requestsWithoutChangeSet',
        `requests for elevated role "${name}" need no change set (allowRequestsWithoutChangeSet: true): such sessions have every permission of the role`,
      );
    }
    return role;
  }

  /** Lets `grantee` ask for elevated sessions, follow its requests and collect its credentials. */
  public grantRequest(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: [this.api.arnForExecuteApi('POST', '/requests'), this.api.arnForExecuteApi('GET', '/requests/*'), this.api.arnForExecuteApi('POST', '/requests/*/revoke')],
    });
  }

  /** Lets `grantee` approve, deny, revoke, list and read requests. Only configured approvers' calls count. */
  public grantApprove(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: [this.api.arnForExecuteApi('POST', '/requests/*/*'), this.api.arnForExecuteApi('GET', '/requests/*'), this.api.arnForExecuteApi('GET', '/requests')],
    });
  }

  /** The configuration the handlers run with. */
  public workflowConfig(): WorkflowConfig {
    return {
      requiredApprovals: this.requiredApprovals,
      approvers: this.approverSpecs,
      allowRequestsWithoutOnBehalfOf: this.allowRequestsWithoutOnBehalfOf,
      pendingSeconds: this.pendingSeconds,
      maxPendingPerRequester: this.maxPendingPerRequester,
      account: Stack.of(this).account,
      region: Stack.of(this).region,
      roles: Object.fromEntries(this.roles),
    };
  }

  /**
   * The API's resource policy: callers from this account only, and approve, deny and listing only
   * from the configured approvers' principals, by full ARN. The handler sees a session ARN without
   * the role's path; here Identity Center roles are recognised by their reserved path, which no one
   * else can create, so a role merely named AWSReservedSSO_* cannot pass for an Identity Center user.
   */
  private apiPolicy(): iam.PolicyDocument {
    const partition = Aws.PARTITION;
    const approverPrincipals = this.approverSpecs.flatMap((a) => a.identities).map((spec) => {
      switch (spec.kind) {
        case 'iam-user':
          return spec.userArn;
        case 'role':
          return spec.roleArn;
        case 'identity-center-user':
          return `arn:${partition}:iam::${Aws.ACCOUNT_ID}:role/aws-reserved/sso.amazonaws.com/*`;
      }
    });
    return new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          principals: [new iam.AccountRootPrincipal()],
          actions: ['execute-api:Invoke'],
          resources: ['execute-api:/*'],
        }),
        new iam.PolicyStatement({
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['execute-api:Invoke'],
          // Revoke is the requester's too: the handler admits approvers and the requester.
          resources: ['execute-api:/*/POST/requests/*/approve', 'execute-api:/*/POST/requests/*/deny', 'execute-api:/*/GET/requests'],
          conditions: { ArnNotLike: { 'aws:PrincipalArn': [...new Set(approverPrincipals)] } },
        }),
      ],
    });
  }

  /**
   * The boundary of every elevated role: a session cannot outlive its revocation (no role chaining,
   * no lasting credentials), cannot touch the workflow's roles (its revocations among them), and
   * escalates nothing by hand: IAM writes and passing roles only through a service such as
   * CloudFormation executing the approved change set.
   */
  private elevatedBoundary(): iam.IManagedPolicy {
    const existing = this.node.tryFindChild('ElevatedBoundary') as iam.ManagedPolicy | undefined;
    if (existing) return existing;
    return new iam.ManagedPolicy(this, 'ElevatedBoundary', {
      path: GuardrailPaths.ELEVATED_ROLES,
      description: 'Boundary of elevated roles: no role chaining, no lasting credentials, no change to the approval workflow, no IAM escalation by hand',
      statements: [
        new iam.PolicyStatement({ sid: 'Ceiling', actions: ['*'], resources: ['*'] }),
        new iam.PolicyStatement({
          sid: 'NoRoleChaining',
          effect: iam.Effect.DENY,
          actions: ['sts:AssumeRole', 'sts:AssumeRoleWithSAML', 'sts:AssumeRoleWithWebIdentity', 'sts:GetFederationToken'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'NoLastingCredentials',
          effect: iam.Effect.DENY,
          actions: ['iam:CreateAccessKey', 'iam:CreateLoginProfile', 'iam:UpdateLoginProfile', 'iam:CreateServiceSpecificCredential', 'iam:UploadSSHPublicKey', 'iam:UploadSigningCertificate'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'WorkflowRolesUntouchable',
          effect: iam.Effect.DENY,
          notActions: ['iam:Get*', 'iam:List*'],
          resources: [`arn:${Aws.PARTITION}:iam::*:role${GuardrailPaths.ELEVATED_ROLES}*`, `arn:${Aws.PARTITION}:iam::*:policy${GuardrailPaths.ELEVATED_ROLES}*`],
        }),
        new iam.PolicyStatement({
          sid: 'NoEscalationByHand',
          effect: iam.Effect.DENY,
          actions: [
            'iam:Attach*',
            'iam:CreatePolicyVersion',
            'iam:CreateRole',
            'iam:CreateUser',
            'iam:Delete*PermissionsBoundary',
            'iam:PassRole',
            'iam:Put*',
            'iam:SetDefaultPolicyVersion',
            'iam:UpdateAssumeRolePolicy',
          ],
          resources: ['*'],
          conditions: { Null: { 'aws:CalledVia': 'true' } },
        }),
      ],
    });
  }

  private elevatedRoleName(name: string): string {
    return `${this.elevatedRolePrefix()}-${name}`.slice(0, 64);
  }

  private elevatedRolePrefix(): string {
    return Names.uniqueResourceName(this, { maxLength: 40, separator: '-' });
  }

  private elevatedRoleArn(name: string): string {
    // Formatted from the role's path and name: the issuer's policy and the handlers' configuration
    // name the roles, and the roles trust the issuer, so references would form a cycle.
    const roleName = name === '*' ? `${this.elevatedRolePrefix()}-*` : this.elevatedRoleName(name);
    return `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role${GuardrailPaths.ELEVATED_ROLES}${roleName}`;
  }

  private buildStateMachine(taskHandler: lambda.Function, requestTimeout: Duration): sfn.StateMachine {
    const requestId = sfn.JsonPath.stringAt('$.requestId');
    const expireRequest = new tasks.LambdaInvoke(this, 'ExpireRequest', {
      lambdaFunction: taskHandler,
      payload: sfn.TaskInput.fromObject({ task: 'expire', requestId }),
      payloadResponseOnly: true,
      resultPath: sfn.JsonPath.DISCARD,
    }).next(new sfn.Succeed(this, 'RequestExpired'));

    const awaitApprovals = new tasks.LambdaInvoke(this, 'AwaitApprovals', {
      lambdaFunction: taskHandler,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({ task: 'awaitApprovals', requestId, taskToken: sfn.JsonPath.taskToken }),
      taskTimeout: sfn.Timeout.duration(requestTimeout),
      resultPath: sfn.JsonPath.DISCARD,
    });
    // Anything else that goes wrong ends the request FAILED, with the error, an event and an alarm.
    const failTask = new tasks.LambdaInvoke(this, 'FailRequest', {
      lambdaFunction: taskHandler,
      payload: sfn.TaskInput.fromObject({ task: 'fail', requestId, error: sfn.JsonPath.objectAt('$.error') }),
      payloadResponseOnly: true,
      resultPath: sfn.JsonPath.DISCARD,
    });
    failTask.addRetry({ errors: ['States.ALL'], maxAttempts: 3, interval: Duration.seconds(2), backoffRate: 2 });
    const failRequest = failTask.next(new sfn.Fail(this, 'RequestFailed', { error: 'RequestFailed', causePath: '$.error.Cause' }));

    awaitApprovals.addCatch(expireRequest, { errors: ['States.Timeout'], resultPath: '$.error' });
    awaitApprovals.addCatch(new sfn.Succeed(this, 'RequestDenied'), { errors: ['RequestDenied'], resultPath: '$.error' });
    awaitApprovals.addCatch(failRequest, { errors: ['States.ALL'], resultPath: '$.error' });

    const issue = new tasks.LambdaInvoke(this, 'IssueSession', {
      lambdaFunction: this.issuer,
      payload: sfn.TaskInput.fromObject({ task: 'issue', requestId }),
      payloadResponseOnly: true,
      resultPath: '$.session',
      retryOnServiceExceptions: false,
    });
    issue.addRetry({ errors: ['RequestNotApproved'], maxAttempts: 0 });
    issue.addRetry({ errors: ['States.ALL'], maxAttempts: 3, interval: Duration.seconds(2), backoffRate: 2 });
    // Too few valid approvals in the table, or approved too late: the request ends, recorded as expired.
    issue.addCatch(expireRequest, { errors: ['RequestNotApproved'], resultPath: '$.error' });
    issue.addCatch(failRequest, { errors: ['States.ALL'], resultPath: '$.error' });

    const untilSessionEnds = new sfn.Wait(this, 'UntilSessionEnds', { time: sfn.WaitTime.timestampPath('$.session.sessionExpiresAt') });
    const endSession = new tasks.LambdaInvoke(this, 'EndSession', {
      lambdaFunction: taskHandler,
      payload: sfn.TaskInput.fromObject({ task: 'expire', requestId }),
      payloadResponseOnly: true,
      resultPath: sfn.JsonPath.DISCARD,
    });
    endSession.addRetry({ errors: ['States.ALL'], maxAttempts: 3, interval: Duration.seconds(2), backoffRate: 2 });
    endSession.addCatch(failRequest, { errors: ['States.ALL'], resultPath: '$.error' });

    const logGroup = new logs.LogGroup(this, 'WorkflowLogs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
    return new sfn.StateMachine(this, 'Workflow', {
      stateMachineName: this.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(awaitApprovals.next(issue).next(untilSessionEnds).next(endSession).next(new sfn.Succeed(this, 'SessionEnded'))),
      timeout: requestTimeout.plus(Duration.hours(1)).plus(Duration.minutes(15)),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
  }
}
