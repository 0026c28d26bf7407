/*
 * A review report as text (a terminal), JSON (scripts), SARIF 2.1.0 (code scanning) and Markdown
 * (a pull-request comment). Pure: no I/O, no clock. The template files are named relative to
 * `baseDir`; SARIF reads them only through the `readFile` it is given, to point at the line of
 * each resource.
 */
import { describeAssumption } from './sweep/principals';
import { createHash } from 'crypto';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { StatementRef } from './policy-evaluator';
import { ReviewedFinding, ReviewReport } from './review';
import { Rule, Severity } from './rules/rule';
import { PrincipalSweep } from './sweep/assembly-sweep';

/** Options of every report format. */
export interface ReportOptions {
  /**
   * The directory template files are named relative to (the repository root, for SARIF). A
   * relative template file or `baseDir` is taken relative to the working directory.
   * @default - template files as the report names them
   */
  readonly baseDir?: string;
}

/** Options of the SARIF report. */
export interface SarifReportOptions extends ReportOptions {
  /**
   * Reads a template file (named as the report names it), so that each result points at the line
   * of its resource; returns undefined when the file cannot be read.
   * @default - results name the template file without a line
   */
  readonly readFile?: (file: string) => string | undefined;
}

/** Options of the Markdown report. */
export interface MarkdownReportOptions extends ReportOptions {
  /**
   * The longest comment to produce, in characters; longer reports leave findings out and say how many.
   * @default GITHUB_COMMENT_LIMIT
   */
  readonly maxLength?: number;
}

/** The longest comment GitHub accepts on a pull request, in characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** Where the SARIF report says the tool is documented. */
export const TOOL_INFORMATION_URI = 'https://www.npmjs.com/package/cdk-agent-guardrails';

// ---------------------------------------------------------------------------------------------
// Shared views of the report
// ---------------------------------------------------------------------------------------------

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, unresolved: 1, warning: 2 };

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const isOpen = (f: ReviewedFinding) => f.acknowledgedReason === undefined;

/** Open findings, errors first, then unresolved, then warnings (each in the report's order). */
function openFindings(report: ReviewReport): ReviewedFinding[] {
  return report.findings
    .map((finding, index) => ({ finding, index }))
    .filter(({ finding }) => isOpen(finding))
    .sort((a, b) => SEVERITY_ORDER[a.finding.severity] - SEVERITY_ORDER[b.finding.severity] || a.index - b.index)
    .map(({ finding }) => finding);
}

const principals = (report: ReviewReport): PrincipalSweep[] => [...report.sweep.roles, ...report.sweep.boundaries];

const evaluations = (report: ReviewReport) => principals(report).reduce((sum, s) => sum + s.result.evaluations, 0);

/** A template file relative to `baseDir`, with forward slashes. */
function templatePath(file: string, options: ReportOptions): string {
  const relative = options.baseDir === undefined ? file : path.relative(options.baseDir, file) || file;
  return relative.split(path.sep).join('/');
}

/** `file#Resources/LogicalId`, or the file alone, or undefined when the finding names no template. */
function locationOf(finding: { templateFile?: string; logicalId?: string }, options: ReportOptions): string | undefined {
  if (finding.templateFile === undefined) return undefined;
  const file = templatePath(finding.templateFile, options);
  return finding.logicalId === undefined ? file : `${file}#Resources/${finding.logicalId}`;
}

/** `N errors, N unresolved, N acknowledged` (and warnings, when there are any). */
function countsLine(report: ReviewReport): string {
  const { errors, warnings, unresolved, acknowledged } = report.summary;
  return [plural(errors, 'error'), ...(warnings > 0 ? [plural(warnings, 'warning')] : []), `${unresolved} unresolved`, `${acknowledged} acknowledged`].join(', ');
}

function sweptLine(report: ReviewReport, verb = 'swept '): string {
  const { roles, boundaries } = report.sweep;
  return `${verb}${plural(roles.length, 'role')}${boundaries.length > 0 ? ` and ${plural(boundaries.length, 'boundary', 'boundaries')}` : ''}, ${plural(evaluations(report), 'evaluation')}`;
}

function productionLine(report: ReviewReport): string {
  const { productionTag, inventory } = report.sweep;
  const tag = `tag ${productionTag.key}=${productionTag.values.join('|')}`;
  return inventory.stackNames.length === 0
    ? `no production stack found (${tag}), so no production resource was swept`
    : `production: ${plural(inventory.stackNames.length, 'stack')} (${inventory.stackNames.join(', ')}; ${tag}), ${plural(inventory.resources.length, 'resource')} swept`;
}

/** Locale-independent ordering, so that reports are the same on every machine. */
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const statementText = (ref: StatementRef) => `${ref.policy}/${ref.statement}`;

const uniqueRefs = (refs: readonly StatementRef[]): StatementRef[] => [...new Map(refs.map((r) => [statementText(r), r])).values()];

/** A change no tag can protect, across every sweep, with the principals by outcome. */
interface TagBlindRow {
  readonly action: string;
  readonly resourceType: string;
  /** Principals that may still take the action. */
  readonly allowedTo: PrincipalSweep[];
  /** The Deny statements that stop it, across principals. */
  readonly deniedBy: StatementRef[];
  /** Principals whose policies (or boundary) allow nothing here, without a Deny. */
  readonly notAllowedFor: PrincipalSweep[];
}

function tagBlindRows(report: ReviewReport): TagBlindRow[] {
  const rows = new Map<string, { action: string; resourceType: string; allowedTo: PrincipalSweep[]; deniedBy: StatementRef[]; notAllowedFor: PrincipalSweep[] }>();
  for (const s of principals(report)) {
    for (const t of s.result.tagBlind) {
      const key = `${t.action}\u0000${t.resourceType}`;
      const row = rows.get(key) ?? { action: t.action, resourceType: t.resourceType, allowedTo: [], deniedBy: [], notAllowedFor: [] };
      rows.set(key, row);
      if (t.decision.result === 'Allowed') row.allowedTo.push(s);
      else if (t.decision.result === 'ExplicitlyDenied') row.deniedBy.push(...t.decision.decidedBy);
      else row.notAllowedFor.push(s);
    }
  }
  return [...rows.values()]
    .map((row) => ({ ...row, deniedBy: uniqueRefs(row.deniedBy) }))
    .sort((a, b) => Number(b.allowedTo.length > 0) - Number(a.allowedTo.length > 0) || compare(a.action, b.action) || compare(a.resourceType, b.resourceType));
}

const principalNames = (sweeps: readonly PrincipalSweep[]) => sweeps.map((s) => (s.kind === 'boundary' ? `boundary ${s.resource.constructPath}` : s.resource.constructPath)).join(', ');

/** How a tag-blind action is covered, in words: `denied by ...`, `not allowed by ...` or `NOT COVERED`. */
function coverageText(row: TagBlindRow): string {
  if (row.allowedTo.length > 0) return `NOT COVERED: allowed to ${principalNames(row.allowedTo)}`;
  const parts: string[] = [];
  if (row.deniedBy.length > 0) parts.push(`denied by ${row.deniedBy.map(statementText).join(', ')}`);
  if (row.notAllowedFor.length > 0) {
    // An implicit deny is not protection: it lasts until someone grants the action.
    const onlyBoundaries = row.notAllowedFor.every((s) => s.kind === 'boundary');
    const what = onlyBoundaries ? 'not allowed by the boundary' : 'not allowed by the role\'s own policies or its boundary';
    parts.push(row.deniedBy.length > 0 ? `${what} (${principalNames(row.notAllowedFor)})` : what);
  }
  return parts.join('; ');
}

const allowedCount = (s: PrincipalSweep) => s.result.allowed.length;

function sweepLine(s: PrincipalSweep): string {
  return [
    `${s.kind} ${s.resource.constructPath}`,
    `${plural(s.result.actions, 'action')} tried`,
    plural(s.result.evaluations, 'evaluation'),
    ...(s.durationMs !== undefined ? [`${Math.round(s.durationMs)} ms`] : []),
    `${plural(allowedCount(s), 'change', 'changes')} of production allowed`,
  ].join(', ');
}

// ---------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------

/** The report for a terminal: the summary, open findings with their fixes, acknowledgements, and the sweep. */
export function formatText(report: ReviewReport, options: ReportOptions = {}): string {
  const fixes = new Map(report.rules.map((r) => [r.id, r.fix]));
  const lines: string[] = [`agent-guardrails review: ${countsLine(report)}; ${sweptLine(report)}`, productionLine(report)];

  for (const f of openFindings(report)) {
    const where = locationOf(f, options);
    lines.push('', `${f.severity.toUpperCase()} ${f.ruleId} ${f.constructPath}${where ? ` (${where})` : ''}`, `  ${f.message}`);
    if (f.acknowledgementRefused !== undefined) lines.push(`  acknowledgement refused: ${f.acknowledgementRefused}`);
    const fix = fixes.get(f.ruleId);
    if (fix !== undefined) lines.push(`  fix: ${fix}`);
  }

  const acknowledged = report.findings.filter((f) => !isOpen(f));
  if (acknowledged.length > 0) {
    lines.push('', `Acknowledged (${acknowledged.length})`);
    for (const f of acknowledged) {
      const where = locationOf(f, options);
      lines.push(`  ${f.ruleId} ${f.constructPath}${where ? ` (${where})` : ''}`, `    ${f.message}`, `    reason: ${f.acknowledgedReason}`);
    }
  }

  lines.push('', 'Sweep');
  if (principals(report).length === 0) lines.push('  no agent, service or boundary policy to sweep');
  for (const s of principals(report)) {
    lines.push(`  ${sweepLine(s)}`);
    for (const a of s.assumptions) lines.push(`    assumed: ${describeAssumption(a)}`);
  }

  const tagBlind = tagBlindRows(report);
  if (tagBlind.length > 0) {
    lines.push('', 'Actions no tag can protect');
    const width = Math.max(...tagBlind.map((r) => r.action.length));
    const typeWidth = Math.max(...tagBlind.map((r) => r.resourceType.length));
    for (const row of tagBlind) lines.push(`  ${row.action.padEnd(width)}  ${row.resourceType.padEnd(typeWidth)}  ${coverageText(row)}`);
  }

  const accountLevel = report.sweep.accountLevelWrites;
  if (accountLevel.length > 0) {
    const byService = new Map<string, string[]>();
    for (const action of accountLevel) byService.set(action.split(':')[0], [...(byService.get(action.split(':')[0]) ?? []), action.split(':')[1]]);
    lines.push('', `Account-level writes of production's services: no resource type, so no tag or name reaches them; deny them with an SCP (${accountLevel.length})`);
    for (const [service, names] of byService) lines.push(`  ${service}: ${names.slice(0, 8).join(', ')}${names.length > 8 ? ` and ${names.length - 8} more` : ''}`);
  }

  const notSwept = report.sweep.inventory.notSwept;
  if (notSwept.length > 0) {
    lines.push('', 'Production resources not swept (IAM resource type unknown)');
    for (const n of notSwept) lines.push(`  ${n.constructPath} (${n.cfnType}${n.stateful ? ', stateful' : ''}) ${locationOf(n, options)}`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

/** The report as a stable JSON document (2-space indent) with the findings, the sweep and the rules. */
export function formatJson(report: ReviewReport, options: ReportOptions = {}): string {
  const refs = (list: readonly StatementRef[] | undefined) => (list ?? []).map((r) => ({ policy: r.policy, statement: r.statement }));
  const document = {
    summary: { errors: report.summary.errors, warnings: report.summary.warnings, unresolved: report.summary.unresolved, acknowledged: report.summary.acknowledged },
    production: {
      tag: { key: report.sweep.productionTag.key, values: [...report.sweep.productionTag.values] },
      stacks: [...report.sweep.inventory.stackNames],
      resources: report.sweep.inventory.resources.length,
    },
    findings: report.findings.map((f) => ({
      ruleId: f.ruleId,
      severity: f.severity,
      status: isOpen(f) ? 'open' : 'acknowledged',
      message: f.message,
      stackName: f.stackName,
      constructPath: f.constructPath,
      logicalId: f.logicalId,
      templateFile: f.templateFile === undefined ? undefined : templatePath(f.templateFile, options),
      acknowledgedReason: f.acknowledgedReason,
      acknowledgementRefused: f.acknowledgementRefused,
    })),
    sweeps: principals(report).map((s) => ({
      kind: s.kind,
      constructPath: s.resource.constructPath,
      stackName: s.stack.stackName,
      logicalId: s.resource.logicalId,
      actions: s.result.actions,
      evaluations: s.result.evaluations,
      durationMs: s.durationMs,
      allowed: s.result.allowed.map((a) => ({
        action: a.action,
        resource: a.resource.constructPath,
        arn: a.resource.arn,
        scenario: a.scenario,
        decidedBy: refs(a.decision.decidedBy),
        dependsOn: refs(a.decision.dependsOn),
      })),
      tagBlind: s.result.tagBlind.map((t) => ({
        action: t.action,
        resourceType: t.resourceType,
        result: t.decision.result,
        decidedBy: refs(t.decision.decidedBy),
        dependsOn: refs(t.decision.dependsOn),
      })),
      assumptions: s.assumptions.map((a) => ({ ...a, text: describeAssumption(a) })),
    })),
    accountLevelWrites: [...report.sweep.accountLevelWrites],
    notSwept: report.sweep.inventory.notSwept.map((n) => ({
      stackName: n.stackName,
      constructPath: n.constructPath,
      logicalId: n.logicalId,
      cfnType: n.cfnType,
      stateful: n.stateful,
      templateFile: templatePath(n.templateFile, options),
    })),
    rules: report.rules.map((r) => ({ id: r.id, title: r.title, why: r.why, fix: r.fix, acknowledgeable: r.acknowledgeable })),
  };
  return JSON.stringify(document, null, 2);
}

// ---------------------------------------------------------------------------------------------
// SARIF
// ---------------------------------------------------------------------------------------------

/** `AGR-NO-BROAD-GRANTS` -> `NoBroadGrants`: SARIF's rule name is an identifier, the id stays the key. */
const ruleName = (id: string) =>
  id
    .replace(/^AGR-/, '')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1).toLowerCase())
    .join('');

/** A template file as a SARIF URI: relative (forward slashes, percent-encoded), or `file://` when absolute. */
function artifactUri(file: string, options: ReportOptions): string {
  const relative = templatePath(file, options);
  if (path.isAbsolute(relative)) return pathToFileURL(relative).href;
  return relative.split('/').map(encodeURIComponent).join('/');
}

/**
 * Where `"<logicalId>":` is a key of the template's `Resources` object: 1-based line and column
 * (UTF-16 code units, SARIF's default). Reads the JSON's structure, so a key of the same name
 * elsewhere (Outputs, a property) is never taken for the resource.
 */
export function resourceKeyPosition(template: string, logicalId: string): { line: number; column: number } | undefined {
  const containers: { object: boolean; key?: string; expectKey: boolean }[] = [];
  let line = 1;
  let column = 1;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === '"') {
      let end = i + 1;
      while (end < template.length && template[end] !== '"') end += template[end] === '\\' ? 2 : 1;
      const raw = template.slice(i, end + 1);
      const top = containers[containers.length - 1];
      if (top?.object && top.expectKey) {
        let key: string;
        try {
          key = JSON.parse(raw);
        } catch {
          key = raw.slice(1, -1);
        }
        top.key = key;
        top.expectKey = false;
        if (containers.length === 2 && containers[0].key === 'Resources' && key === logicalId) return { line, column };
      }
      // JSON strings hold no raw line breaks.
      column += end + 1 - i;
      i = end;
      continue;
    }
    if (c === '{' || c === '[') containers.push({ object: c === '{', expectKey: c === '{' });
    else if (c === '}' || c === ']') containers.pop();
    else if (c === ',' && containers[containers.length - 1]?.object) containers[containers.length - 1].expectKey = true;
    if (c === '\n') {
      line++;
      column = 1;
    } else {
      column++;
    }
  }
  return undefined;
}

const fingerprint = (f: ReviewedFinding) => createHash('sha256').update(`${f.ruleId}\u0000${f.constructPath}\u0000${f.message}`).digest('hex');

/**
 * The report as SARIF 2.1.0, one run: every finding is a result at its template and resource;
 * acknowledged findings are suppressed with their reason; unresolved findings are warnings marked
 * `properties.unresolved`.
 */
export function formatSarif(report: ReviewReport, options: SarifReportOptions = {}): string {
  const ruleIndex = new Map(report.rules.map((r, i) => [r.id, i]));
  const templates = new Map<string, string | undefined>();
  const templateText = (file: string) => {
    if (!templates.has(file)) templates.set(file, options.readFile?.(file));
    return templates.get(file);
  };

  const results = report.findings.map((f) => {
    const physicalLocation =
      f.templateFile === undefined
        ? undefined
        : (() => {
            const text = options.readFile && f.logicalId !== undefined ? templateText(f.templateFile) : undefined;
            const position = text !== undefined && f.logicalId !== undefined ? resourceKeyPosition(text, f.logicalId) : undefined;
            return {
              artifactLocation: { uri: artifactUri(f.templateFile, options) },
              ...(position ? { region: { startLine: position.line, startColumn: position.column } } : {}),
            };
          })();
    const properties = {
      ...(f.severity === 'unresolved' ? { unresolved: true } : {}),
      ...(f.acknowledgementRefused !== undefined ? { acknowledgementRefused: f.acknowledgementRefused } : {}),
    };
    return {
      ruleId: f.ruleId,
      ...(ruleIndex.has(f.ruleId) ? { ruleIndex: ruleIndex.get(f.ruleId) } : {}),
      level: f.severity === 'error' ? 'error' : 'warning',
      message: { text: f.acknowledgementRefused === undefined ? f.message : `${f.message} (acknowledgement refused: ${f.acknowledgementRefused})` },
      locations: [
        {
          ...(physicalLocation ? { physicalLocation } : {}),
          logicalLocations: [{ fullyQualifiedName: f.constructPath, kind: 'resource' }],
        },
      ],
      partialFingerprints: { 'agentGuardrailsFinding/v1': fingerprint(f) },
      // The acknowledgement is written into the template itself (resource or stack metadata),
      // which is the analysed file: an in-source suppression in SARIF's terms.
      ...(f.acknowledgedReason !== undefined ? { suppressions: [{ kind: 'inSource', status: 'accepted', justification: f.acknowledgedReason }] } : {}),
      ...(Object.keys(properties).length > 0 ? { properties } : {}),
    };
  });

  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'agent-guardrails',
            informationUri: TOOL_INFORMATION_URI,
            rules: report.rules.map((r: Rule) => ({
              id: r.id,
              name: ruleName(r.id),
              shortDescription: { text: r.title },
              fullDescription: { text: r.why },
              help: { text: r.fix },
              defaultConfiguration: { level: 'error' },
              properties: { tags: ['security'], acknowledgeable: r.acknowledgeable },
            })),
          },
        },
        results,
        properties: { summary: { ...report.summary }, productionStacks: [...report.sweep.inventory.stackNames], evaluations: evaluations(report) },
      },
    ],
  };
  return JSON.stringify(sarif, null, 2);
}

// ---------------------------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------------------------

/** Text safe in a GitHub table cell: Markdown and HTML characters escaped, pipes too, one line. */
function markdownCell(text: string): string {
  return text
    .replace(/[\\`*_[\]~|#]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r?\n/g, '<br>');
}

/** Code in a table cell; a pipe is still escaped (GitHub splits cells before reading code spans). */
const codeCell = (text: string) => (text.includes('`') || /\r|\n/.test(text) ? markdownCell(text) : `\`${text.replace(/\|/g, '\\|')}\``);

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

const table = (header: readonly string[], rows: readonly string[][]) =>
  [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

/** How many rows of each table the comment shows. */
interface MarkdownLimits {
  readonly findings: number;
  readonly details: number;
}

function leftOut(shown: number, total: number, what: string): string[] {
  return shown < total ? ['', `_…and ${total - shown} more ${what} left out to stay within the comment limit; the text, JSON and SARIF reports list them all._`] : [];
}

function renderMarkdown(report: ReviewReport, options: ReportOptions, limits: MarkdownLimits): string {
  const { errors, unresolved } = report.summary;
  const mark = errors > 0 ? '❌' : unresolved > 0 ? '⚠️' : '✅';
  const verdict = errors > 0 ? 'failed' : unresolved > 0 ? 'passed, with findings it could not decide offline' : 'passed';
  const open = openFindings(report);
  const lines: string[] = [`## ${mark} Agent guardrails review ${verdict}`, '', `${markdownCell(countsLine(report))}; ${markdownCell(sweptLine(report))}.`, '', `${markdownCell(capitalized(productionLine(report)))}.`];

  if (open.length > 0) {
    const shown = open.slice(0, limits.findings);
    lines.push(
      '',
      table(
        ['Severity', 'Rule', 'Construct', 'Template', 'Finding'],
        shown.map((f) => {
          const where = locationOf(f, options);
          const message = f.acknowledgementRefused === undefined ? f.message : `${f.message} (acknowledgement refused: ${f.acknowledgementRefused})`;
          return [f.severity, markdownCell(f.ruleId), codeCell(f.constructPath), where ? codeCell(where) : '', markdownCell(message)];
        }),
      ),
      ...leftOut(shown.length, open.length, 'open findings'),
    );
    const rules = report.rules.filter((r) => open.some((f) => f.ruleId === r.id));
    if (rules.length > 0) {
      lines.push('', '**How to fix**', '', ...rules.map((r) => `- **${markdownCell(r.id)}** (${markdownCell(r.title)}): ${markdownCell(r.fix)}`));
    }
  }

  const sweeps = principals(report);
  const tagBlind = tagBlindRows(report);
  const notSwept = report.sweep.inventory.notSwept;
  lines.push('', `<details><summary>Sweep: ${markdownCell(sweptLine(report, ''))}</summary>`, '');
  if (sweeps.length === 0) {
    lines.push('No agent, service or boundary policy to sweep.');
  } else {
    const shown = sweeps.slice(0, limits.details);
    lines.push(
      table(
        ['Kind', 'Principal', 'Actions tried', 'Evaluations', 'Duration', 'Changes allowed', 'Assumptions'],
        shown.map((s) => [
          s.kind,
          codeCell(s.resource.constructPath),
          String(s.result.actions),
          String(s.result.evaluations),
          s.durationMs === undefined ? '' : `${Math.round(s.durationMs)} ms`,
          String(allowedCount(s)),
          s.assumptions.map((a) => markdownCell(describeAssumption(a))).join('<br>'),
        ]),
      ),
      ...leftOut(shown.length, sweeps.length, 'principals'),
    );
  }
  if (tagBlind.length > 0) {
    const shown = tagBlind.slice(0, limits.details);
    lines.push(
      '',
      '**Actions no tag can protect**',
      '',
      table(
        ['Action', 'Resource type', 'Coverage'],
        shown.map((r) => [codeCell(r.action), codeCell(r.resourceType), r.allowedTo.length > 0 ? `**${markdownCell(coverageText(r))}**` : markdownCell(coverageText(r))]),
      ),
      ...leftOut(shown.length, tagBlind.length, 'tag-blind actions'),
    );
  }
  if (notSwept.length > 0) {
    const shown = notSwept.slice(0, limits.details);
    lines.push(
      '',
      '**Production resources not swept** (IAM resource type unknown)',
      '',
      table(
        ['Construct', 'Type', 'Template', 'Stateful'],
        shown.map((n) => [codeCell(n.constructPath), codeCell(n.cfnType), codeCell(locationOf(n, options) ?? ''), n.stateful ? 'yes' : 'no']),
      ),
      ...leftOut(shown.length, notSwept.length, 'resources'),
    );
  }
  lines.push('', '</details>');

  const acknowledged = report.findings.filter((f) => !isOpen(f));
  if (acknowledged.length > 0) {
    const shown = acknowledged.slice(0, limits.details);
    lines.push(
      '',
      `<details><summary>${plural(acknowledged.length, 'acknowledged finding')}</summary>`,
      '',
      table(
        ['Rule', 'Construct', 'Finding', 'Reason'],
        shown.map((f) => [markdownCell(f.ruleId), codeCell(f.constructPath), markdownCell(f.message), markdownCell(f.acknowledgedReason ?? '')]),
      ),
      ...leftOut(shown.length, acknowledged.length, 'acknowledged findings'),
      '',
      '</details>',
    );
  }
  return lines.join('\n') + '\n';
}

/** The largest `n` in [0, max] for which `fits(n)`, assuming `fits` holds up to some n and not after. */
function largest(max: number, fits: (n: number) => boolean): number {
  let low = 0;
  let high = max;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(mid)) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** Findings the comment keeps before it shortens the collapsed sections. */
const FINDINGS_KEPT_FIRST = 50;

/**
 * The report as a pull-request comment: a pass/fail heading, the summary, a table of open findings,
 * and the sweep and acknowledged findings in collapsed sections. A report longer than `maxLength`
 * leaves findings out (then rows of the collapsed sections) and says how many.
 */
export function formatMarkdown(report: ReviewReport, options: MarkdownReportOptions = {}): string {
  const maxLength = options.maxLength ?? GITHUB_COMMENT_LIMIT;
  if (!Number.isInteger(maxLength) || maxLength < 1) {
    throw new RangeError(`maxLength must be a positive whole number of characters, got ${maxLength}; leave it out for GitHub's limit (${GITHUB_COMMENT_LIMIT})`);
  }
  const open = report.findings.filter(isOpen).length;
  const details = Math.max(principals(report).length, tagBlindRows(report).length, report.sweep.inventory.notSwept.length, report.summary.acknowledged);
  const render = (findings: number, detailRows: number) => renderMarkdown(report, options, { findings, details: detailRows });
  const fits = (text: string) => text.length <= maxLength;

  const full = render(open, details);
  if (fits(full)) return full;
  // First leave out findings, down to a useful number; then shorten the collapsed sections; then findings again.
  const findings = largest(open, (n) => fits(render(n, details)));
  if (findings >= Math.min(open, FINDINGS_KEPT_FIRST) && fits(render(findings, details))) return render(findings, details);
  const kept = Math.min(open, FINDINGS_KEPT_FIRST);
  const detailRows = largest(details, (n) => fits(render(kept, n)));
  if (fits(render(kept, detailRows))) return render(kept, detailRows);
  const last = render(largest(kept, (n) => fits(render(n, 0))), 0);
  if (fits(last)) return last;
  // Only cells too long for any comment remain: cut the text itself.
  const note = '\n\n_…the report was cut to stay within the comment limit; the text, JSON and SARIF reports are complete._\n';
  return last.slice(0, Math.max(0, maxLength - note.length)) + note;
}
