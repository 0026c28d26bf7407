/*
 * A review of a cloud assembly: every rule, the sweep behind them, and the acknowledgements found
 * in the templates. What reports (text, JSON, SARIF, Markdown) and the validation plugin print.
 */
import { toArray } from '../private/arrays';
import { AssemblyModel, AssemblyResource, AssemblyStack } from './assembly';
import { allRules } from './rules';
import { Finding, Rule } from './rules/rule';
import { ProductionRuleOptions } from './rules/template-rules';
import { AssemblySweep, sweepAssembly } from './sweep/assembly-sweep';
import { productionTagSpec } from './sweep/production';

/** Template metadata key under which acknowledgements are written: `[{ ruleId, reason }]`. */
export const ACKNOWLEDGEMENTS_METADATA_KEY = 'agent-guardrails:acknowledgements';

/** The shortest reason an acknowledgement may give. */
export const MIN_REASON_LENGTH = 10;

/** A finding as reported: acknowledged (with the reason), or with why an acknowledgement was refused. */
export interface ReviewedFinding extends Finding {
  readonly templateFile?: string;
  readonly acknowledgedReason?: string;
  readonly acknowledgementRefused?: string;
}

/** Options of a review. */
export interface ReviewOptions extends ProductionRuleOptions {
  /** @default - every rule (`allRules`) */
  readonly rules?: readonly Rule[];
  /** Progress of the sweep. */
  readonly onProgress?: (done: number, total: number, what: string) => void;
  /** A clock, to measure each sweep. @default - not measured */
  readonly now?: () => number;
}

/** What a review found. */
export interface ReviewReport {
  readonly findings: readonly ReviewedFinding[];
  readonly sweep: AssemblySweep;
  readonly rules: readonly Rule[];
  readonly summary: { readonly errors: number; readonly warnings: number; readonly unresolved: number; readonly acknowledged: number };
}

/** The acknowledgement of `ruleId` on a resource or its stack, if any. */
function acknowledgementFor(ruleId: string, stack: AssemblyStack | undefined, resource: AssemblyResource | undefined): { reason: unknown } | undefined {
  const entries = [...toArray(resource?.metadata[ACKNOWLEDGEMENTS_METADATA_KEY]), ...toArray(stack?.metadata[ACKNOWLEDGEMENTS_METADATA_KEY])];
  return entries.find((e: any) => e?.ruleId === ruleId) as { reason: unknown } | undefined;
}

/** Reviews `assembly` with every rule (or `options.rules`). */
export function reviewAssembly(assembly: AssemblyModel, options: ReviewOptions = {}): ReviewReport {
  // Sweep first (with progress and timings); the sweep rules reuse this result.
  const sweep = sweepAssembly(assembly, { productionTag: productionTagSpec(options), onProgress: options.onProgress, now: options.now });
  const rules = options.rules ?? allRules(options);
  const findings = rules.flatMap((rule) =>
    rule.check(assembly).map((finding): ReviewedFinding => {
      const stack = assembly.stacks.find((s) => s.stackName === finding.stackName);
      const resource = stack?.resources.find((r) => r.logicalId === finding.logicalId);
      const base = { ...finding, templateFile: stack?.templateFile };
      const ack = acknowledgementFor(finding.ruleId, stack, resource);
      if (!ack) return base;
      if (!rule.acknowledgeable) return { ...base, acknowledgementRefused: `${rule.id} guards the guardrails themselves and cannot be acknowledged` };
      if (typeof ack.reason !== 'string' || ack.reason.trim().length < MIN_REASON_LENGTH) {
        return { ...base, acknowledgementRefused: `the acknowledgement gives no reason (at least ${MIN_REASON_LENGTH} characters)` };
      }
      return { ...base, acknowledgedReason: ack.reason.trim() };
    }),
  );
  const open = findings.filter((f) => f.acknowledgedReason === undefined);
  return {
    findings,
    sweep,
    rules,
    summary: {
      errors: open.filter((f) => f.severity === 'error').length,
      warnings: open.filter((f) => f.severity === 'warning').length,
      unresolved: open.filter((f) => f.severity === 'unresolved').length,
      acknowledged: findings.length - open.length,
    },
  };
}
