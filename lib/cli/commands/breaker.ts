/* The `breaker` command: `breaker replay` runs recorded CloudTrail events through the app's circuit breaker. */
import { breakerFromAssembly } from '../../circuit-breaker/replay/from-assembly';
import { readEventsFile, ReplayInputError } from '../../circuit-breaker/replay/events-file';
import { replay, ReplayResult } from '../../circuit-breaker/replay/replay';
import { UnsupportedPatternError } from '../../circuit-breaker/logic/event-pattern';
import { callLine, reasonSentence } from '../../circuit-breaker/logic/notification';
import { BreakerThresholdConfig } from '../../circuit-breaker/logic/config';
import { AssemblyError } from '../../review/assembly';
import { CommandInput, Io } from '../command-spec';
import { CliError } from '../errors';

const ACTIONS = ['replay'];

/** Runs `breaker`. */
export async function runBreaker(input: CommandInput, io: Io): Promise<number> {
  const action = input.positional[0];
  if (!ACTIONS.includes(action)) {
    throw new CliError('usage', `breaker takes the action replay, got ${JSON.stringify(action)}: agent-guardrails breaker replay --app CDK_OUT --events PATH`);
  }
  const app = input.flags.app;
  const file = input.flags.events;
  if (typeof app !== 'string' || typeof file !== 'string') {
    throw new CliError('usage', `breaker replay needs ${typeof app !== 'string' ? '--app CDK_OUT (the synthesized app)' : '--events PATH (the recorded CloudTrail events)'}: agent-guardrails breaker replay --app cdk.out --events trail.json.gz`);
  }
  let result: ReplayResult;
  let thresholds: BreakerThresholdConfig;
  try {
    const breaker = breakerFromAssembly(app, typeof input.flags.breaker === 'string' ? input.flags.breaker : undefined);
    thresholds = breaker.config.thresholds;
    result = replay(breaker, readEventsFile(file));
  } catch (error) {
    if (error instanceof ReplayInputError || error instanceof AssemblyError) throw new CliError('input', error.message, { cause: error });
    if (error instanceof UnsupportedPatternError) {
      throw new CliError('input', `--app: the breaker's rule pattern uses what replay cannot evaluate (${error.message}); synthesize the app again with this version of the library`, { cause: error });
    }
    throw error;
  }
  if (input.flags.json) {
    io.out(JSON.stringify({ trips: result.trips.map((t) => ({ agent: t.agent, at: t.at, reason: t.reason.code, events: t.calls.map((c) => c.eventId) })) }));
    return 0;
  }
  for (const trip of result.trips) {
    io.out(`${trip.agent} would have tripped at ${trip.at}: ${reasonSentence(trip)}`);
    trip.calls.forEach((call) => io.out(`  ${callLine(call)}`));
  }
  const { deniedCalls: d, productionWrites: p } = thresholds;
  io.out(
    `${result.trips.length} ${result.trips.length === 1 ? 'trip' : 'trips'}: ${result.read} events read, ${result.delivered} the breaker's rule would have delivered, ${result.counted} counted ` +
      `(thresholds: ${d.count} denied calls within ${d.windowSeconds / 60} minutes, ${p.count} ${p.count === 1 ? 'write' : 'writes'} to production within ${p.windowSeconds / 60} minutes; counting starts again after each trip)`,
  );
  return 0;
}
