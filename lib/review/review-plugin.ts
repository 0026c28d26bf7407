/*
 * The review as a CDK validation plugin: `Validations.of(app).addPlugins(new AgentGuardrailsReview())`
 * makes `cdk synth` print every open finding and fail when there is an error.
 */
import * as fs from 'fs';
import { IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport, PolicyViolation, Stack } from 'aws-cdk-lib';
import * as path from 'path';
import { AssemblyModel, nestedStacks, stackModel, withImports } from './assembly';
import { reviewAssembly, ReviewOptions } from './review';

/** Options of the validation plugin. */
export interface AgentGuardrailsReviewProps extends Pick<ReviewOptions, 'tagKey' | 'tagValues' | 'productionStacks' | 'rules'> {
  /**
   * Fail synthesis when a finding cannot be decided offline, as well as on errors.
   * @default false - unresolved findings are printed but do not fail synthesis
   */
  readonly failOnUnresolved?: boolean;

  /**
   * Print no summary line. CDK prints findings itself, but nothing when the review passes, so by
   * default the plugin writes one line to stderr saying what it checked.
   * @default false
   */
  readonly quiet?: boolean;

  /** Where the summary line goes. @default - process.stderr */
  readonly log?: (line: string) => void;
}

/** The agent guardrails review, run by `cdk synth`. */
export class AgentGuardrailsReview implements IPolicyValidationPlugin {
  public readonly name = 'agent-guardrails-review';

  constructor(private readonly props: AgentGuardrailsReviewProps = {}) {}

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const stacks = new Map(context.appConstruct.node.findAll().filter(Stack.isStack).map((s) => [s.node.path, s]));
    const stackPaths = new Map([...stacks.values()].map((s) => [s.stackName, s.node.path]));
    const assembly: AssemblyModel = withImports(
      context.stackTemplates.flatMap((t) => {
        const stack = stacks.get(t.stackConstructPath);
        const template = JSON.parse(fs.readFileSync(t.templatePath, 'utf8'));
        const model = stackModel(stack?.stackName ?? t.stackConstructPath, t.templatePath, template, {
          tags: stack?.tags.tagValues(),
          terminationProtection: stack?.terminationProtection,
          environment: `aws://${t.accountId ?? 'unknown-account'}/${t.region ?? 'unknown-region'}`,
        });
        return [model, ...nestedStacks(model, path.dirname(t.templatePath))];
      }),
    );
    const report = reviewAssembly(assembly, this.props);
    const byRule = new Map(report.rules.map((r) => [r.id, r]));
    const violations: PolicyViolation[] = report.findings
      .filter((f) => f.acknowledgedReason === undefined && (f.severity !== 'unresolved' || this.props.failOnUnresolved))
      .map((f) => ({
        ruleName: f.ruleId,
        description: f.acknowledgementRefused ? `${f.message} (${f.acknowledgementRefused})` : f.message,
        fix: byRule.get(f.ruleId)?.fix,
        // CDK lets users acknowledge violations by rule name unless they are fatal: findings of
        // rules that guard the guardrails are fatal, so only ReviewAcknowledgements can acknowledge.
        severity: byRule.get(f.ruleId)?.acknowledgeable === false && f.severity === 'error' ? 'fatal' : f.severity,
        // A stack-level finding names the stack's construct path: CDK prints only findings whose
        // construct path is in the tree, and a stack name need not be one.
        violatingResources: [{ resourceLogicalId: f.logicalId, constructPath: f.logicalId ? f.constructPath : (stackPaths.get(f.stackName) ?? f.constructPath), templatePath: f.templateFile, locations: f.logicalId ? [`Resources/${f.logicalId}`] : [] }],
      }));
    const unresolved = report.findings.filter((f) => f.acknowledgedReason === undefined && f.severity === 'unresolved');
    if (!this.props.quiet) {
      const sweeps = [...report.sweep.roles, ...report.sweep.boundaries];
      const evaluations = sweeps.reduce((n, s) => n + s.result.evaluations, 0);
      const { errors, acknowledged } = report.summary;
      (this.props.log ?? ((line: string) => process.stderr.write(`${line}\n`)))(
        `agent-guardrails review: ${errors} errors, ${unresolved.length} unresolved, ${acknowledged} acknowledged; ${report.rules.length} rules, ` +
          `${report.sweep.roles.length} roles and ${report.sweep.boundaries.length} boundaries swept over ${report.sweep.inventory.resources.length} production resources (${evaluations} evaluations)`,
      );
    }
    return {
      success: report.summary.errors === 0 && (!this.props.failOnUnresolved || unresolved.length === 0),
      violations,
      metadata: {
        summary: `${report.summary.errors} errors, ${report.summary.unresolved} unresolved, ${report.summary.acknowledged} acknowledged`,
        ...(unresolved.length > 0 && !this.props.failOnUnresolved ? { unresolved: unresolved.map((f) => `${f.ruleId} ${f.constructPath}: ${f.message}`).join('; ') } : {}),
      },
    };
  }
}
