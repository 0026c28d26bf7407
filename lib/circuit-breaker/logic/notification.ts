/*
 * Pure: the notifications of a trip and of a reset: who, why, the calls, and how to reset, as
 * text for email, one line for SMS, and lines for chat with every value as inline code.
 */
import { chatSafe, inlineCode } from '../../approval-workflow/logic/notification';
import { BreakerState, CountedCall, Trip } from './counting';
import { BREAKER_TRIGGERS } from './triggers';

/** What the notifications need besides the trip. */
export interface BreakerNotificationSettings {
  /** The elevated role that resets the breaker, as a request names it. */
  readonly resetRole: string;
  /** The reset function's name, for the command. */
  readonly resetFunction: string;
  /** The approval API's URL. @default - the commands omit --url */
  readonly apiUrl?: string;
}

/** A notification: email subject and text, and one line for SMS. */
export interface BreakerNotification {
  readonly subject: string;
  readonly text: string;
  readonly short: string;
  /** For chat: a title and lines, with values as inline code. */
  readonly chat: { readonly title: string; readonly description: string; readonly nextSteps: string[] };
}

/** The sentence a trip's reason makes. */
export function reasonSentence(trip: Pick<Trip, 'reason' | 'calls'>): string {
  const { code, count, windowSeconds } = trip.reason;
  const within = `within ${durationText(windowSeconds)}`;
  return code === 'production-writes'
    ? `${trip.calls.length} ${trip.calls.length === 1 ? 'write' : 'writes'} to production ${within} (threshold: ${count})`
    : `${trip.calls.length} denied calls ${within} (threshold: ${count})`;
}

/** The notification of a trip: which agent, why, the calls, and how to reset it. */
export function tripNotification(trip: Trip, settings: BreakerNotificationSettings): BreakerNotification {
  const why = reasonSentence(trip);
  const url = settings.apiUrl ? ` --url ${settings.apiUrl}` : '';
  const steps = [
    `agent-guardrails request --role ${settings.resetRole} --justification "reset the circuit breaker of ${trip.agent}: <what you found>"${url}`,
    `agent-guardrails approve <id>${url}   (two approvers)`,
    `agent-guardrails credentials <id>${url}, then: aws lambda invoke --function-name ${settings.resetFunction} --cli-binary-format raw-in-base64-out --payload '{"agent":"${trip.agent}","requestId":"<id>"}' reset.json`,
  ];
  const subject = clip(`Circuit breaker tripped: ${trip.agent} is quarantined (${trip.reason.code})`, 100);
  const text = [
    `The circuit breaker quarantined the agent ${trip.agent} at ${trip.at}: ${why}. Every session of its role, live or new, is denied until two people reset it.`,
    '',
    `Why it trips:  ${BREAKER_TRIGGERS[trip.reason.code].why}.`,
    `What to do:    ${BREAKER_TRIGGERS[trip.reason.code].fix}.`,
    '',
    'Calls that tripped it (values an agent chose are quoted):',
    ...trip.calls.map((c) => `  ${callLine(c)}`),
    '',
    'To reset it, once you know what the agent did and why:',
    ...steps.map((s) => `  ${s}`),
  ].join('\n');
  return {
    subject,
    text,
    short: `Circuit breaker: ${trip.agent} quarantined, ${why}`.slice(0, 140),
    chat: {
      title: chatSafe(subject, 250),
      description: [
        chatSafe(`The circuit breaker quarantined ${trip.agent}: ${why}.`, 500),
        ...trip.calls.slice(0, 10).map((c) => `• ${inlineCode(callLine(c), 300)}`),
      ].join('\n'),
      nextSteps: steps.map((s) => inlineCode(s, 400)),
    },
  };
}

/** The notification of a reset. */
export function resetNotification(state: { agent: string; at: string; requestId?: string; previous?: BreakerState }): BreakerNotification {
  const was = state.previous?.trip ? ` It had tripped at ${state.previous.trip.at}: ${reasonSentence(state.previous.trip)}.` : ' It was not tripped.';
  const by = state.requestId ? ` through elevation request ${JSON.stringify(state.requestId)} (as the caller gave it)` : '';
  const subject = clip(`Circuit breaker reset: ${state.agent}`, 100);
  return {
    subject,
    text: `The circuit breaker of ${state.agent} was reset at ${state.at}${by}: its quarantine is lifted and its counts cleared.${was}`,
    short: `Circuit breaker: ${state.agent} reset`,
    chat: { title: chatSafe(subject, 250), description: chatSafe(`${state.agent} was reset${by}.${was}`, 500), nextSteps: [] },
  };
}

/** One call, as the evidence lists it. */
export function callLine(call: CountedCall): string {
  return [
    call.at,
    `${call.eventSource.replace(/\.amazonaws\.com$/, '')}:${call.eventName}`,
    call.errorCode ?? 'allowed',
    ...(call.production ? [`on production ${JSON.stringify(call.production)}`] : []),
    ...(call.via ? [`through ${call.via}`] : []),
    `(event ${call.eventId})`,
  ].join(' ');
}

function durationText(seconds: number): string {
  if (seconds % 3600 === 0) return seconds === 3600 ? '1 hour' : `${seconds / 3600} hours`;
  if (seconds % 60 === 0) return seconds === 60 ? '1 minute' : `${seconds / 60} minutes`;
  return `${seconds} seconds`;
}

function clip(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}
