/*
 * Construct logic: the problems of the breaker's thresholds and agents, each naming the prop, the
 * value received, what is allowed and the fix. Values that are still tokens are skipped.
 */
import { Duration, Stack, Token } from 'aws-cdk-lib';
import { AgentRole } from '../../agent-roles/agent-role';
import { BreakerThresholdConfig, DEFAULT_THRESHOLDS, THRESHOLD_LIMITS } from '../logic/config';
import { BreakerThreshold, BreakerThresholds } from '../props';

/** The thresholds with their defaults, and the problems of those given. */
export function resolveThresholds(thresholds: BreakerThresholds | undefined): { thresholds: BreakerThresholdConfig; problems: string[] } {
  const problems: string[] = [];
  const one = (name: keyof BreakerThresholds, given: BreakerThreshold | undefined) => {
    if (given === undefined) return DEFAULT_THRESHOLDS[name];
    const { minCount, maxCount, minWindowSeconds, maxWindowSeconds } = THRESHOLD_LIMITS;
    if (!Token.isUnresolved(given.count) && (!Number.isInteger(given.count) || given.count < minCount || given.count > maxCount)) {
      problems.push(`thresholds.${name}.count must be a whole number from ${minCount} to ${maxCount}, got ${given.count}; count the calls that should trip the breaker`);
    }
    const window = given.window;
    if (!(window instanceof Duration)) {
      problems.push(`thresholds.${name}.window must be a Duration (for example Duration.minutes(10)), got ${JSON.stringify(window)}`);
      return DEFAULT_THRESHOLDS[name];
    }
    if (!window.isUnresolved() && (window.toSeconds() < minWindowSeconds || window.toSeconds() > maxWindowSeconds)) {
      problems.push(`thresholds.${name}.window must be from 1 minute to 24 hours, got ${window.toHumanString()}; use Duration.minutes(...) or Duration.hours(...) within that range`);
    }
    return { count: given.count, windowSeconds: window.isUnresolved() ? DEFAULT_THRESHOLDS[name].windowSeconds : window.toSeconds() };
  };
  return { thresholds: { deniedCalls: one('deniedCalls', thresholds?.deniedCalls), productionWrites: one('productionWrites', thresholds?.productionWrites) }, problems };
}

/** The problems of the agents watched by a breaker in `stack`. */
export function agentProblems(agents: readonly AgentRole[], stack: Stack): string[] {
  const problems: string[] = [];
  if (agents.length === 0) {
    problems.push('agents must name at least one AgentRole, got none; pass agents: [agent] or call addAgent(agent)');
  }
  const seen = new Set<string>();
  for (const agent of agents) {
    if (!(agent instanceof AgentRole)) {
      problems.push(`agents must hold AgentRole constructs (the breaker recognises them by name and source identity), got ${String((agent as { node?: { path?: string } })?.node?.path ?? agent)}`);
      continue;
    }
    if (seen.has(agent.agentName)) {
      problems.push(`agents names ${agent.agentName} (${agent.node.path}) twice; add each agent once`);
    }
    seen.add(agent.agentName);
    const account = Stack.of(agent).account;
    if (!Token.isUnresolved(account) && !Token.isUnresolved(stack.account) && account !== stack.account) {
      problems.push(`agents: ${agent.agentName} is in account ${account}, the breaker in ${stack.account}; CloudTrail delivers an account's calls to that account's event bus: deploy a breaker in each agent's account`);
    }
  }
  return problems;
}
