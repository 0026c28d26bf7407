/*
 * The project's own IAM policy evaluator, for the offline review: policies are compiled once into
 * matchers, then each request is a handful of comparisons, so that every action of the IAM catalog
 * can be tried against every production resource in well under a second per role.
 *
 * Scope: a role's own identity policies and its permissions boundary, in one account, without
 * resource policies, SCPs or session policies; policy variables are not expanded. KMS keys are
 * assumed to have AWS's default key policy, which lets IAM policies decide. A differential
 * test holds it to @cloud-copilot/iam-simulate on generated requests.
 *
 * Pure: no SDK, no CDK, no clock.
 */

import { toArray } from '../private/arrays';

/** A policy document as IAM reads it. */
export interface EvaluatedPolicy {
  readonly Statement: unknown;
}

/** A request to decide: context keys are matched case-insensitively, values as given. */
export interface EvaluationRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
  /**
   * Context keys the caller chooses (request tags, a CloudFormation role ARN, the source IP...),
   * lower case. A condition on one of them may go either way: a Deny that depends on it does not
   * count as denying, an Allow that depends on it counts as allowing, and the decision says so.
   * @default - every key is as `context` says: present with its values, or absent
   */
  readonly callerChosen?: (lowerCaseKey: string) => boolean;
}

/** Where a statement comes from, for explanations: policy name and statement id (or index). */
export interface StatementRef {
  readonly policy: string;
  readonly statement: string;
}

/** A decision and the statements that made it. */
export interface Decision {
  /** With caller-chosen keys, `Allowed` means allowed for some requests (see `dependsOn`). */
  readonly result: 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';
  /** The Deny statements that matched, or the Allow statements that allowed. */
  readonly decidedBy: StatementRef[];
  /**
   * Statements whose conditions on caller-chosen keys decide whether an allowed request goes
   * through: Deny statements the caller can avoid, Allow statements the caller must satisfy.
   * Empty when the request is allowed whatever the caller chooses.
   */
  readonly dependsOn?: StatementRef[];
}

type Context = ReadonlyMap<string, readonly string[]>;
type Test = (request: string) => boolean;

interface ConditionTest {
  /** The context key, lower case. */
  readonly key: string;
  readonly test: (context: Context) => boolean;
}

interface CompiledStatement {
  readonly ref: StatementRef;
  readonly allow: boolean;
  readonly action: Test;
  readonly resource: Test;
  readonly conditions: readonly ConditionTest[];
}

/** A policy compiled for evaluation. */
export interface CompiledPolicy {
  readonly name: string;
  readonly statements: readonly CompiledStatement[];
}

const asArray = (value: unknown): string[] => toArray(value).map(String);

const compiledWildcards = new Map<string, RegExp>();

/** An IAM wildcard pattern (`*`, `?`) as a regular expression, compiled once per pattern. */
function wildcard(pattern: string, flags = ''): RegExp {
  const cacheKey = `${flags}/${pattern}`;
  let re = compiledWildcards.get(cacheKey);
  if (!re) {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, `s${flags}`);
    compiledWildcards.set(cacheKey, re);
  }
  return re;
}

/** Whether `value` matches the IAM wildcard pattern `pattern` (`*`, `?`), case-sensitively. */
export function wildcardMatches(pattern: string, value: string): boolean {
  return wildcard(pattern).test(value);
}

/** Whether the IAM action pattern `pattern` (wildcards allowed) names `action`; case-insensitive, as IAM matches actions. */
export function actionMatches(pattern: string, action: string): boolean {
  return wildcard(pattern.toLowerCase()).test(action.toLowerCase());
}

/** Matches any of `patterns`: exact values by set, wildcards by one regular expression. */
function matcher(patterns: string[], caseInsensitive: boolean): Test {
  const normal = (v: string) => (caseInsensitive ? v.toLowerCase() : v);
  if (patterns.includes('*')) {
    return () => true;
  }
  const exact = new Set(patterns.filter((p) => !/[*?]/.test(p)).map(normal));
  const wild = patterns.filter((p) => /[*?]/.test(p));
  const re = wild.length ? new RegExp(wild.map((p) => wildcard(normal(p)).source).join('|'), 's') : undefined;
  return (value) => {
    const v = normal(value);
    return exact.has(v) || (re !== undefined && re.test(v));
  };
}

/** ARN matching, as ArnLike and the Resource element do it: each of the six parts on its own. */
function arnMatcher(patterns: string[]): Test {
  if (patterns.includes('*')) {
    return () => true;
  }
  // Patterns split once; the ARN tested, once per test rather than once per pattern.
  const whole: RegExp[] = [];
  const parted: RegExp[][] = [];
  for (const pattern of patterns) {
    const parts = splitArn(pattern);
    if (parts) parted.push(parts.map((part) => wildcard(part)));
    else whole.push(wildcard(pattern));
  }
  return (arn) => {
    for (const re of whole) {
      if (re.test(arn)) return true;
    }
    if (parted.length === 0) return false;
    const target = splitArn(arn);
    if (target === undefined) return false;
    for (const tests of parted) {
      let all = true;
      for (let i = 0; i < tests.length && all; i++) all = tests[i].test(target[i]);
      if (all) return true;
    }
    return false;
  };
}

const splitArns = new Map<string, string[] | undefined>();

/** An ARN's six parts (the last keeps its colons), or undefined if it is not an ARN; memoized (a sweep asks for the same ARNs again and again). */
function splitArn(arn: string): string[] | undefined {
  if (splitArns.has(arn)) {
    return splitArns.get(arn);
  }
  const parts = arn.split(':');
  const split = parts.length < 6 || parts[0] !== 'arn' ? undefined : [...parts.slice(0, 5), parts.slice(5).join(':')];
  if (splitArns.size > 100_000) splitArns.clear();
  splitArns.set(arn, split);
  return split;
}

type Compare = (contextValue: string, policyValue: string) => boolean;

const OPERATORS: Record<string, { compare: Compare; negated: boolean }> = {};
function define(names: [string, string | undefined], compare: Compare): void {
  OPERATORS[names[0].toLowerCase()] = { compare, negated: false };
  if (names[1]) {
    OPERATORS[names[1].toLowerCase()] = { compare, negated: true };
  }
}
const date = (v: string) => (/^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v));
define(['StringEquals', 'StringNotEquals'], (c, p) => c === p);
define(['StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase'], (c, p) => c.toLowerCase() === p.toLowerCase());
define(['StringLike', 'StringNotLike'], (c, p) => wildcard(p).test(c));
define(['ArnEquals', 'ArnNotEquals'], (c, p) => arnMatcher([p])(c));
define(['ArnLike', 'ArnNotLike'], (c, p) => arnMatcher([p])(c));
define(['NumericEquals', 'NumericNotEquals'], (c, p) => Number(c) === Number(p));
define(['NumericLessThan', undefined], (c, p) => Number(c) < Number(p));
define(['NumericLessThanEquals', undefined], (c, p) => Number(c) <= Number(p));
define(['NumericGreaterThan', undefined], (c, p) => Number(c) > Number(p));
define(['NumericGreaterThanEquals', undefined], (c, p) => Number(c) >= Number(p));
define(['DateEquals', 'DateNotEquals'], (c, p) => date(c) === date(p));
define(['DateLessThan', undefined], (c, p) => date(c) < date(p));
define(['DateLessThanEquals', undefined], (c, p) => date(c) <= date(p));
define(['DateGreaterThan', undefined], (c, p) => date(c) > date(p));
define(['DateGreaterThanEquals', undefined], (c, p) => date(c) >= date(p));
define(['Bool', undefined], (c, p) => c.toLowerCase() === p.toLowerCase());
define(['BinaryEquals', undefined], (c, p) => c === p);
define(['IpAddress', 'NotIpAddress'], () => {
  throw new Error('IpAddress conditions are not evaluated offline');
});

/** One condition operator over its keys, as one test per key. */
function compileCondition(operator: string, block: Record<string, unknown>): ConditionTest[] {
  let name = operator;
  let set: 'any' | 'all' | undefined;
  if (/^ForAnyValue:/i.test(name)) {
    set = 'any';
    name = name.slice('ForAnyValue:'.length);
  } else if (/^ForAllValues:/i.test(name)) {
    set = 'all';
    name = name.slice('ForAllValues:'.length);
  }
  const ifExists = /IfExists$/i.test(name);
  if (ifExists) {
    name = name.slice(0, -'IfExists'.length);
  }
  const parsed: ParsedOperator = { operator, name: name.toLowerCase(), set, ifExists };
  return Object.entries(block).map(([key, raw]) => ({ key: key.toLowerCase(), test: compileKeyTest(parsed, key.toLowerCase(), asArray(raw)) }));
}

interface ParsedOperator {
  /** As written in the policy, for errors. */
  readonly operator: string;
  /** Lower case, without set operator or IfExists. */
  readonly name: string;
  readonly set: 'any' | 'all' | undefined;
  readonly ifExists: boolean;
}

/** The test of one condition key against the request context. */
function compileKeyTest({ operator, name, set, ifExists }: ParsedOperator, lookup: string, policyValues: string[]): (context: Context) => boolean {
  if (name === 'null') {
    const absent = policyValues.some((v) => v.toLowerCase() === 'true');
    return (context) => (context.has(lookup) && context.get(lookup)!.length > 0) !== absent;
  }
  const op = OPERATORS[name];
  if (!op) {
    throw new Error(`condition operator ${operator} is not supported by the offline evaluator`);
  }
  const matchesAny = (value: string) => policyValues.some((p) => op.compare(value, p));
  return (context) => {
    const values = context.get(lookup);
    if (values === undefined || values.length === 0) {
      if (set === 'all') return true;
      if (set === 'any') return false;
      return ifExists || op.negated;
    }
    const one = (value: string) => (op.negated ? !matchesAny(value) : matchesAny(value));
    if (set === 'any') return values.some(one);
    if (set === 'all') return values.every(one);
    return op.negated ? !values.some(matchesAny) : values.some(matchesAny);
  };
}

/** Compiles a policy document; `name` labels its statements in decisions. */
export function compilePolicy(name: string, document: EvaluatedPolicy): CompiledPolicy {
  const statements = (Array.isArray(document.Statement) ? document.Statement : [document.Statement]).map((raw: any, index: number): CompiledStatement => {
    const actionTest = raw.Action !== undefined ? matcher(asArray(raw.Action), true) : negate(matcher(asArray(raw.NotAction), true));
    const resourceTest = raw.Resource !== undefined ? arnMatcher(asArray(raw.Resource)) : negate(arnMatcher(asArray(raw.NotResource)));
    const conditions = Object.entries<Record<string, unknown>>(raw.Condition ?? {}).flatMap(([operator, block]) => compileCondition(operator, block));
    return {
      ref: { policy: name, statement: raw.Sid ?? String(index) },
      allow: raw.Effect === 'Allow',
      action: actionTest,
      resource: resourceTest,
      conditions,
    };
  });
  return { name, statements };
}

/**
 * The lower-case condition keys of `policies`: the only context keys a decision reads. Two
 * requests for one action that agree on these keys (values, and whether the caller chooses them)
 * and on `resourceSignature` get the same decision.
 */
export function conditionKeysOf(policies: readonly CompiledPolicy[]): Set<string> {
  return new Set(policies.flatMap((p) => p.statements.flatMap((s) => s.conditions.map((c) => c.key))));
}

/**
 * Which statements of `policies` name `resource` (their Resource or NotResource), one character
 * per statement: all that a decision reads of the resource ARN.
 */
export function resourceSignature(policies: readonly CompiledPolicy[], resource: string): string {
  let signature = '';
  for (const policy of policies) {
    for (const statement of policy.statements) signature += statement.resource(resource) ? '1' : '0';
  }
  return signature;
}

function negate(test: Test): Test {
  return (value) => !test(value);
}

function contextOf(request: Omit<EvaluationRequest, 'action'>): Context {
  const context = new Map<string, readonly string[]>();
  for (const [key, value] of Object.entries(request.context ?? {})) {
    context.set(key.toLowerCase(), typeof value === 'string' ? [value] : value);
  }
  return context;
}

const TRUE = 1;
const FALSE = 0;
const DEPENDS = 2;

/** The request's context, built the first time a condition needs it. */
interface LazyContext {
  readonly request: Omit<EvaluationRequest, 'action'>;
  context?: Context;
}

/** Whether a statement's conditions hold: TRUE, FALSE, or DEPENDS on caller-chosen keys. */
function conditionsHold(statement: CompiledStatement, lazy: LazyContext): number {
  let state = TRUE;
  const callerChosen = lazy.request.callerChosen;
  for (const condition of statement.conditions) {
    if (callerChosen?.(condition.key)) {
      state = DEPENDS;
    } else if (!condition.test((lazy.context ??= contextOf(lazy.request)))) {
      return FALSE;
    }
  }
  return state;
}

interface Matches {
  readonly allows: StatementRef[];
  readonly denies: StatementRef[];
  readonly maybeAllows: StatementRef[];
  readonly maybeDenies: StatementRef[];
}

function matching(statements: readonly CompiledStatement[], lazy: LazyContext): Matches {
  const found: Matches = { allows: [], denies: [], maybeAllows: [], maybeDenies: [] };
  for (const s of statements) {
    if (!s.resource(lazy.request.resource)) continue;
    const state = conditionsHold(s, lazy);
    if (state === TRUE) {
      (s.allow ? found.allows : found.denies).push(s.ref);
    } else if (state === DEPENDS) {
      (s.allow ? found.maybeAllows : found.maybeDenies).push(s.ref);
    }
  }
  return found;
}

/** Actions IAM allows whatever the policies say (sts:GetCallerIdentity works even under an explicit Deny). */
const ALWAYS_ALLOWED = new Set(['sts:getcalleridentity']);

const UNBOUNDED: StatementRef = { policy: 'none', statement: 'none' };

/**
 * A role's policies compiled for one action: only the statements that name the action are kept,
 * so that trying the action on many resources costs a few comparisons each.
 */
export class ActionEvaluator {
  private readonly identity: readonly CompiledStatement[];
  private readonly boundary: readonly CompiledStatement[] | undefined;
  private readonly alwaysAllowed: boolean;

  constructor(public readonly action: string, identity: readonly CompiledPolicy[], boundary: CompiledPolicy | undefined) {
    const naming = (policies: readonly CompiledPolicy[]) => policies.flatMap((p) => p.statements.filter((s) => s.action(action)));
    this.identity = naming(identity);
    this.boundary = boundary ? naming([boundary]) : undefined;
    this.alwaysAllowed = ALWAYS_ALLOWED.has(action.toLowerCase());
  }

  /** Decides `request` (whose action must be this evaluator's). */
  public decide(request: Omit<EvaluationRequest, 'action'>): Decision {
    if (this.alwaysAllowed) {
      return { result: 'Allowed', decidedBy: [{ policy: 'iam', statement: 'always allowed' }] };
    }
    const lazy: LazyContext = { request };
    const own = matching(this.identity, lazy);
    const bounded: Matches = this.boundary ? matching(this.boundary, lazy) : { allows: [UNBOUNDED], denies: [], maybeAllows: [], maybeDenies: [] };
    const denies = [...own.denies, ...bounded.denies];
    if (denies.length > 0) {
      return { result: 'ExplicitlyDenied', decidedBy: denies };
    }
    const ownAllowed = own.allows.length > 0 || own.maybeAllows.length > 0;
    const boundaryAllowed = bounded.allows.length > 0 || bounded.maybeAllows.length > 0;
    if (!ownAllowed || !boundaryAllowed) {
      return { result: 'ImplicitlyDenied', decidedBy: [] };
    }
    const dependsOn = [
      ...own.maybeDenies,
      ...bounded.maybeDenies,
      ...(own.allows.length === 0 ? own.maybeAllows : []),
      ...(bounded.allows.length === 0 ? bounded.maybeAllows : []),
    ];
    const decidedBy = [...own.allows, ...own.maybeAllows, ...(this.boundary ? [...bounded.allows, ...bounded.maybeAllows] : [])];
    return dependsOn.length > 0 ? { result: 'Allowed', decidedBy, dependsOn } : { result: 'Allowed', decidedBy };
  }
}

/**
 * Decides a request of a role session: denied explicitly if any Deny matches in its identity
 * policies or boundary; allowed if its identity policies and its boundary (when it has one) both
 * allow; otherwise denied implicitly.
 */
export function evaluate(identity: readonly CompiledPolicy[], boundary: CompiledPolicy | undefined, request: EvaluationRequest): Decision {
  return new ActionEvaluator(request.action, identity, boundary).decide(request);
}
