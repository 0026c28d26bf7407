/* The CLI's commands, declared once: the parser, the help and the usage are built from this table. */
import { CommandSpec } from '../command-spec';
import { breakerCommand } from './breaker';
import { auditCommand } from './audit';
import { consoleCommand } from './console';
import { credentialProcessCommand } from './credential-process';
import { approveCommand, denyCommand, revokeCommand } from './decisions';
import { impactCommand } from './impact';
import { localCommand } from './local';
import { mcpCommand } from './mcp';
import { credentialsCommand, pendingCommand, statusCommand } from './reads';
import { requestCommand } from './request';
import { setupAgentCommand } from './setup-agent';
import { reviewCommand, simulateCommand, verifyCommand } from './review';

export const COMMANDS: readonly CommandSpec[] = [
  requestCommand,
  approveCommand,
  denyCommand,
  revokeCommand,
  statusCommand,
  pendingCommand,
  credentialsCommand,
  consoleCommand,
  localCommand,
  reviewCommand,
  simulateCommand,
  verifyCommand,
  impactCommand,
  credentialProcessCommand,
  setupAgentCommand,
  mcpCommand,
  auditCommand,
  breakerCommand,
];
