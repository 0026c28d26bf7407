/*
 * Pure: which IAM paths hold principals that must carry a guardrail policy. Shared by the synth-time
 * check (permissions-boundary/guardrail-path-check.ts) and the review rule on templates, so that the
 * two cannot disagree.
 */
import { GuardrailPaths } from '../guardrail-paths';

/**
 * Whether a principal under `path` must carry a guardrail policy: everything under the guardrails'
 * root or the workload path, except the approval workflow's elevated roles (which trust only its
 * issuing function).
 */
export function mustCarryGuardrailPolicy(path: string): boolean {
  return (path.startsWith(GuardrailPaths.ROOT) || path.startsWith(GuardrailPaths.WORKLOAD)) && !path.startsWith(GuardrailPaths.ELEVATED_ROLES);
}
