/*
 * I/O: the breaker's table. One item per agent holds its state, what was done about its trip,
 * and a short history; every change is one conditional write on the item's version (no
 * transactions, which dynalite lacks and one item does not need).
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { BreakerState } from '../logic/counting';

/** The table's partition key. */
export const BREAKER_TABLE_KEY = 'agent';

/** One entry of an agent's breaker history: trips and resets. */
export interface BreakerHistoryEntry {
  readonly at: string;
  readonly event: 'tripped' | 'quarantined' | 'notified' | 'reset';
  readonly detail?: Record<string, unknown>;
}

/** What the table holds for one agent. */
export interface BreakerRecord {
  readonly state: BreakerState;
  /** When the current trip's quarantine policy was put on the role. */
  readonly quarantinedAt?: string;
  /** When the current trip was published to the approvers and the security team. */
  readonly notifiedAt?: string;
  readonly history: readonly BreakerHistoryEntry[];
}

/** Entries of history kept per agent. */
export const MAX_HISTORY = 50;

/** Thrown when the item changed since it was read; callers read again and decide again. */
export class BreakerVersionConflict extends Error {
  constructor(agent: string) {
    super(`the breaker of ${agent} changed while it was being updated`);
    this.name = 'BreakerVersionConflict';
  }
}

/** The breaker's table. */
export interface BreakerStore {
  get(agent: string): Promise<{ readonly record: BreakerRecord; readonly version: number } | undefined>;
  /** Writes `record` if the item is still at `expectedVersion` (absent: not yet written); returns the new version. */
  put(agent: string, record: BreakerRecord, expectedVersion: number | undefined): Promise<number>;
}

/** The table in DynamoDB. */
export class DynamoBreakerStore implements BreakerStore {
  private readonly client: DynamoDBDocumentClient;

  constructor(
    private readonly tableName: string,
    client: DynamoDBClient,
  ) {
    this.client = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  public async get(agent: string) {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { [BREAKER_TABLE_KEY]: agent }, ConsistentRead: true }));
    if (!result.Item) return undefined;
    const { version, record } = result.Item as { version: number; record: BreakerRecord };
    return { record, version };
  }

  public async put(agent: string, record: BreakerRecord, expectedVersion: number | undefined): Promise<number> {
    const version = (expectedVersion ?? 0) + 1;
    const bounded: BreakerRecord = { ...record, history: record.history.slice(-MAX_HISTORY) };
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { [BREAKER_TABLE_KEY]: agent, version, status: record.state.status, record: bounded },
          ConditionExpression: expectedVersion === undefined ? 'attribute_not_exists(#key)' : '#version = :expected',
          ExpressionAttributeNames: expectedVersion === undefined ? { '#key': BREAKER_TABLE_KEY } : { '#version': 'version' },
          ...(expectedVersion === undefined ? {} : { ExpressionAttributeValues: { ':expected': expectedVersion } }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') {
        throw new BreakerVersionConflict(agent);
      }
      throw error;
    }
    return version;
  }
}
