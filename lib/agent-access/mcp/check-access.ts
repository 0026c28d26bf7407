/*
 * The `check_access` tool: whether the agent's own role may do an action on a resource, decided
 * offline by the project's evaluator on the synthesized app, and what the answer means for the
 * agent (go ahead; production is read-only, so request elevation for a change set; ask a human).
 * A resource of the app's production is recognised by its ARN and evaluated with the tags IAM
 * would see on it, so that the agent need not know them.
 */
import { AssemblyError, AssemblyModel } from '../../review/assembly';
import { StatementRef } from '../../review/policy-evaluator';
import { checkRequest, findRole, ReviewInputError, simulateRequest } from '../../review/simulate';
import { IamCatalog, loadIamCatalog } from '../../review/sweep/iam-catalog';
import { describeAssumption, sweptKind, SweptRole } from '../../review/sweep/principals';
import { ProductionInventory, productionInventory, ProductionResource, productionTagSpec, ProductionTagSpec } from '../../review/sweep/production';
import { ObjectSchema } from './input-schema';
import { ToolDefinition, ToolResult, toolError } from './tool';

/** The agent role check_access evaluates, with what production holds. */
export interface AgentRoleModel {
  readonly assembly: AssemblyModel;
  readonly role: SweptRole;
  readonly inventory: ProductionInventory;
  readonly productionTag: ProductionTagSpec;
  readonly catalog: IamCatalog;
}

/** What check_access needs. */
export interface CheckAccessDeps {
  /** The agent role, loaded on first use; throws AssemblyError or ReviewInputError saying what to do. */
  readonly agentRole: () => AgentRoleModel;
}

/**
 * The agent role of the assembly `load` returns, loaded on first call and kept: the one `selector`
 * names (as `simulate --role` takes it), or the assembly's only agent role. A failure is not kept,
 * so that a `cdk synth` run meanwhile is picked up.
 */
export function lazyAgentRole(load: () => AssemblyModel, selector: string | undefined, catalog: () => IamCatalog = loadIamCatalog): () => AgentRoleModel {
  let loaded: AgentRoleModel | undefined;
  return () => {
    if (!loaded) {
      const assembly = load();
      const iam = catalog();
      const role = findRole(assembly, selector ?? onlyAgentRole(assembly), iam);
      const productionTag = productionTagSpec();
      loaded = { assembly, role, inventory: productionInventory(assembly, iam, productionTag), productionTag, catalog: iam };
    }
    return loaded;
  };
}

/** The construct path of the assembly's only agent role; throws ReviewInputError when there is none or more than one. */
function onlyAgentRole(assembly: AssemblyModel): string {
  const agents = assembly.stacks.flatMap((s) => s.resources.filter((r) => r.type === 'AWS::IAM::Role' && sweptKind(r) === 'agent').map((r) => r.constructPath.replace(/\/Resource$/, '')));
  if (agents.length === 1) return agents[0];
  throw new ReviewInputError(
    agents.length === 0
      ? 'the assembly holds no agent role (a role under /agent-guardrails/agent/); start the server with --role naming your role, or with --app naming the app that defines it'
      : `the assembly holds ${agents.length} agent roles (${agents.join(', ')}); start the server with --role naming yours`,
  );
}

const schema: ObjectSchema = {
  type: 'object',
  properties: {
    action: { type: 'string', description: 'the IAM action, as service:Action (for example dynamodb:PutItem)', minLength: 3, maxLength: 200 },
    resource: { type: 'string', description: 'the resource ARN (for example arn:aws:dynamodb:us-east-1:123456789012:table/orders), or * for actions without a resource', minLength: 1, maxLength: 2048 },
    resourceTags: {
      type: 'object',
      description: 'tags of the resource, by key, when it is not a resource of the app (the app\'s own production resources are recognised by ARN)',
      additionalProperties: { type: 'string', description: 'a tag value', maxLength: 256 },
    },
    context: {
      type: 'object',
      description: 'further IAM condition keys and their values (for example {"aws:RequestedRegion": "eu-west-1"})',
      additionalProperties: {
        description: 'a string, or a list of strings',
        anyOf: [{ type: 'string', maxLength: 1024 }, { type: 'array', items: { type: 'string', maxLength: 1024 } }],
      },
    },
  },
  required: ['action', 'resource'],
  additionalProperties: false,
};

interface CheckAccessInput {
  readonly action: string;
  readonly resource: string;
  readonly resourceTags?: Readonly<Record<string, string>>;
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

/** The `check_access` tool. */
export const checkAccessTool: ToolDefinition<CheckAccessDeps, CheckAccessInput> = {
  name: 'check_access',
  title: 'Check access offline',
  description:
    'Whether your own AWS role may perform an action on a resource, decided offline against the synthesized app (your role\'s policies and its permissions boundary), ' +
    'with the statement that decided it and what to do next. Production is read-only to you: a change to production goes through a change set and request_elevation. ' +
    'Nothing is called in AWS. Resource policies, SCPs and session policies are not evaluated.',
  inputSchema: schema,
  annotations: { readOnlyHint: true, openWorldHint: false },
  action: async (deps, input) => checkAccess(deps, input),
};

function checkAccess(deps: CheckAccessDeps, input: CheckAccessInput): ToolResult {
  try {
    checkRequest(input.action, input.resource);
  } catch (error) {
    if (error instanceof ReviewInputError) return toolError('invalid-input', error.message);
    throw error;
  }
  let model: AgentRoleModel;
  try {
    model = deps.agentRole();
  } catch (error) {
    if (error instanceof AssemblyError) return toolError('no-assembly', error.message);
    if (error instanceof ReviewInputError) return toolError('unknown-role', error.message);
    throw error;
  }
  const match = productionMatch(model, input.resource);
  const tags = { ...(match?.tags ?? {}), ...(input.resourceTags ?? {}) };
  const { decision, role } = simulateRequest(model.assembly, { role: model.role.resource.constructPath, action: input.action, resource: input.resource, resourceTags: tags, context: input.context }, model.catalog);
  const production = match !== undefined || tagsMeanProduction(tags, model.productionTag);
  const allowed = decision.result === 'Allowed';
  // An allow that rests on what the evaluator could not read is not a promise: an AWS managed policy taken to allow
  // everything, an Allow widened to "*", or a Deny left out because its values cannot be resolved offline.
  const assumed = allowed ? unsure(decision.decidedBy, role.assumptions) : [];
  return {
    ok: true,
    result: {
      decision: allowed ? 'allowed' : 'denied',
      evaluation: decision.result,
      action: input.action,
      resource: input.resource,
      role: role.resource.constructPath.replace(/\/Resource$/, ''),
      roleArn: role.arn,
      decidedBy: decision.decidedBy,
      ...(decision.dependsOn?.length ? { dependsOn: decision.dependsOn } : {}),
      production,
      ...(match ? { productionResource: { stack: match.stackName, constructPath: match.constructPath } } : {}),
      ...(Object.keys(tags).length > 0 ? { resourceTags: tags } : {}),
      certain: assumed.length === 0,
      meaning: meaning(decision.result, decision.decidedBy, production, decision.dependsOn ?? [], assumed),
      ...(role.assumptions.length > 0 ? { assumptions: role.assumptions.map(describeAssumption) } : {}),
    },
  };
}

/** The statements an allow rests on that the evaluator could not read, and the Denies it left out. */
function unsure(decidedBy: readonly StatementRef[], assumptions: SweptRole['assumptions']): StatementRef[] {
  const found: StatementRef[] = [];
  for (const a of assumptions) {
    if (a.code === 'deny-dropped' || (a.code === 'condition-not-evaluated' && a.effect === 'Deny')) {
      found.push({ policy: a.policy, statement: a.statement });
    } else if (a.code === 'managed-policy-unread' || a.code === 'attachment-assumed') {
      found.push(...decidedBy.filter((ref) => ref.policy === a.policy));
    } else if (a.code === 'allow-widened' || a.code === 'condition-not-evaluated') {
      found.push(...decidedBy.filter((ref) => ref.policy === a.policy && ref.statement === a.statement));
    }
  }
  return found.filter((ref, i) => found.findIndex((other) => other.policy === ref.policy && other.statement === ref.statement) === i);
}

const refs = (statements: readonly StatementRef[]) => statements.map((s) => `${s.statement} of ${s.policy}`).join(', ');

/** What a decision means for the agent, and what to do. */
function meaning(
  result: 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied',
  decidedBy: readonly StatementRef[],
  production: boolean,
  dependsOn: readonly StatementRef[],
  assumed: readonly StatementRef[],
): string {
  if (result === 'Allowed') {
    const allowed = dependsOn.length > 0 ? `allowed only if the request meets the conditions of ${refs(dependsOn)}; otherwise denied` : 'allowed: your role may do this with its own credentials';
    return assumed.length > 0
      ? `${allowed}, as far as the offline check can tell: it rests on ${refs(assumed)}, which it cannot read offline (see assumptions); AWS may still deny it`
      : allowed;
  }
  const elevation = 'create a change set (cdk deploy --no-execute, or aws cloudformation create-change-set), then call request_elevation with its ARN and your reasoning; two humans must approve it';
  if (result === 'ExplicitlyDenied') {
    return production
      ? `denied by ${refs(decidedBy)}: production is read-only to agents. To change it, ${elevation}`
      : `denied by ${refs(decidedBy)}: an explicit deny of the guardrail, which no policy of your role overrides; if the task needs it, ask a human`;
  }
  return production
    ? `denied: no statement of your role allows it. To change production, ${elevation}`
    : 'denied: no statement of your role allows it; if the task needs it, ask a human to grant the permission';
}

/** Whether `tags` carry the production tag. */
function tagsMeanProduction(tags: Readonly<Record<string, string>>, tag: ProductionTagSpec): boolean {
  const values = tag.values.map((v) => v.toLowerCase());
  return Object.entries(tags).some(([key, value]) => key.toLowerCase() === tag.key.toLowerCase() && values.includes(value.toLowerCase()));
}

/**
 * The production resource of the app that `arn` names: the same ARN, or the same service and
 * resource where the stack names no account or region (the assembly then assumes them). A stack
 * matches with any stack id (`stack/orders-prod/*`), a bucket's objects by the bucket.
 */
function productionMatch(model: AgentRoleModel, arn: string): ProductionResource | undefined {
  const exact = model.inventory.resources.find((r) => r.arn === arn);
  if (exact) return exact;
  const wanted = splitArn(arn);
  if (!wanted) return undefined;
  return model.inventory.resources.find((r) => {
    const known = splitArn(r.arn);
    if (!known || known.partition !== wanted.partition || known.service !== wanted.service) return false;
    const stack = model.assembly.stacks.find((s) => s.stackName === r.stackName);
    if (known.region !== wanted.region && stack?.region !== undefined) return false;
    if (known.account !== wanted.account && stack?.account !== undefined) return false;
    if (r.iamType === 'stack') return wanted.resource.startsWith(known.resource.replace(/[^/]+$/, ''));
    if (r.arn.endsWith('/any-object-key')) return wanted.resource.startsWith(known.resource.replace(/any-object-key$/, ''));
    return wanted.resource === known.resource;
  });
}

function splitArn(arn: string): { partition: string; service: string; region: string; account: string; resource: string } | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return { partition: parts[1], service: parts[2], region: parts[3], account: parts[4], resource: parts.slice(5).join(':') };
}
