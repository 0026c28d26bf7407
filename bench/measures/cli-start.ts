/**
 * The CLI's start, wall time of the process, median of 7 after one warm-up, alternating:
 * - `--version` in the repository, with dist/ current (as `npm ci` leaves it);
 * - `--version` in a copy of the repository whose sources changed since the build (they run
 *   through the TypeScript require hook);
 * - `--version` from the package as it is installed (bin/ and dist/, no sources);
 * - `credential-process`, which the AWS SDK runs on every credential refresh: with a cached session
 *   (the SDK is not loaded), and with none (it assumes the role from an STS stand-in on 127.0.0.1).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { cacheKey } from '../../lib/agent-access/credential-process';
import { Measure, median, ROOT, runChild, seconds } from './measure';

const ROLE = 'arn:aws:iam::111122223333:role/agent-guardrails/agent/coding-agent';
const CREDENTIALS = ['--role-arn', ROLE, '--source-identity', 'coding-agent'];
/** The base credentials an operator's machine has, and no task id (it would name the session). */
const BASE_ENV = { AWS_ACCESS_KEY_ID: 'AKIABASEEXAMPLE00001', AWS_SECRET_ACCESS_KEY: 'base-secret', AWS_REGION: 'eu-west-1', AGENT_GUARDRAILS_SESSION_NAME: '' };

/** One way to start the CLI: its arguments (taken anew for each start) and environment. */
interface Variant {
  readonly name: string;
  readonly args: () => string[];
  readonly env?: NodeJS.ProcessEnv;
}

export const cliStart: Measure = {
  name: 'cli-start',
  async run() {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-guardrails-bench-cli-'));
    const sts = await startStsStandIn();
    try {
      // As `npm ci` leaves the repository (a no-op when dist/ is current).
      const build = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'build.cjs'), '--transpile-only', '--if-stale'], { cwd: ROOT, encoding: 'utf8' });
      if (build.status !== 0) throw new Error(`bin/build.cjs failed: ${build.stderr}`);
      const sources = copyOf(scratch, 'sources', ['bin', 'lib', 'package.json', 'tsconfig.json', 'tsconfig.build.json']);
      const installed = copyOf(scratch, 'installed', ['bin/agent-guardrails.js', 'dist', 'package.json']);
      const cached = path.join(scratch, 'cache');
      writeCachedSession(cached);
      let fresh = 0;

      const variants: Variant[] = [
        { name: 'repo', args: () => [path.join(ROOT, 'bin', 'agent-guardrails.js'), '--version'] },
        { name: 'sources', args: () => [path.join(sources, 'bin', 'agent-guardrails.js'), '--version'] },
        { name: 'installed', args: () => [path.join(installed, 'bin', 'agent-guardrails.js'), '--version'] },
        { name: 'cached', args: () => [path.join(ROOT, 'bin', 'agent-guardrails.js'), 'credential-process', ...CREDENTIALS, '--cache-dir', cached], env: BASE_ENV },
        { name: 'assumed', args: () => [path.join(ROOT, 'bin', 'agent-guardrails.js'), 'credential-process', ...CREDENTIALS, '--cache-dir', path.join(scratch, `fresh-${fresh++}`), '--endpoint-url', sts.endpoint], env: BASE_ENV },
      ];
      const times = new Map(variants.map((v) => [v.name, [] as number[]]));
      for (let i = 0; i < 8; i++) {
        for (const variant of variants) {
          const child = await runChild(process.execPath, variant.args(), variant.env);
          if (child.code !== 0) throw new Error(`${variant.name}: exited ${child.code}: ${child.stderr}`);
          if (variant.name === 'cached' || variant.name === 'assumed') JSON.parse(child.stdout);
          if (i > 0) times.get(variant.name)!.push(child.ms);
        }
      }
      // A source edited during the run makes the repository's CLI run the sources: say so rather than report them as dist/.
      const stale = !(require(path.join(ROOT, 'bin', 'build-stamp.cjs')) as { isBuildCurrent: () => boolean }).isBuildCurrent();
      const ms = (name: string) => median(times.get(name)!);
      if (sts.calls() !== 8) throw new Error(`the STS stand-in was called ${sts.calls()} times, not once per uncached run (8)`);
      return {
        rows: [
          { measure: 'CLI start to `--version` (in the repository, dist/ current)', before: '2.3-2.6 s (the sources through ts-node)', now: seconds(ms('repo')), target: 'compiled JavaScript, under 0.5 s', met: ms('repo') < 500 },
          { measure: 'CLI start to `--version` (from the installed package)', before: '0.3-0.4 s (every command and the AWS SDK loaded)', now: seconds(ms('installed')), target: 'under 0.5 s', met: ms('installed') < 500 },
        ],
        details: [
          '### CLI start (wall time of the process, median of 7, alternating)',
          '',
          '| start | s |',
          '| --- | ---: |',
          `| \`--version\`, in the repository with dist/ current (as \`npm ci\` leaves it) | ${(ms('repo') / 1000).toFixed(2)} |`,
          `| \`--version\`, in the repository with sources changed since the build (they run through bin/typescript-hook.cjs) | ${(ms('sources') / 1000).toFixed(2)} |`,
          `| \`--version\`, from the installed package (dist/ only) | ${(ms('installed') / 1000).toFixed(2)} |`,
          `| \`credential-process\`, session cached (no AWS SDK loaded) | ${(ms('cached') / 1000).toFixed(2)} |`,
          `| \`credential-process\`, no session cached (AssumeRole to a stand-in on 127.0.0.1) | ${(ms('assumed') / 1000).toFixed(2)} |`,
          ...(stale ? ['', 'A source of lib/ changed during this run, so some of the repository\'s runs were of the sources, not of dist/.'] : []),
        ],
      };
    } finally {
      await sts.close();
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  },
};

/** Copies `entries` of the repository into `scratch/name`, with the repository's node_modules. */
function copyOf(scratch: string, name: string, entries: readonly string[]): string {
  const dir = path.join(scratch, name);
  for (const entry of entries) fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  fs.rmSync(path.join(dir, 'dist', '.build-stamp'), { force: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'junction');
  return dir;
}

/** A session in `dir` that the helper will find fresh for the next hour. */
function writeCachedSession(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const session = { Version: 1, AccessKeyId: 'ASIACACHEDEXAMPLE001', SecretAccessKey: 'cached-secret', SessionToken: 'cached-token', Expiration: new Date(Date.now() + 3600_000).toISOString() };
  fs.writeFileSync(path.join(dir, `${cacheKey({ roleArn: ROLE, sourceIdentity: 'coding-agent', tags: {} })}.json`), JSON.stringify(session), { mode: 0o600 });
}

/** STS's AssumeRole over the Query protocol, answering every call with a session of an hour. */
async function startStsStandIn(): Promise<{ endpoint: string; calls: () => number; close: () => Promise<void> }> {
  let calls = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      calls++;
      res.setHeader('content-type', 'text/xml');
      res.end(
        '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>' +
          `<Credentials><AccessKeyId>ASIASESSIONEXAMPLE01</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken><Expiration>${new Date(Date.now() + 3600_000).toISOString()}</Expiration></Credentials>` +
          '</AssumeRoleResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></AssumeRoleResponse>',
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls: () => calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
