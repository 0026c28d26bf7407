/*
 * Local mode: the approval workflow on this machine, with no AWS. The construct is synthesized
 * in-process; its state machine runs in aws-local-stepfunctions, its table in dynalite on
 * 127.0.0.1, with the same handlers as in AWS. The caller's identity comes from the
 * `x-agent-guardrails-identity` header, which only local mode accepts. Issued credentials are
 * visibly fake.
 */
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { randomUUID } from 'crypto';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { definitionFromTemplate, LocalWorkflow } from './local-workflow';
import { route } from '../handlers/api-handler';
import { HandlerDeps, RefusalEvent, SessionIssuer, SessionRevoker, WorkflowConfig, WorkflowEvent } from '../handlers/deps';
import { changeSetsFromDirectory, NO_CHANGE_SETS } from './change-set-files';
import { LocalWorkflowSource } from './from-assembly';
import { localApprovalSigner, localCredentialsVault } from './local-keys';
import { DynamoRequestStore } from '../handlers/store';
import { makeTaskHandler } from '../handlers/task-handler';
import { Approver } from '../approver';
import { TwoPersonApproval } from '../two-person-approval';
import { IdentitySpec } from '../logic/identity';
import { IDENTITY_HEADER } from './identity-header';
import { LOCAL_MODE, loadOptional } from '../../private/optional-packages';

export { IDENTITY_HEADER };

const LOCAL_ACCOUNT = '000000000000';

/** The approvers local mode starts with, unless told otherwise. */
export const DEFAULT_LOCAL_APPROVERS = [`arn:aws:iam::${LOCAL_ACCOUNT}:user/approver-1`, `arn:aws:iam::${LOCAL_ACCOUNT}:user/approver-2`];

/** Options for local mode. */
export interface LocalServerOptions {
  /** Port on 127.0.0.1; 0 picks a free one. */
  readonly port?: number;
  /** Approver ARNs: IAM users, Identity Center sessions, or roles. */
  readonly approvers?: string[];
  /** Seconds a request waits for approvals. */
  readonly pendingSeconds?: number;
  /** Receives every state change. */
  readonly onEvent?: (event: WorkflowEvent) => void;
  /** Receives every refused call. */
  readonly onRefusal?: (event: RefusalEvent) => void;
  /** Overrides of Wait states in milliseconds (the session's end), for tests and benchmarks. */
  readonly waitTimeOverrides?: Record<string, number>;
  /**
   * A directory of `describe-change-set` JSON outputs. With it, requests must name one of them
   * (as deployed); without it, the demo role takes requests without a change set.
   */
  readonly changeSetsDir?: string;
  /** Run this workflow of a synthesized app (`workflowFromAssembly`) instead of the demo; `approvers` then do not apply. */
  readonly source?: LocalWorkflowSource;
}

/** A running local workflow. */
export interface LocalServer {
  readonly url: string;
  readonly roles: string[];
  readonly approvers: string[];
  readonly workflow: LocalWorkflow;
  close(): Promise<void>;
}

/** An approver, from the ARN a person would type. */
export function approverFromArn(arn: string): Approver {
  const identityCenter = /^arn:[\w-]+:sts::\d{12}:assumed-role\/AWSReservedSSO_[^/]+\/(.+)$/.exec(arn);
  if (identityCenter) {
    return Approver.identityCenterUser(identityCenter[1]);
  }
  if (/^arn:[\w-]+:iam::\d{12}:user\//.test(arn)) {
    return Approver.iamUser(arn);
  }
  if (/^arn:[\w-]+:iam::\d{12}:role\//.test(arn)) {
    return Approver.role(arn);
  }
  throw new Error(`--approvers: ${JSON.stringify(arn)} is not an IAM user, role or Identity Center session ARN`);
}

/** Synthesizes the workflow and returns what local mode runs: the template, definition and configuration. */
export function synthesizeLocalWorkflow(
  approvers: string[],
  pendingSeconds?: number,
  options: {
    readonly changeSets?: boolean;
    /** Adds to the demo workflow before it is synthesized (more elevated roles, say). */
    readonly configure?: (workflow: TwoPersonApproval) => void;
  } = {},
) {
  // CDK's built-in CloudFormation validation checks the CloudFormation schema of resources, not
  // the workflow, and took most of local mode's start (the examples test keeps it on for this construct).
  // A directory of its own (never CDK_OUTDIR, which may be a user's), removed once the template is read.
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-guardrails-local-'));
  const app = new App({ outdir, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'AgentGuardrailsLocal', { env: { account: LOCAL_ACCOUNT, region: 'us-east-1' } });
  const workflow = new TwoPersonApproval(stack, 'Approval', { approvers: approvers.map(approverFromArn) });
  workflow.addElevatedRole('deployer', {
    description: 'Local demo: executes approved CloudFormation change sets',
    // Without change-set files, the demo takes requests that name none.
    allowRequestsWithoutChangeSet: !options.changeSets,
    statements: [new iam.PolicyStatement({ actions: ['cloudformation:ExecuteChangeSet', 'cloudformation:Describe*'], resources: ['*'] })],
  });
  options.configure?.(workflow);
  // Read into memory, then removed: CDK removes a temporary assembly only when the process exits,
  // so a local server that is killed, or runs for days, would leave it behind.
  let template: LocalWorkflowSource['template'];
  try {
    template = app.synth().getStackByName(stack.stackName).template;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
  const resolved = stack.resolve(workflow.workflowConfig()) as WorkflowConfig;
  const config: WorkflowConfig = {
    ...resolved,
    // Local mode has no account: change sets from files are taken from wherever they were described.
    account: undefined,
    region: undefined,
    pendingSeconds: pendingSeconds ?? resolved.pendingSeconds,
    roles: Object.fromEntries(Object.entries(resolved.roles).map(([name, role]) => [name, { ...role, arn: literal(role.arn) }])),
  };
  return { template, definition: definitionFromTemplate(template), config };
}

function literal(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  const join = (value as any)['Fn::Join'];
  return (join[1] as unknown[]).map((part: any) => (typeof part === 'string' ? part : part.Ref === 'AWS::Partition' ? 'aws' : LOCAL_ACCOUNT)).join(join[0]);
}

function describeIdentity(spec: IdentitySpec): string {
  return spec.kind === 'iam-user' ? spec.userArn : spec.kind === 'role' ? spec.roleArn : `Identity Center user ${spec.userName}`;
}

/** Issues visibly fake credentials: nothing here can reach AWS. */
export const fakeIssuer: SessionIssuer = {
  async assumeRole(params) {
    return {
      accessKeyId: `LOCALFAKE${randomUUID().replace(/-/g, '').slice(0, 11).toUpperCase()}`,
      secretAccessKey: 'local-mode-fake-secret-not-valid-anywhere',
      sessionToken: `local-mode-fake-session-for-${params.sessionName}`,
      expiration: new Date(Date.now() + params.durationSeconds * 1000).toISOString(),
    };
  },
};

/** Starts local mode. */
export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  // First, so that a missing optional package is reported before anything runs.
  const createDynalite = loadOptional(LOCAL_MODE, 'dynalite', () => require('dynalite'));
  const changeSets = options.changeSetsDir ? changeSetsFromDirectory(options.changeSetsDir) : NO_CHANGE_SETS;
  const demoApprovers = options.approvers ?? DEFAULT_LOCAL_APPROVERS;
  const source = options.source ?? synthesizeLocalWorkflow(demoApprovers, options.pendingSeconds, { changeSets: options.changeSetsDir !== undefined });
  const { template, definition } = source;
  const config = options.source && options.pendingSeconds !== undefined ? { ...source.config, pendingSeconds: options.pendingSeconds } : source.config;
  // The app's approvers, by human and identities; the demo's, by the ARNs given.
  const approvers = options.source ? config.approvers.map((a) => `${a.human} (${a.identities.map(describeIdentity).join(', ')})`) : demoApprovers;

  // The definition is checked before anything listens: a definition refused leaves nothing running.
  let deps!: HandlerDeps;
  const runTask = makeTaskHandler(() => deps);
  const workflow = new LocalWorkflow({
    definition,
    runTask: (payload) => runTask(payload as any),
    taskTimeoutOverrides: { AwaitApprovals: config.pendingSeconds },
    waitTimeOverrides: options.waitTimeOverrides,
    // The demo's definition is the construct's, synthesized just now, which the test suite
    // validates as Amazon States Language (validating it took half of local mode's start);
    // an app's definition, read from its cloud assembly, is validated.
    skipDefinitionValidation: options.source === undefined,
  });

  const dynalite = createDynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => dynalite.listen(0, '127.0.0.1', resolve));
  const stopDynalite = () => new Promise<void>((resolve) => dynalite.close(() => resolve()));
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${(dynalite.address() as AddressInfo).port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  let server: http.Server;
  try {
    const table = Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::DynamoDB::Table').Properties;
    await client.send(
      new CreateTableCommand({
        TableName: 'requests',
        KeySchema: table.KeySchema,
        AttributeDefinitions: table.AttributeDefinitions,
        GlobalSecondaryIndexes: table.GlobalSecondaryIndexes,
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );

    const revoked: SessionRevoker = { async revoke() {} };
    deps = {
      config,
      store: new DynamoRequestStore('requests', client),
      workflow,
      issuer: fakeIssuer,
      revoker: revoked,
      changeSets,
      signer: localApprovalSigner(),
      vault: localCredentialsVault(),
      events: { publish: async (event) => options.onEvent?.(event), refused: async (event) => options.onRefusal?.(event) },
      now: () => new Date(),
      newId: () => randomUUID(),
    };

    server = http.createServer((req, res) => {
      handle(deps, req)
        .then((result) => {
          res.writeHead(result.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(result.body));
        })
        .catch((error: Error) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'internal', message: error.message }));
        });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    // Nothing is left running: a port in use, say, stops what had started.
    workflow.close();
    client.destroy();
    await stopDynalite();
    throw error;
  }
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    roles: Object.keys(config.roles),
    approvers,
    workflow,
    close: async () => {
      workflow.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // The client's idle keep-alive sockets would hold dynalite open for seconds.
      client.destroy();
      await stopDynalite();
    },
  };
}

const ROUTE = /^\/requests(?:\/([A-Za-z0-9-]{1,64}))?(?:\/(approve|deny|revoke|credentials))?\/?$/;

/** The API Gateway resource of a local path's id and action: `/requests/break-glass` is a route of its own, as deployed. */
export function localResource(id: string | undefined, action: string | undefined): string {
  if (id === BREAK_GLASS_SEGMENT && !action) return `/requests/${BREAK_GLASS_SEGMENT}`;
  return `/requests${id ? '/{id}' : ''}${action ? `/${action}` : ''}`;
}

/** The path segment of `POST /requests/break-glass`; request ids are never it. */
export const BREAK_GLASS_SEGMENT = 'break-glass';

async function handle(deps: HandlerDeps, req: http.IncomingMessage): Promise<{ status: number; body: Record<string, unknown> }> {
  const identity = req.headers[IDENTITY_HEADER];
  if (typeof identity !== 'string' || identity.length === 0) {
    return { status: 401, body: { error: 'no-identity', message: `local mode needs the ${IDENTITY_HEADER} header: the caller's principal ARN` } };
  }
  const match = ROUTE.exec(new URL(req.url ?? '/', 'http://localhost').pathname);
  if (!match) {
    return { status: 404, body: { error: 'no-such-route', message: `${req.method} ${req.url} is not part of the API` } };
  }
  const raw = await readBody(req);
  let body: unknown = {};
  try {
    body = raw ? JSON.parse(raw) : {};
  } catch {
    return { status: 400, body: { error: 'invalid-json', message: 'the request body is not JSON' } };
  }
  const resource = localResource(match[1], match[2]);
  const query = Object.fromEntries(new URL(req.url ?? '/', 'http://localhost').searchParams.entries());
  return route(deps, req.method ?? 'GET', resource, identity, resource.includes('{id}') ? match[1] : undefined, body, query);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > 64 * 1024) {
        reject(new Error('request body over 64 KiB'));
        req.destroy();
      }
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}
