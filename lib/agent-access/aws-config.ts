/*
 * Pure: the agent's profile in the AWS config file (`~/.aws/config`), written or replaced without
 * touching anything else in the file. A profile the helper did not write is never replaced unless
 * the caller says so.
 */

/** The first line of every profile `setup-agent` writes. */
export const MANAGED_MARKER = '# written by agent-guardrails setup-agent';

/** What the profile holds. */
export interface AgentProfile {
  readonly name: string;
  /** The `credential_process` command line. */
  readonly credentialProcess: string;
  readonly region?: string;
}

/** The new config text, or why it was not changed. */
export type ConfigChange = { readonly ok: true; readonly text: string; readonly replaced: boolean } | { readonly ok: false; readonly problem: string };

const header = (name: string) => (name === 'default' ? '[default]' : `[profile ${name}]`);

/** `config` with `profile` written in: appended, or in place of the same profile written before (or of any, with `replace`). */
export function withAgentProfile(config: string, profile: AgentProfile, options: { readonly replace?: boolean } = {}): ConfigChange {
  const lines = config.split(/\r?\n/);
  const start = lines.findIndex((l) => l.trim() === header(profile.name));
  const section = [header(profile.name), MANAGED_MARKER, `credential_process = ${profile.credentialProcess}`, ...(profile.region ? [`region = ${profile.region}`] : [])];
  if (start < 0) {
    const body = config.replace(/\s*$/, '');
    return { ok: true, text: `${body}${body ? '\n\n' : ''}${section.join('\n')}\n`, replaced: false };
  }
  let end = lines.findIndex((l, i) => i > start && /^\s*\[.*\]\s*$/.test(l));
  if (end < 0) end = lines.length;
  const managed = lines.slice(start + 1, end).some((l) => l.trim() === MANAGED_MARKER);
  if (!managed && !options.replace) {
    return { ok: false, problem: `the AWS config file already has ${header(profile.name)}, which setup-agent did not write; choose another --profile, or pass --replace to overwrite it` };
  }
  // Keep the blank lines that separated the old section from the next one.
  const trailing = lines.slice(start + 1, end).reverse().findIndex((l) => l.trim() !== '');
  const kept = trailing > 0 ? lines.slice(end - trailing, end) : [];
  const text = [...lines.slice(0, start), ...section, ...kept, ...lines.slice(end)].join('\n');
  return { ok: true, text: text.endsWith('\n') ? text : `${text}\n`, replaced: true };
}

/** A command-line word, quoted for the config file's `credential_process` (which splits like a shell). */
export function quoteArgument(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `"${value.replace(/(["\\])/g, '\\$1')}"`;
}
