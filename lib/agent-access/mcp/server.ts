/*
 * I/O: the MCP server, a thin adapter over the tools. It lists `TOOLS`, runs `callTool` for each
 * call, maps each tagged result to a tool result (errors as `isError` results the model can read
 * and act on, never protocol failures), and speaks MCP over stdin and stdout through the official
 * SDK. stdout carries the protocol only: logs, and anything else that prints, go to stderr.
 */
import { format } from 'util';
import { callTool, ToolDeps, ToolResult, TOOLS } from './tools';

type ServerModule = typeof import('@modelcontextprotocol/sdk/server/index.js');
type StdioModule = typeof import('@modelcontextprotocol/sdk/server/stdio.js');
type TypesModule = typeof import('@modelcontextprotocol/sdk/types.js');

/** The parts of the MCP SDK the server uses. */
export interface McpSdk {
  readonly Server: ServerModule['Server'];
  readonly StdioServerTransport: StdioModule['StdioServerTransport'];
  readonly ListToolsRequestSchema: TypesModule['ListToolsRequestSchema'];
  readonly CallToolRequestSchema: TypesModule['CallToolRequestSchema'];
}

/** The package that holds the SDK (an optional peer dependency). */
export const MCP_SDK_PACKAGE = '@modelcontextprotocol/sdk';

/** The MCP SDK, or undefined when it is not installed. Loaded on demand, so that the rest of the CLI never needs it. */
export function loadMcpSdk(): McpSdk | undefined {
  try {
    const { Server } = require('@modelcontextprotocol/sdk/server/index.js') as ServerModule;
    const { StdioServerTransport } = require('@modelcontextprotocol/sdk/server/stdio.js') as StdioModule;
    const { ListToolsRequestSchema, CallToolRequestSchema } = require('@modelcontextprotocol/sdk/types.js') as TypesModule;
    return { Server, StdioServerTransport, ListToolsRequestSchema, CallToolRequestSchema };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if ((e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND') && e.message.includes(MCP_SDK_PACKAGE)) return undefined;
    throw error;
  }
}

/** How the server runs. */
export interface McpServeOptions {
  readonly deps: ToolDeps;
  /** The version clients see. */
  readonly version: string;
  /** One line to stderr: what each call did, never what it carried. */
  readonly log: (line: string) => void;
  readonly stdin?: NodeJS.ReadStream;
  readonly stdout?: NodeJS.WriteStream;
}

/** What the server tells the model when it connects. */
export const INSTRUCTIONS = [
  'agent-guardrails keeps production read-only to you: your AWS role may read everything, and build and tear down anything that is not production.',
  'Before an AWS call that changes something, call check_access to learn whether your role may do it.',
  'To change production: create a CloudFormation change set, call request_elevation with its ARN and your reasoning (approvers read it, and it cannot be changed later),',
  'follow it with request_status until it is ISSUED, then call save_credentials and run the change with AWS_PROFILE set to the profile it names.',
  'You never see the credentials, and you never need to.',
].join(' ');

/** Serves MCP on stdin and stdout until the client goes away (stdin ends or the transport closes). */
export async function serveMcp(sdk: McpSdk, options: McpServeOptions): Promise<void> {
  const stdin = options.stdin ?? process.stdin;
  const server = new sdk.Server({ name: 'agent-guardrails', title: 'agent-guardrails', version: options.version }, { capabilities: { tools: {} }, instructions: INSTRUCTIONS });
  server.setRequestHandler(sdk.ListToolsRequestSchema, async () => ({
    tools: TOOLS.map((tool) => ({
      name: tool.name,
      title: tool.title,
      description: tool.description,
      inputSchema: { ...tool.inputSchema },
      ...(tool.annotations ? { annotations: { title: tool.title, ...tool.annotations } } : {}),
    })),
  }));
  server.setRequestHandler(sdk.CallToolRequestSchema, async (request) => {
    const { name, arguments: input } = request.params;
    let result: ToolResult;
    try {
      result = await callTool(options.deps, name, input ?? {});
    } catch (error) {
      // A bug, not an outcome: the model gets one line, stderr the stack.
      options.log(`mcp: ${name}: internal error: ${(error as Error).stack ?? String(error)}`);
      return toolResultOf({ ok: false, error: 'internal', message: `internal error in ${name}: ${(error as Error).message}` });
    }
    options.log(`mcp: ${name}: ${result.ok ? 'ok' : result.error}`);
    return toolResultOf(result);
  });
  server.onerror = (error) => options.log(`mcp: protocol error: ${error.message}`);

  // Whatever prints while serving (a library's console.log) must not corrupt the protocol on stdout.
  const saved = { log: console.log, info: console.info, debug: console.debug, warn: console.warn };
  const toStderr = (...args: unknown[]) => options.log(format(...args));
  Object.assign(console, { log: toStderr, info: toStderr, debug: toStderr, warn: toStderr });
  try {
    await new Promise<void>((resolve, reject) => {
      const finish = () => resolve();
      stdin.once('end', finish);
      stdin.once('close', finish);
      server.onclose = finish;
      server.connect(new sdk.StdioServerTransport(stdin, options.stdout ?? process.stdout)).catch(reject);
    });
  } finally {
    await server.close().catch(() => undefined);
    Object.assign(console, saved);
  }
}

/** A tool's result as MCP carries it: the result, or the error, as JSON text the model reads. */
export function toolResultOf(result: ToolResult): { content: Array<{ type: 'text'; text: string }>; isError?: boolean } {
  if (result.ok) return { content: [{ type: 'text', text: JSON.stringify(result.result, null, 2) }] };
  const body = { error: result.error, message: result.message, ...(result.detail ?? {}) };
  return { content: [{ type: 'text', text: JSON.stringify(body, null, 2) }], isError: true };
}
