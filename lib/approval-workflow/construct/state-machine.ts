/*
 * Construct logic: the approval workflow's Standard state machine.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

/** What the workflow's state machine runs. */
export interface WorkflowStateMachineProps {
/** Records task tokens, ends expired and failed requests. */
readonly taskHandler: lambda.IFunction;
/** Issues sessions. */
readonly issuer: lambda.IFunction;
readonly requestTimeout: Duration;
readonly stateMachineName: string;
}

/**
 * The approval workflow: wait for approvals (task token), issue, wait for the session's end. A
 * timeout expires the request, a denial ends it, and anything else ends it FAILED.
 */
export function buildStateMachine(workflow: Construct, props: WorkflowStateMachineProps): sfn.StateMachine {
const { taskHandler, requestTimeout } = props;
  const requestId = sfn.JsonPath.stringAt('$.requestId');
  const expireRequest = new tasks.LambdaInvoke(workflow, 'ExpireRequest', {
    lambdaFunction: taskHandler,
    payload: sfn.TaskInput.fromObject({ task: 'expire', requestId }),
    payloadResponseOnly: true,
    resultPath: sfn.JsonPath.DISCARD,
  }).next(new sfn.Succeed(workflow, 'RequestExpired'));

  const awaitApprovals = new tasks.LambdaInvoke(workflow, 'AwaitApprovals', {
    lambdaFunction: taskHandler,
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: sfn.TaskInput.fromObject({ task: 'awaitApprovals', requestId, taskToken: sfn.JsonPath.taskToken }),
    taskTimeout: sfn.Timeout.duration(requestTimeout),
    resultPath: sfn.JsonPath.DISCARD,
  });
  // Anything else that goes wrong ends the request FAILED, with the error, an event and an alarm.
  const failTask = new tasks.LambdaInvoke(workflow, 'FailRequest', {
    lambdaFunction: taskHandler,
    payload: sfn.TaskInput.fromObject({ task: 'fail', requestId, error: sfn.JsonPath.objectAt('$.error') }),
    payloadResponseOnly: true,
    resultPath: sfn.JsonPath.DISCARD,
  });
  failTask.addRetry({ errors: ['States.ALL'], maxAttempts: 3, interval: Duration.seconds(2), backoffRate: 2 });
  const failRequest = failTask.next(new sfn.Fail(workflow, 'RequestFailed', { error: 'RequestFailed', causePath: '$.error.Cause' }));

  awaitApprovals.addCatch(expireRequest, { errors: ['States.Timeout'], resultPath: '$.error' });
  awaitApprovals.addCatch(new sfn.Succeed(workflow, 'RequestDenied'), { errors: ['RequestDenied'], resultPath: '$.error' });
  awaitApprovals.addCatch(failRequest, { errors: ['States.ALL'], resultPath: '$.error' });

  const issue = new tasks.LambdaInvoke(workflow, 'IssueSession', {
    lambdaFunction: props.issuer,
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

  const untilSessionEnds = new sfn.Wait(workflow, 'UntilSessionEnds', { time: sfn.WaitTime.timestampPath('$.session.sessionExpiresAt') });
  const endSession = new tasks.LambdaInvoke(workflow, 'EndSession', {
    lambdaFunction: taskHandler,
    payload: sfn.TaskInput.fromObject({ task: 'expire', requestId }),
    payloadResponseOnly: true,
    resultPath: sfn.JsonPath.DISCARD,
  });
  endSession.addRetry({ errors: ['States.ALL'], maxAttempts: 3, interval: Duration.seconds(2), backoffRate: 2 });
  endSession.addCatch(failRequest, { errors: ['States.ALL'], resultPath: '$.error' });

  const logGroup = new logs.LogGroup(workflow, 'WorkflowLogs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
  return new sfn.StateMachine(workflow, 'Workflow', {
    stateMachineName: props.stateMachineName,
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromChainable(awaitApprovals.next(issue).next(untilSessionEnds).next(endSession).next(new sfn.Succeed(workflow, 'SessionEnded'))),
    timeout: requestTimeout.plus(Duration.hours(1)).plus(Duration.minutes(15)),
    tracingEnabled: true,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
  });
}
