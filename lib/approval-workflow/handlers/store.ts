/*
 * The requests table. One item per request holds its state, its approvals and its history; every
 * change is one conditional UpdateItem on the item's version that also appends the history entry,
 * so a state change and its audit record are written together or not at all (no transactions
 * needed). Credentials are kept only until they are handed out.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { BreakGlassUse } from '../logic/break-glass';
import { ElevationRequest, RequestStatus } from '../logic/rules';

/** The table's index of requests by status, oldest first. */
export const STATUS_INDEX = { name: 'byStatus', partitionKey: 'status', sortKey: 'createdAt' } as const;

/** What the index holds of a request besides its keys: never credentials or task tokens. */
export const LISTED_ATTRIBUTES = [
  'requestId',
  'requester',
  'onBehalfOf',
  'role',
  'durationSeconds',
  'justification',
  'ticket',
  'changeSetArn',
  'impact',
  'expiresAt',
  'approvals',
  'version',
] as const;

/** One entry of a request's audit trail. */
export interface HistoryEntry {
  readonly at: string;
  readonly event: string;
  readonly by?: string;
  readonly detail?: Record<string, unknown>;
}

/** Temporary credentials of an issued session. */
export interface SessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: string;
}

/** A stored request: the request, its history, and what only the workflow sees. */
export interface StoredRequest extends ElevationRequest {
  readonly history: HistoryEntry[];
  readonly taskToken?: string;
  /** The issued session's credentials, sealed for this request and requester (`CredentialsVault`), until delivered. */
  readonly credentials?: { readonly sealed: string };
}

/** Fields a write may set, and fields it removes. */
export interface Change {
  readonly set?: Partial<Omit<StoredRequest, 'requestId' | 'version' | 'history'>>;
  readonly remove?: Array<'taskToken' | 'credentials'>;
  readonly history: HistoryEntry;
}

/**
 * A record of uses (a role's break-glass requests, for its rate limit), kept in the requests table
 * under a reserved key (`#...`) that is never a request id; it has no status, so the status index
 * never lists it.
 */
export interface UsageRecord {
  readonly uses: BreakGlassUse[];
  /** Optimistic-concurrency version; 0 for a record not written yet. */
  readonly version: number;
}

/** The first character of the table's reserved keys: request ids never start with it. */
export const RESERVED_KEY_PREFIX = '#';

/** Thrown when the item changed since it was read; callers re-read and decide again. */
export class VersionConflict extends Error {
  constructor(requestId: string) {
    super(`request ${requestId} changed while it was being updated`);
    this.name = 'VersionConflict';
  }
}

/** The requests table. */
export interface RequestStore {
  create(request: ElevationRequest, history: HistoryEntry): Promise<void>;
  get(requestId: string): Promise<StoredRequest | undefined>;
  /** Applies `change` if the item is still at `expectedVersion`; returns the new item. */
  update(requestId: string, expectedVersion: number, change: Change): Promise<StoredRequest>;
  /** Requests in `status`, oldest first, at most `limit` (read from an index: a moment behind the table). */
  listByStatus(status: RequestStatus, limit: number): Promise<StoredRequest[]>;
  /** The usage record under a reserved `key`; version 0 and no uses when there is none yet. */
  getUsage(key: string): Promise<UsageRecord>;
  /** Writes `uses` under `key` if the record is still at `expectedVersion` (VersionConflict otherwise); kept until `keepUntil`. */
  putUsage(key: string, expectedVersion: number, uses: BreakGlassUse[], keepUntil: Date): Promise<void>;
}

/** How long (seconds) a finished request is kept before DynamoDB TTL may remove it. */
const RETENTION_SECONDS = 400 * 24 * 3600;

/** A `RequestStore` on a DynamoDB table. */
export class DynamoRequestStore implements RequestStore {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    private readonly tableName: string,
    client: DynamoDBClient,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  public async create(request: ElevationRequest, history: HistoryEntry): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...request, history: [history], ttl: Math.floor(Date.parse(request.createdAt) / 1000) + RETENTION_SECONDS },
        ConditionExpression: 'attribute_not_exists(requestId)',
      }),
    );
  }

  public async get(requestId: string): Promise<StoredRequest | undefined> {
    if (requestId.startsWith(RESERVED_KEY_PREFIX)) {
      // A reserved record (a rate limit's uses) is no request.
      return undefined;
    }
    const result = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { requestId }, ConsistentRead: true }));
    return result.Item as StoredRequest | undefined;
  }

  public async listByStatus(status: RequestStatus, limit: number): Promise<StoredRequest[]> {
    const found: StoredRequest[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: STATUS_INDEX.name,
          KeyConditionExpression: '#status = :status',
          ExpressionAttributeNames: { '#status': STATUS_INDEX.partitionKey },
          ExpressionAttributeValues: { ':status': status },
          ExclusiveStartKey: start,
          Limit: limit - found.length,
        }),
      );
      found.push(...((page.Items ?? []) as StoredRequest[]));
      start = page.LastEvaluatedKey;
    } while (start && found.length < limit);
    return found;
  }

  public async getUsage(key: string): Promise<UsageRecord> {
    reserved(key);
    const result = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { requestId: key }, ConsistentRead: true }));
    return result.Item ? { uses: (result.Item.uses ?? []) as BreakGlassUse[], version: result.Item.version as number } : { uses: [], version: 0 };
  }

  public async putUsage(key: string, expectedVersion: number, uses: BreakGlassUse[], keepUntil: Date): Promise<void> {
    reserved(key);
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { requestId: key, uses, version: expectedVersion + 1, ttl: Math.floor(keepUntil.getTime() / 1000) },
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(requestId)' : '#version = :expected',
          ...(expectedVersion === 0 ? {} : { ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':expected': expectedVersion } }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') {
        throw new VersionConflict(key);
      }
      throw error;
    }
  }

  public async update(requestId: string, expectedVersion: number, change: Change): Promise<StoredRequest> {
    const names: Record<string, string> = { '#version': 'version', '#history': 'history' };
    const values: Record<string, unknown> = { ':expected': expectedVersion, ':one': 1, ':entry': [change.history] };
    const sets = ['#version = #version + :one', '#history = list_append(#history, :entry)'];
    Object.entries(change.set ?? {}).forEach(([field, value], i) => {
      if (value === undefined) {
        return;
      }
      names[`#f${i}`] = field;
      values[`:v${i}`] = value;
      sets.push(`#f${i} = :v${i}`);
    });
    const removes = (change.remove ?? []).map((field, i) => {
      names[`#r${i}`] = field;
      return `#r${i}`;
    });
    try {
      const result = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { requestId },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return result.Attributes as StoredRequest;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') {
        throw new VersionConflict(requestId);
      }
      throw error;
    }
  }
}

function reserved(key: string): void {
  if (!key.startsWith(RESERVED_KEY_PREFIX)) {
    throw new Error(`usage records live under reserved keys (${RESERVED_KEY_PREFIX}...), got ${JSON.stringify(key)}`);
  }
}

/** How many times a read-decide-write is attempted before a conflict is given up on. */
const MAX_ATTEMPTS = 8;

/**
 * Reads the request, decides and writes with `attempt`, and does it again from a fresh read when
 * the write lands on a changed item (VersionConflict), at most 8 times; the last conflict is thrown.
 * Resolves to undefined when there is no such request.
 */
export async function onFreshRead<T>(store: RequestStore, requestId: string, attempt: (request: StoredRequest) => Promise<T>): Promise<T | undefined> {
  for (let i = 0; ; i++) {
    const request = await store.get(requestId);
    if (!request) {
      return undefined;
    }
    try {
      return await attempt(request);
    } catch (error) {
      if (!(error instanceof VersionConflict) || i + 1 >= MAX_ATTEMPTS) {
        throw error;
      }
    }
  }
}
