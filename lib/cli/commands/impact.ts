/* The `impact` command: what approving a change set means. */
import { CommandInput, Io } from '../command-spec';
import { CliError } from '../errors';
import { runImpactCommand } from '../impact-command';
import { isReviewInputError } from '../review-commands';

/** Runs `impact`. */
export async function runImpact(input: CommandInput, io: Io): Promise<number> {
  try {
    return runImpactCommand(input, io);
  } catch (error) {
    if (isReviewInputError(error)) throw new CliError('input', (error as Error).message, { cause: error });
    throw error;
  }
}
