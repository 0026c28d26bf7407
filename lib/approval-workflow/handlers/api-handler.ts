/*
 * The REST API's Lambda handler: parses an API Gateway proxy event (IAM-authorized, so the caller's
 * ARN comes from AWS, not from the body) and runs the matching action.
 */
import * as actions from './actions';
import { breakGlass } from './break-glass';
import { HandlerDeps, RefusalEvent } from './deps';

/** The parts of an API Gateway (REST, proxy) event the handler reads. */
export interface ApiEvent {
  readonly httpMethod: string;
  readonly resource: string;
  readonly pathParameters?: Record<string, string | undefined> | null;
  readonly body?: string | null;
  readonly queryStringParameters?: Record<string, string | undefined> | null;
  readonly requestContext: { readonly identity: { readonly userArn?: string | null } };
}

/** An API Gateway proxy response. */
export interface ApiResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Routes `method path` (API Gateway resource paths, as in the local server) to an action. */
export async function route(
  deps: HandlerDeps,
  method: string,
  resource: string,
  callerArn: string,
  requestId: string | undefined,
  body: unknown,
  query: Record<string, string | undefined> = {},
): Promise<actions.ActionResult> {
  const result = await dispatch(deps, method, resource, callerArn, requestId, body, query);
  if (result.status >= 400 && result.status < 500) {
    // Every refusal leaves a trace: a structured log line and an event on the workflow's bus.
    const event: RefusalEvent = {
      at: deps.now().toISOString(),
      action: `${method} ${resource}`,
      by: callerArn,
      status: result.status,
      code: String(result.body.error),
      message: String(result.body.message ?? ''),
      ...(requestId ? { requestId } : {}),
    };
    deps.log?.('refused', { ...event });
    await actions.publishRefusal(deps, event);
  }
  return result;
}

async function dispatch(
  deps: HandlerDeps,
  method: string,
  resource: string,
  callerArn: string,
  requestId: string | undefined,
  body: unknown,
  query: Record<string, string | undefined>,
): Promise<actions.ActionResult> {
  const id = requestId ?? '';
  const comment = body && typeof body === 'object' && typeof (body as any).comment === 'string' ? ((body as any).comment as string).slice(0, 1000) : undefined;
  switch (`${method} ${resource}`) {
    case 'POST /requests':
      return actions.createRequest(deps, callerArn, body);
    case 'POST /requests/break-glass':
      return breakGlass(deps, callerArn, body);
    case 'GET /requests':
      return actions.listRequests(deps, callerArn, query.status);
    case 'GET /requests/{id}':
      return actions.getRequest(deps, callerArn, id);
    case 'POST /requests/{id}/approve':
      return actions.approve(deps, callerArn, id, comment, body !== null && typeof body === 'object' && (body as any).acceptRisk === true);
    case 'POST /requests/{id}/deny':
      return actions.deny(deps, callerArn, id, comment);
    case 'POST /requests/{id}/revoke':
      return actions.revoke(deps, callerArn, id);
    case 'GET /requests/{id}/credentials':
      return actions.credentials(deps, callerArn, id);
    default:
      return { status: 404, body: { error: 'no-such-route', message: `${method} ${resource} is not part of the API` } };
  }
}

/** Builds the handler around `deps` (a function, so that they are created on first use). */
export function makeApiHandler(deps: () => HandlerDeps) {
  return async (event: ApiEvent): Promise<ApiResponse> => {
    const callerArn = event.requestContext.identity.userArn;
    if (!callerArn) {
      return respond({ status: 403, body: { error: 'unsigned', message: 'requests must be signed with AWS credentials (SigV4)' } });
    }
    let body: unknown;
    try {
      body = event.body ? JSON.parse(event.body) : {};
    } catch {
      return respond({ status: 400, body: { error: 'invalid-json', message: 'the request body is not JSON' } });
    }
    return respond(await route(deps(), event.httpMethod, event.resource, callerArn, event.pathParameters?.id ?? undefined, body, event.queryStringParameters ?? {}));
  };
}

function respond(result: actions.ActionResult): ApiResponse {
  return { statusCode: result.status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result.body) };
}
