/*
 * Construct logic: an elevated role's break-glass settings, checked (every problem, naming the
 * prop, the value and the fix) and turned into the handlers' configuration, and the warning synth
 * prints for it.
 */
import { Duration } from 'aws-cdk-lib';
import { agentApproverIdentities, BreakGlassConfig, DEFAULT_BREAK_GLASS_SECONDS } from '../logic/break-glass';
import { ApproverSpec } from '../logic/identity';
import { MAX_SESSION_SECONDS, MIN_SESSION_SECONDS } from '../logic/request';
import { BreakGlassOptions } from '../props';

/** The id of the synth warning for a role with break-glass. */
export const BREAK_GLASS_WARNING = 'cdk-agent-guardrails:breakGlass';

const MAX_COUNT = 10;
const MIN_WINDOW = Duration.hours(1);
const MAX_WINDOW = Duration.days(30);

/** The problems of `options` for a role whose sessions last at most `roleMaxSeconds`, and the configuration when there are none. */
export function breakGlassSettings(options: BreakGlassOptions, roleMaxSeconds: number, approvers: readonly ApproverSpec[]): { problems: string[]; config: BreakGlassConfig } {
  const problems: string[] = [];
  const max = options.maxSessionDuration ?? Duration.seconds(DEFAULT_BREAK_GLASS_SECONDS);
  if (max.isUnresolved() || max.toSeconds() < MIN_SESSION_SECONDS || max.toSeconds() > MAX_SESSION_SECONDS) {
    problems.push(`breakGlass.maxSessionDuration must be from 15 minutes to 1 hour, got ${max.toHumanString()}; keep break-glass sessions short (the default is 15 minutes)`);
  } else if (max.toSeconds() > roleMaxSeconds) {
    problems.push(`breakGlass.maxSessionDuration (${max.toHumanString()}) must not exceed the role's maxSessionDuration (${Duration.seconds(roleMaxSeconds).toHumanString()}); shorten it`);
  }
  const count = options.rateLimit?.count ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) {
    problems.push(`breakGlass.rateLimit.count must be a whole number from 1 to ${MAX_COUNT}, got ${count}`);
  }
  const per = options.rateLimit?.per ?? Duration.hours(24);
  if (per.isUnresolved() || per.toSeconds() < MIN_WINDOW.toSeconds() || per.toSeconds() > MAX_WINDOW.toSeconds()) {
    problems.push(`breakGlass.rateLimit.per must be from 1 hour to 30 days, got ${per.toHumanString()}`);
  }
  for (const arn of agentApproverIdentities(approvers)) {
    problems.push(`approvers must name no principal under /agent-guardrails/ or /agent-workload/ when a role allows break-glass, got ${arn}: agents never break glass; name the humans`);
  }
  const ok = problems.length === 0;
  return {
    problems,
    config: { maxSessionSeconds: ok ? max.toSeconds() : 0, rateLimit: { count, perSeconds: ok ? per.toSeconds() : 0 } },
  };
}

/** The synth warning for a role with break-glass: what one approver can do alone, and who hears of it. */
export function breakGlassWarning(role: string, config: BreakGlassConfig, securityTopic: boolean): string {
  const minutes = Math.round(config.maxSessionSeconds / 60);
  const window = config.rateLimit.perSeconds % 86400 === 0 ? `${config.rateLimit.perSeconds / 86400} day(s)` : `${Math.round(config.rateLimit.perSeconds / 3600)} hour(s)`;
  return (
    `break-glass is enabled for elevated role "${role}" (breakGlass): one approver alone, with a reason, can issue themselves a session of up to ${minutes} minutes, ` +
    `${config.rateLimit.count} time(s) per ${window}, with every permission of the role when they name no change set; ` +
    `every approver${securityTopic ? ' and the security topic' : ' (no securityTopic: nobody else)'} hears of it at once, and a post-incident review opens`
  );
}
