/**
 * The local workflow validates every definition it is given, once per process: a definition seen
 * valid before is not validated again, and an invalid one is refused every time. The demo's
 * definition, which local mode runs without validating it, is validated here. A local server that
 * cannot start, or closes, leaves nothing listening, open or written behind.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { LocalWorkflow } from '../../lib/approval-workflow/local/local-workflow';
import { DEFAULT_LOCAL_APPROVERS, IDENTITY_HEADER, startLocalServer, synthesizeLocalWorkflow } from '../../lib/approval-workflow/local/server';
// asl-validator ships no types: its module is the validating function.
const validate: (definition: unknown) => { isValid: boolean; errorsText: () => string } = require('asl-validator');

const runTask = async () => ({});

function definition(next: string) {
  return {
    StartAt: 'First',
    States: {
      First: { Type: 'Pass', Next: next },
      Done: { Type: 'Succeed' },
    },
  };
}

describe('definition validation', () => {
  test('a valid definition runs, the first time and again', async () => {
    for (let i = 0; i < 2; i++) {
      const workflow = new LocalWorkflow({ definition: definition('Done'), runTask });
      await workflow.start(`request-${i}`);
      expect((await workflow.outcome(`request-${i}`)).status).toBe('SUCCEEDED');
    }
  });

  test('fails when a state names a next state that does not exist, every time it is given', () => {
    for (let i = 0; i < 2; i++) {
      expect(() => new LocalWorkflow({ definition: definition('Missing'), runTask })).toThrow(/Missing/);
    }
  });

  test('fails when an invalid definition follows a valid one that differs only in that state', () => {
    expect(() => new LocalWorkflow({ definition: definition('Done'), runTask })).not.toThrow();
    expect(() => new LocalWorkflow({ definition: definition('Elsewhere'), runTask })).toThrow(/Elsewhere/);
  });
});

describe('the demo local mode runs', () => {
  test.each([false, true])('its definition is valid Amazon States Language (change-set files: %s)', (changeSets) => {
    const { definition } = synthesizeLocalWorkflow(DEFAULT_LOCAL_APPROVERS, undefined, { changeSets });
    const { isValid, errorsText } = validate(definition);
    expect(errorsText()).toBe('');
    expect(isValid).toBe(true);
  });

  test('fails when an app\'s definition is invalid: local mode validates what it reads from an assembly', async () => {
    const demo = synthesizeLocalWorkflow(DEFAULT_LOCAL_APPROVERS);
    const broken = { ...demo.definition, StartAt: 'NoSuchState' };
    const before = listeningServers();
    await expect(startLocalServer({ source: { path: 'App/Approval', template: demo.template, definition: broken, config: demo.config } })).rejects.toThrow(/NoSuchState/);
    expect(listeningServers()).toBe(before);
  });
});

describe('a local server that cannot start', () => {
  test('fails when its port is taken, and leaves nothing listening', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const before = listeningServers();
      await expect(startLocalServer({ port: (taken.address() as net.AddressInfo).port })).rejects.toThrow(/EADDRINUSE/);
      expect(listeningServers()).toBe(before);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });
});

describe('a local server that closes', () => {
  test('leaves no server listening and no socket open', async () => {
    const before = { servers: listeningServers(), sockets: openSockets() };
    const server = await startLocalServer();
    const response = await fetch(`${server.url}/requests?status=PENDING`, { headers: { [IDENTITY_HEADER]: DEFAULT_LOCAL_APPROVERS[0] } });
    expect(response.status).toBe(200);
    await server.close();
    expect({ servers: listeningServers(), sockets: openSockets() }).toEqual(before);
  });
});

describe('a local server\'s files', () => {
  test('fails when a running server keeps its synthesized demo in the temporary directory, or touches CDK_OUTDIR', () => {
    // In a process of its own, with a temporary directory of its own: other suites write to this run's.
    // CDK removes the assemblies it put there when a process exits, but not when it is killed.
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-files-'));
    const [tmp, userOutdir] = [path.join(root, 'tmp'), path.join(root, 'cdk.out')];
    fs.mkdirSync(tmp);
    fs.mkdirSync(userOutdir);
    fs.writeFileSync(path.join(userOutdir, 'manifest.json'), '{}');
    try {
      const script = "require('./lib/approval-workflow/local/server').startLocalServer().then(async (s) => { process.stdout.write(JSON.stringify(require('fs').readdirSync(process.env.TMPDIR))); await s.close(); });";
      const child = spawnSync(process.execPath, ['-r', './bin/typescript-hook.cjs', '-e', script], {
        cwd: path.join(__dirname, '..', '..'),
        encoding: 'utf8',
        env: { ...process.env, TMPDIR: tmp, CDK_OUTDIR: userOutdir },
      });
      expect({ status: child.status, stderr: child.stderr }).toMatchObject({ status: 0 });
      expect(JSON.parse(child.stdout)).toEqual([]);
      expect(fs.readdirSync(userOutdir)).toEqual(['manifest.json']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

/** Sockets of this process that are still open. */
function openSockets(): number {
  return ((process as any)._getActiveHandles() as unknown[]).filter((h) => h instanceof net.Socket && !h.destroyed && h.readyState !== 'closed').length;
}

/** Servers of this process that listen on a socket now. */
function listeningServers(): number {
  return ((process as any)._getActiveHandles() as unknown[]).filter((h) => h instanceof net.Server && h.listening).length;
}
