/*
 * Pure: the CLI's one error family. Every failure the CLI reports carries a code; `exitCodeOf` maps
 * codes to exit codes in one place, and the top of the CLI prints one line (stacks only with --debug).
 */

/** What went wrong, as the exit code tells it: bad usage or input (2), the network (2), a bug (3). */
export type CliErrorCode = 'usage' | 'input' | 'network' | 'internal';

const BRAND = Symbol.for('cdk-agent-guardrails.CliError');

/** An error the CLI reports in one line: what input was wrong, what was wrong with it, and the fix. */
export class CliError extends Error {
  public readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string, options: { readonly cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = 'CliError';
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** Whether `error` is a `CliError` (across copies of this module). */
export function isCliError(error: unknown): error is CliError {
  return typeof error === 'object' && error !== null && BRAND in error;
}

/** The exit code of an error code. */
export function exitCodeOf(code: CliErrorCode): number {
  return code === 'internal' ? 3 : 2;
}
