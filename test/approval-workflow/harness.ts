/*
 * Runs the approval workflow on this machine with real parts where they exist: the synthesized
 * state machine in aws-local-stepfunctions, the synthesized table's schema in dynalite on
 * 127.0.0.1, the real handlers. STS, IAM, SNS and EventBridge have no local implementation and
 * are faked at the SDK boundary with aws-sdk-client-mock.
 */
import { AddressInfo } from 'net';
import { createCipheriv, createDecipheriv, createHmac, randomBytes, randomUUID } from 'crypto';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DecryptCommand, EncryptCommand, GenerateMacCommand, KMSClient, VerifyMacCommand } from '@aws-sdk/client-kms';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteRolePolicyCommand, IAMClient, ListRolePoliciesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, AssumeRoleCommandInput, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { route } from '../../lib/approval-workflow/handlers/api-handler';
import { CloudFormationChangeSetReader, IamSessionRevoker, KmsApprovalSigner, KmsCredentialsVault, SnsAndEventBridgePublisher, StsSessionIssuer } from '../../lib/approval-workflow/handlers/aws';
import { HandlerDeps } from '../../lib/approval-workflow/handlers/deps';
import { DynamoRequestStore, RequestStore } from '../../lib/approval-workflow/handlers/store';
import { makeTaskHandler } from '../../lib/approval-workflow/handlers/task-handler';
import { LocalWorkflow } from '../../lib/approval-workflow/local/local-workflow';
import { localResource, synthesizeLocalWorkflow } from '../../lib/approval-workflow/local/server';

export const ACCOUNT = '111122223333';
export const AGENT = `arn:aws:sts::${ACCOUNT}:assumed-role/coding-agent/task-42`;
export const ALICE = `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Approver_0123456789abcdef/alice@example.com`;
export const BOB = `arn:aws:iam::${ACCOUNT}:user/bob`;
export const CAROL = `arn:aws:sts::${ACCOUNT}:assumed-role/change-approver/carol`;
export const MALLORY = `arn:aws:iam::${ACCOUNT}:user/mallory`;

/** The synthesized workflow, exactly as local mode builds it: template, definition and configuration. */
export function synthesizeWorkflow(options: { readonly changeSets?: boolean } = {}) {
  return synthesizeLocalWorkflow([ALICE, BOB, `arn:aws:iam::${ACCOUNT}:role/approvers/change-approver`], undefined, options);
}

/** dynalite on a free loopback port. */
export async function startDynalite(): Promise<{ client: DynamoDBClient; close: () => Promise<void> }> {
  const dynalite = require('dynalite');
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  return { client, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Creates a table with the synthesized table's key schema. */
export async function createTable(client: DynamoDBClient, template: any): Promise<string> {
  const table = Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::DynamoDB::Table').Properties;
  const name = `requests-${randomUUID()}`;
  await client.send(
    new CreateTableCommand({ TableName: name, KeySchema: table.KeySchema, AttributeDefinitions: table.AttributeDefinitions, GlobalSecondaryIndexes: table.GlobalSecondaryIndexes, BillingMode: 'PAY_PER_REQUEST' }),
  );
  return name;
}

/** Options for one workflow under test. */
export interface HarnessOptions {
  readonly pendingSeconds?: number;
  /** Seconds until issued credentials expire. */
  readonly sessionSeconds?: number;
  /** Wraps the store (to inject a crash). */
  readonly wrapStore?: (store: RequestStore) => RequestStore;
  /** Security topics of break-glass roles, by role, as the construct passes them. */
  readonly securityTopics?: Record<string, string>;
}

/** A running workflow with fakes at the SDK boundary. */
export async function harness(client: DynamoDBClient, synthesized: ReturnType<typeof synthesizeWorkflow>, options: HarnessOptions = {}) {
  const sts = mockClient(STSClient);
  const cfn = mockClient(CloudFormationClient);
  // KMS HMAC keys have no local implementation: GenerateMac and VerifyMac as KMS answers them.
  const kms = mockClient(KMSClient);
  const macKey = randomUUID();
  const mac = (message: Uint8Array) => createHmac('sha256', macKey).update(message).digest('base64');
  kms.on(GenerateMacCommand).callsFake((input) => ({ Mac: new Uint8Array(Buffer.from(mac(input.Message!), 'base64')), MacAlgorithm: input.MacAlgorithm, KeyId: input.KeyId }));
  // Encrypt and Decrypt as KMS answers them: the ciphertext opens only with the same encryption context.
  const sealKey = new Uint8Array(randomBytes(32));
  const aad = (context: Record<string, string> | undefined) => new Uint8Array(Buffer.from(JSON.stringify(Object.entries(context ?? {}).sort()), 'utf8'));
  kms.on(EncryptCommand).callsFake((input) => {
    const iv = new Uint8Array(randomBytes(12));
    const cipher = createCipheriv('aes-256-gcm', sealKey, iv);
    cipher.setAAD(aad(input.EncryptionContext));
    const body = Buffer.concat([new Uint8Array(cipher.update(new Uint8Array(input.Plaintext!))), new Uint8Array(cipher.final())]);
    return { CiphertextBlob: new Uint8Array(Buffer.concat([iv, new Uint8Array(cipher.getAuthTag()), new Uint8Array(body)])), KeyId: input.KeyId };
  });
  kms.on(DecryptCommand).callsFake((input) => {
    const raw = Buffer.from(input.CiphertextBlob!);
    const decipher = createDecipheriv('aes-256-gcm', sealKey, new Uint8Array(raw.subarray(0, 12)));
    decipher.setAAD(aad(input.EncryptionContext));
    decipher.setAuthTag(new Uint8Array(raw.subarray(12, 28)));
    try {
      return { Plaintext: new Uint8Array(Buffer.concat([new Uint8Array(decipher.update(new Uint8Array(raw.subarray(28)))), new Uint8Array(decipher.final())])), KeyId: input.KeyId };
    } catch {
      throw Object.assign(new Error('The ciphertext or its encryption context is not valid'), { name: 'InvalidCiphertextException' });
    }
  });
  kms.on(VerifyMacCommand).callsFake((input) => {
    if (mac(input.Message!) !== Buffer.from(input.Mac!).toString('base64')) {
      throw Object.assign(new Error('The MAC is not valid'), { name: 'KMSInvalidMacException' });
    }
    return { MacValid: true, KeyId: input.KeyId, MacAlgorithm: input.MacAlgorithm };
  });
  const iamMock = mockClient(IAMClient);
  const snsMock = mockClient(SNSClient);
  const eventsMock = mockClient(EventBridgeClient);
  const sessionSeconds = options.sessionSeconds ?? 3600;
  sts.on(AssumeRoleCommand).callsFake((input: AssumeRoleCommandInput) => ({
    Credentials: {
      AccessKeyId: `ASIA${randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase()}`,
      SecretAccessKey: randomUUID(),
      SessionToken: `token-for-${input.RoleSessionName}`,
      Expiration: new Date(Date.now() + sessionSeconds * 1000),
    },
  }));
  const rolePolicies = new Map<string, string>();
  iamMock.on(PutRolePolicyCommand).callsFake((input) => {
    rolePolicies.set(`${input.RoleName}/${input.PolicyName}`, input.PolicyDocument);
    return {};
  });
  iamMock.on(ListRolePoliciesCommand).callsFake((input) => ({
    PolicyNames: [...rolePolicies.keys()].filter((k) => k.startsWith(`${input.RoleName}/`)).map((k) => k.split('/')[1]),
  }));
  iamMock.on(DeleteRolePolicyCommand).callsFake((input) => {
    rolePolicies.delete(`${input.RoleName}/${input.PolicyName}`);
    return {};
  });
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
  eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });

  const tableName = await createTable(client, synthesized.template);
  const baseStore = new DynamoRequestStore(tableName, client);
  const store = options.wrapStore ? options.wrapStore(baseStore) : baseStore;
  const config = { ...synthesized.config, pendingSeconds: options.pendingSeconds ?? synthesized.config.pendingSeconds };
  let deps!: HandlerDeps;
  const runTask = makeTaskHandler(() => deps);
  const workflow = new LocalWorkflow({
    definition: synthesized.definition,
    runTask: (payload) => runTask(payload as any),
    taskTimeoutOverrides: { AwaitApprovals: config.pendingSeconds },
    retryIntervalOverrides: { IssueSession: 0, FailRequest: 0, EndSession: 0 },
    waitTimeOverrides: options.sessionSeconds === undefined ? { UntilSessionEnds: 0 } : undefined,
  });
  deps = {
    config,
    store,
    workflow,
    issuer: new StsSessionIssuer(new STSClient({ region: 'us-east-1' })),
    revoker: new IamSessionRevoker(new IAMClient({ region: 'us-east-1' }), () => new Date()),
    changeSets: new CloudFormationChangeSetReader(new CloudFormationClient({ region: 'us-east-1' })),
    signer: new KmsApprovalSigner(new KMSClient({ region: 'us-east-1' }), 'alias/approvals'),
    vault: new KmsCredentialsVault(new KMSClient({ region: 'us-east-1' }), 'alias/credentials'),
    events: new SnsAndEventBridgePublisher(new SNSClient({ region: 'us-east-1' }), new EventBridgeClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:111122223333:events', 'default', {
      requiredApprovals: config.requiredApprovals,
      apiUrl: 'https://abc123.execute-api.us-east-1.amazonaws.com/v1',
      securityTopics: options.securityTopics,
    }),
    now: () => new Date(),
    newId: () => randomUUID(),
  };
  const call = async (method: string, path: string, caller: string, body: unknown = {}, query: Record<string, string> = {}) => {
    const match = /^\/requests(?:\/([^/]+))?(?:\/(approve|deny|revoke|credentials))?$/.exec(path)!;
    const resource = localResource(match[1], match[2]);
    return route(deps, method, resource, caller, resource.includes('{id}') ? match[1] : undefined, body, query);
  };
  const restore = () => {
    workflow.close();
    [sts, cfn, kms, iamMock, snsMock, eventsMock].forEach((m) => m.restore());
  };
  return { deps, workflow, store: baseStore, call, sts, cfn, iam: iamMock, sns: snsMock, events: eventsMock, rolePolicies, restore };
}

/** A request body for the elevated role. */
export function requestBody(overrides: Record<string, unknown> = {}) {
  return { role: 'deployer', durationSeconds: 1800, justification: 'execute the approved change set for OPS-7', onBehalfOf: ALICE, ...overrides };
}
