/*
 * A request of the approval workflow in local mode, asked for by the agent, approved by two
 * approvers who accept its risk, and issued: what the audit reads with --url.
 */
import * as path from 'path';
import { LocalServer, startLocalServer } from '../../lib/approval-workflow/local/server';
import { main } from '../../lib/cli/main';

export const AGENT = 'arn:aws:sts::000000000000:assumed-role/coding-agent/OPS-42';
export const APPROVER_1 = 'arn:aws:iam::000000000000:user/approver-1';
export const APPROVER_2 = 'arn:aws:iam::000000000000:user/approver-2';
export const ALICE = 'arn:aws:iam::000000000000:user/alice';
/** The change set the fixtures' agent proposed and its elevated session executed (replace-table.json). */
export const CHANGE_SET = 'arn:aws:cloudformation:eu-west-1:111122223333:changeSet/agent-rekey-orders/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';

/** Local mode with the workflow's change-set fixtures. */
export const startLocalWithChangeSets = (): Promise<LocalServer> => startLocalServer({ changeSetsDir: path.join(__dirname, '..', 'approval-workflow', 'change-sets') });

/** Runs the CLI in-process. */
export async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Asks, approves twice and waits for the session to be issued; resolves to the request id. */
export async function issuedRequest(server: LocalServer, request: { justification: string; ticket?: string; comment?: string }): Promise<string> {
  const as = (identity: string, ...argv: string[]) => run([...argv, '--url', server.url, '--identity', identity]);
  const asked = await as(AGENT, 'request', '--role', 'deployer', '--justification', request.justification, ...(request.ticket ? ['--ticket', request.ticket] : []), '--on-behalf-of', ALICE, '--change-set', CHANGE_SET, '--json');
  if (asked.code !== 0) throw new Error(`request refused: ${asked.out} ${asked.err}`);
  const id = JSON.parse(asked.out).requestId as string;
  for (const approver of [APPROVER_1, APPROVER_2]) {
    const approved = await as(approver, 'approve', id, '--accept-risk', ...(request.comment ? ['--comment', request.comment] : []));
    if (approved.code !== 0) throw new Error(`approval refused: ${approved.out}`);
  }
  const deadline = Date.now() + 15000;
  while (JSON.parse((await as(APPROVER_1, 'status', id, '--json')).out).status !== 'ISSUED') {
    if (Date.now() > deadline) throw new Error(`request ${id} was not issued in time`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return id;
}
