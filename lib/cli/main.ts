/*
 * `agent-guardrails`: ask for, approve, deny, revoke and collect elevated sessions, signing every
 * call with the caller's AWS credentials (SigV4); run the whole workflow locally; review a
 * synthesized app (review, simulate, verify); read a change set's impact.
 *
 * The commands are declared once (`commands/index.ts`) and parsed by commander. Exit codes, in one
 * place: 0 done; 1 refused by the workflow, or review errors found; 2 bad usage or input, or the
 * network; 3 an internal error (its stack with --debug).
 */
import { Command, CommanderError, Option } from 'commander';
import { API_OPTIONS, CommandInput, CommandSpec, Io, JSON_OPTION, OptionSpec } from './command-spec';
import { COMMANDS } from './commands';
import { exitCodeOf, isCliError } from './errors';

export type { Io } from './command-spec';

/** Options every command takes, before or after its name. */
const GLOBAL_OPTIONS: readonly OptionSpec[] = [...API_OPTIONS, JSON_OPTION, { name: 'debug', help: 'print the stack of an internal error' }];

const camel = (name: string) => name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

function addOption(command: Command, spec: OptionSpec): void {
  const flags = `--${spec.name}${spec.value ? ` <${spec.value}>` : ''}`;
  const option = new Option(flags, spec.help);
  if (spec.repeatable) option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  command.addOption(option);
}

function inputOf(spec: CommandSpec, command: Command): CommandInput {
  const opts = command.optsWithGlobals() as Record<string, unknown>;
  const flags: Record<string, string | true> = {};
  const repeated: Record<string, string[]> = {};
  for (const option of [...GLOBAL_OPTIONS, ...spec.options]) {
    const value = opts[camel(option.name)];
    if (value === undefined || value === false) continue;
    if (option.repeatable) repeated[option.name] = value as string[];
    else flags[option.name] = value as string | true;
  }
  return { command: spec.name, positional: command.args, flags, repeated };
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  const errors: string[] = [];
  let code = 0;
  const program = new Command('agent-guardrails')
    .description('AI agent guardrails: two-person approval, local mode, and the security review of a CDK app')
    .version(version(), '--version', 'print the version')
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text.replace(/\n$/, '')), writeErr: (text) => errors.push(text.replace(/\n$/, '')) });
  GLOBAL_OPTIONS.forEach((option) => addOption(program, option));
  for (const spec of COMMANDS) {
    const command = program.command(spec.name).description(spec.summary).exitOverride();
    if (spec.args) command.argument(spec.args);
    spec.options.filter((o) => !GLOBAL_OPTIONS.some((g) => g.name === o.name)).forEach((option) => addOption(command, option));
    command.action(async (...params: unknown[]) => {
      code = await spec.run(inputOf(spec, params[params.length - 1] as Command), io);
    });
  }
  if (argv.length === 0) {
    io.err(program.helpInformation().replace(/\n$/, ''));
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      // One line: commander's message, then where to look.
      io.err(`agent-guardrails: ${errors.join(' ').replace(/^error: /, '').replace(/\s+/g, ' ').trim() || error.message}; see agent-guardrails --help`);
      return 2;
    }
    if (isCliError(error)) {
      io.err(`agent-guardrails: ${error.message}`);
      return exitCodeOf(error.code);
    }
    const debug = argv.includes('--debug');
    io.err(`agent-guardrails: internal error: ${(error as Error).message}${debug ? `\n${(error as Error).stack}` : ' (run again with --debug for its stack)'}`);
    return exitCodeOf('internal');
  }
}

function version(): string {
  // The package's own manifest, from lib/cli (sources and compiled code alike).
  return (require('../../package.json') as { version: string }).version;
}

function defaultIo(): Io {
  return { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`), env: process.env };
}

