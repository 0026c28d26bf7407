/* The `review`, `simulate` and `verify` commands: the security review of a synthesized app. */
import { CommandInput, CommandSpec, Io, JSON_OPTION } from '../command-spec';
import { CliError } from '../errors';
import { isReviewInputError, runReviewCommand } from '../review-commands';

const PRODUCTION_TAG = { name: 'production-tag', value: 'KEY=VALUE[,VALUE]', help: 'the production tag (default: Environment=production)' };

async function run(command: 'review' | 'simulate' | 'verify', input: CommandInput, io: Io): Promise<number> {
  try {
    return await runReviewCommand(command, input, io);
  } catch (error) {
    if (isReviewInputError(error)) throw new CliError('input', (error as Error).message, { cause: error });
    throw error;
  }
}

export const reviewCommand: CommandSpec = {
  name: 'review',
  args: '[cdk-out]',
  summary: 'every review rule and the effective-permission sweep (default: cdk.out)',
  options: [
    { name: 'format', value: 'FORMAT', help: 'text, json, sarif or markdown (default: text)' },
    PRODUCTION_TAG,
    { name: 'production-stack', value: 'NAME', help: 'a stack that must be production (repeatable)', repeatable: true },
    { name: 'fail-on-unresolved', help: 'exit 1 when something cannot be resolved offline' },
    JSON_OPTION,
  ],
  run(input, io) {
    // `--json` is the JSON format, as people type it.
    const flags = input.flags.json && input.flags.format === undefined ? { ...input.flags, format: 'json' } : input.flags;
    return run('review', { ...input, flags }, io);
  },
};

export const simulateCommand: CommandSpec = {
  name: 'simulate',
  args: '[cdk-out]',
  summary: 'one request against a role of the app, offline',
  options: [
    { name: 'role', value: 'PATH', help: 'the role\'s construct path' },
    { name: 'action', value: 'SERVICE:ACTION', help: 'the action' },
    { name: 'resource', value: 'ARN', help: 'the resource' },
    { name: 'tag', value: 'KEY=VALUE', help: 'a tag of the resource (repeatable)', repeatable: true },
    JSON_OPTION,
  ],
  run: (input, io) => run('simulate', input, io),
};

export const verifyCommand: CommandSpec = {
  name: 'verify',
  args: '[cdk-out]',
  summary: 'check a deployed role with IAM\'s own simulator',
  options: [
    { name: 'role-arn', value: 'ARN', help: 'the deployed role' },
    { name: 'role', value: 'PATH', help: 'its construct path in the app' },
    { name: 'region', value: 'REGION', help: 'the IAM endpoint\'s region (default: AWS_REGION)' },
    JSON_OPTION,
  ],
  run: (input, io) => run('verify', input, io),
};
