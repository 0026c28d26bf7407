/*
 * The handlers' dependencies, on AWS. Clients are created on first use; nothing is read from the
 * environment at import time.
 */
import { randomUUID } from 'crypto';
import { CloudFormationClient, DescribeChangeSetCommand, DescribeChangeSetCommandOutput } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DecryptCommand, EncryptCommand, GenerateMacCommand, KMSClient, VerifyMacCommand } from '@aws-sdk/client-kms';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteRolePolicyCommand, IAMClient, ListRolePoliciesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { SFNClient, SendTaskFailureCommand, SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { notification, snsMessage } from '../logic/notification';
import { ApprovalSigner, CredentialsVault, ChangeSetDescription, ChangeSetReader, EventPublisher, RefusalEvent, HandlerDeps, SessionIssuer, SessionRevoker, Workflow, WorkflowConfig, WorkflowEvent } from './deps';
import { ENV } from './env';
import { DynamoRequestStore, SessionCredentials } from './store';

/** Prefix of the inline policies, one per revoked request, on an elevated role. */
export const REVOCATION_POLICY_PREFIX = 'agent-guardrails-revoke-';

/** Sessions last at most an hour; revocations older than this can no longer match a live session. */
const REVOCATION_MEMORY_MS = 2 * 3600 * 1000;

/** The state machine through the Step Functions API. */
export class StepFunctionsWorkflow implements Workflow {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  public async start(requestId: string): Promise<void> {
    await this.client.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: requestId, input: JSON.stringify({ requestId }) }));
  }

  public async approve(taskToken: string, requestId: string): Promise<void> {
    await this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify({ requestId }) }));
  }

  public async reject(taskToken: string, error: string, cause: string): Promise<void> {
    await this.client.send(new SendTaskFailureCommand({ taskToken, error, cause }));
  }
}

/** Approval proofs with a KMS HMAC key: the key policy lets the API function sign and the issuer verify. */
export class KmsApprovalSigner implements ApprovalSigner {
  constructor(
    private readonly client: KMSClient,
    private readonly keyId: string,
  ) {}

  public async sign(message: string): Promise<string> {
    const result = await this.client.send(new GenerateMacCommand({ KeyId: this.keyId, MacAlgorithm: 'HMAC_SHA_256', Message: new TextEncoder().encode(message) }));
    return Buffer.from(result.Mac!).toString('base64');
  }

  public async verify(message: string, proof: string): Promise<boolean> {
    try {
      const result = await this.client.send(
        new VerifyMacCommand({ KeyId: this.keyId, MacAlgorithm: 'HMAC_SHA_256', Message: new TextEncoder().encode(message), Mac: new Uint8Array(Buffer.from(proof, 'base64')) }),
      );
      return result.MacValid === true;
    } catch (error) {
      // KMS answers a wrong MAC with an error rather than MacValid: false.
      if ((error as Error).name === 'KMSInvalidMacException') return false;
      throw error;
    }
  }
}

/** Credentials sealed with a KMS key, bound to the request and requester by the encryption context. */
export class KmsCredentialsVault implements CredentialsVault {
  constructor(
    private readonly client: KMSClient,
    private readonly keyId: string,
  ) {}

  public async seal(requestId: string, requesterArn: string, credentials: SessionCredentials): Promise<string> {
    const result = await this.client.send(
      new EncryptCommand({ KeyId: this.keyId, Plaintext: new TextEncoder().encode(JSON.stringify(credentials)), EncryptionContext: { requestId, requester: requesterArn } }),
    );
    return Buffer.from(result.CiphertextBlob!).toString('base64');
  }

  public async open(requestId: string, requesterArn: string, sealed: string): Promise<SessionCredentials> {
    const result = await this.client.send(
      new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: new Uint8Array(Buffer.from(sealed, 'base64')), EncryptionContext: { requestId, requester: requesterArn } }),
    );
    return JSON.parse(new TextDecoder().decode(result.Plaintext!)) as SessionCredentials;
  }
}

/** Nested change sets followed at most: a deeper tree is reported as not shown. */
const MAX_NESTED_CHANGE_SETS = 50;

/** Describes change sets with `cloudformation:DescribeChangeSet`: property values, every page, nested change sets. */
export class CloudFormationChangeSetReader implements ChangeSetReader {
  constructor(private readonly client: CloudFormationClient) {}

  public async describe(changeSetArn: string): Promise<ChangeSetDescription> {
    const documents: unknown[] = [];
    const queue = [changeSetArn];
    while (queue.length > 0 && documents.length <= MAX_NESTED_CHANGE_SETS) {
      const arn = queue.shift()!;
      let described: Omit<DescribeChangeSetCommandOutput, '$metadata'> | undefined;
      let nextToken: string | undefined;
      do {
        let page: DescribeChangeSetCommandOutput;
        try {
          page = await this.client.send(new DescribeChangeSetCommand({ ChangeSetName: arn, IncludePropertyValues: true, NextToken: nextToken }));
        } catch (error) {
          if ((error as Error).name === 'ChangeSetNotFoundException' || (error as Error).name === 'ChangeSetNotFound') {
            return { found: false, message: `change set ${arn} does not exist` };
          }
          throw error;
        }
        const { $metadata: _metadata, ...rest } = page;
        described = described ? { ...described, Changes: [...(described.Changes ?? []), ...(rest.Changes ?? [])] } : rest;
        nextToken = page.NextToken;
      } while (nextToken);
      documents.push(described);
      for (const change of described?.Changes ?? []) {
        const nested = change.ResourceChange?.ResourceType === 'AWS::CloudFormation::Stack' ? change.ResourceChange.ChangeSetId : undefined;
        if (nested) queue.push(nested);
      }
    }
    return { found: true, documents };
  }
}

/** Issues sessions with `sts:AssumeRole`. */
export class StsSessionIssuer implements SessionIssuer {
  constructor(private readonly client: STSClient) {}

  public async assumeRole(params: Parameters<SessionIssuer['assumeRole']>[0]) {
    const result = await this.client.send(
      new AssumeRoleCommand({
        RoleArn: params.roleArn,
        RoleSessionName: params.sessionName,
        SourceIdentity: params.sourceIdentity,
        DurationSeconds: params.durationSeconds,
        Policy: params.policy,
        Tags: params.tags,
      }),
    );
    const c = result.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new Error(`sts:AssumeRole returned no credentials for ${params.roleArn}`);
    }
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration.toISOString() };
  }
}

/**
 * Revokes sessions the standard way: a Deny on the elevated role for sessions issued before now
 * (`aws:TokenIssueTime`), narrowed to the revoked request's session tag so that other requests'
 * sessions of the same role keep working. Each revocation is its own inline policy, named with
 * its time, so concurrent revocations never overwrite each other; those older than any session
 * could live are removed.
 */
export class IamSessionRevoker implements SessionRevoker {
  constructor(
    private readonly client: IAMClient,
    private readonly now: () => Date,
  ) {}

  public async revoke(roleArn: string, requestId: string, before: Date): Promise<void> {
    const roleName = roleArn.split('/').pop()!;
    const cutoff = this.now().getTime() - REVOCATION_MEMORY_MS;
    const existing = ((await this.client.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? []).map(parseRevocationPolicyName);
    const live = existing.filter((p): p is RevocationPolicy => p !== undefined && p.at >= cutoff);
    const perRequest = live.filter((p) => p.scope === 'request');
    let obsolete: RevocationPolicy[];
    if (perRequest.length < MAX_REQUEST_REVOCATIONS) {
      const document = { Version: '2012-10-17', Statement: [revocationStatement(requestId, before)] };
      await this.client.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: revocationPolicyName(requestId, before), PolicyDocument: JSON.stringify(document) }));
      obsolete = [];
    } else {
      // A role's inline policies share one quota: past this many revocations, one policy ends every
      // session of the role issued so far, which covers (and replaces) the older revocations.
      const document = { Version: '2012-10-17', Statement: [revocationStatement(undefined, before)] };
      await this.client.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: revocationPolicyName(undefined, before), PolicyDocument: JSON.stringify(document) }));
      obsolete = live.filter((p) => p.at < Math.floor(before.getTime() / 1000) * 1000);
    }
    const expired = existing.filter((p): p is RevocationPolicy => p !== undefined && p.at < cutoff);
    for (const policy of [...expired, ...obsolete]) {
      await this.client.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policy.name }));
    }
  }
}

/** Revocations of single requests a role holds before one revocation of all its sessions replaces them. */
export const MAX_REQUEST_REVOCATIONS = 20;

interface RevocationPolicy {
  readonly name: string;
  /** Milliseconds since the epoch, to the second. */
  readonly at: number;
  readonly scope: 'request' | 'all';
}

function parseRevocationPolicyName(name: string): RevocationPolicy | undefined {
  if (!name.startsWith(REVOCATION_POLICY_PREFIX)) return undefined;
  const [seconds, rest] = name.slice(REVOCATION_POLICY_PREFIX.length).split(/-(.*)/s, 2);
  const at = Number(seconds) * 1000;
  return Number.isFinite(at) ? { name, at, scope: rest === ALL_SESSIONS ? 'all' : 'request' } : undefined;
}

const ALL_SESSIONS = 'all-sessions';

/** The inline policy name of one revocation: prefix, epoch seconds, request id or `all-sessions` (128 characters at most). */
export function revocationPolicyName(requestId: string | undefined, at: Date): string {
  return `${REVOCATION_POLICY_PREFIX}${Math.floor(at.getTime() / 1000)}-${requestId === undefined ? ALL_SESSIONS : requestId.replace(/[^\w+=,.@-]/g, '')}`.slice(0, 128);
}

/** The Deny that ends the sessions of one request (or, without one, every session) issued before `before`. */
export function revocationStatement(requestId: string | undefined, before: Date): Record<string, any> {
  return {
    Sid: requestId === undefined ? 'RevokeAllSessions' : `Revoke${requestId.replace(/[^A-Za-z0-9]/g, '')}`,
    Effect: 'Deny',
    Action: '*',
    Resource: '*',
    Condition: {
      DateLessThan: { 'aws:TokenIssueTime': before.toISOString() },
      ...(requestId === undefined ? {} : { StringEquals: { 'aws:PrincipalTag/agent-guardrails:request-id': requestId } }),
    },
  };
}

/** What the notifications need besides the request. */
export interface NotificationSettings {
  readonly requiredApprovals: number;
  /** The approval API's URL, for the commands in the message. @default - the commands omit --url */
  readonly apiUrl?: string;
  /**
   * Security topics by elevated role (`BreakGlassOptions.securityTopic`): every event of a
   * break-glass request or its review goes there too. @default - none
   */
  readonly securityTopics?: Readonly<Record<string, string>>;
}

/**
 * Publishes every state change to an SNS topic, as messages people act on (email, chat, SMS), and
 * to EventBridge, as the request's fields for programs.
 */
export class SnsAndEventBridgePublisher implements EventPublisher {
  constructor(
    private readonly sns: SNSClient,
    private readonly eventBridge: EventBridgeClient,
    private readonly topicArn: string,
    private readonly eventBusName: string,
    private readonly settings: NotificationSettings,
  ) {}

  public async publish(event: WorkflowEvent): Promise<void> {
    const detail = eventDetail(event);
    const message = notification({ ...event, ...this.settings });
    await Promise.all([
      ...this.topicsOf(event).map((topicArn) =>
        this.sns.send(
          new PublishCommand({
            TopicArn: topicArn,
            Subject: message.subject,
            MessageStructure: 'json',
            Message: snsMessage(message),
            MessageAttributes: { type: { DataType: 'String', StringValue: event.type } },
          }),
        ),
      ),
      this.eventBridge.send(
        new PutEventsCommand({
          Entries: [{ Source: 'agent-guardrails', DetailType: detailType(event.type), Detail: JSON.stringify(detail), EventBusName: this.eventBusName }],
        }),
      ),
    ]);
  }

  /** The workflow's topic, and for a break-glass request or its review, the role's security topic too. */
  private topicsOf(event: WorkflowEvent): string[] {
    const r = event.request;
    const security = r.breakGlass || r.kind === 'review' ? this.settings.securityTopics?.[r.role] : undefined;
    return [this.topicArn, ...(security && security !== this.topicArn ? [security] : [])];
  }

  public async refused(event: RefusalEvent): Promise<void> {
    await this.eventBridge.send(
      new PutEventsCommand({ Entries: [{ Source: 'agent-guardrails', DetailType: 'Elevation Request Refused', Detail: JSON.stringify({ type: 'refused', ...event }), EventBusName: this.eventBusName }] }),
    );
  }
}

/** What an event says: never credentials or task tokens. */
export function eventDetail(event: WorkflowEvent): Record<string, unknown> {
  const r = event.request;
  return {
    type: event.type,
    requestId: r.requestId,
    status: r.status,
    role: r.role,
    requester: r.requester.callerArn,
    onBehalfOf: r.onBehalfOf?.callerArn,
    justification: r.justification,
    ticket: r.ticket,
    changeSetArn: r.changeSetArn,
    approvals: Object.keys(r.approvals),
    by: event.by,
    ...(r.breakGlass ? { breakGlass: true, reviewRequestId: r.breakGlass.reviewRequestId } : {}),
    ...(r.kind === 'review' ? { kind: r.kind, reviewOf: r.reviewOf } : {}),
  };
}

/** The event's detail-type: `Elevation Request Approved`, `Elevation Request Break Glass`. */
function detailType(type: WorkflowEvent['type']): string {
  return `Elevation Request ${type
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ')}`;
}

/** Builds the AWS dependencies from the function's environment, on first use. */
export function awsDeps(env: NodeJS.ProcessEnv = process.env): HandlerDeps {
  const required = (name: string) => {
    const value = env[name];
    if (!value) {
      throw new Error(`environment variable ${name} is not set; the handler must be deployed by the TwoPersonApproval construct`);
    }
    return value;
  };
  const config = JSON.parse(required(ENV.config)) as WorkflowConfig;
  const now = () => new Date();
  return {
    config,
    store: new DynamoRequestStore(required(ENV.table), new DynamoDBClient({})),
    workflow: new StepFunctionsWorkflow(new SFNClient({}), required(ENV.stateMachine)),
    issuer: new StsSessionIssuer(new STSClient({})),
    revoker: new IamSessionRevoker(new IAMClient({}), now),
    changeSets: new CloudFormationChangeSetReader(new CloudFormationClient({})),
    signer: new KmsApprovalSigner(new KMSClient({}), required(ENV.approvalKey)),
    vault: new KmsCredentialsVault(new KMSClient({}), required(ENV.credentialsKey)),
    events: new SnsAndEventBridgePublisher(new SNSClient({}), new EventBridgeClient({}), required(ENV.topic), required(ENV.eventBus), {
      requiredApprovals: config.requiredApprovals,
      apiUrl: env[ENV.apiUrl] || undefined,
      securityTopics: env[ENV.securityTopics] ? (JSON.parse(env[ENV.securityTopics]!) as Record<string, string>) : undefined,
    }),
    now,
    newId: () => randomUUID(),
    log: (message, detail) => console.log(JSON.stringify({ message, ...detail })),
  };
}
