/*
 * Construct: `AgentCircuitBreaker`, the rule, the functions, the state table and the reset role
 * that quarantine an agent whose calls cross a threshold until two people reset it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Annotations, Aws, Duration, Lazy, RemovalPolicy, Stack, Stage, Tags } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AgentRole } from '../agent-roles/agent-role';
import { workflowOnlyStatement } from '../approval-workflow/construct/data-protection';
import { HANDLER_BUNDLE_DIR, TwoPersonApproval } from '../approval-workflow/two-person-approval';
import { GuardrailPaths } from '../guardrail-paths';
import { GUARDRAIL_COMPONENT_TAG } from '../permissions-boundary/boundary-document';
import { BreakerCode } from './construct/code';
import { agentProblems, resolveThresholds } from './construct/validation';
import { productionIdentifiers } from './construct/production';
import { BREAKER_ENV } from './handlers/env';
import { BREAKER_TABLE_KEY } from './handlers/store';
import { BreakerAgent, BreakerConfig, BreakerThresholdConfig, CONFIG_LIMIT_BYTES, parseBreakerConfig } from './logic/config';
import { breakerEventPattern } from './logic/event-pattern';
import { AgentCircuitBreakerProps } from './props';

/** The value of `agent-guardrails:component` on everything the breaker creates: agents cannot touch it. */
export const CIRCUIT_BREAKER_COMPONENT = 'circuit-breaker';

/** The elevated role of the approval workflow that resets a breaker. */
export const BREAKER_RESET_ROLE = 'circuit-breaker-reset';

/** The rule state that also delivers read-only management events (denied Get, List, Describe calls). */
export const RULE_STATE_ALL_MANAGEMENT_EVENTS = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';

/**
 * A circuit breaker for AI agents. It watches the agent roles' calls as CloudTrail delivers them
 * to EventBridge: denied calls, and every attempt to write to production. When an agent crosses a
 * threshold (5 denied calls within 10 minutes, or 1 write to production, by default), it trips:
 * the agent's role gets an inline policy that denies every session of it, live or new; the
 * approvers and the security team are told which agent, why, and the calls; and only a session of
 * the approval workflow's elevated role `circuit-breaker-reset`, which two approvers must approve,
 * resets it. Its state, thresholds and functions carry the guardrails' component tag, which puts
 * them out of every agent's reach.
 *
 * CloudTrail must deliver management events to EventBridge: a trail that logs them, in the region
 * the breaker is deployed in. IAM and STS calls arrive in us-east-1 only.
 *
 * @example
 * const breaker = new AgentCircuitBreaker(stack, 'CircuitBreaker', { agents: [agent], approval });
 */
export class AgentCircuitBreaker extends Construct {
  /** Each agent's breaker: state, the calls counted, trips and resets. */
  public readonly table: dynamodb.Table;
  /** The rule on the default event bus that delivers the agents' calls. */
  public readonly rule: events.CfnRule;
  /** The function that counts calls and trips the breaker. */
  public readonly handler: lambda.Function;
  /** The function that resets a breaker: only sessions of `resetRole` may invoke it. */
  public readonly resetFunction: lambda.Function;
  /** The approval workflow's elevated role whose sessions reset a breaker. */
  public readonly resetRole: iam.Role;
  /** Where the security team hears of trips and resets. */
  public readonly securityTopic: sns.ITopic;
  /** Deliveries the breaker could not process, for an operator to look at. */
  public readonly deadLetterQueue: sqs.Queue;

  private readonly agents: AgentRole[] = [];
  private readonly thresholds: BreakerThresholdConfig;
  private readonly code: BreakerCode;
  private readonly quarantineStatement: iam.PolicyStatement;
  private readonly releaseStatement: iam.PolicyStatement;

  constructor(scope: Construct, id: string, props: AgentCircuitBreakerProps) {
    super(scope, id);
    const { thresholds, problems } = resolveThresholds(props.thresholds);
    if (!(props.approval instanceof TwoPersonApproval)) {
      problems.push('approval must be a TwoPersonApproval: its approvers reset the breaker and hear of its trips');
    } else if (props.approval.node.tryFindChild('ElevatedCircuitBreakerReset')) {
      problems.push(`approval ${props.approval.node.path} already resets another AgentCircuitBreaker; watch every agent with one breaker per workflow (addAgent)`);
    }
    if (!fs.existsSync(path.join(HANDLER_BUNDLE_DIR, 'index.js'))) {
      problems.push(`the bundled handlers are missing from ${HANDLER_BUNDLE_DIR}; run "npm run bundle" (npm ci runs it)`);
    }
    const stage = Stage.of(this);
    if (!stage) {
      problems.push('the breaker must be in an App (or a Stage): its functions\' code is an asset of the cloud assembly');
    }
    if (problems.length > 0) {
      throw new Error(`Invalid AgentCircuitBreaker at ${this.node.path}:\n- ${problems.join('\n- ')}`);
    }
    this.thresholds = thresholds;
    const approval = props.approval;
    // The configuration is a file in the functions' code, written once the app is complete.
    const code = (this.code = new BreakerCode(this, stage!, HANDLER_BUNDLE_DIR, () => JSON.stringify(this.breakerConfig())));

    // Only the breaker's own functions read or write its state, administrators included.
    const tablePolicy = new iam.PolicyDocument();
    this.table = new dynamodb.Table(this, 'State', {
      resourcePolicy: tablePolicy,
      partitionKey: { name: BREAKER_TABLE_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
    });
    this.securityTopic = props.securityTopic ?? new sns.Topic(this, 'SecurityTopic', { enforceSSL: true, displayName: 'Agent guardrails: circuit breaker trips and resets' });
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', { enforceSSL: true, encryption: sqs.QueueEncryption.SQS_MANAGED, retentionPeriod: Duration.days(14) });

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
        deadLetterQueue: this.deadLetterQueue,
        logGroup: new logs.LogGroup(this, `${name}Logs`, { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN }),
      });
    this.handler = fn('Handler', 'breaker', 'Agent circuit breaker: counts the agents\' denied calls and writes to production, and quarantines an agent that crosses a threshold');
    this.resetFunction = fn('Reset', 'breakerReset', 'Agent circuit breaker: lifts a quarantine; invoked only by sessions that two approvers approved');

    // Reset only by two people: a session of this elevated role may invoke the reset, and nothing else.
    this.resetRole = approval.addElevatedRole(BREAKER_RESET_ROLE, {
      description: `Resets the agent circuit breaker ${this.node.path}: invokes its reset function, nothing else`,
      maxSessionDuration: Duration.minutes(15),
      allowRequestsWithoutChangeSet: true,
      statements: [new iam.PolicyStatement({ sid: 'ResetCircuitBreaker', actions: ['lambda:InvokeFunction'], resources: [this.resetFunction.functionArn] })],
    });
    // A reset has no change set; its session may do one thing, which the role's one statement names.
    Annotations.of(this.resetRole).acknowledgeWarning('cdk-agent-guardrails:requestsWithoutChangeSet', 'a reset session may only invoke the breaker\'s reset function');

    for (const f of [this.handler, this.resetFunction]) {
      this.table.grantReadWriteData(f);
      approval.topic.grantPublish(f);
      this.securityTopic.grantPublish(f);
      approval.eventBus.grantPutEventsTo(f);
      f.addEnvironment(BREAKER_ENV.table, this.table.tableName);
      f.addEnvironment(BREAKER_ENV.approversTopic, approval.topic.topicArn);
      f.addEnvironment(BREAKER_ENV.securityTopic, this.securityTopic.topicArn);
      f.addEnvironment(BREAKER_ENV.eventBus, approval.eventBus.eventBusName);
      f.addEnvironment(BREAKER_ENV.resetRole, BREAKER_RESET_ROLE);
      f.addEnvironment(BREAKER_ENV.apiUrl, `https://${approval.api.restApiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}/${approval.api.deploymentStage.stageName}`);
    }
    this.handler.addEnvironment(BREAKER_ENV.resetFunction, this.resetFunction.functionName);
    tablePolicy.addStatements(workflowOnlyStatement([this.handler.role!, this.resetFunction.role!]));
    // The quarantine policy, on the watched agents' roles only (added with each agent).
    this.quarantineStatement = new iam.PolicyStatement({ sid: 'QuarantineAgents', actions: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'], resources: [] });
    this.releaseStatement = new iam.PolicyStatement({ sid: 'ReleaseAgents', actions: ['iam:DeleteRolePolicy'], resources: [] });
    this.handler.addToRolePolicy(this.quarantineStatement);
    this.resetFunction.addToRolePolicy(this.releaseStatement);
    this.node.addValidation({ validate: () => this.validateAgents() });

    this.rule = new events.CfnRule(this, 'Rule', {
      description: 'Agent circuit breaker: the agents\' denied calls and writes, as CloudTrail delivers them',
      // Plain ENABLED rules do not receive read-only management events: denied Get, List and Describe calls would be missed.
      state: RULE_STATE_ALL_MANAGEMENT_EVENTS,
      eventPattern: Lazy.any({ produce: () => breakerEventPattern(this.watchedAgents(), (a) => `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role${a.rolePath}${a.roleName}`) }),
      targets: [
        {
          id: 'Handler',
          arn: this.handler.functionArn,
          deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
          retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86400 },
        },
      ],
    });
    this.handler.addPermission('InvokedByRule', { principal: new iam.ServicePrincipal('events.amazonaws.com'), sourceArn: this.rule.attrArn });
    this.deadLetterQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetterQueue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': this.rule.attrArn } },
      }),
    );

    // A breaker that fails, or leaves deliveries unprocessed, pages the security team.
    const alarm = (name: string, description: string, metric: cloudwatch.IMetric) =>
      new cloudwatch.Alarm(this, name, {
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(new cloudwatchActions.SnsAction(this.securityTopic));
    alarm('Failures', 'The agent circuit breaker failed to process a call; see its logs', this.handler.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }));
    alarm('Unprocessed', 'Calls the agent circuit breaker could not process wait in its dead-letter queue', this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }));

    for (const agent of props.agents ?? []) this.addAgent(agent);

    // The agent boundary keeps agents away from everything carrying this tag.
    Tags.of(this).add(GUARDRAIL_COMPONENT_TAG.key, CIRCUIT_BREAKER_COMPONENT);
  }

  /** Watches `agent` too. */
  public addAgent(agent: AgentRole): void {
    this.agents.push(agent);
    if (agent instanceof AgentRole) {
      const arn = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role${GuardrailPaths.AGENT_ROLES}${agent.agentName}`;
      this.quarantineStatement.addResources(arn);
      this.releaseStatement.addResources(arn);
    }
  }

  /**
   * The configuration the functions run with (`breaker-config.json` in their code), and
   * `agent-guardrails breaker replay` reads back: the agents, the thresholds, and production as
   * the whole app declares it now.
   */
  public breakerConfig(): BreakerConfig {
    const config: BreakerConfig = { agents: this.watchedAgents(), thresholds: this.thresholds, production: productionIdentifiers(this, this.agents.filter((a) => a instanceof AgentRole)) };
    return Stack.of(this).resolve(config);
  }

  private watchedAgents(): BreakerAgent[] {
    return this.agents.filter((a) => a instanceof AgentRole).map((a) => ({ name: a.agentName, roleName: a.agentName, rolePath: GuardrailPaths.AGENT_ROLES }));
  }

  private validateAgents(): string[] {
    const problems = agentProblems(this.agents, Stack.of(this));
    if (problems.length === 0) problems.push(...this.configProblems());
    return problems.map((p) => `AgentCircuitBreaker ${this.node.path}: ${p}`);
  }

  /** The problems of the configuration written into the functions' code, checked against the app as it is at validation. */
  private configProblems(): string[] {
    const written = this.code.configuration;
    if (written === undefined) {
      return ['its functions\' code was not built: the app was validated without running its aspects, which build it; synthesize the app with app.synth() (cdk synth does)'];
    }
    const problems: string[] = [];
    const now = JSON.stringify(this.breakerConfig());
    if (now !== written) {
      problems.push(
        'the agents or production changed after the breaker wrote its configuration at the end of the aspects: its functions would run without the change; ' +
          'add agents, production stacks and their names before synth, or in aspects (not in validations or in a second synth of the same app)',
      );
    }
    const parsed = parseBreakerConfig(written);
    if (!parsed.ok) {
      problems.push(`its configuration is one its functions would refuse: ${parsed.problem}; give thresholds as numbers known at synth`);
    }
    const bytes = Buffer.byteLength(written);
    if (bytes > CONFIG_LIMIT_BYTES) {
      problems.push(
        `its configuration is ${bytes} bytes, more than the ${CONFIG_LIMIT_BYTES} its functions load: it lists every production stack and every physical name written out in production stacks; ` +
          'give production stacks a common name prefix and list it once in the boundary\'s productionStackNames, or let CloudFormation name resources',
      );
    }
    return problems;
  }
}
