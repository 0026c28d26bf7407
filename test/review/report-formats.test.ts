import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Fn, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { buildApp as codingAgent } from '../../examples/coding-agent';
import { AgentPermissionsBoundary } from '../../lib/permissions-boundary/agent-permissions-boundary';
import { ProductionProtection } from '../../lib/production-protection/production-protection';
import { AgentRole } from '../../lib/agent-roles/agent-role';
import { loadAssembly } from '../../lib/review/assembly';
import { formatJson, formatMarkdown, formatSarif, formatText, GITHUB_COMMENT_LIMIT, resourceKeyPosition } from '../../lib/review/report-formats';
import { ACKNOWLEDGEMENTS_METADATA_KEY, reviewAssembly, ReviewReport } from '../../lib/review/review';
import { ReviewAcknowledgements } from '../../lib/review/review-acknowledgements';
import { describeAssumption } from '../../lib/review/sweep/principals';

/**
 * Synthesizes a fresh app as the CDK CLI does (with construct paths) and reviews it, with a fake
 * clock. `skipSynthChecks` for apps broken on purpose in ways synth itself refuses.
 */
function reviewed(build: (app: App) => void, skipSynthChecks = false): { dir: string; report: ReviewReport } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agr-report-'));
  const app = new App({ outdir: dir, context: { 'aws:cdk:enable-path-metadata': true } });
  build(app);
  app.synth({ skipValidation: skipSynthChecks });
  let clock = 0;
  return { dir, report: reviewAssembly(loadAssembly(dir), { now: () => (clock += 7) }) };
}

const layerCode = () => lambda.Code.fromAsset(path.join(__dirname, '..', '..', 'examples'));
const ADMIN_OF_LAMBDA = { policyName: 'lambda-admin', policyDocument: { Statement: [{ Effect: 'Allow', Action: 'lambda:*', Resource: '*' }] } };

/**
 * The coding-agent example plus holes: an unprotected production stack holding a Lambda layer
 * version (whose deletion no tag can stop), acknowledged; an agent role without boundary (id with
 * a pipe) granted lambda:*, with an acknowledgement the review must refuse; and a workload role
 * whose boundary cannot be resolved offline.
 */
function withHoles(app: App) {
  codingAgent(app);
  const layers = new Stack(app, 'Layers', { stackName: 'layers-prod', tags: { Environment: 'production' } });
  new lambda.LayerVersion(layers, 'Shared', { code: layerCode() });
  ReviewAcknowledgements.of(layers).acknowledge('AGR-PROD-PROTECTED', 'Layers are rebuilt from source by the pipeline');
  const guardrails = app.node.findChild('AgentGuardrails') as Stack;
  const rogue = new iam.CfnRole(guardrails, 'Rogue|Admin', { path: '/agent-guardrails/agent/', assumeRolePolicyDocument: { Statement: [] }, policies: [ADMIN_OF_LAMBDA] });
  // Written by hand: ReviewAcknowledgements refuses this rule outright, the review must too.
  rogue.addMetadata(ACKNOWLEDGEMENTS_METADATA_KEY, [{ ruleId: 'AGR-BOUNDARY-ATTACHED', reason: 'a break-glass role, we promise' }]);
  new iam.CfnRole(guardrails, 'Imported', { path: '/agent-workload/', permissionsBoundary: Fn.importValue('boundary-arn'), assumeRolePolicyDocument: { Statement: [] } });
}

/** The layer version is covered: by its name (ProductionProtection), and its deletion by an additional statement. */
function layerDeletionDenied(app: App) {
  const prod = new Stack(app, 'Layers', { stackName: 'layers-prod' });
  new lambda.LayerVersion(prod, 'Shared', { code: layerCode() });
  new ProductionProtection(prod, 'ProductionProtection');
  const guardrails = new Stack(app, 'AgentGuardrails', { stackName: 'agent-guardrails' });
  const boundary = new AgentPermissionsBoundary(guardrails, 'AgentBoundary', {
    additionalStatements: [new iam.PolicyStatement({ sid: 'DenyLayerDeletion', effect: iam.Effect.DENY, actions: ['lambda:DeleteLayerVersion'], resources: ['*'] })],
  });
  const agent = new AgentRole(guardrails, 'Agent', { agentName: 'layer-agent', boundary, assumedBy: new iam.ArnPrincipal('arn:aws:iam::111122223333:role/launcher') });
  agent.addToPolicy(new iam.PolicyStatement({ actions: ['lambda:*'], resources: ['*'] }));
}

const open = (report: ReviewReport) => report.findings.filter((f) => f.acknowledgedReason === undefined);
const acknowledged = (report: ReviewReport) => report.findings.filter((f) => f.acknowledgedReason !== undefined);

/** Cells of a Markdown table row, split on unescaped pipes. */
const cells = (row: string) => row.slice(1, -1).split(/(?<!\\)\|/);

describe('a report with open, acknowledged, refused and unresolved findings', () => {
  let dir: string;
  let report: ReviewReport;
  beforeAll(() => {
    ({ dir, report } = reviewed(withHoles, true));
  });

  test('the fixture holds every kind of finding', () => {
    expect(report.summary).toEqual(expect.objectContaining({ unresolved: 1, acknowledged: 2 }));
    expect(report.summary.errors).toBeGreaterThan(0);
    expect(report.findings.some((f) => f.acknowledgementRefused !== undefined)).toBe(true);
  });

  describe('SARIF', () => {
    const readFile = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined);

    test('is SARIF 2.1.0 whose results name rules of the driver and templates that exist under baseDir', () => {
      const sarif = JSON.parse(formatSarif(report, { baseDir: dir }));

      expect(sarif).toEqual(expect.objectContaining({ $schema: 'https://json.schemastore.org/sarif-2.1.0.json', version: '2.1.0' }));
      expect(sarif.runs).toHaveLength(1);
      const { driver } = sarif.runs[0].tool;
      expect(driver).toEqual(expect.objectContaining({ name: 'agent-guardrails', informationUri: 'https://www.npmjs.com/package/cdk-agent-guardrails' }));
      const ruleIds = driver.rules.map((r: any) => r.id);
      expect(ruleIds).toEqual(report.rules.map((r) => r.id));
      for (const rule of driver.rules) {
        expect(rule).toEqual(expect.objectContaining({ name: expect.stringMatching(/^[A-Za-z0-9]+$/), shortDescription: { text: expect.any(String) }, help: { text: expect.any(String) }, defaultConfiguration: { level: 'error' } }));
      }
      const results = sarif.runs[0].results;
      expect(results).toHaveLength(report.findings.length);
      for (const result of results) {
        expect(ruleIds).toContain(result.ruleId);
        expect(driver.rules[result.ruleIndex].id).toBe(result.ruleId);
        const uri: string = result.locations[0].physicalLocation.artifactLocation.uri;
        expect(path.isAbsolute(uri) || uri.includes('\\')).toBe(false);
        expect(fs.existsSync(path.join(dir, decodeURIComponent(uri)))).toBe(true);
      }
      expect(results.map((r: any) => r.locations[0].logicalLocations[0])).toEqual(report.findings.map((f) => ({ fullyQualifiedName: f.constructPath, kind: 'resource' })));
    });

    test('points each result at the line of its logical id under Resources when it can read the template', () => {
      const results = JSON.parse(formatSarif(report, { baseDir: dir, readFile })).runs[0].results;

      const located = report.findings.map((f, i) => ({ f, region: results[i].locations[0].physicalLocation.region }));
      expect(located.filter(({ f }) => f.logicalId !== undefined).length).toBeGreaterThan(0);
      for (const { f, region } of located) {
        if (f.logicalId === undefined) {
          expect(region).toBeUndefined();
          continue;
        }
        const line = fs.readFileSync(f.templateFile!, 'utf8').split('\n')[region.startLine - 1];
        expect(line.slice(region.startColumn - 1)).toMatch(new RegExp(`^"${f.logicalId}": \\{`));
      }
    });

    test('omits the region when it cannot read the template', () => {
      const withoutReader = JSON.parse(formatSarif(report, { baseDir: dir })).runs[0].results;
      const unreadable = JSON.parse(formatSarif(report, { baseDir: dir, readFile: () => undefined })).runs[0].results;

      for (const result of [...withoutReader, ...unreadable]) expect(result.locations[0].physicalLocation.region).toBeUndefined();
    });

    test('marks unresolved findings as warnings, acknowledged ones as suppressed with their reason, refused ones as open', () => {
      const results = JSON.parse(formatSarif(report, { baseDir: dir })).runs[0].results;

      report.findings.forEach((f, i) => {
        const result = results[i];
        expect(result.level).toBe(f.severity === 'error' ? 'error' : 'warning');
        expect(result.properties?.unresolved).toBe(f.severity === 'unresolved' ? true : undefined);
        if (f.acknowledgedReason !== undefined) {
          expect(result.suppressions).toEqual([expect.objectContaining({ justification: f.acknowledgedReason })]);
        } else {
          expect(result.suppressions).toBeUndefined();
        }
        if (f.acknowledgementRefused !== undefined) expect(result.message.text).toContain(f.acknowledgementRefused);
      });
    });

    test('gives each finding a fingerprint that is stable across runs and its own', () => {
      const fingerprints = (text: string) => JSON.parse(text).runs[0].results.map((r: any) => r.partialFingerprints['agentGuardrailsFinding/v1']);

      const first = fingerprints(formatSarif(report, { baseDir: dir }));
      expect(fingerprints(formatSarif(report, { baseDir: dir, readFile }))).toEqual(first);
      const distinctFindings = new Set(report.findings.map((f) => `${f.ruleId} ${f.constructPath} ${f.message}`));
      expect(new Set(first).size).toBe(distinctFindings.size);
    });
  });

  describe('JSON', () => {
    test('parses back to the report\'s counts, sweeps and rules', () => {
      const json = JSON.parse(formatJson(report, { baseDir: dir }));

      expect(json.summary).toEqual(report.summary);
      const findings: any[] = json.findings;
      const openOnes = findings.filter((f) => f.status === 'open');
      expect({
        errors: openOnes.filter((f) => f.severity === 'error').length,
        warnings: openOnes.filter((f) => f.severity === 'warning').length,
        unresolved: openOnes.filter((f) => f.severity === 'unresolved').length,
        acknowledged: findings.filter((f) => f.status === 'acknowledged').length,
      }).toEqual(report.summary);
      for (const f of findings) expect(fs.existsSync(path.join(dir, f.templateFile))).toBe(true);
      expect(json.sweeps.map((s: any) => [s.kind, s.constructPath, s.allowed.length, s.durationMs])).toEqual(
        [...report.sweep.roles, ...report.sweep.boundaries].map((s) => [s.kind, s.resource.constructPath, s.result.allowed.length, 7]),
      );
      expect(json.sweeps[0].allowed[0]).toEqual({ action: expect.any(String), resource: expect.any(String), arn: expect.stringMatching(/^arn:/), scenario: expect.any(String), decidedBy: expect.any(Array), dependsOn: expect.any(Array) });
      expect(json.rules.map((r: any) => r.id)).toEqual(report.rules.map((r) => r.id));
    });

    test('is the same document for the same report', () => {
      expect(formatJson(report, { baseDir: dir })).toBe(formatJson(report, { baseDir: dir }));
    });
  });

  describe('text', () => {
    test('starts with the summary, then each open finding with where it is and how to fix it', () => {
      const text = formatText(report, { baseDir: dir });
      const lines = text.split('\n');

      const { errors, unresolved, acknowledged: acks } = report.summary;
      expect(lines[0]).toBe(`agent-guardrails review: ${errors} errors, ${unresolved} unresolved, ${acks} acknowledged; swept 3 roles and 2 boundaries, ${report.sweep.roles.concat(report.sweep.boundaries).reduce((n, s) => n + s.result.evaluations, 0)} evaluations`);
      expect(lines).toContain('ERROR AGR-BOUNDARY-ATTACHED AgentGuardrails/Rogue|Admin (AgentGuardrails.template.json#Resources/RogueAdmin)');
      expect(lines).toContain('UNRESOLVED AGR-BOUNDARY-ATTACHED AgentGuardrails/Imported (AgentGuardrails.template.json#Resources/Imported)');
      for (const f of open(report)) {
        const at = lines.findIndex((l, i) => l.startsWith(`${f.severity.toUpperCase()} ${f.ruleId} ${f.constructPath} (`) && lines[i + 1] === `  ${f.message}`);
        expect(at).toBeGreaterThan(0);
        expect(lines.slice(at + 2, at + 4)).toContain(`  fix: ${report.rules.find((r) => r.id === f.ruleId)!.fix}`);
      }
    });

    test('lists acknowledged findings with their reasons, and why an acknowledgement was refused', () => {
      const text = formatText(report, { baseDir: dir });

      const section = text.slice(text.indexOf('\nAcknowledged (2)\n'), text.indexOf('\nSweep\n'));
      for (const f of acknowledged(report)) expect(section).toContain(`  ${f.ruleId} ${f.constructPath} (Layers.template.json)\n    ${f.message}\n    reason: Layers are rebuilt from source by the pipeline`);
      expect(text).toContain('  acknowledgement refused: AGR-BOUNDARY-ATTACHED guards the guardrails themselves and cannot be acknowledged');
    });

    test('describes the sweep of every principal, with its assumptions and duration', () => {
      const text = formatText(report, { baseDir: dir });

      const sweep = text.slice(text.indexOf('\nSweep\n'));
      for (const s of [...report.sweep.roles, ...report.sweep.boundaries]) {
        expect(sweep).toContain(`  ${s.kind} ${s.resource.constructPath}, ${s.result.actions} actions tried, ${s.result.evaluations} evaluations, 7 ms, ${s.result.allowed.length} changes of production allowed`);
        for (const a of s.assumptions) expect(sweep).toContain(`    assumed: ${describeAssumption(a)}`);
      }
    });

    test('fails when a change no tag can protect is allowed: NOT COVERED, with who may take it', () => {
      const text = formatText(report, { baseDir: dir });

      const section = text.slice(text.indexOf('\nActions no tag can protect\n'));
      expect(section).toMatch(/\n {2}lambda:DeleteLayerVersion +lambda:layerVersion +NOT COVERED: allowed to [^\n]*AgentGuardrails\/Rogue\|Admin/);
      // Listed once, however many principals were swept.
      expect(section.match(/lambda:DeleteLayerVersion/g)).toHaveLength(1);
    });
  });

  describe('Markdown', () => {
    test('fails when a finding is open: a failed heading and one table row per open finding', () => {
      const markdown = formatMarkdown(report, { baseDir: dir });

      expect(markdown.split('\n')[0]).toBe('## ❌ Agent guardrails review failed');
      const rows = markdown.split('\n').filter((l) => /^\| (error|unresolved|warning) \|/.test(l));
      expect(rows).toHaveLength(open(report).length);
      for (const [i, f] of open(report).sort((a, b) => Number(b.severity === 'error') - Number(a.severity === 'error')).entries()) {
        const [severity, rule, construct] = cells(rows[i]).map((c) => c.trim());
        expect([severity, rule, construct]).toEqual([f.severity, f.ruleId, `\`${f.constructPath.replace(/\|/g, '\\|')}\``]);
      }
    });

    test('escapes pipes, so every row of the findings table has five cells', () => {
      const markdown = formatMarkdown(report, { baseDir: dir });

      expect(markdown).toContain('`AgentGuardrails/Rogue\\|Admin`');
      const rows = markdown.split('\n').filter((l) => /^\| (error|unresolved|warning) \|/.test(l));
      for (const row of rows) expect(cells(row)).toHaveLength(5);
    });

    test('folds the sweep, the tag-blind actions and the acknowledged findings with their reasons into details', () => {
      const markdown = formatMarkdown(report, { baseDir: dir });

      const details = markdown.slice(markdown.indexOf('<details>'));
      for (const s of [...report.sweep.roles, ...report.sweep.boundaries]) expect(details).toContain(`\`${s.resource.constructPath.replace(/\|/g, '\\|')}\``);
      expect(details).toMatch(/\| `lambda:DeleteLayerVersion` \| `lambda:layerVersion` \| \*\*NOT COVERED: allowed to /);
      expect(details).toContain('| Rule | Construct | Finding | Reason |');
      for (const f of acknowledged(report)) expect(details).toContain(`| ${f.ruleId} | \`${f.constructPath}\` | ${f.message} | ${f.acknowledgedReason} |`);
    });

    test('fails when the report is longer than a GitHub comment: leaves findings out and says how many', () => {
      const many = { ...report, findings: Array.from({ length: 400 }, () => report.findings).flat() };
      const total = open(many).length;

      const markdown = formatMarkdown(many, { baseDir: dir });

      expect(markdown.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
      const shown = markdown.split('\n').filter((l) => /^\| (error|unresolved|warning) \|/.test(l)).length;
      const leftOut = Number(/…and (\d+) more open findings left out/.exec(markdown)?.[1]);
      expect(shown).toBeGreaterThan(0);
      expect(shown + leftOut).toBe(total);
      expect(markdown).toContain('</details>');
    });

    test('shortens the collapsed sections before it leaves out any of the first findings', () => {
      const full = formatMarkdown(report, { baseDir: dir });
      const maxLength = full.length - 10;

      const markdown = formatMarkdown(report, { baseDir: dir, maxLength });

      expect(markdown.length).toBeLessThanOrEqual(maxLength);
      expect(markdown.split('\n').filter((l) => /^\| (error|unresolved|warning) \|/.test(l))).toHaveLength(open(report).length);
      expect(markdown).not.toMatch(/more open findings left out/);
      expect(markdown).toMatch(/more (principals|tag-blind actions|resources|acknowledged findings) left out to stay within the comment limit/);
    });
  });
});

describe('a report where the boundary covers what tags cannot', () => {
  test('text names the Deny statement that covers a tag-blind action', () => {
    const { dir, report } = reviewed(layerDeletionDenied);

    const text = formatText(report, { baseDir: dir });

    expect(text).toMatch(/\n {2}lambda:DeleteLayerVersion +lambda:layerVersion +denied by .*AgentGuardrails\/AgentBoundary\/Denies\/DenyLayerDeletion/);
    expect(text).toMatch(/\n {2}lambda:AddLayerVersionPermission +lambda:layerVersion +denied by AgentGuardrails\/AgentBoundary\/Denies\/ProdByArn/);
    expect(text).not.toMatch(/NOT COVERED/);
  });
});

describe('a report with nothing open', () => {
  let dir: string;
  let report: ReviewReport;
  beforeAll(() => {
    ({ dir, report } = reviewed((app) => codingAgent(app)));
  });

  test('the example passes', () => {
    expect(report.summary).toEqual({ errors: 0, warnings: 0, unresolved: 0, acknowledged: 0 });
  });

  test('Markdown passes with a check mark and no findings table', () => {
    const markdown = formatMarkdown(report, { baseDir: dir });

    expect(markdown.split('\n')[0]).toBe('## ✅ Agent guardrails review passed');
    expect(markdown).not.toContain('| Severity | Rule | Construct | Template | Finding |');
    expect(markdown).toContain('Production: 1 stack (orders-prod; tag Environment=production)');
  });

  test('SARIF has no results, text no finding', () => {
    expect(JSON.parse(formatSarif(report, { baseDir: dir })).runs[0].results).toEqual([]);
    expect(formatText(report, { baseDir: dir })).not.toMatch(/^(ERROR|UNRESOLVED|WARNING) /m);
  });
});

describe('resourceKeyPosition', () => {
  test('finds the key under Resources, not a key of the same name elsewhere', () => {
    const template = '{\n "Outputs": {\n  "Queue": {}\n },\n "Resources": {\n  "Other": { "Properties": { "Queue": 1 } },\n  "Queue": {\n   "Type": "AWS::SQS::Queue"\n  }\n }\n}';

    expect(resourceKeyPosition(template, 'Queue')).toEqual({ line: 7, column: 3 });
    expect(resourceKeyPosition(template, 'Missing')).toBeUndefined();
  });

  test('reads minified templates and escaped strings', () => {
    const template = '{"Description":"a \\"quoted\\" {brace","Resources":{"A":{"Type":"X"},"B":{}}}';

    expect(resourceKeyPosition(template, 'B')).toEqual({ line: 1, column: template.indexOf('"B"') + 1 });
  });
});
