/*
 * Every review rule, with its defaults, in the order reports list them.
 */
import { BREAK_GLASS } from './break-glass-rule';
import { NO_BROAD_GRANTS } from './grant-rules';
import { Rule } from './rule';
import { boundaryDeniesDestruction, effectivePermissions, PRODUCTION_EXCEPTIONS } from './sweep-rules';
import { AGENT_SESSION_LENGTH, GUARDRAIL_ROLES_BOUNDED, ProductionRuleOptions, productionStacksDeclared, productionStacksProtected, TWO_APPROVALS } from './template-rules';
import { AGENT_TRUST, ELEVATED_TRUST } from './trust-rules';

/** Every review rule, configured for the production tag in `options`. */
export function allRules(options: ProductionRuleOptions = {}): Rule[] {
  return [
    GUARDRAIL_ROLES_BOUNDED,
    boundaryDeniesDestruction(options),
    effectivePermissions(options),
    PRODUCTION_EXCEPTIONS,
    productionStacksProtected(options),
    productionStacksDeclared(options),
    AGENT_TRUST,
    ELEVATED_TRUST,
    TWO_APPROVALS,
    BREAK_GLASS,
    NO_BROAD_GRANTS,
    AGENT_SESSION_LENGTH,
  ];
}

/** Whether the rule `ruleId` exists and may be acknowledged; undefined for an unknown id. */
export function isAcknowledgeable(ruleId: string): boolean | undefined {
  return allRules().find((r) => r.id === ruleId)?.acknowledgeable;
}
