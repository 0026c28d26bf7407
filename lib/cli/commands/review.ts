/* The `review`, `simulate` and `verify` commands: the security review of a synthesized app. */
import { CommandInput, Io } from '../command-spec';
import { CliError } from '../errors';
import { isReviewInputError, runReviewCommand } from '../review-commands';

async function run(command: 'review' | 'simulate' | 'verify', input: CommandInput, io: Io): Promise<number> {
  try {
    return await runReviewCommand(command, input, io);
  } catch (error) {
    if (isReviewInputError(error)) throw new CliError('input', (error as Error).message, { cause: error });
    throw error;
  }
}

/** Runs `review`. */
export function runReview(input: CommandInput, io: Io): Promise<number> {
  // `--json` is the JSON format, as people type it.
  const flags = input.flags.json && input.flags.format === undefined ? { ...input.flags, format: 'json' } : input.flags;
  return run('review', { ...input, flags }, io);
}

/** Runs `simulate`. */
export const runSimulate = (input: CommandInput, io: Io): Promise<number> => run('simulate', input, io);

/** Runs `verify`. */
export const runVerify = (input: CommandInput, io: Io): Promise<number> => run('verify', input, io);
