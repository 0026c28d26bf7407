/*
 * What a review rule is: an id, why it matters, how to fix a finding, and a pure check over the
 * assembly. A value that cannot be resolved offline is reported as `unresolved`, never as passing.
 */
import { AssemblyModel } from '../assembly';

/** How bad a finding is. `unresolved` means the rule could not decide offline. */
export type Severity = 'error' | 'warning' | 'unresolved';

/** One thing a rule found. */
export interface Finding {
  readonly ruleId: string;
  readonly severity: Severity;
  readonly message: string;
  readonly stackName: string;
  /** The construct path of the resource, for the fix. */
  readonly constructPath: string;
  /** Where in the template: the resource's logical id. */
  readonly logicalId?: string;
}

/** A review rule. */
export interface Rule {
  readonly id: string;
  readonly title: string;
  readonly why: string;
  readonly fix: string;
  /** Rules that guard the boundary itself cannot be acknowledged. */
  readonly acknowledgeable: boolean;
  check(assembly: AssemblyModel): Finding[];
}

/** Whether a template value is a literal (not an intrinsic such as Ref or Fn::Join). */
export function isLiteral(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
