/*
 * The MCP server's tools, declared once: what clients list (name, description, input schema) and
 * `callTool`, which checks a call's input against the tool's schema and runs its action with the
 * dependencies it is given (the approval API's client, the agent role of the app, the credentials
 * file, the clock). No protocol here: `server.ts` maps the tagged results onto MCP.
 */
import { checkAccessTool, CheckAccessDeps } from './check-access';
import { ElevationDeps, requestElevationTool, requestStatusTool, saveCredentialsTool } from './elevation';
import { inputProblems } from './input-schema';
import { ToolDefinition, ToolResult, toolError } from './tool';

export type { AgentRoleModel } from './check-access';
export { lazyAgentRole } from './check-access';
export type { ToolResult } from './tool';

/** Everything the tools need. */
export interface ToolDeps extends CheckAccessDeps, ElevationDeps {}

/** The tools, in the order clients list them. */
export const TOOLS: ReadonlyArray<ToolDefinition<ToolDeps, any>> = [checkAccessTool, requestElevationTool, requestStatusTool, saveCredentialsTool];

/** Runs tool `name` on `input`: unknown tools and input that does not match the schema are tool errors, with every problem named. */
export async function callTool(deps: ToolDeps, name: string, input: unknown): Promise<ToolResult> {
  const tool = TOOLS.find((t) => t.name === name);
  if (!tool) {
    return toolError('unknown-tool', `no tool ${JSON.stringify(name)}: this server has ${TOOLS.map((t) => t.name).join(', ')}`);
  }
  const problems = inputProblems(tool.inputSchema, input ?? {});
  if (problems.length > 0) {
    return toolError('invalid-input', `${tool.name}: ${problems.join('; ')}`, { problems });
  }
  return tool.action(deps, input ?? {});
}

