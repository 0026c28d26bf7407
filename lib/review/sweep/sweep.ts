/*
 * The effective-permission sweep: every action of the IAM catalog, tried against every production
 * stack and resource of a type the catalog says it acts on, through a role's identity policies and
 * its boundary. Production is read-only to agents, so every action that is not a read (access level
 * Write, Permissions management or Tagging, and the reads that change state) counts: the sweep
 * lists those still allowed, and the changes no tag can protect with the statement that covers
 * each (or that nothing does).
 *
 * Requests are built as IAM would see them: resource tags only where the action's resource type
 * supports `aws:ResourceTag`, request keys only where the action supports them, and keys the caller
 * chooses (request tags, the stack role, the source IP...) left open: a Deny that depends on them
 * does not count, an Allow that depends on them does. Pure: no SDK, no CDK, no clock.
 */
import { ActionEvaluator, CompiledPolicy, Decision } from '../policy-evaluator';
import { isPureRead } from '../../permissions-boundary/action-patterns';
import { PRODUCTION_REQUEST_KEYS, ProductionRequestName } from '../../permissions-boundary/action-lists';
import { CatalogAction, IamCatalog } from './iam-catalog';
import { ProductionInventory, ProductionResource, ProductionTagSpec } from './production';
import { fixedTags, resourceClasses } from './resource-classes';

/** The policies of one principal, compiled. */
export interface SweptPolicies {
  readonly identity: readonly CompiledPolicy[];
  readonly boundary?: CompiledPolicy;
  /** Principal context keys with known values (lower-case keys). */
  readonly principalContext: Readonly<Record<string, string>>;
}

/**
 * How a change was tried: on the resource as tagged; on a production stack named by a guardrail
 * policy, without its tags (so only the protection by name applies); changing or removing the
 * production tag; putting the production tag on a lookalike that is not production (creating
 * or tagging production anew: recreating it outside the two-person rule); or on the caller's own
 * resource, naming a production VPC, subnet or cluster in a condition key (placing something in
 * production, where IAM checks no production tag).
 */
export type Scenario = 'as tagged' | 'untagged, by name' | 'production tag changed' | 'production tag added' | 'named in request';

/** A change still allowed on a production resource. */
export interface AllowedChange {
  readonly action: string;
  readonly resource: ProductionResource;
  readonly scenario: Scenario;
  readonly decision: Decision;
}

/** A change no tag can protect on a production resource type, and how it is covered. */
export interface TagBlindAction {
  readonly action: string;
  /** `service:type`. */
  readonly resourceType: string;
  readonly decision: Decision;
}

/** What one sweep found and how much it tried. */
export interface SweepResult {
  /** Catalog actions tried (those acting on a production resource type). */
  readonly actions: number;
  readonly evaluations: number;
  readonly allowed: readonly AllowedChange[];
  readonly tagBlind: readonly TagBlindAction[];
}

/** Change-set proposals: they change nothing until a human executes them. */
const PROPOSALS = new Set(['cloudformation:CreateChangeSet', 'cloudformation:DeleteChangeSet']);

/**
 * Whether `action` changes a production resource of `iamType`: anything but a read that changes
 * nothing (`isPureRead`), except proposing or withdrawing a change set on a stack. Tagging counts,
 * and is also tried on its own as a change of the production tag. Actions that name no resource
 * type act on the account, not on a production resource, and are not tried.
 */
export function isProductionChange(action: CatalogAction, iamType: string): boolean {
  if (isPureRead(action)) return false;
  return !(action.service === 'cloudformation' && iamType === 'stack' && PROPOSALS.has(`${action.service}:${action.name}`));
}

/** Whether `action` adds or removes tags (the catalog's access level reads `Tagging, Write`). */
const isTagging = (action: CatalogAction) => action.accessLevel.includes('Tagging');

/** Lower-case condition keys an action supports on a resource type (`${...}` marks a family). */
function supportedKeys(catalog: IamCatalog, action: CatalogAction, typeName: string | undefined): (key: string) => boolean {
  const onType = typeName ? action.resourceTypes.find((t) => t.name.toLowerCase() === typeName.toLowerCase()) : undefined;
  const keys = [...action.conditionKeys, ...(onType?.conditionKeys ?? []), ...(typeName ? (catalog.resourceType(action.service, typeName)?.conditionKeys ?? []) : [])].map((k) => k.toLowerCase());
  const exact = new Set(keys.filter((k) => !k.includes('${')));
  const families = keys.filter((k) => k.includes('${')).map((k) => k.slice(0, k.indexOf('${')));
  return (key) => exact.has(key) || families.some((f) => key.startsWith(f));
}

const PRINCIPAL_KEYS = /^aws:(principal|sourceidentity$|userid$|username$)/;
const RESOURCE_TAG = /^[a-z0-9-]+:resourcetag\/(.+)$/;

/**
 * Whether the caller chooses `key` in a request: principal facts are not the caller's, and neither
 * are the resource's production tag, the guardrails' own tags and AWS's tags, which the sweep tries
 * to change on their own. Any other resource tag could be added or removed first, so it is the
 * caller's; so are request keys, but only those the action supports (the others are absent).
 */
function callerChosen(key: string, context: Readonly<Record<string, unknown>>, supports: (key: string) => boolean, productionKey: string): boolean {
  if (key in context) return false;
  if (PRINCIPAL_KEYS.test(key)) return true;
  const tag = RESOURCE_TAG.exec(key)?.[1];
  if (tag !== undefined) return !(tag === productionKey || tag.startsWith('agent-guardrails:') || tag.startsWith('aws:')) && supports(key);
  if (key === 'aws:resourceaccount') return false;
  if (key.startsWith('aws:requesttag/') || key === 'aws:tagkeys') return supports(key);
  if (key.startsWith('aws:')) return true;
  return supports(key);
}

/** One request the sweep decided, for callers that want to see every evaluation (benchmarks, live verification). */
export interface SweptRequest {
  readonly action: string;
  readonly resource: ProductionResource;
  /** The ARN the request named: the resource's, or a lookalike's for `production tag added`. */
  readonly arn: string;
  readonly scenario: Scenario;
  /** Whether the request changes production (see `isProductionChange`). */
  readonly change: boolean;
  readonly context: Readonly<Record<string, string | string[]>>;
  readonly decision: Decision;
}

/** The scenarios in the order they are tried on each target. */
const SCENARIOS: readonly Scenario[] = ['as tagged', 'untagged, by name', 'production tag changed', 'production tag added'];

/** Sweeps one principal over the production inventory; `observe` sees every request decided. */
export function sweep(policies: SweptPolicies, inventory: ProductionInventory, catalog: IamCatalog, tag: ProductionTagSpec, observe?: (request: SweptRequest) => void): SweepResult {
  const byType = new Map<string, ProductionResource[]>();
  for (const r of inventory.resources) {
    const key = `${r.service}:${r.iamType.toLowerCase()}`;
    const list = byType.get(key);
    if (list) list.push(r);
    else byType.set(key, [r]);
  }
  const productionKey = tag.key.toLowerCase();
  const allowed: AllowedChange[] = [];
  const tagBlind = new Map<string, TagBlindAction>();
  let actions = 0;
  let evaluations = 0;
  const classes = resourceClasses(inventory.resources, [...policies.identity, ...(policies.boundary ? [policies.boundary] : [])], productionKey);
  const tagsOf = new Map<ProductionResource, Array<readonly [string, string]>>();
  const accountOf = new Map<ProductionResource, string>();

  // Only the services of production resources: an action acts on resource types of its own service.
  const services = [...new Set(inventory.resources.map((r) => r.service))].sort();
  for (const action of services.flatMap((service) => catalog.actionsOf(service))) {
    const lists = action.resourceTypes.map((t) => byType.get(`${action.service}:${t.name.toLowerCase()}`));
    if (!lists.some((l) => l !== undefined)) continue;
    actions++;
    const name = `${action.service}:${action.name}`;
    const evaluator = new ActionEvaluator(name, policies.identity, policies.boundary);
    const tagging = isTagging(action);
    const changes = new Map<string, boolean>();
    // Decisions of this action by resource class, type and scenario (see `resourceClasses`).
    const decided = new Map<number, Decision>();

    for (let t = 0; t < lists.length; t++) {
      const resources = lists[t];
      if (resources === undefined) continue;
      const type = action.resourceTypes[t].name;
      const supports = supportedKeys(catalog, action, type);
      const resourceTags = supports('aws:resourcetag/x');
      const serviceTags = supports(`${action.service}:resourcetag/x`);
      const requestTags = supports('aws:requesttag/x');
      const tagKeys = supports('aws:tagkeys');
      const resourceType = `${action.service}:${type}`;
      const tagBlindKey = `${name} ${resourceType}`;

      for (const resource of resources) {
        const tagged = resourceTags && resource.tagsEvaluated !== false;
        let change = changes.get(resource.iamType);
        if (change === undefined) changes.set(resource.iamType, (change = isProductionChange(action, resource.iamType)));
        const tried = [true, change && resource.namedByGuardrail === true, tagging && tagged, requestTags];
        for (let s = 0; s < SCENARIOS.length; s++) {
          if (!tried[s]) continue;
          const scenario = SCENARIOS[s];
          evaluations++;
          const lookalike = scenario === 'production tag added';
          const memo = (classes.get(resource)! * lists.length + t) * SCENARIOS.length + s;
          let decision = decided.get(memo);
          let context: Record<string, string | string[]> | undefined;
          if (decision === undefined || observe) {
            let account = accountOf.get(resource);
            if (account === undefined) accountOf.set(resource, (account = resource.arn.split(':')[4]));
            context = { ...policies.principalContext, 'aws:resourceaccount': account };
            if (tagged && scenario !== 'untagged, by name' && !lookalike) {
              let tags = tagsOf.get(resource);
              if (!tags) tagsOf.set(resource, (tags = fixedTags(resource, productionKey)));
              for (const [k, v] of tags) {
                context[`aws:resourcetag/${k}`] = v;
                if (serviceTags) context[`${action.service}:resourcetag/${k}`] = v;
              }
            }
            for (const [k, v] of Object.entries(resource.requestContext ?? {})) {
              if (supports(k)) context[k] = v;
            }
            if (scenario === 'production tag changed' && tagKeys) {
              // The request names the production tag key; the new value, if any, is the caller's.
              context['aws:tagkeys'] = [tag.key];
            }
            if (lookalike) {
              context[`aws:requesttag/${productionKey}`] = tag.values[0];
              if (tagKeys) context['aws:tagkeys'] = [tag.key];
            }
          }
          const arn = lookalike ? `${resource.arn}-lookalike` : resource.arn;
          if (decision === undefined) {
            const known = context!;
            decision = evaluator.decide({ resource: arn, context: known, callerChosen: (k) => callerChosen(k, known, supports, productionKey) });
            decided.set(memo, decision);
          }
          observe?.({ action: name, resource, arn, scenario, change, context: context!, decision });
          if (change && !tagged) {
            if (!tagBlind.has(tagBlindKey) || decision.result === 'Allowed') tagBlind.set(tagBlindKey, { action: name, resourceType, decision });
          }
          if (decision.result === 'Allowed' && (change || scenario === 'production tag changed' || lookalike)) {
            allowed.push({ action: name, resource, scenario, decision });
          }
        }
      }
    }
  }
  const placed = placementProbes(policies, inventory, catalog, productionKey, observe);
  return { actions, evaluations: evaluations + placed.evaluations, allowed: [...allowed, ...placed.allowed], tagBlind: [...tagBlind.values()] };
}

/** What each production resource type can be named as in a request, and the value named. */
const PLACEMENT_TARGETS: Readonly<Record<string, { readonly names: ProductionRequestName; readonly value: (arn: string) => string }>> = {
  'AWS::EC2::VPC': { names: 'vpcIds', value: (arn) => arn.slice(arn.lastIndexOf('/') + 1) },
  'AWS::EC2::Subnet': { names: 'subnetIds', value: (arn) => arn.slice(arn.lastIndexOf('/') + 1) },
  'AWS::ECS::Cluster': { names: 'clusterArns', value: (arn) => arn },
};

/**
 * Every non-read action that supports a key of `PRODUCTION_REQUEST_KEYS`, tried on the caller's own
 * resource with the key naming a production VPC, subnet or cluster.
 */
function placementProbes(policies: SweptPolicies, inventory: ProductionInventory, catalog: IamCatalog, productionKey: string, observe?: (request: SweptRequest) => void) {
  const allowed: AllowedChange[] = [];
  let evaluations = 0;
  for (const { key, names } of PRODUCTION_REQUEST_KEYS) {
    const targets = inventory.resources.flatMap((resource) => {
      const target = PLACEMENT_TARGETS[resource.cfnType];
      return target?.names === names ? [{ resource, value: target.value(resource.arn) }] : [];
    });
    if (targets.length === 0) continue;
    const service = key.split(':')[0];
    for (const action of catalog.actionsOf(service)) {
      const type = action.resourceTypes.find((t) => t.conditionKeys.some((k) => k.toLowerCase() === key.toLowerCase()))?.name ?? action.resourceTypes[0]?.name;
      const supports = supportedKeys(catalog, action, type);
      if (isPureRead(action) || !supports(key.toLowerCase())) continue;
      const name = `${action.service}:${action.name}`;
      const evaluator = new ActionEvaluator(name, policies.identity, policies.boundary);
      for (const { resource, value } of targets) {
        const context = { ...policies.principalContext, [key.toLowerCase()]: [value] };
        // The caller's own resource: nothing about it is production.
        const arn = `arn:aws:${service}:${resource.arn.split(':')[3]}:${resource.arn.split(':')[4]}:callers-own`;
        const decision = evaluator.decide({ resource: arn, context, callerChosen: (k) => callerChosen(k, context, supports, productionKey) });
        evaluations++;
        observe?.({ action: name, resource, arn, scenario: 'named in request', change: true, context, decision });
        if (decision.result === 'Allowed') allowed.push({ action: name, resource, scenario: 'named in request', decision });
      }
    }
  }
  return { allowed, evaluations };
}
