/*
 * The credential helper agents run as the AWS `credential_process`: it assumes the agent role from
 * the caller's base credentials with the agent's source identity, prints the session in the
 * `credential_process` format, and caches it until shortly before it expires, so that every AWS
 * call of the agent is attributable and no one redoes `aws sts assume-role` by hand. The logic here
 * takes its STS call, cache and clock as dependencies; `fileCache` is the only I/O.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { TASK_TAG_KEY } from '../private/session-names';

/** What the agent asks for. */
export interface CredentialProcessOptions {
  readonly roleArn: string;
  readonly sourceIdentity: string;
  /** The session name CloudTrail shows: a task or ticket id tells tasks apart. @default the source identity */
  readonly sessionName?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** @default 3600 (the agent role's maximum) */
  readonly durationSeconds?: number;
}

/** The `credential_process` output the AWS CLI and SDKs read. */
export interface ProcessCredentials {
  readonly Version: 1;
  readonly AccessKeyId: string;
  readonly SecretAccessKey: string;
  readonly SessionToken: string;
  readonly Expiration: string;
}

/** Where sessions are kept between runs. */
export interface CredentialCache {
  read(key: string): Promise<ProcessCredentials | undefined>;
  write(key: string, value: ProcessCredentials): Promise<void>;
}

/** What the helper needs from the world. */
export interface CredentialProcessDeps {
  assumeRole(input: { roleArn: string; sessionName: string; sourceIdentity: string; durationSeconds: number; tags: Array<{ Key: string; Value: string }> }): Promise<ProcessCredentials>;
  readonly cache: CredentialCache;
  readonly now: () => Date;
}

/** The environment variable a session name is taken from when --session-name is not given. */
export const SESSION_NAME_ENV = 'AGENT_GUARDRAILS_SESSION_NAME';

/** A cached session is used until this long before it expires. */
export const REFRESH_BEFORE_MS = 5 * 60 * 1000;

const NAME = /^[\w+=,.@-]{2,64}$/;

/** Every problem with `options`, naming the option and the fix. */
export function credentialOptionProblems(options: CredentialProcessOptions): string[] {
  const problems: string[] = [];
  if (!/^arn:aws[\w-]*:iam::\d{12}:role\/.+$/.test(options.roleArn)) {
    problems.push(`--role-arn must be the agent role's ARN (arn:aws:iam::111122223333:role/agent-guardrails/agent/NAME), got ${JSON.stringify(options.roleArn)}`);
  }
  if (!NAME.test(options.sourceIdentity)) {
    problems.push(`--source-identity must be the agent's name (2-64 letters, digits and + = , . @ _ -), got ${JSON.stringify(options.sourceIdentity)}`);
  }
  if (options.sessionName !== undefined && !NAME.test(options.sessionName)) {
    problems.push(`--session-name (or ${SESSION_NAME_ENV}) must be 2-64 letters, digits and + = , . @ _ - (a task or ticket id), got ${JSON.stringify(options.sessionName)}`);
  }
  const duration = options.durationSeconds ?? 3600;
  if (!Number.isInteger(duration) || duration < 900 || duration > 43200) {
    problems.push(`--duration must be whole seconds from 900 to 43200 (and at most the role's maximum), got ${JSON.stringify(options.durationSeconds)}`);
  }
  for (const [key, value] of Object.entries(options.tags ?? {})) {
    if (!/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u.test(key) || value.length > 256) {
      problems.push(`--tag ${key}=${value} is not a valid session tag (key 1-128, value at most 256 characters)`);
    }
  }
  return problems;
}

/** The cache key of a session: the role, who, the session name, tags and duration. */
export function cacheKey(options: CredentialProcessOptions): string {
  const stable = JSON.stringify([options.roleArn, options.sourceIdentity, options.sessionName ?? null, Object.entries(options.tags ?? {}).sort(), options.durationSeconds ?? 3600]);
  return createHash('sha256').update(stable).digest('hex').slice(0, 32);
}

/**
 * The session's tags: those given, and the task, named after the session when it has a name of its
 * own, so that every call carries its rationale (`AgentRole` admits this tag and no other).
 */
export function sessionTagsOf(options: CredentialProcessOptions): Array<{ Key: string; Value: string }> {
  const tags = { ...(options.sessionName !== undefined ? { [TASK_TAG_KEY]: options.sessionName } : {}), ...(options.tags ?? {}) };
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** The agent's session: from the cache while it has more than `REFRESH_BEFORE_MS` left, else assumed anew and cached. */
export async function agentCredentials(deps: CredentialProcessDeps, options: CredentialProcessOptions): Promise<ProcessCredentials> {
  const key = cacheKey(options);
  const cached = await deps.cache.read(key);
  if (cached && Date.parse(cached.Expiration) - deps.now().getTime() > REFRESH_BEFORE_MS) {
    return cached;
  }
  const fresh = await deps.assumeRole({
    roleArn: options.roleArn,
    sessionName: options.sessionName ?? options.sourceIdentity,
    sourceIdentity: options.sourceIdentity,
    durationSeconds: options.durationSeconds ?? 3600,
    tags: sessionTagsOf(options),
  });
  await deps.cache.write(key, fresh);
  return fresh;
}

/** A cache of one file per session in `dir` (created 0700; files 0600: they hold credentials). */
export function fileCache(dir: string): CredentialCache {
  const file = (key: string) => path.join(dir, `${key}.json`);
  return {
    async read(key) {
      try {
        const value = JSON.parse(fs.readFileSync(file(key), 'utf8')) as ProcessCredentials;
        return value.Version === 1 && typeof value.Expiration === 'string' ? value : undefined;
      } catch {
        return undefined;
      }
    },
    async write(key, value) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const temporary = `${file(key)}.${process.pid}.tmp`;
      fs.writeFileSync(temporary, JSON.stringify(value), { mode: 0o600 });
      fs.renameSync(temporary, file(key));
    },
  };
}
