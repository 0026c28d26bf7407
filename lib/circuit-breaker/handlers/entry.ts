/*
 * The breaker's Lambda entry points, exported through the package's one handler bundle
 * (`approval-workflow/handlers/lambda-entry.ts`). Dependencies are built from the environment on
 * the first invocation, not at import.
 */
import { awsBreakerDeps } from './aws';
import { makeBreakerHandler } from './breaker-handler';
import { BreakerDeps } from './deps';
import { makeResetHandler } from './reset-handler';

let deps: BreakerDeps | undefined;
const lazyDeps = () => (deps ??= awsBreakerDeps());

/** Counts one CloudTrail record an EventBridge rule delivered. */
export const breaker = makeBreakerHandler(lazyDeps);

/** Resets an agent's breaker. */
export const breakerReset = makeResetHandler(lazyDeps);
