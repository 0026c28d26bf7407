/**
 * The breaker's functions as Lambda runs them: the synthesized code asset (the handler bundle and
 * breaker-config.json), loaded by a Node.js process of its own, the AWS SDK from this package's
 * node_modules as the runtime provides it. The configuration is read on the first invocation; a
 * missing or garbled file fails every invocation, and never makes a breaker that counts nothing.
 * Also the pure reader both the functions and replay use.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { BREAKER_ENV } from '../../lib/circuit-breaker/handlers/env';
import { parseBreakerConfig } from '../../lib/circuit-breaker/logic/config';
import { assumedRole, denied, envelope } from './fixtures/records';
import { breakerCodeAsset, buildBreakerApp } from './support';

const NODE_MODULES = path.join(__dirname, '..', '..', 'node_modules');
const ENV = {
  [BREAKER_ENV.table]: 'breaker-table',
  [BREAKER_ENV.approversTopic]: 'arn:aws:sns:us-east-1:111122223333:approvers',
  [BREAKER_ENV.securityTopic]: 'arn:aws:sns:us-east-1:111122223333:security',
  [BREAKER_ENV.resetRole]: 'circuit-breaker-reset',
};

let asset: ReturnType<typeof breakerCodeAsset>;
beforeAll(() => {
  const { app } = buildBreakerApp(new App());
  app.synth();
  asset = breakerCodeAsset(app.outdir);
});

const copies: string[] = [];
afterAll(() => copies.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A copy of the synthesized code, with `config` as its breaker-config.json (deleted when undefined). */
function codeWith(config: string | undefined | 'as synthesized'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agr-breaker-code-'));
  copies.push(dir);
  fs.cpSync(asset.dir, dir, { recursive: true });
  if (config === undefined) fs.rmSync(path.join(dir, 'breaker-config.json'));
  else if (config !== 'as synthesized') fs.writeFileSync(path.join(dir, 'breaker-config.json'), config);
  return dir;
}

/** Loads the code in a process of its own and invokes `entry` twice with `event`: what each returned, or its error. */
function invoke(dir: string, entry: 'breaker' | 'breakerReset', event: unknown, env: Record<string, string> = ENV) {
  const script = `
    const code = require(${JSON.stringify(path.join(dir, 'index.js'))});
    const once = () => code[${JSON.stringify(entry)}](${JSON.stringify(event)}).then((r) => ({ ok: r }), (e) => ({ error: e.message }));
    once().then((first) => once().then((second) => console.log(JSON.stringify([first, second]))));`;
  const result = spawnSync(process.execPath, ['--no-warnings', '-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH, NODE_PATH: NODE_MODULES, AWS_REGION: 'us-east-1', ...env } });
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  // The functions log to stdout as Lambda collects it; the results are the last line.
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as [{ ok?: any; error?: string }, { ok?: any; error?: string }];
}

describe('the breaker\'s functions, from their synthesized code', () => {
  test('load without their environment, and read breaker-config.json on the first invocation', () => {
    const dir = codeWith('as synthesized');
    // An event the breaker ignores runs the whole path up to the table, without AWS.
    const [first, second] = invoke(dir, 'breaker', { detail: 'not a record' });
    expect(first).toEqual({ ok: { result: 'ignored', reason: 'not-a-record' } });
    expect(second).toEqual(first);
    // The configuration is the one synthesized: another agent's call is not the watched agent's.
    expect(invoke(dir, 'breaker', envelope(denied({ userIdentity: assumedRole('arn:aws:iam::111122223333:role/someone', 'x') })))[0]).toEqual({ ok: { result: 'ignored', reason: 'not-an-agent' } });
    expect(invoke(dir, 'breakerReset', { agent: 'nobody' })[0].ok).toMatchObject({ result: 'refused', code: 'unknown-agent', message: expect.stringContaining('this breaker watches coding-agent') });
  });

  test.each([
    ['the file is missing', undefined, /the breaker's configuration .*breaker-config\.json cannot be read \(ENOENT\); the function must be deployed by the AgentCircuitBreaker construct/],
    ['the file is not JSON', '{"agents": [', /the breaker's configuration .*breaker-config\.json is not valid: it is not JSON/],
    ['the file watches no agent', JSON.stringify({ agents: [], thresholds: {}, production: {} }), /is not valid: agents must list at least one agent, got \[\]/],
    ['the file is empty', '', /is not valid: it is not JSON/],
  ])('fail closed, on every invocation, when %s', (_name, config, message) => {
    const dir = codeWith(config);
    for (const entry of ['breaker', 'breakerReset'] as const) {
      const results = invoke(dir, entry, entry === 'breaker' ? { detail: 'not a record' } : { agent: 'coding-agent' });
      for (const r of results) {
        expect(r.ok).toBeUndefined();
        expect(r.error).toMatch(message);
      }
    }
  });

  test('fail when the environment lacks what the construct sets, after the configuration', () => {
    const [first] = invoke(codeWith('as synthesized'), 'breaker', { detail: 'not a record' }, {});
    expect(first.error).toMatch(/environment variable AGENT_GUARDRAILS_BREAKER_TABLE is not set/);
  });
});

describe('parseBreakerConfig', () => {
  const valid = {
    agents: [{ name: 'coding-agent', roleName: 'coding-agent', rolePath: '/agent-guardrails/agent/' }],
    thresholds: { deniedCalls: { count: 5, windowSeconds: 600 }, productionWrites: { count: 1, windowSeconds: 600 } },
    production: { stackNames: ['orders-prod'], resourceNames: [] },
  };

  test('reads what the construct writes', () => {
    expect(parseBreakerConfig(JSON.stringify(valid))).toEqual({ ok: true, config: valid });
  });

  test.each([
    ['it is not JSON', 'nope', /^it is not JSON/],
    ['it is not an object', '[1]', /^it holds \[1\], not an object$/],
    ['no agent is watched', JSON.stringify({ ...valid, agents: [] }), /^agents must list at least one agent, got \[\]$/],
    ['an agent has no role', JSON.stringify({ ...valid, agents: [{ name: 'a' }] }), /agents\[0\] must have a name, a roleName and a rolePath/],
    ['a threshold is missing', JSON.stringify({ ...valid, thresholds: { deniedCalls: valid.thresholds.deniedCalls } }), /thresholds\.productionWrites must be a count from 1 to 100 and a windowSeconds from 60 to 86400, got undefined/],
    ['a count is out of range', JSON.stringify({ ...valid, thresholds: { ...valid.thresholds, deniedCalls: { count: 0, windowSeconds: 600 } } }), /thresholds\.deniedCalls must be a count/],
    ['a window is not whole seconds', JSON.stringify({ ...valid, thresholds: { ...valid.thresholds, deniedCalls: { count: 5, windowSeconds: 60.5 } } }), /thresholds\.deniedCalls must be a count/],
    ['production lists something that is not a name', JSON.stringify({ ...valid, production: { stackNames: [{ Ref: 'X' }], resourceNames: [] } }), /production\.stackNames must be a list of names/],
    ['production is missing', JSON.stringify({ ...valid, production: undefined }), /production\.stackNames must be a list of names, got undefined; production\.resourceNames/],
  ])('fails when %s', (_name, text, problem) => {
    const parsed = parseBreakerConfig(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problem).toMatch(problem);
  });
});
