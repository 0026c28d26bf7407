/*
 * I/O: an issued session written as a named profile into the AWS shared credentials file
 * (`AWS_SHARED_CREDENTIALS_FILE`, or `~/.aws/credentials`), so that the agent runs commands with
 * `AWS_PROFILE=<name>` and never holds the keys itself. The file is replaced atomically (a
 * temporary file in the same directory, synced, then renamed), with mode 0600; only a section this
 * server wrote (it carries `CREDENTIALS_MARKER`) is ever replaced, and every other byte is kept.
 * Reads and writes are synchronous, so two tool calls of one server never interleave.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { sectionNames, withManagedSection } from '../aws-config';

/** The marker line of every profile the MCP server writes into the credentials file. */
export const CREDENTIALS_MARKER = '# written by agent-guardrails mcp';

/** An issued session, as the approval API hands it out. */
export interface SessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** ISO 8601. */
  readonly expiration: string;
}

/** What the profile's comment says about where it came from. */
export interface SessionOrigin {
  readonly requestId: string;
  readonly role?: string;
}

/** Why a profile cannot be written, as data; `message` names the file, the profile and the fix, never a credential. */
export type ProfileRefusal = {
  readonly ok: false;
  /**
   * `not-ours`: a profile of that name that this server did not write; `in-config`: the config file
   * has one; `invalid`: the name or a credential is not something the file can hold; `io`: the file
   * cannot be read or written.
   */
  readonly code: 'not-ours' | 'in-config' | 'invalid' | 'io';
  readonly message: string;
};

/** Whether a profile can be (or was) written. */
export type ProfileCheck = { readonly ok: true; readonly file: string; readonly replaced: boolean } | ProfileRefusal;

/** Where issued sessions go: checked before the credentials are collected (they are handed out once), then written. */
export interface ProfileStore {
  /** Whether `profile` can be written, without writing. */
  check(profile: string): ProfileCheck;
  write(profile: string, session: SessionCredentials, origin: SessionOrigin): ProfileCheck;
}

/** What a profile name may be: letters, digits, `.`, `_` and `-` (nothing that could end the section header). */
export const PROFILE_NAME = /^[\w.-]{1,64}$/;

/** What a credential value may be: visible ASCII, no spaces (nothing that could start another line). */
const CREDENTIAL_VALUE = /^[\x21-\x7e]{1,4096}$/;

/** Where the shared files are: `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE`, or `~/.aws/`. */
export function sharedFiles(env: NodeJS.ProcessEnv, home: string = os.homedir()): { readonly credentials: string; readonly config: string } {
  return {
    credentials: path.resolve(env.AWS_SHARED_CREDENTIALS_FILE || path.join(home, '.aws', 'credentials')),
    config: path.resolve(env.AWS_CONFIG_FILE || path.join(home, '.aws', 'config')),
  };
}

/** The profile's lines below the marker. */
export function credentialLines(session: SessionCredentials, origin: SessionOrigin): string[] {
  return [
    `# request ${origin.requestId}${origin.role ? `, elevated role ${origin.role}` : ''}; expires ${session.expiration}`,
    `aws_access_key_id = ${session.accessKeyId}`,
    `aws_secret_access_key = ${session.secretAccessKey}`,
    `aws_session_token = ${session.sessionToken}`,
  ];
}

/** The credentials file at `files.credentials`, refusing profile names the config file at `files.config` already has. */
export function credentialsFileStore(files: { readonly credentials: string; readonly config: string }): ProfileStore {
  const plan = (profile: string, lines: readonly string[]): ProfileRefusal | { ok: true; file: string; text: string; replaced: boolean } => {
    if (!PROFILE_NAME.test(profile)) {
      return { ok: false, code: 'invalid', message: `profile must be 1-64 letters, digits, . _ -, got ${JSON.stringify(profile)}` };
    }
    const configText = read(files.config);
    if (typeof configText !== 'string') return configText;
    const configName = profile === 'default' ? 'default' : `profile ${profile}`;
    if (sectionNames(configText).includes(configName)) {
      return {
        ok: false,
        code: 'in-config',
        message: `profile ${profile} already exists in ${files.config}, and a profile of that name in the credentials file would take its place; choose another profile name`,
      };
    }
    const file = target(files.credentials);
    const current = read(file);
    if (typeof current !== 'string') return current;
    const change = withManagedSection(current, { name: profile, marker: CREDENTIALS_MARKER, lines });
    if (!change.ok) {
      return {
        ok: false,
        code: 'not-ours',
        message: `${file} already has a profile [${profile}] that agent-guardrails mcp did not write, and it is never overwritten; choose another profile name (or remove that profile yourself)`,
      };
    }
    return { ok: true, file, text: change.text, replaced: change.replaced };
  };
  return {
    check(profile) {
      const planned = plan(profile, []);
      return planned.ok ? { ok: true, file: planned.file, replaced: planned.replaced } : planned;
    },
    write(profile, session, origin) {
      const fields = ['accessKeyId', 'secretAccessKey', 'sessionToken', 'expiration'] as const;
      const malformed = fields.filter((field) => typeof session[field] !== 'string' || !CREDENTIAL_VALUE.test(session[field]));
      if (malformed.length > 0 || !/^[\w:.+-]+$/.test(origin.requestId) || (origin.role !== undefined && !/^[\w.-]+$/.test(origin.role))) {
        // The values themselves are never repeated: they are secrets.
        return { ok: false, code: 'invalid', message: `the approval API returned credentials the credentials file cannot hold (${malformed.join(', ') || 'request id or role'} malformed); nothing was written` };
      }
      const planned = plan(profile, credentialLines(session, origin));
      if (!planned.ok) return planned;
      try {
        writeAtomically(planned.file, planned.text);
      } catch (error) {
        return { ok: false, code: 'io', message: `cannot write ${planned.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; check that its directory is writable` };
      }
      return { ok: true, file: planned.file, replaced: planned.replaced };
    },
  };
}

/** The file's text ('' when there is none), or why it cannot be read. */
function read(file: string): string | ProfileRefusal {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return '';
    return { ok: false, code: 'io', message: `cannot read ${file}: ${code ?? (error as Error).message}; check its permissions` };
  }
}

/** The file a path names, through a symbolic link (a credentials file kept with dotfiles stays a link). */
function target(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}

/** Writes `text` to a temporary file beside `file` (mode 0600), syncs it, and renames it over `file`. */
function writeAtomically(file: string, text: string): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temporary = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(temporary, 'wx', 0o600);
  try {
    try {
      // Whatever the umask and the old file's mode: the file holds secrets.
      fs.fchmodSync(fd, 0o600);
      fs.writeFileSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
  // The rename itself is durable once the directory is synced (not every platform can open one).
  try {
    const dirFd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  } catch {
    // Windows cannot sync a directory; the rename is still atomic.
  }
}
