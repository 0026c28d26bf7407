/*
 * The state machine's Lambda handler: one function per job, selected by the `task` field the state
 * machine passes.
 */
import { HandlerDeps } from './deps';
import { awaitApprovals, expire, fail, issueSession } from './workflow-tasks';

/** What the state machine sends to a task. */
export interface TaskEvent {
  readonly task: 'awaitApprovals' | 'issue' | 'expire' | 'fail';
  readonly requestId: string;
  readonly taskToken?: string;
  /** For `fail`: the error the state machine caught (`Error` and `Cause`). */
  readonly error?: { readonly Error?: string; readonly Cause?: string };
}

/** Builds the task handler around `deps`. */
export function makeTaskHandler(deps: () => HandlerDeps) {
  return async (event: TaskEvent): Promise<unknown> => {
    switch (event.task) {
      case 'awaitApprovals':
        if (!event.taskToken) {
          throw new Error('awaitApprovals needs a task token');
        }
        await awaitApprovals(deps(), event.requestId, event.taskToken);
        return { requestId: event.requestId };
      case 'issue':
        return issueSession(deps(), event.requestId);
      case 'expire':
        await expire(deps(), event.requestId);
        return { requestId: event.requestId };
      case 'fail':
        await fail(deps(), event.requestId, event.error?.Error ?? 'unknown', event.error?.Cause ?? '');
        return { requestId: event.requestId };
      default:
        throw new Error(`unknown task ${JSON.stringify((event as TaskEvent).task)}`);
    }
  };
}
