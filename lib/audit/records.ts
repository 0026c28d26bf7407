/*
 * Pure: one CloudTrail record, narrowed to the fields the audit reads, as AWS documents them
 * (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
 * and the userIdentity element): who called (`userIdentity`: its `type`, `arn`, `accessKeyId`, and
 * for a role session `sessionContext.sessionIssuer.arn`, `sessionContext.attributes.creationDate`
 * and `sessionContext.sourceIdentity`), what (`eventSource`, `eventName`, `requestParameters`,
 * `responseElements`, `resources`) and how it ended (`errorCode`, `errorMessage`). Every value is
 * untrusted text: it is kept as data here and escaped by each output format.
 */

/** Who made a call, from `userIdentity`. */
export interface Caller {
  /** `AssumedRole`, `IAMUser`, `AWSService`, `Root`, ... */
  readonly type?: string;
  /** The assumed-role ARN of a role session (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`), a user's ARN. */
  readonly arn?: string;
  readonly accountId?: string;
  /** The session's access key id (empty in some records, such as console calls). */
  readonly accessKeyId?: string;
  /** The role of a role session, with its path: `sessionContext.sessionIssuer.arn`. */
  readonly issuerArn?: string;
  /** When the session was issued, as ISO: `sessionContext.attributes.creationDate`. */
  readonly issuedAt?: string;
  /** The session's source identity, which role chaining keeps. */
  readonly sourceIdentity?: string;
  /** The service that made the call for the caller, if any. */
  readonly invokedBy?: string;
}

/** One CloudTrail record. */
export interface TrailRecord {
  /** `eventID`, or where the record was read when it has none. */
  readonly eventId: string;
  /** `eventTime`, as ISO in UTC. */
  readonly eventTime: string;
  readonly eventSource: string;
  readonly eventName: string;
  readonly awsRegion?: string;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  /** `readOnly` as recorded; absent in some records. */
  readonly readOnly?: boolean;
  readonly requestParameters?: Readonly<Record<string, unknown>>;
  readonly responseElements?: Readonly<Record<string, unknown>>;
  /** `resources[].ARN`. */
  readonly resourceArns: readonly string[];
  /** `recipientAccountId`, else the caller's account. */
  readonly accountId?: string;
  readonly caller: Caller;
}

/** A record narrowed, or what is wrong with it. */
export type RecordResult = { readonly ok: true; readonly record: TrailRecord } | { readonly ok: false; readonly problem: string };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** A CloudTrail time as ISO in UTC: `2026-03-02T09:58:00Z`, the older `20260302T095800Z`, or AssumeRole's `Mar 2, 2026, 10:58:00 AM`. */
export function isoTime(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value * 1000).toISOString();
  if (typeof value !== 'string' || value === '') return undefined;
  const compact = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  const candidate = compact ? `${compact[1]}-${compact[2]}-${compact[3]}T${compact[4]}:${compact[5]}:${compact[6]}Z` : value;
  // A time without a zone is UTC in CloudTrail (STS prints credential expirations so).
  const hasZone = /(Z|[+-]\d{2}:?\d{2}|UTC|GMT)$/i.test(candidate);
  const ms = Date.parse(hasZone ? candidate : `${candidate} UTC`);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString().replace('.000Z', 'Z');
}

function callerOf(identity: unknown): Caller {
  if (!isObject(identity)) return {};
  const context = isObject(identity.sessionContext) ? identity.sessionContext : {};
  const issuer = isObject(context.sessionIssuer) ? context.sessionIssuer : {};
  const attributes = isObject(context.attributes) ? context.attributes : {};
  return {
    type: text(identity.type),
    arn: text(identity.arn),
    accountId: text(identity.accountId),
    accessKeyId: text(identity.accessKeyId),
    issuerArn: text(issuer.arn),
    issuedAt: isoTime(attributes.creationDate),
    // Documented in sessionContext; some producers put it beside it.
    sourceIdentity: text(context.sourceIdentity) ?? text(identity.sourceIdentity),
    invokedBy: text(identity.invokedBy),
  };
}

/** Narrows one record; `where` names it in problems (`trail.json: record 3`). */
export function narrowRecord(raw: unknown, where: string): RecordResult {
  if (!isObject(raw)) return { ok: false, problem: `${where} is not a CloudTrail record (not an object)` };
  const missing = ['eventTime', 'eventSource', 'eventName'].filter((key) => text(raw[key]) === undefined);
  if (missing.length > 0) return { ok: false, problem: `${where} is not a CloudTrail record (no ${missing.join(', ')})` };
  const eventTime = isoTime(raw.eventTime);
  if (eventTime === undefined) return { ok: false, problem: `${where} has an eventTime that is not a time: ${JSON.stringify(raw.eventTime)}` };
  const caller = callerOf(raw.userIdentity);
  const resources = Array.isArray(raw.resources) ? raw.resources : [];
  return {
    ok: true,
    record: {
      eventId: text(raw.eventID) ?? where,
      eventTime,
      eventSource: raw.eventSource as string,
      eventName: raw.eventName as string,
      awsRegion: text(raw.awsRegion),
      errorCode: text(raw.errorCode),
      errorMessage: text(raw.errorMessage),
      readOnly: typeof raw.readOnly === 'boolean' ? raw.readOnly : raw.readOnly === 'true' ? true : raw.readOnly === 'false' ? false : undefined,
      requestParameters: isObject(raw.requestParameters) ? raw.requestParameters : undefined,
      responseElements: isObject(raw.responseElements) ? raw.responseElements : undefined,
      resourceArns: resources.flatMap((r) => (isObject(r) && text(r.ARN) ? [r.ARN as string] : [])),
      accountId: text(raw.recipientAccountId) ?? caller.accountId,
      caller,
    },
  };
}

/** How a call ended: allowed, denied by a policy, or failed for another reason. */
export type Outcome = 'allowed' | 'denied' | 'failed';

// The error codes services record for an authorization failure (EC2 prefixes `Client.`).
const DENIED = /^(Client\.)?(AccessDenied\w*|UnauthorizedOperation|Unauthorized\w*|NotAuthorized\w*|Forbidden\w*|AuthorizationError)$/i;

/** The call's outcome, from its `errorCode`. */
export function outcomeOf(record: TrailRecord): Outcome {
  if (record.errorCode === undefined) return 'allowed';
  return DENIED.test(record.errorCode) ? 'denied' : 'failed';
}

const READ_NAME = /^(Get|List|Describe|Head|Lookup|BatchGet|Search|Select|Scan|Query|Check|Preview|Estimate|Validate|Detect|Test|View)[A-Z]|^(Decrypt|GenerateDataKey\w*)$/;

/** Whether the call only reads: CloudTrail's `readOnly`, else guessed from its name. */
export function isReadOnly(record: TrailRecord): boolean {
  return record.readOnly ?? READ_NAME.test(record.eventName);
}

const TARGET_PARAMETERS = ['stackName', 'changeSetName', 'roleArn', 'roleName', 'policyArn', 'bucketName', 'functionName', 'tableName', 'name', 'keyId', 'secretId', 'logGroupName', 'clusterName', 'dBInstanceIdentifier', 'repositoryName'];

/** What the call was about, in one string: a resource ARN, else the first telling request parameter. */
export function targetOf(record: TrailRecord): string | undefined {
  if (record.resourceArns.length > 0) return record.resourceArns.join(', ');
  const params = record.requestParameters ?? {};
  for (const key of TARGET_PARAMETERS) {
    const value = params[key];
    if (typeof value === 'string' && value !== '') return /^arn:/.test(value) ? value : `${key}=${value}`;
  }
  const instances = (params.instancesSet as { items?: Array<{ instanceId?: string }> } | undefined)?.items;
  if (Array.isArray(instances)) return instances.map((i) => i.instanceId).filter(Boolean).join(', ') || undefined;
  return undefined;
}

/** The stack names a call names: `stackName` (a name or a stack ARN) and stack ARNs among its resources. */
export function stackNamesOf(record: TrailRecord): string[] {
  const names = new Set<string>();
  const fromArn = (arn: string) => /^arn:[\w-]+:cloudformation:[^:]*:\d*:stack\/([^/]+)\//.exec(arn)?.[1];
  const stackName = record.requestParameters?.stackName;
  if (typeof stackName === 'string' && stackName !== '') names.add(fromArn(stackName) ?? stackName);
  for (const arn of record.resourceArns) {
    const name = fromArn(arn);
    if (name) names.add(name);
  }
  return [...names];
}
