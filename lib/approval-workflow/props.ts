/*
 * Construct API: the properties of `TwoPersonApproval` and of its elevated roles.
 */
import { Duration } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Approver } from './approver';

/** Properties for `TwoPersonApproval`. */
export interface TwoPersonApprovalProps {
  /** The humans who may approve, each with every identity they sign in with. At least `requiredApprovals` of them. */
  readonly approvers: Approver[];

  /**
   * Opt out of requiring `onBehalfOf` on requests made by roles (agents, pipelines). Unsafe: the
   * human who operates an agent could then approve its requests, since nothing names them.
   *
   * @default false
   */
  readonly allowRequestsWithoutOnBehalfOf?: boolean;

  /**
   * Distinct humans who must approve before a session is issued. At least 2.
   *
   * @default 2
   */
  readonly requiredApprovals?: number;

  /**
   * Requests one requester may have waiting for approval at a time (1 to 50); more are refused
   * with 429 until one is decided.
   *
   * @default 3
   */
  readonly maxPendingPerRequester?: number;

  /**
   * How long a request waits for approvals before it expires. 5 minutes to 24 hours.
   *
   * @default Duration.hours(1)
   */
  readonly requestTimeout?: Duration;

  /**
   * Where people hear of requests, besides the workflow's topic and event bus: email addresses,
   * and Slack or Microsoft Teams channels of Amazon Q Developer in chat applications.
   *
   * @default - nobody: subscribe to `topic` yourself
   */
  readonly notifications?: ApprovalNotifications;
}

/** Where the workflow tells people of requests: who asks, for what, the impact, and how to decide. */
export interface ApprovalNotifications {
  /**
   * Email addresses subscribed to the workflow's topic. Each receives a confirmation email from
   * SNS first, and hears of nothing until it is confirmed.
   *
   * @default - none
   */
  readonly emails?: string[];

  /**
   * Slack channels of Amazon Q Developer in chat applications (formerly AWS Chatbot) that receive
   * the notifications: the topic is added to each. Give the channels' role read-only guardrail
   * policies: people in the channel act with it.
   *
   * @default - none
   */
  readonly slackChannels?: chatbot.SlackChannelConfiguration[];

  /**
   * Microsoft Teams channels of Amazon Q Developer in chat applications that receive the
   * notifications: the topic is added to each one's `snsTopicArns`.
   *
   * @default - none
   */
  readonly teamsChannels?: chatbot.CfnMicrosoftTeamsChannelConfiguration[];
}


/** Options for an elevated role. */
export interface ElevatedRoleOptions {
  /** What sessions of the role may do (the session policy narrows it further per request). */
  readonly statements?: iam.PolicyStatement[];

  /**
   * Managed policies for the role.
   *
   * @default - none
   */
  readonly managedPolicies?: iam.IManagedPolicy[];

  /**
   * The longest session a request may ask for. 15 minutes to 1 hour: sessions are issued by a
   * function, a role session itself, and STS limits role-chained sessions to one hour.
   *
   * @default Duration.hours(1)
   */
  readonly maxSessionDuration?: Duration;

  /**
   * Description of the role.
   *
   * @default - names the workflow
   */
  readonly description?: string;

  /**
   * Stacks whose change sets sessions of this role execute, by name (`*` matches any characters).
   *
   * @default - any stack in the workflow's account and region
   */
  readonly stackNames?: string[];

  /**
   * What to do with a change set that removes or replaces production resources holding data:
   * each approver must accept the risk explicitly (`acceptRisk`), or the request is refused.
   *
   * @default RiskyChangeSets.REQUIRE_ACCEPTANCE
   */
  readonly riskyChangeSets?: RiskyChangeSets;

  /**
   * Opt out of binding requests to a change set. Unsafe: a request without one gets a session
   * with every permission of the role, and approvers see no change set.
   *
   * @default false
   */
  readonly allowRequestsWithoutChangeSet?: boolean;

  /**
   * Break-glass for this role, for incidents when a second approver cannot be reached. Unsafe:
   * one eligible approver alone, asking as themselves with a reason, gets a short session of the
   * role at once, bound to a change set only if they name one. Every approver and the security
   * topic are told at once, a post-incident review opens that two other approvers close, a rate
   * limit applies, synth warns, and the review reports it (`AGR-BREAK-GLASS`). Agent sessions
   * can never use it.
   *
   * @default - no break-glass: every session needs `requiredApprovals` approvers
   */
  readonly breakGlass?: BreakGlassOptions;
}

/** How break-glass works for an elevated role (`ElevatedRoleOptions.breakGlass`). */
export interface BreakGlassOptions {
  /**
   * Where the security team hears of every break-glass use, and of its session and review, at
   * once, besides the workflow's topic (every approver). The workflow's functions may publish to it.
   *
   * @default - the workflow's topic only
   */
  readonly securityTopic?: sns.ITopic;

  /**
   * The longest break-glass session. 15 minutes to 1 hour, and no longer than the role's
   * `maxSessionDuration`.
   *
   * @default Duration.minutes(15)
   */
  readonly maxSessionDuration?: Duration;

  /**
   * How often the role's glass may be broken: at most `count` break-glass requests per `per`,
   * whoever asks. More are refused with 429 `break-glass-rate-limited` until the oldest one
   * leaves the window; the two-person rule still works meanwhile.
   *
   * @default - 1 per 24 hours
   */
  readonly rateLimit?: BreakGlassRateLimit;
}

/** At most `count` break-glass requests per `per` for one elevated role. */
export interface BreakGlassRateLimit {
  /**
   * Break-glass requests allowed in the window, 1 to 10.
   *
   * @default 1
   */
  readonly count?: number;

  /**
   * The sliding window, 1 hour to 30 days.
   *
   * @default Duration.hours(24)
   */
  readonly per?: Duration;
}

/** What an elevated role does with change sets that remove or replace production data. */
export enum RiskyChangeSets {
  /** Every approver must accept the risk explicitly (`acceptRisk: true`, `--accept-risk`). */
  REQUIRE_ACCEPTANCE = 'accept',
  /** Such change sets are refused when requested. */
  REFUSE = 'refuse',
}
