/*
 * Pure: what an MCP tool is here. A definition (name, description and the JSON Schema of its input,
 * as clients list them) and an action that takes its dependencies and a checked input, and returns
 * a tagged result: the server maps it to the protocol, and tests read it as data.
 */
import { ObjectSchema } from './input-schema';

/** Why a tool did not do what was asked, as a code the agent (and tests) can tell apart. */
export type ToolErrorCode =
  /** No tool of that name. */
  | 'unknown-tool'
  /** The input does not match the tool's schema, or names something malformed. */
  | 'invalid-input'
  /** The cloud assembly check_access reads is missing or unreadable. */
  | 'no-assembly'
  /** The agent role cannot be found in the assembly. */
  | 'unknown-role'
  /** The approval API refused the call (its status and code are in the detail). */
  | 'refused'
  /** The request has no credentials to collect yet, or any more. */
  | 'not-issued'
  /** The credentials file cannot take the profile. */
  | 'profile-refused'
  /** The approval API cannot be reached. */
  | 'unreachable'
  /** The server was started with options that cannot call the API (a region it cannot tell, say). */
  | 'misconfigured'
  /** The approval API answered something this server cannot read. */
  | 'invalid-response'
  /** A bug of this server (its stack goes to stderr). */
  | 'internal';

/** A tool's outcome: a result for the agent, or why not (never a thrown business outcome). */
export type ToolResult =
  | { readonly ok: true; readonly result: Readonly<Record<string, unknown>> }
  | { readonly ok: false; readonly error: ToolErrorCode; readonly message: string; readonly detail?: Readonly<Record<string, unknown>> };

/** Hints for clients, as MCP defines them. */
export interface ToolAnnotations {
  readonly readOnlyHint?: boolean;
  readonly destructiveHint?: boolean;
  readonly idempotentHint?: boolean;
  readonly openWorldHint?: boolean;
}

/** One tool: what clients list, and what it does. */
export interface ToolDefinition<Deps, Input> {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly inputSchema: ObjectSchema;
  readonly annotations?: ToolAnnotations;
  /** Runs on input already checked against `inputSchema`. */
  action(deps: Deps, input: Input): Promise<ToolResult>;
}

/** A refusal of a tool. */
export function toolError(error: ToolErrorCode, message: string, detail?: Readonly<Record<string, unknown>>): ToolResult {
  return { ok: false, error, message, ...(detail ? { detail } : {}) };
}
