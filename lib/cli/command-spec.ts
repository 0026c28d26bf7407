/*
 * Pure: how a command is declared. Every command is one entry of the table in `commands/index.ts`,
 * from which the parser, the help and the usage are built.
 */

/** Where the CLI writes, and what it reads; replaced in tests. */
export interface Io {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Resolves when local mode should stop (Ctrl-C by default). */
  readonly untilStopped?: () => Promise<void>;
}

/** One option of a command. */
export interface OptionSpec {
  /** The long name, without dashes: `change-set`. */
  readonly name: string;
  /** The value's placeholder (`ARN`); absent for a switch. */
  readonly value?: string;
  readonly help: string;
  /** May be given more than once. */
  readonly repeatable?: boolean;
}

/** A command's parsed input: positional arguments, options by long name, repeated options. */
export interface CommandInput {
  readonly command: string;
  readonly positional: string[];
  readonly flags: Record<string, string | true>;
  readonly repeated: Record<string, string[]>;
}

/** One command of the CLI. */
export interface CommandSpec {
  readonly name: string;
  /** Positional arguments, as help shows them: `<id>`, `[cdk-out]`, `<file...>`. */
  readonly args?: string;
  readonly summary: string;
  readonly options: readonly OptionSpec[];
  /** Runs the command; resolves to the exit code (0 done, 1 refused or findings). */
  run(input: CommandInput, io: Io): Promise<number>;
}

/** Options every command that calls the approval API takes. */
export const API_OPTIONS: readonly OptionSpec[] = [
  { name: 'url', value: 'URL', help: 'the approval API (or AGENT_GUARDRAILS_URL)' },
  { name: 'region', value: 'REGION', help: 'for signing (default: from the URL, or AWS_REGION)' },
  { name: 'identity', value: 'ARN', help: 'local mode only: act as this principal' },
];

/** Machine-readable output. */
export const JSON_OPTION: OptionSpec = { name: 'json', help: 'machine-readable output' };
