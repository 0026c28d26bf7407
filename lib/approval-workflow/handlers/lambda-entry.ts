/*
 * Lambda entry points, bundled by esbuild into the package (see bundle.ts). Dependencies are built
 * from the environment on the first invocation, not at import.
 */
import { makeApiHandler } from './api-handler';
import { awsDeps } from './aws';
import { HandlerDeps } from './deps';
import { makeTaskHandler } from './task-handler';

let deps: HandlerDeps | undefined;
const lazyDeps = () => (deps ??= awsDeps());

export const api = makeApiHandler(lazyDeps);
export const task = makeTaskHandler(lazyDeps);
export { breaker, breakerReset } from '../../circuit-breaker/handlers/entry';
