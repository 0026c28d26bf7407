/*
 * Pure: what people are told when a request changes: who asks, for what, the change set's impact,
 * and the commands that decide it. One message, rendered three ways: plain text for email, a
 * custom notification for Amazon Q Developer in chat applications (Slack, Microsoft Teams), and a
 * short line for SMS. Text that requesters or approvers wrote is untrusted: in chat it is shown as
 * inline code, with the characters chat clients treat as markup or mentions neutralised, so a
 * justification cannot post a link, a mention or a fake button.
 */
import { ElevationRequest } from './rules';
import { ChangeSetImpact } from './impact';
import { formatImpact } from './impact-text';

/** What happened to a request. `break-glass`: an approver broke glass; the session is issued at once. */
export type NotificationType = 'requested' | 'approved' | 'denied' | 'expired' | 'issued' | 'revoked' | 'failed' | 'break-glass';

/** What a notification is built from. */
export interface NotificationInput {
  readonly type: NotificationType;
  readonly request: ElevationRequest;
  /** Who caused it, when someone did. */
  readonly by?: string;
  /** Approvals a request needs. */
  readonly requiredApprovals: number;
  /** The approval API's URL, for the commands in the message. @default - the commands omit --url */
  readonly apiUrl?: string;
}

/** An Amazon Q Developer in chat applications custom notification (schema version 1.0). */
export interface ChatNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps: string[];
    readonly keywords: string[];
  };
  readonly metadata: {
    /** Every update of one request lands in one thread. */
    readonly threadId: string;
    readonly summary: string;
    readonly eventType: string;
    readonly relatedResources: string[];
    readonly additionalContext: Record<string, string>;
  };
}

/** A notification, rendered for each kind of subscriber. */
export interface Notification {
  /** The email subject: at most 100 characters, as SNS allows. */
  readonly subject: string;
  /** The email body. */
  readonly text: string;
  readonly chat: ChatNotification;
  /** One line, for SMS. */
  readonly short: string;
}

/**
 * The SNS message of a notification (`MessageStructure: 'json'`): email subscribers get the text,
 * SMS the short line, and every other protocol, Amazon Q Developer's HTTPS endpoint among them, the
 * chat notification. Programs read the event bus, whose events hold the request's fields.
 */
export function snsMessage(n: Notification): string {
  const chat = JSON.stringify(n.chat);
  return JSON.stringify({ default: chat, https: chat, email: n.text, sms: n.short });
}

/** Changes listed in full before the rest are counted. */
const CHANGES_SHOWN = 15;

/** The notification of `input`. */
export function notification(input: NotificationInput): Notification {
  const r = input.request;
  const approvals = Object.keys(r.approvals).length;
  const headline = r.kind === 'review' ? reviewHeadline(input, approvals) : breakGlassHeadline(input, headlineOf(input, approvals));
  const facts = factsOf(r);
  const steps = nextSteps(input);
  const subject = clip(headline.subject.replace(/\s+/g, ' '), 100);
  const impact = r.impact ? impactLines(r.impact) : ['Impact:        no change set: the session has every permission of the role'];
  const text = [
    headline.sentence,
    '',
    // Text someone typed is quoted, so that a line break in it cannot forge a line of the message.
    ...facts.map(([label, value]) => (value.untrusted ? `${label} (as written): ${JSON.stringify(value.text)}` : `${`${label}:`.padEnd(15)}${value.text}`)),
    ...impact,
    ...(r.deniedBy?.comment ? ['', `Denial comment (as the approver wrote it): ${JSON.stringify(r.deniedBy.comment)}`] : []),
    ...(r.failure ? ['', `Failure: ${r.failure.code}: ${r.failure.message}`] : []),
    '',
    ...(steps.commands.length ? [steps.heading, ...steps.commands.map((c) => `  ${c}`)] : []),
  ].join('\n');
  const chat: ChatNotification = {
    version: '1.0',
    source: 'custom',
    id: `${r.requestId}:${input.type}:${r.version}`,
    content: {
      textType: 'client-markdown',
      title: chatSafe(headline.subject, 250),
      description: [
        chatSafe(headline.sentence, 500),
        ...facts.map(([label, value]) => `*${label}${value.untrusted ? ' (as written)' : ''}:* ${inlineCode(value.text, 400)}`),
        ...(r.impact ? chatImpact(r.impact) : ['*Impact:* no change set: the session has every permission of the role']),
        ...(r.deniedBy?.comment ? [`*Denial comment (as written):* ${inlineCode(r.deniedBy.comment, 400)}`] : []),
        ...(r.failure ? [`*Failure:* ${inlineCode(`${r.failure.code}: ${r.failure.message}`, 400)}`] : []),
      ].join('\n'),
      nextSteps: steps.commands.map((c) => inlineCode(c, 400)),
      keywords: [...(r.breakGlass ? ['BREAK-GLASS'] : []), ...(r.kind === 'review' ? ['post-incident review'] : []), r.status, r.role, ...(r.impact ? [`${r.impact.risk} risk`] : [])].map((k) => chatSafe(k, 50)),
    },
    metadata: {
      threadId: r.requestId,
      summary: chatSafe(headline.subject, 250),
      eventType: `elevation-request-${input.type}`,
      relatedResources: r.changeSetArn ? [r.changeSetArn] : [],
      additionalContext: {
        requestId: r.requestId,
        status: r.status,
        role: r.role,
        requester: r.requester.callerArn,
        ...(r.onBehalfOf ? { onBehalfOf: r.onBehalfOf.callerArn } : {}),
        approvals: `${approvals} of ${input.requiredApprovals}`,
        ...(input.by ? { by: input.by } : {}),
        ...(r.breakGlass ? { breakGlass: 'true', reviewRequestId: r.breakGlass.reviewRequestId } : {}),
        ...(r.reviewOf ? { reviewOf: r.reviewOf } : {}),
      },
    },
  };
  return { subject, text, chat, short: clip(`${headline.subject} (request ${r.requestId})`, 140) };
}

type Fact = readonly [string, { readonly text: string; readonly untrusted?: boolean }];

function factsOf(r: ElevationRequest): Fact[] {
  if (r.breakGlass || r.kind === 'review') {
    return [
      ['Request', { text: r.requestId }],
      ...(r.reviewOf ? ([['Review of', { text: `break-glass request ${r.reviewOf}` }]] as Fact[]) : []),
      ['Break-glass by', { text: r.requester.callerArn }],
      ['For', { text: `elevated role "${r.role}", ${minutes(r.durationSeconds)}, with no second approval` }],
      ['Reason', { text: r.justification, untrusted: true }],
      ...(r.ticket ? ([['Ticket', { text: r.ticket, untrusted: true }]] as Fact[]) : []),
      ['Change set', { text: r.changeSetArn ?? '(none)' }],
      ...(r.breakGlass ? ([['Review', { text: `post-incident review ${r.breakGlass.reviewRequestId}` }]] as Fact[]) : []),
    ];
  }
  return [
    ['Request', { text: r.requestId }],
    ['Who asks', { text: r.requester.callerArn }],
    ['On behalf of', { text: r.onBehalfOf?.callerArn ?? '(nobody named)' }],
    ['For', { text: `elevated role "${r.role}", ${minutes(r.durationSeconds)}` }],
    ['Why', { text: r.justification, untrusted: true }],
    ...(r.ticket ? ([['Ticket', { text: r.ticket, untrusted: true }]] as Fact[]) : []),
    ['Change set', { text: r.changeSetArn ?? '(none)' }],
  ];
}

function headlineOf(input: NotificationInput, approvals: number): { subject: string; sentence: string } {
  const r = input.request;
  const who = actorName(r.requester.callerArn);
  const target = r.impact ? ` on ${r.impact.stackName}${r.impact.production ? ' (production)' : ''}` : '';
  const risk = r.impact ? `, ${r.impact.risk.toUpperCase()} risk` : ', no change set';
  const needed = input.requiredApprovals;
  switch (input.type) {
    case 'requested':
      return {
        subject: `Approval needed: ${who} asks for ${r.role}${target}${risk}`,
        sentence: `${who} asks for an elevated session. It needs ${needed} approvals from different people (${approvals} so far) before ${r.expiresAt}, when it expires.`,
      };
    case 'approved':
      return r.status === 'APPROVED'
        ? { subject: `Approved: request ${r.requestId} for ${r.role}${target}`, sentence: `${actorName(input.by)} gave the last approval (${approvals} of ${needed}). The workflow now issues the session.` }
        : {
            subject: `Approval ${approvals} of ${needed}: ${who} asks for ${r.role}${target}${risk}`,
            sentence: `${actorName(input.by)} approved (${approvals} of ${needed}). ${needed - approvals} more from someone else, before ${r.expiresAt}.`,
          };
    case 'denied':
      return { subject: `Denied: request ${r.requestId} for ${r.role}${target}`, sentence: `${actorName(input.by)} denied the request. Nothing was issued.` };
    case 'expired':
      return { subject: `Expired: request ${r.requestId} for ${r.role}${target}`, sentence: `The request expired with ${approvals} of ${needed} approvals. Nothing was issued.` };
    case 'issued':
      return {
        subject: `Session issued: ${who} holds ${r.role}${target}`,
        sentence: `The workflow issued a session of "${r.role}" to ${who}${r.sessionExpiresAt ? `, which ends at ${r.sessionExpiresAt}` : ''}. Any approver, or the requester, can end it now.`,
      };
    case 'revoked':
      return { subject: `Revoked: request ${r.requestId} for ${r.role}${target}`, sentence: `${actorName(input.by)} revoked the session: it stopped working at once.` };
    case 'failed':
      return { subject: `Failed: request ${r.requestId} for ${r.role}${target}`, sentence: 'The workflow could not carry the request through. Nothing was issued.' };
    case 'break-glass':
      return {
        subject: `BREAK-GLASS: ${who} issued themselves ${r.role}${target}${risk}`,
        sentence:
          `${who}, an approver, broke glass: a session of "${r.role}" for ${minutes(r.durationSeconds)} with no second approval, issued at once${r.changeSetArn ? ' for the change set below' : ', with every permission of the role'}. ` +
          `Every approver and the security team are told. A post-incident review is open (${r.breakGlass?.reviewRequestId}): ${needed} approvers other than ${who} close it.`,
      };
  }
}

/** The headline of an event of a break-glass request: marked, whatever happened. */
function breakGlassHeadline(input: NotificationInput, headline: { subject: string; sentence: string }): { subject: string; sentence: string } {
  if (!input.request.breakGlass || input.type === 'break-glass') return headline;
  return { subject: `BREAK-GLASS ${headline.subject}`, sentence: `Break-glass request (one approver, no second approval). ${headline.sentence}` };
}

/** The headline of a post-incident review's event. */
function reviewHeadline(input: NotificationInput, approvals: number): { subject: string; sentence: string } {
  const r = input.request;
  const who = actorName(r.requester.callerArn);
  const needed = input.requiredApprovals;
  const subject = `break-glass ${r.reviewOf} by ${who} on ${r.role}`;
  switch (input.type) {
    case 'approved':
      return r.status === 'REVIEWED'
        ? { subject: `Reviewed: ${subject}`, sentence: `${actorName(input.by)} gave the last review (${approvals} of ${needed}). The post-incident review is closed.` }
        : {
            subject: `Post-incident review ${approvals} of ${needed}: ${subject}`,
            sentence: `${actorName(input.by)} reviewed the break-glass (${approvals} of ${needed}). ${needed - approvals} more from an approver other than ${who}.`,
          };
    case 'denied':
      return {
        subject: `Break-glass found unjustified: ${subject}`,
        sentence: `${actorName(input.by)} found the break-glass unjustified, which closes the review. Follow it up with ${who} and the security team.`,
      };
    default:
      return { subject: `Post-incident review: ${subject}`, sentence: `The post-incident review of a break-glass by ${who} waits for ${needed} approvers other than them.` };
  }
}

function nextSteps(input: NotificationInput): { heading: string; commands: string[] } {
  const id = input.request.requestId;
  const url = input.apiUrl ? ` --url ${input.apiUrl}` : '';
  if (input.type === 'break-glass') {
    const review = input.request.breakGlass?.reviewRequestId;
    return {
      heading: 'If you did not expect it, end the session now; afterwards, review it:',
      commands: [`agent-guardrails revoke ${id}${url}`, `agent-guardrails status ${id}${url}`, ...(review ? [`agent-guardrails approve ${review}${url} --comment "reviewed: why it was justified"`] : [])],
    };
  }
  if (input.request.kind === 'review') {
    return input.request.status === 'PENDING'
      ? {
          heading: 'To review (read the break-glass request and its history first):',
          commands: [`agent-guardrails status ${input.request.reviewOf}${url}`, `agent-guardrails approve ${id}${url} --comment "justified because"`, `agent-guardrails deny ${id}${url} --comment "not justified because"`],
        }
      : { heading: 'The review in full:', commands: [`agent-guardrails status ${id}${url}`] };
  }
  const deciding = input.type === 'requested' || (input.type === 'approved' && input.request.status === 'PENDING');
  if (deciding) {
    const acceptRisk = input.request.impact?.riskToAccept.length ? ' --accept-risk' : '';
    return {
      heading: 'To decide (read the request in full first):',
      commands: [`agent-guardrails console${url}`, `agent-guardrails status ${id}${url}`, `agent-guardrails approve ${id}${url}${acceptRisk}`, `agent-guardrails deny ${id}${url} --comment "why"`],
    };
  }
  if (input.type === 'issued' || (input.type === 'approved' && input.request.status === 'APPROVED')) {
    return { heading: 'To end the session now:', commands: [`agent-guardrails revoke ${id}${url}`] };
  }
  return { heading: 'The request in full:', commands: [`agent-guardrails status ${id}${url}`] };
}

function impactLines(impact: ChangeSetImpact): string[] {
  const lines = formatImpact({ ...impact, changes: impact.changes.slice(0, CHANGES_SHOWN) });
  const more = impact.changes.length - CHANGES_SHOWN;
  return [`Impact:        ${lines[0]}`, ...lines.slice(1).map((l) => `             ${l}`), ...(more > 0 ? [`               ... and ${more} more changes (agent-guardrails status)`] : [])];
}

function chatImpact(impact: ChangeSetImpact): string[] {
  const { added, modified, removed, replaced } = impact.counts;
  const lines = [
    `*Impact:* ${impact.risk.toUpperCase()} risk on ${inlineCode(impact.stackName, 128)}${impact.production ? ' (production)' : ''}: ${added} added, ${modified} modified, ${removed} removed, ${replaced} replaced`,
  ];
  for (const c of impact.changes.filter((x) => x.risk !== 'low').slice(0, CHANGES_SHOWN)) {
    lines.push(`• ${c.risk.toUpperCase()} ${inlineCode(`${c.action} ${c.stackName}/${c.logicalResourceId} (${c.resourceType})`, 200)}`);
  }
  if (impact.riskToAccept.length > 0) {
    lines.push(`*Production data at risk* (each approver must accept it): ${inlineCode(impact.riskToAccept.join('; '), 600)}`);
  }
  return lines;
}

/** The name CloudTrail shows for a caller: a role session's role and session, a user's name. */
function actorName(arn: string | undefined): string {
  if (!arn) return 'Someone';
  const session = /:assumed-role\/([^/]+)\/(.+)$/.exec(arn);
  if (session) return session[1].startsWith('AWSReservedSSO_') ? session[2] : `${session[1]} (${session[2]})`;
  return /:user\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1] ?? arn;
}

function minutes(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} minutes` : `${seconds} seconds`;
}

function clip(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

/**
 * Prose for chat (titles, sentences): one line, and no character that Slack or Teams read as
 * markup or a mention (angle brackets, backticks, asterisks, underscores, tildes, brackets, bars).
 */
export function chatSafe(value: string, max: number): string {
  return clip(value.replace(/\s+/g, ' ').replace(/[<>`*_~[\]|]/g, (c) => NEUTRAL[c]), max);
}

/**
 * A value for chat (an ARN, a command, text someone typed) as inline code, in which chat clients
 * render no markup: one line, with no backtick to end the code early and no angle bracket that
 * Slack reads as a link or a mention.
 */
export function inlineCode(value: string, max: number): string {
  return `\`${clip(value.replace(/\s+/g, ' ').replace(/[<>`]/g, (c) => NEUTRAL[c]), max)}\``;
}

const NEUTRAL: Readonly<Record<string, string>> = { '<': '‹', '>': '›', '`': "'", '*': '∗', _: '‗', '~': '∼', '[': '⟦', ']': '⟧', '|': '¦' };
