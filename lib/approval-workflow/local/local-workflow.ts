/*
 * Runs the synthesized state machine on this machine with aws-local-stepfunctions: each Task state
 * calls the same task handler the Lambda functions run. aws-local-stepfunctions has no task tokens,
 * so each execution gets one in its context object ($$.Task.Token), and `approve`/`reject` settle
 * the waiting task the way SendTaskSuccess/SendTaskFailure do in AWS. A token that is unknown or
 * already used is refused, as Step Functions refuses it.
 */
import type { StateMachine } from 'aws-local-stepfunctions';
import { renderIntrinsic } from '../../private/intrinsics';
import { LOCAL_MODE, loadOptional } from '../../private/optional-packages';
import { Workflow } from '../handlers/deps';

// aws-local-stepfunctions 3 uses Promise.withResolvers (Node.js 22); Node.js 20 lacks it.
if (typeof (Promise as any).withResolvers !== 'function') {
  (Promise as any).withResolvers = function withResolvers<T>() {
    let resolve!: (value: T) => void;
    let reject!: (reason: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

/** Definitions (as JSON) that aws-local-stepfunctions validated in this process. */
const VALIDATED_DEFINITIONS = new Set<string>();

/** Runs one task of the state machine: the payload the state sends, the handler's result back. */
export type TaskRunner = (payload: Record<string, unknown>) => Promise<unknown>;

/** Options for the local workflow. */
export interface LocalWorkflowOptions {
  /** The state machine definition (Amazon States Language), as synthesized. */
  readonly definition: Record<string, any>;
  /** Runs a Task state's payload through the task handler. */
  readonly runTask: TaskRunner;
  /** Overrides of Task states' TimeoutSeconds, for tests that cannot wait an hour. */
  readonly taskTimeoutOverrides?: Record<string, number>;
  /** Overrides of Wait states, in milliseconds. */
  readonly waitTimeOverrides?: Record<string, number>;
  /** Overrides of Retry pauses, in milliseconds. */
  readonly retryIntervalOverrides?: Record<string, number>;
  /**
   * Run the definition without validating it as Amazon States Language: only for a definition the
   * construct has just synthesized in this process, which the test suite validates.
   * @default false - validated once per process
   */
  readonly skipDefinitionValidation?: boolean;
}

/** How an execution ended. */
export interface ExecutionOutcome {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  readonly error?: string;
  /** States entered, which is what a Standard workflow is billed by (state transitions). */
  readonly statesEntered: number;
}

/** Thrown for a task token that is not waiting (unknown, or already used): Step Functions' TaskTimedOut/InvalidToken. */
export class InvalidTaskToken extends Error {
  constructor(token: string) {
    super(`task token ${token} is not waiting for a result`);
    this.name = 'InvalidToken';
  }
}

/** The workflow, executed locally. */
export class LocalWorkflow implements Workflow {
  private readonly machine: StateMachine;
  private readonly waiting = new Map<string, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly executions = new Map<string, Promise<ExecutionOutcome>>();
  private readonly aborts = new Set<() => void>();

  constructor(private readonly options: LocalWorkflowOptions) {
    // A JSON round trip, not structuredClone: objects from another realm (as under jest) fail the
    // library's plain-object check, and nested Parameters would go unevaluated.
    const definition = JSON.parse(JSON.stringify(options.definition));
    for (const [state, seconds] of Object.entries(options.taskTimeoutOverrides ?? {})) {
      if (!definition.States?.[state]) {
        throw new Error(`taskTimeoutOverrides names ${JSON.stringify(state)}, which is not a state of the definition`);
      }
      definition.States[state].TimeoutSeconds = seconds;
    }
    // An optional peer dependency: loaded here, so that importing this module needs nothing more.
    const { StateMachine: Machine } = loadOptional(LOCAL_MODE, 'aws-local-stepfunctions', () => require('aws-local-stepfunctions') as typeof import('aws-local-stepfunctions'));
    // The library validates a definition each time it is given one (about 170 ms): a definition
    // this process has already seen validated is not validated again.
    const text = JSON.stringify(definition);
    const noValidate = options.skipDefinitionValidation === true || VALIDATED_DEFINITIONS.has(text);
    this.machine = new Machine(definition as any, { validationOptions: { checkArn: false, noValidate } });
    if (options.skipDefinitionValidation !== true) VALIDATED_DEFINITIONS.add(text);
  }

  public async start(requestId: string): Promise<void> {
    if (this.executions.has(requestId)) {
      return; // StartExecution with the same name and input is idempotent
    }
    const token = `local-task-token-${requestId}`;
    const handlers: Record<string, (input: any) => Promise<any>> = {};
    for (const [name, state] of Object.entries<any>(this.options.definition.States)) {
      if (state.Type !== 'Task') {
        continue;
      }
      const waitsForToken = String(state.Resource).endsWith('.waitForTaskToken');
      handlers[name] = (input) => {
        const payload = (input && typeof input === 'object' && 'Payload' in input ? input.Payload : input) as Record<string, unknown>;
        return waitsForToken ? this.waitForToken(token, payload) : this.options.runTask(payload);
      };
    }
    const execution = this.machine.run(
      { requestId },
      {
        context: { Execution: { Id: `local:${requestId}`, Name: requestId, Input: { requestId }, StartTime: new Date().toISOString() }, Task: { Token: token } },
        overrides: {
          taskResourceLocalHandlers: handlers,
          waitTimeOverrides: this.options.waitTimeOverrides,
          retryIntervalOverrides: this.options.retryIntervalOverrides,
        },
        noThrowOnAbort: true,
      },
    );
    this.aborts.add(execution.abort);
    const statesEntered = countStatesEntered(execution.eventLogs);
    const outcome = execution.result.then(
      async (output): Promise<ExecutionOutcome> => ({ status: 'SUCCEEDED', output, statesEntered: await statesEntered }),
      async (error: Error): Promise<ExecutionOutcome> => ({ status: 'FAILED', error: `${error.name}: ${error.message}`, statesEntered: await statesEntered }),
    );
    outcome.finally(() => {
      this.waiting.delete(token);
      this.aborts.delete(execution.abort);
    });
    this.executions.set(requestId, outcome);
  }

  /** Stops every running execution (waits, timers and all), as when the local server shuts down. */
  public close(): void {
    for (const [token, waiter] of this.waiting) {
      this.waiting.delete(token);
      const stopped = new Error('the local workflow was stopped');
      stopped.name = 'WorkflowStopped';
      waiter.reject(stopped);
    }
    for (const abort of this.aborts) {
      abort();
    }
    this.aborts.clear();
  }

  public async approve(taskToken: string, requestId: string): Promise<void> {
    this.settle(taskToken).resolve({ requestId });
  }

  public async reject(taskToken: string, error: string, cause: string): Promise<void> {
    const failure = new Error(cause);
    failure.name = error;
    this.settle(taskToken).reject(failure);
  }

  /** The outcome of a request's execution, once it ends. */
  public outcome(requestId: string): Promise<ExecutionOutcome> {
    const outcome = this.executions.get(requestId);
    if (!outcome) {
      throw new Error(`no execution for request ${requestId}`);
    }
    return outcome;
  }

  private waitForToken(token: string, payload: Record<string, unknown>): Promise<unknown> {
    const result = new Promise<unknown>((resolve, reject) => this.waiting.set(token, { resolve, reject }));
    // The handler may settle the token itself (a request decided before its token was stored).
    this.options.runTask(payload).catch((error: Error) => this.waiting.get(token)?.reject(error));
    return result;
  }

  private settle(token: string) {
    const waiter = this.waiting.get(token);
    if (!waiter) {
      throw new InvalidTaskToken(token);
    }
    this.waiting.delete(token);
    return waiter;
  }
}

async function countStatesEntered(events: AsyncGenerator<{ type: string }>): Promise<number> {
  let count = 0;
  for await (const event of events) {
    if (event.type === 'StateEntered') {
      count++;
    }
  }
  return count;
}

/**
 * The state machine definition of a synthesized template, with function ARNs (intrinsics) replaced
 * by placeholders: the local workflow runs the handlers itself.
 */
export function definitionFromTemplate(template: { Resources: Record<string, any> }): Record<string, any> {
  const machines = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) {
    throw new Error(`expected one state machine in the template, found ${machines.length}`);
  }
  const definition = machines[0][1].Properties.DefinitionString;
  return JSON.parse(renderIntrinsic(definition, placeholder));
}

const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '000000000000',
  'AWS::URLSuffix': 'amazonaws.com',
};

function placeholder(intrinsic: any): string {
  if (typeof intrinsic.Ref === 'string' && PSEUDO_PARAMETERS[intrinsic.Ref]) {
    return PSEUDO_PARAMETERS[intrinsic.Ref];
  }
  const reference = intrinsic['Fn::GetAtt']?.[0] ?? intrinsic.Ref ?? 'unresolved';
  return `arn:aws:lambda:us-east-1:000000000000:function:${String(reference).replace(/[^A-Za-z0-9-_]/g, '')}`;
}
