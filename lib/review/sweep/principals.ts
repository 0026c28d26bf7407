/*
 * The roles the sweep evaluates, as IAM would see their sessions: identity policies (inline,
 * attached and managed) and permissions boundary, resolved from the assembly and compiled once.
 *
 * What cannot be read offline is assumed against the agent, and each assumption is recorded: an
 * Allow whose resource or condition cannot be resolved is widened, a Deny that cannot be resolved
 * is dropped, and a managed policy that is not in the assembly (an AWS managed policy) is taken to
 * allow everything.
 */
import { GuardrailPaths } from '../../guardrail-paths';
import { toArray } from '../../private/arrays';
import { AssemblyModel, AssemblyResource, AssemblyStack } from '../assembly';
import { compilePolicy, CompiledPolicy } from '../policy-evaluator';
import { IamCatalog } from './iam-catalog';
import { environmentOf, findByArn, resolveValue, resourceArn, UNRESOLVED } from './resources';

/** What the sweep assumed because it could not read something offline, as data; `describeAssumption` renders it. */
export type Assumption =
  /** A Deny with values that cannot be resolved offline (or policy variables) is not counted. */
  | { readonly code: 'deny-dropped'; readonly policy: string; readonly statement: string }
  /** An Allow with such values is widened to `*`. */
  | { readonly code: 'allow-widened'; readonly policy: string; readonly statement: string }
  /** A condition the offline evaluator cannot evaluate: an Allow's are taken as met, a Deny is not counted. */
  | { readonly code: 'condition-not-evaluated'; readonly policy: string; readonly statement: string; readonly effect: 'Allow' | 'Deny'; readonly reason: string }
  /** A policy attached to a role that cannot be resolved offline is taken to apply. */
  | { readonly code: 'attachment-assumed'; readonly policy: string }
  /** A managed policy not in the assembly (an AWS managed policy) is taken to allow everything. */
  | { readonly code: 'managed-policy-unread'; readonly policy: string }
  /** The permissions boundary is not in the assembly: the role is evaluated without one. */
  | { readonly code: 'boundary-unread' };

/** An assumption as a sentence, for reports. */
export function describeAssumption(a: Assumption): string {
  switch (a.code) {
    case 'deny-dropped':
      return `${a.policy} statement ${a.statement}: a Deny with values that cannot be resolved offline (or policy variables) is not counted`;
    case 'allow-widened':
      return `${a.policy} statement ${a.statement}: values that cannot be resolved offline (or policy variables) are taken as "*"`;
    case 'condition-not-evaluated':
      return `${a.policy} statement ${a.statement}: ${a.reason}; ${a.effect === 'Allow' ? 'its conditions are taken as met' : 'it is not counted'}`;
    case 'attachment-assumed':
      return `${a.policy} is attached to a role that cannot be resolved offline; it is taken to apply to this role`;
    case 'managed-policy-unread':
      return `${a.policy} is not in the assembly and is taken to allow everything`;
    case 'boundary-unread':
      return 'the permissions boundary is not in the assembly, so the role is evaluated as if it had none';
  }
}

/** A role whose sessions the sweep evaluates. */
export interface SweptRole {
  readonly stack: AssemblyStack;
  readonly resource: AssemblyResource;
  readonly arn: string;
  /** `agent` for agent roles, `service` for the deploy roles agents pass to CloudFormation, `other` for any other role. */
  readonly kind: 'agent' | 'service' | 'other';
  readonly identity: readonly CompiledPolicy[];
  /** The compiled boundary; undefined when the role has none or it cannot be read. */
  readonly boundary?: CompiledPolicy;
  /** The boundary policy's construct path, when found in the assembly. */
  readonly boundaryPath?: string;
  /** Principal context keys with known values (lower-case keys). */
  readonly principalContext: Readonly<Record<string, string>>;
  /** What the sweep assumed because it could not read it offline. */
  readonly assumptions: readonly Assumption[];
}

/** Everything allowed: what an unreadable managed policy is assumed to grant. */
export const ALLOW_EVERYTHING = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

/**
 * Resolves and compiles one policy document of `stack`, widening or dropping what cannot be read
 * (see the file comment) and recording it in `assumptions`.
 */
export function compileResolved(name: string, document: unknown, stack: AssemblyStack, catalog: IamCatalog, assumptions: Assumption[]): CompiledPolicy {
  const resolved = resolveValue(document, stack, catalog) as any;
  const statements: any[] = [];
  for (const [index, statement] of toArray(resolved?.Statement).entries()) {
    const s = statement as Record<string, any>;
    const where = { policy: name, statement: String(s.Sid ?? index) };
    let usable = s;
    if (mentions(s, isOpen)) {
      if (s.Effect !== 'Allow') {
        assumptions.push({ code: 'deny-dropped', ...where });
        continue;
      }
      usable = widen(s);
      assumptions.push({ code: 'allow-widened', ...where });
    }
    try {
      compilePolicy(name, { Statement: [usable] });
      statements.push(usable);
    } catch (error) {
      if (s.Effect === 'Allow') {
        const { Condition: _ignored, ...unconditional } = usable;
        statements.push(unconditional);
      }
      assumptions.push({ code: 'condition-not-evaluated', ...where, effect: s.Effect === 'Allow' ? 'Allow' : 'Deny', reason: (error as Error).message });
    }
  }
  return compilePolicy(name, { Statement: statements });
}

const POLICY_VARIABLE = /\$\{[^}]*\}/g;

/** Whether a string holds something only known when IAM evaluates it: an unresolved value or a policy variable. */
const isOpen = (text: string) => text.includes(UNRESOLVED) || /\$\{[^}]*\}/.test(text);

/** Whether any string inside `value` passes `test`. */
function mentions(value: unknown, test: (text: string) => boolean): boolean {
  if (typeof value === 'string') return test(value);
  if (Array.isArray(value)) return value.some((v) => mentions(v, test));
  if (value && typeof value === 'object') return Object.values(value).some((v) => mentions(v, test));
  return false;
}

/**
 * An Allow with open parts widened: unresolved values and policy variables in Action and Resource
 * become wildcards, NotAction and NotResource with open parts are dropped (their complement would
 * shrink), and conditions on open values are taken as met.
 */
function widen(statement: Record<string, any>): Record<string, any> {
  const star = (v: unknown): unknown => (typeof v === 'string' ? v.split(UNRESOLVED).join('*').replace(POLICY_VARIABLE, '*') : Array.isArray(v) ? v.map(star) : v);
  const widened: Record<string, any> = {};
  for (const [key, value] of Object.entries(statement)) {
    if (key === 'Condition') {
      const kept: Record<string, Record<string, unknown>> = {};
      for (const [operator, block] of Object.entries<Record<string, unknown>>(value ?? {})) {
        const readable = Object.entries(block).filter(([, v]) => !mentions(v, isOpen));
        if (readable.length > 0) kept[operator] = Object.fromEntries(readable);
      }
      widened.Condition = kept;
    } else if ((key === 'NotAction' || key === 'NotResource') && mentions(value, isOpen)) {
      widened[key === 'NotAction' ? 'Action' : 'Resource'] = '*';
    } else {
      widened[key] = star(value);
    }
  }
  return widened;
}

/** The kind of role the sweep evaluates, from its path; undefined for other roles. */
export function sweptKind(role: AssemblyResource): SweptRole['kind'] | undefined {
  const rolePath = role.properties.Path;
  if (rolePath === GuardrailPaths.AGENT_ROLES) return 'agent';
  if (rolePath === GuardrailPaths.SERVICE_ROLES) return 'service';
  return undefined;
}

/** Every agent role and guardrail service role of the assembly, ready for evaluation. */
export function sweptRoles(assembly: AssemblyModel, catalog: IamCatalog): SweptRole[] {
  return assembly.stacks.flatMap((stack) =>
    stack.resources
      .filter((r) => r.type === 'AWS::IAM::Role' && sweptKind(r) !== undefined)
      .map((role) => sweptRole(assembly, stack, role, catalog)),
  );
}

/** One role of the assembly, ready for evaluation. */
export function sweptRole(assembly: AssemblyModel, stack: AssemblyStack, role: AssemblyResource, catalog: IamCatalog): SweptRole {
  const assumptions: Assumption[] = [];
  const arn = resourceArn(catalog, stack, role)!;
  const identity: CompiledPolicy[] = [];
  for (const inline of toArray(role.properties.Policies) as any[]) {
    identity.push(compileResolved(`inline policy ${inline.PolicyName}`, inline.PolicyDocument, stack, catalog, assumptions));
  }
  const roleName = role.properties.RoleName;
  const namesRole = (refs: unknown) => toArray(refs).some((ref: any) => ref?.Ref === role.logicalId || (typeof roleName === 'string' && ref === roleName));
  for (const other of assembly.stacks) {
    for (const policy of other.resources) {
      const attached =
        ((policy.type === 'AWS::IAM::Policy' || policy.type === 'AWS::IAM::ManagedPolicy') && (other === stack ? namesRole(policy.properties.Roles) : toArray(policy.properties.Roles).some((r) => r === roleName && roleName !== undefined))) ||
        (policy.type === 'AWS::IAM::RolePolicy' && (other === stack ? namesRole(policy.properties.RoleName) : policy.properties.RoleName === roleName && roleName !== undefined));
      if (attached) {
        identity.push(compileResolved(policy.constructPath, policy.properties.PolicyDocument, other, catalog, assumptions));
      } else if (other === stack && ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::RolePolicy'].includes(policy.type) && mentions(resolveValue(policy.properties.Roles ?? policy.properties.RoleName, stack, catalog), (t) => t.includes(UNRESOLVED))) {
        assumptions.push({ code: 'attachment-assumed', policy: policy.constructPath });
        identity.push(compileResolved(policy.constructPath, policy.properties.PolicyDocument, other, catalog, assumptions));
      }
    }
  }
  for (const managed of toArray(resolveValue(role.properties.ManagedPolicyArns, stack, catalog))) {
    const found = typeof managed === 'string' ? findByArn(catalog, assembly, managed) : undefined;
    if (found && found.resource.type === 'AWS::IAM::ManagedPolicy') {
      identity.push(compileResolved(found.resource.constructPath, found.resource.properties.PolicyDocument, found.stack, catalog, assumptions));
    } else {
      const label = typeof managed === 'string' && !managed.includes(UNRESOLVED) ? managed : 'a managed policy that cannot be resolved offline';
      assumptions.push({ code: 'managed-policy-unread', policy: label });
      identity.push(compilePolicy(label, ALLOW_EVERYTHING));
    }
  }

  let boundary: CompiledPolicy | undefined;
  let boundaryPath: string | undefined;
  const boundaryArn = resolveValue(role.properties.PermissionsBoundary, stack, catalog);
  if (boundaryArn !== undefined) {
    const found = typeof boundaryArn === 'string' ? findByArn(catalog, assembly, boundaryArn) : undefined;
    if (found && found.resource.type === 'AWS::IAM::ManagedPolicy') {
      boundary = compileResolved('permissions boundary', found.resource.properties.PolicyDocument, found.stack, catalog, assumptions);
      boundaryPath = found.resource.constructPath;
    } else {
      assumptions.push({ code: 'boundary-unread' });
    }
  }

  const env = environmentOf(stack);
  const principalContext: Record<string, string> = {
    'aws:principalarn': arn,
    'aws:principalaccount': env.account,
    'aws:principaltype': 'AssumedRole',
    'aws:principalisawsservice': 'false',
  };
  const sourceIdentity = requiredSourceIdentity(role);
  if (sourceIdentity) principalContext['aws:sourceidentity'] = sourceIdentity;
  for (const tag of toArray(role.properties.Tags) as any[]) {
    if (typeof tag?.Key === 'string' && typeof tag?.Value === 'string') principalContext[`aws:principaltag/${tag.Key.toLowerCase()}`] = tag.Value;
  }
  return { stack, resource: role, arn, kind: sweptKind(role) ?? 'other', identity, boundary, boundaryPath, principalContext, assumptions };
}

/** The source identity the trust policy requires (`sts:SourceIdentity` equals one literal), if any. */
function requiredSourceIdentity(role: AssemblyResource): string | undefined {
  for (const statement of toArray(role.properties.AssumeRolePolicyDocument?.Statement) as any[]) {
    const value = statement?.Condition?.StringEquals?.['sts:SourceIdentity'];
    if (typeof value === 'string') return value;
  }
  return undefined;
}
