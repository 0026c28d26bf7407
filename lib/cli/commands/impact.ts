/* The `impact` command: what approving a change set means. */
import { CommandSpec, JSON_OPTION } from '../command-spec';
import { CliError } from '../errors';
import { runImpactCommand } from '../impact-command';
import { isReviewInputError } from '../review-commands';

export const impactCommand: CommandSpec = {
  name: 'impact',
  args: '<file...>',
  summary: 'a change set\'s impact, from describe-change-set --output json (one more file per nested change set)',
  options: [{ name: 'production-tag', value: 'KEY=VALUE[,VALUE]', help: 'the production tag (default: Environment=production)' }, JSON_OPTION],
  async run(input, io) {
    try {
      return runImpactCommand(input, io);
    } catch (error) {
      if (isReviewInputError(error)) throw new CliError('input', (error as Error).message, { cause: error });
      throw error;
    }
  },
};
