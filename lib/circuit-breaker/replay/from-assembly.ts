/*
 * I/O: the circuit breakers of a synthesized app (cdk.out), as replay runs them: each rule's event
 * pattern and state, read from the templates, and the configuration (agents, thresholds,
 * production) its function runs with, read from the function's code asset. A value that cannot be
 * read offline is an error, never a guess.
 */
import { AssemblyStack, loadAssembly } from '../../review/assembly';
import { BreakerConfig } from '../logic/config';
import { configOfFunction } from './config-asset';
import { EventPattern } from '../logic/event-pattern';
import { ReplayInputError } from './events-file';

/** The breaker function's handler, in the package's one handler bundle. */
const BREAKER_HANDLER = 'index.breaker';

/** The account and partition an event was recorded in, which the deployed pattern was rendered for. */
export interface PatternEnvironment {
  readonly account: string;
  readonly partition: string;
}

/** A breaker as synthesized. */
export interface SynthesizedBreaker {
  /** The breaker's construct path in the app. */
  readonly path: string;
  readonly stackName: string;
  /** The rule's pattern, rendered for the account and partition of an event. */
  readonly pattern: (env: PatternEnvironment) => EventPattern;
  /** The rule's state: `ENABLED` rules receive no read-only management events. */
  readonly ruleState: string;
  readonly config: BreakerConfig;
}

/** Every AgentCircuitBreaker in the assembly at `dir`. */
export function breakersInAssembly(dir: string): SynthesizedBreaker[] {
  return loadAssembly(dir).stacks.flatMap((stack) =>
    stack.resources
      .filter((r) => r.type === 'AWS::Events::Rule' && r.constructPath.endsWith('/Rule'))
      .flatMap((rule): SynthesizedBreaker[] => {
        const path = rule.constructPath.slice(0, -'/Rule'.length);
        const fn = stack.resources.find((r) => r.type === 'AWS::Lambda::Function' && r.constructPath === `${path}/Handler/Resource` && r.properties.Handler === BREAKER_HANDLER);
        if (fn === undefined) return [];
        const config = configOfFunction(fn, stack, path);
        const raw = rule.properties.EventPattern;
        const cache = new Map<string, EventPattern>();
        const pattern = (env: PatternEnvironment) => {
          const known = { account: stack.account ?? env.account, partition: env.partition };
          const key = `${known.partition}:${known.account}`;
          if (!cache.has(key)) cache.set(key, render(raw, stack, path, known) as EventPattern);
          return cache.get(key)!;
        };
        // Fail now, not at the first event, on a pattern replay cannot read.
        pattern({ account: '000000000000', partition: 'aws' });
        return [{ path, stackName: stack.stackName, pattern, ruleState: String(rule.properties.State ?? 'ENABLED'), config }];
      }),
  );
}

/** The one breaker of the app at `dir`, or the one at construct path `selector`. */
export function breakerFromAssembly(dir: string, selector?: string): SynthesizedBreaker {
  const found = breakersInAssembly(dir);
  if (found.length === 0) {
    throw new ReplayInputError(`--app: no AgentCircuitBreaker in ${dir}; give the cdk.out of an app that has one (cdk synth writes it)`);
  }
  if (selector !== undefined) {
    const chosen = found.find((b) => b.path === selector);
    if (!chosen) throw new ReplayInputError(`--breaker: no AgentCircuitBreaker at ${selector} in ${dir}; the app has ${found.map((b) => b.path).join(', ')}`);
    return chosen;
  }
  if (found.length > 1) {
    throw new ReplayInputError(`--app: ${dir} holds ${found.length} circuit breakers (${found.map((b) => b.path).join(', ')}); choose one with --breaker PATH`);
  }
  return found[0];
}

/** A template value with its pseudo parameters filled in; anything else unresolved is an error. */
function render(value: unknown, stack: AssemblyStack, path: string, env: PatternEnvironment): unknown {
  if (Array.isArray(value)) return value.map((v) => render(v, stack, path, env));
  if (typeof value !== 'object' || value === null) return value;
  const object = value as Record<string, unknown>;
  if ('Ref' in object) {
    const pseudo: Record<string, string> = { 'AWS::Partition': env.partition, 'AWS::AccountId': env.account, 'AWS::Region': stack.region ?? 'us-east-1', 'AWS::URLSuffix': 'amazonaws.com' };
    if (typeof object.Ref === 'string' && pseudo[object.Ref] !== undefined) return pseudo[object.Ref];
    throw unreadable(stack, path, 'event pattern', value);
  }
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [unknown, unknown];
    if (typeof separator !== 'string' || !Array.isArray(parts)) throw unreadable(stack, path, 'event pattern', value);
    return parts.map((p) => {
      const rendered = render(p, stack, path, env);
      if (typeof rendered !== 'string') throw unreadable(stack, path, 'event pattern', value);
      return rendered;
    }).join(separator);
  }
  if (Object.keys(object).some((k) => k.startsWith('Fn::'))) throw unreadable(stack, path, 'event pattern', value);
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, render(v, stack, path, env)]));
}

function unreadable(stack: AssemblyStack, path: string, what: string, value: unknown): ReplayInputError {
  return new ReplayInputError(
    `--app: the ${what} of the breaker ${path} in ${stack.stackName} holds a value replay cannot read offline (${JSON.stringify(value).slice(0, 200)}); ` +
      'synthesize the app again with this version of the library, with agent roles that are AgentRole constructs',
  );
}
