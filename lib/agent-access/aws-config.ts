/*
 * Pure: sections of the AWS shared files (`~/.aws/config`, `~/.aws/credentials`) that this package
 * writes, written or replaced without touching anything else in the file. A section carries a
 * marker comment saying which helper wrote it; one the helper did not write is never replaced
 * unless the caller says so.
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

/** A section a helper of this package writes: its header, the marker comment that says who wrote it, and its lines. */
export interface ManagedSection {
  /** The section's name inside the brackets: `profile coding-agent` in the config file, `coding-agent` in the credentials file. */
  readonly name: string;
  /** The comment line, right below the header, that marks the section as the helper's. */
  readonly marker: string;
  /** The lines below the marker (`key = value`, comments). */
  readonly lines: readonly string[];
}

/** The new file text, or why it was not changed (as data: the caller says it in its own words). */
export type SectionChange =
  | { readonly ok: true; readonly text: string; readonly replaced: boolean }
  /** A section of that name exists without the marker: someone else wrote it. */
  | { readonly ok: false; readonly code: 'not-managed'; readonly name: string };

const header = (name: string) => (name === 'default' ? '[default]' : `[profile ${name}]`);

/** `config` with `profile` written in: appended, or in place of the same profile written before (or of any, with `replace`). */
export function withAgentProfile(config: string, profile: AgentProfile, options: { readonly replace?: boolean } = {}): ConfigChange {
  const name = profile.name === 'default' ? 'default' : `profile ${profile.name}`;
  const lines = [`credential_process = ${profile.credentialProcess}`, ...(profile.region ? [`region = ${profile.region}`] : [])];
  const change = withManagedSection(config, { name, marker: MANAGED_MARKER, lines }, options);
  if (!change.ok) {
    return { ok: false, problem: `the AWS config file already has ${header(profile.name)}, which setup-agent did not write; choose another --profile, or pass --replace to overwrite it` };
  }
  return change;
}

/**
 * `text` (an INI file as the AWS CLI and SDKs read it) with `section` written in: appended, or in
 * place of the section of that name that carries `section.marker` (or of any, with `replace`).
 * Every other byte of the file is kept, line endings included.
 */
export function withManagedSection(text: string, section: ManagedSection, options: { readonly replace?: boolean } = {}): SectionChange {
  // Split on \n only: a \r stays with its line, so CRLF files keep their line endings.
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split('\n');
  const written = [`[${section.name}]`, section.marker, ...section.lines];
  const wanted = normalName(section.name);
  const starts = lines.flatMap((l, i) => (sectionNameOf(l) === wanted ? [i] : []));
  const endOf = (start: number) => {
    const end = lines.findIndex((l, i) => i > start && sectionNameOf(l) !== undefined);
    return end < 0 ? lines.length : end;
  };
  const managed = (start: number) => lines.slice(start + 1, endOf(start)).some((l) => l.trim() === section.marker);
  if (starts.length === 0) {
    if (text.trim() === '') return { ok: true, text: `${written.join(eol)}${eol}`, replaced: false };
    const ended = text.endsWith('\n') ? text : `${text}${eol}`;
    const separated = /\n[ \t\r]*\n$/.test(ended) ? ended : `${ended}${eol}`;
    return { ok: true, text: `${separated}${written.join(eol)}${eol}`, replaced: false };
  }
  if (!options.replace && !starts.every(managed)) {
    return { ok: false, code: 'not-managed', name: section.name };
  }
  const start = starts[0];
  const end = endOf(start);
  // Keep the blank lines that separated the old section from the next one.
  const trailing = lines.slice(start + 1, end).reverse().findIndex((l) => l.trim() !== '');
  const kept = trailing > 0 ? lines.slice(end - trailing, end) : [];
  const cr = eol === '\r\n' ? '\r' : '';
  const result = [...lines.slice(0, start), ...written.map((l) => `${l}${cr}`), ...kept, ...lines.slice(end)].join('\n');
  return { ok: true, text: result.endsWith('\n') ? result : `${result}${eol}`, replaced: true };
}

/** The names of the sections of `text`, as the AWS SDKs read them (`profile coding-agent`, `default`). */
export function sectionNames(text: string): string[] {
  return text.split('\n').flatMap((l) => {
    const name = sectionNameOf(l);
    return name === undefined ? [] : [name];
  });
}

/** A section header's name, without comments and with its spaces normalised; undefined for any other line. */
function sectionNameOf(line: string): string | undefined {
  const trimmed = line.split(/(^|\s)[;#]/)[0].trim();
  return trimmed.startsWith('[') && trimmed.endsWith(']') ? normalName(trimmed.slice(1, -1)) : undefined;
}

const normalName = (name: string) => name.trim().replace(/\s+/g, ' ');

/** A command-line word, quoted for the config file's `credential_process` (which splits like a shell). */
export function quoteArgument(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `"${value.replace(/(["\\])/g, '\\$1')}"`;
}
