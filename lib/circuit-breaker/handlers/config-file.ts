/*
 * I/O: the breaker's configuration as its functions read it, from `breaker-config.json` in their
 * own code (next to the handler bundle). A file that is missing or does not hold a configuration
 * is an error: the function fails, and never runs a breaker that counts nothing.
 */
import * as fs from 'fs';
import { BreakerConfig, parseBreakerConfig } from '../logic/config';

/** The configuration in `file`; throws, naming the file, what is wrong and the fix, when there is none. */
export function readBreakerConfig(file: string): BreakerConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(
      `the breaker's configuration ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); ` +
        'the function must be deployed by the AgentCircuitBreaker construct, whose code asset holds it: deploy the app again',
    );
  }
  const parsed = parseBreakerConfig(text);
  if (!parsed.ok) {
    throw new Error(`the breaker's configuration ${file} is not valid: ${parsed.problem}; synthesize and deploy the app again with the AgentCircuitBreaker construct`);
  }
  return parsed.config;
}
