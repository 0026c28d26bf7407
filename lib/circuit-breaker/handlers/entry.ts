/*
 * The breaker's Lambda entry points, exported through the package's one handler bundle
 * (`approval-workflow/handlers/lambda-entry.ts`). On the first invocation, not at import, the
 * configuration is read from `breaker-config.json` next to the bundle (the construct writes it
 * into the functions' code) and the dependencies are built from it and the environment. A
 * missing or invalid file fails every invocation until the function is deployed properly.
 */
import * as path from 'path';
import { BREAKER_CONFIG_FILE } from '../logic/config';
import { awsBreakerDeps } from './aws';
import { makeBreakerHandler } from './breaker-handler';
import { readBreakerConfig } from './config-file';
import { BreakerDeps } from './deps';
import { makeResetHandler } from './reset-handler';

let deps: BreakerDeps | undefined;
const lazyDeps = () => (deps ??= awsBreakerDeps(readBreakerConfig(path.join(__dirname, BREAKER_CONFIG_FILE))));

/** Counts one CloudTrail record an EventBridge rule delivered. */
export const breaker = makeBreakerHandler(lazyDeps);

/** Resets an agent's breaker. */
export const breakerReset = makeResetHandler(lazyDeps);
