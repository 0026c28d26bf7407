import * as fs from 'fs';
import * as path from 'path';
import { Annotations, ArnFormat, Aws, Duration, Lazy, Names, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { apiResourcePolicy } from './construct/api-policy';
import { ElevatedRoleOptions, RiskyChangeSets, TwoPersonApprovalProps } from './props';
import { BREAK_GLASS_WARNING, breakGlassSettings, breakGlassWarning } from './construct/break-glass';
import { approvalProofKey, credentialsKey, workflowOnlyStatement } from './construct/data-protection';
import { elevatedBoundary } from './construct/elevated-boundary';
import { deliverNotifications, notificationProblems } from './construct/notifications';
import { buildStateMachine } from './construct/state-machine';
import { ENV } from './handlers/env';
import { ElevatedRoleConfig, WorkflowConfig } from './handlers/deps';
import { LISTED_ATTRIBUTES, STATUS_INDEX } from './handlers/store';
import { ApproverSpec, approverProblems } from './logic/identity';
import { MAX_SESSION_SECONDS, MIN_SESSION_SECONDS } from './logic/request';
import { GuardrailPaths } from '../guardrail-paths';
import { GUARDRAIL_COMPONENT_TAG } from '../permissions-boundary/boundary-document';


/** The approval API's one stage. */
const API_STAGE = 'v1';

/** The directory of the bundled handlers (built by `npm run bundle`, shipped in the package). */
export const HANDLER_BUNDLE_DIR = path.join(__dirname, 'handlers', 'dist');

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
  /** The workflow's functions: each publishes to every security topic of a break-glass role. */
  private readonly functions: lambda.Function[];
  /** Security topic ARNs of break-glass roles, by role name. */
  private readonly securityTopics: Record<string, string> = {};

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
    problems.push(...notificationProblems(props.notifications));
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
    deliverNotifications(this.topic, props.notifications);
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
    this.stateMachine = buildStateMachine(this, { taskHandler, issuer: this.issuer, requestTimeout, stateMachineName: this.stateMachineName });
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

    this.functions = [apiHandler, taskHandler, this.issuer];
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
    const approvalKey = approvalProofKey(this, { signer: apiHandler.role!, verifier: this.issuer.role! });
    const sealingKey = credentialsKey(this, { sealer: this.issuer.role!, opener: apiHandler.role! });
    for (const f of [apiHandler, taskHandler, this.issuer]) {
      f.addEnvironment(ENV.approvalKey, approvalKey.keyArn);
      f.addEnvironment(ENV.credentialsKey, sealingKey.keyArn);
    }
    tablePolicy.addStatements(workflowOnlyStatement([apiHandler, taskHandler, this.issuer].map((f) => f.role!)));
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
      policy: apiResourcePolicy(this.approverSpecs),
      // API Gateway writes access logs with the account's CloudWatch role: created here, and kept.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: API_STAGE,
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
        methodOptions: {
          '/requests/POST': { throttlingRateLimit: 5, throttlingBurstLimit: 10 },
          // Break-glass is rare by design (and rate limited per role): a trickle is plenty.
          '/requests/break-glass/POST': { throttlingRateLimit: 1, throttlingBurstLimit: 2 },
        },
      },
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
    });
    // The commands in notifications name the API. Formatted from its id, not the stage's URL: the
    // stage depends on the methods, which depend on the functions.
    const apiUrl = `https://${this.api.restApiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}/${API_STAGE}`;
    for (const f of [apiHandler, taskHandler, this.issuer]) {
      f.addEnvironment(ENV.apiUrl, apiUrl);
    }
    const integration = new apigateway.LambdaIntegration(apiHandler);
    const requests = this.api.root.addResource('requests');
    requests.addMethod('POST', integration);
    requests.addMethod('GET', integration);
    // Approvers only, never agents (the resource policy); the handler refuses it for roles that do not allow it.
    requests.addResource('break-glass').addMethod('POST', integration);
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
   * With `breakGlass`, one approver alone may issue themselves a short session of it, with a
   * reason, under a rate limit, telling everyone at once (a synth warning says so).
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
    const breakGlass = options.breakGlass ? breakGlassSettings(options.breakGlass, max.isUnresolved() ? 0 : max.toSeconds(), this.approverSpecs) : undefined;
    problems.push(...(breakGlass?.problems ?? []));
    if (problems.length > 0) {
      throw new Error(`Invalid elevated role for ${this.node.path}:\n- ${problems.join('\n- ')}`);
    }
    const id = `Elevated${name.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase())}`;
    const role = new iam.Role(this, id, {
      roleName: this.elevatedRoleName(name),
      path: GuardrailPaths.ELEVATED_ROLES,
      permissionsBoundary: elevatedBoundary(this),
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
      ...(breakGlass ? { breakGlass: breakGlass.config } : {}),
    });
    if (breakGlass) {
      const securityTopic = options.breakGlass!.securityTopic;
      if (securityTopic) {
        this.addSecurityTopic(name, securityTopic);
      }
      Annotations.of(role).addWarningV2(BREAK_GLASS_WARNING, breakGlassWarning(name, breakGlass.config, securityTopic !== undefined));
    }
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
    return iam.Grant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns: this.approverRoutes() });
  }

  /**
   * What `grantApprove` grants, as a policy document, for identities that are not constructs of
   * this app: the inline policy of an IAM Identity Center permission set for approvers, say.
   */
  public approverPolicy(): iam.PolicyDocument {
    return new iam.PolicyDocument({
      statements: [new iam.PolicyStatement({ sid: 'DecideElevationRequests', actions: ['execute-api:Invoke'], resources: this.approverRoutes() })],
    });
  }

  private approverRoutes(): string[] {
    return [
      this.api.arnForExecuteApi('POST', '/requests/*/*'),
      this.api.arnForExecuteApi('GET', '/requests/*'),
      this.api.arnForExecuteApi('GET', '/requests'),
      // Refused by the handler unless a role allows break-glass; then there at 3 a.m. without a policy change.
      this.api.arnForExecuteApi('POST', '/requests/break-glass'),
    ];
  }

  /** Every event of a break-glass request of `role`, and of its review, goes to `topic` too. */
  private addSecurityTopic(role: string, topic: sns.ITopic): void {
    if (Object.keys(this.securityTopics).length === 0) {
      const topics = Lazy.string({ produce: () => Stack.of(this).toJsonString(this.securityTopics) });
      this.functions.forEach((f) => f.addEnvironment(ENV.securityTopics, topics));
    }
    this.securityTopics[role] = topic.topicArn;
    this.functions.forEach((f) => topic.grantPublish(f));
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
}
