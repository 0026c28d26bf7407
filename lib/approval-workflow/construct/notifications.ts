/*
 * Construct: where people hear of requests. The workflow's topic gets the email addresses given,
 * and is added to the Slack and Microsoft Teams channels of Amazon Q Developer in chat
 * applications (formerly AWS Chatbot) given. The messages themselves are written by the handlers
 * (logic/notification.ts).
 */
import { Token } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { ApprovalNotifications } from '../props';

/** What SNS takes as an email endpoint: one address, no display name. */
const EMAIL = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/;

/** The problems of `notifications`, each naming the prop, the value and the fix. */
export function notificationProblems(notifications: ApprovalNotifications | undefined): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const email of notifications?.emails ?? []) {
    if (Token.isUnresolved(email)) continue;
    if (!EMAIL.test(email)) {
      problems.push(`notifications.emails must hold plain email addresses (name@example.com), got ${JSON.stringify(email)}`);
    } else if (seen.has(email.toLowerCase())) {
      problems.push(`notifications.emails names ${email} twice; give each address once`);
    }
    seen.add(email.toLowerCase());
  }
  return problems;
}

/** Subscribes the emails to `topic` and adds it to the chat channels. */
export function deliverNotifications(topic: sns.ITopic, notifications: ApprovalNotifications | undefined): void {
  for (const email of notifications?.emails ?? []) {
    topic.addSubscription(new subscriptions.EmailSubscription(email));
  }
  for (const channel of notifications?.slackChannels ?? []) {
    channel.addNotificationTopic(topic);
  }
  for (const channel of notifications?.teamsChannels ?? []) {
    channel.snsTopicArns = [...(channel.snsTopicArns ?? []), topic.topicArn];
  }
}
