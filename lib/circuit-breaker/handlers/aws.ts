/*
 * I/O: the breaker's dependencies on AWS. Clients are created on first use; nothing is read from
 * the environment at import time.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { EVENT_SOURCE } from '../../private/session-names';
import { BreakerConfig } from '../logic/config';
import { Trip } from '../logic/counting';
import { BreakerNotification, BreakerNotificationSettings, resetNotification, tripNotification } from '../logic/notification';
import { QUARANTINE_POLICY_NAME, quarantinePolicy } from '../logic/quarantine';
import { BreakerDeps, BreakerNotifier, ResetEvent, RoleQuarantine } from './deps';
import { BREAKER_ENV } from './env';
import { DynamoBreakerStore } from './store';

/** The quarantine as an inline policy of the agent's role. */
export class IamRoleQuarantine implements RoleQuarantine {
  constructor(private readonly client: IAMClient) {}

  public async quarantine(roleName: string, at: Date): Promise<void> {
    await this.client.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: QUARANTINE_POLICY_NAME, PolicyDocument: JSON.stringify(quarantinePolicy(at)) }));
  }

  public async release(roleName: string): Promise<'released' | 'not-quarantined'> {
    try {
      await this.client.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: QUARANTINE_POLICY_NAME }));
      return 'released';
    } catch (error) {
      if ((error as Error).name === 'NoSuchEntityException' || (error as Error).name === 'NoSuchEntity') return 'not-quarantined';
      throw error;
    }
  }
}

/** Publishes trips and resets to the approvers' and the security topic, and to the workflow's event bus. */
export class SnsBreakerNotifier implements BreakerNotifier {
  constructor(
    private readonly sns: SNSClient,
    private readonly eventBridge: EventBridgeClient,
    private readonly topicArns: readonly string[],
    private readonly eventBusName: string | undefined,
    private readonly settings: BreakerNotificationSettings,
  ) {}

  public async tripped(trip: Trip): Promise<void> {
    await this.send('tripped', tripNotification(trip, this.settings), {
      agent: trip.agent,
      at: trip.at,
      reason: trip.reason,
      events: trip.calls.map((c) => c.eventId),
      calls: trip.calls,
    });
  }

  public async reset(event: ResetEvent): Promise<void> {
    await this.send('reset', resetNotification(event), { agent: event.agent, at: event.at, requestId: event.requestId, reason: event.reason });
  }

  private async send(type: 'tripped' | 'reset', n: BreakerNotification, detail: Record<string, unknown>): Promise<void> {
    const chat = JSON.stringify({
      version: '1.0',
      source: 'custom',
      id: `circuit-breaker:${detail.agent}:${type}:${detail.at}`,
      content: { textType: 'client-markdown', title: n.chat.title, description: n.chat.description, nextSteps: n.chat.nextSteps, keywords: ['circuit-breaker', type] },
      metadata: { threadId: `circuit-breaker-${detail.agent}`, summary: n.chat.title, eventType: `circuit-breaker-${type}`, relatedResources: [], additionalContext: {} },
    });
    const message = JSON.stringify({ default: chat, https: chat, email: n.text, sms: n.short });
    await Promise.all([
      ...this.topicArns.map((topicArn) =>
        this.sns.send(
          new PublishCommand({ TopicArn: topicArn, Subject: n.subject, MessageStructure: 'json', Message: message, MessageAttributes: { type: { DataType: 'String', StringValue: `circuit-breaker-${type}` } } }),
        ),
      ),
      ...(this.eventBusName
        ? [
            this.eventBridge.send(
              new PutEventsCommand({
                Entries: [{ Source: EVENT_SOURCE, DetailType: type === 'tripped' ? 'Agent Circuit Breaker Tripped' : 'Agent Circuit Breaker Reset', Detail: JSON.stringify({ type, ...detail }), EventBusName: this.eventBusName }],
              }),
            ),
          ]
        : []),
    ]);
  }
}

/** Builds the AWS dependencies from `config` (read from the function's code) and the function's environment, on first use. */
export function awsBreakerDeps(config: BreakerConfig, env: NodeJS.ProcessEnv = process.env): BreakerDeps {
  const required = (name: string) => {
    const value = env[name];
    if (!value) {
      throw new Error(`environment variable ${name} is not set; the handler must be deployed by the AgentCircuitBreaker construct`);
    }
    return value;
  };
  return {
    config,
    store: new DynamoBreakerStore(required(BREAKER_ENV.table), new DynamoDBClient({})),
    quarantine: new IamRoleQuarantine(new IAMClient({})),
    notifier: new SnsBreakerNotifier(new SNSClient({}), new EventBridgeClient({}), [required(BREAKER_ENV.approversTopic), required(BREAKER_ENV.securityTopic)], env[BREAKER_ENV.eventBus] || undefined, {
      resetRole: required(BREAKER_ENV.resetRole),
      resetFunction: env[BREAKER_ENV.resetFunction] || '<the reset function>',
      apiUrl: env[BREAKER_ENV.apiUrl] || undefined,
    }),
    now: () => new Date(),
    log: (message, detail) => console.log(JSON.stringify({ message, ...detail })),
  };
}
