/**
 * The boundary's action lists, checked against the IAM action catalog. A Deny that names an action
 * that does not exist, or conditions on a key the action does not support, silently does nothing.
 */
import {
  PRODUCTION_BUCKET_ACTIONS,
  PRODUCTION_DESTRUCTIVE_ACTIONS,
  PRODUCTION_STACK_ALLOWED_ACTIONS,
  StatementJson,
  TAG_BLIND_PRODUCTION_ACTIONS,
} from '../../lib';
import { sampleBoundaryDocument } from '../support/boundary';
import { actionSupports, CatalogAction, expandActionPattern, matchesAction, resourceTypeSupports, serviceActions } from '../support/catalog';

const document = sampleBoundaryDocument();

const asArray = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const statement = (sid: string): StatementJson => document.Statement.find((s) => s.Sid === sid)!;

test('every action pattern in the boundary names at least one action in the catalog', async () => {
  const patterns = document.Statement.flatMap((s) => [...asArray(s.Action), ...asArray(s.NotAction)]).filter((p) => p !== '*');
  const empty: string[] = [];
  for (const pattern of new Set(patterns)) {
    if ((await expandActionPattern(pattern)).length === 0) {
      empty.push(pattern);
    }
  }
  expect(empty).toEqual([]);
});

test('on a production stack, only reads and change-set proposals stay allowed', async () => {
  const stackActions: CatalogAction[] = [];
  for (const a of await serviceActions('cloudformation')) {
    if (a.resourceTypes.some((r) => r.name === 'stack')) {
      stackActions.push(a);
    }
  }
  const allowed = (a: CatalogAction) => PRODUCTION_STACK_ALLOWED_ACTIONS.some((p) => matchesAction(p, a));
  const readsDenied = stackActions.filter((a) => /^(Read|List)$/.test(a.accessLevel) && !allowed(a)).map((a) => a.name);
  const writesAllowed = stackActions.filter((a) => !/^(Read|List)$/.test(a.accessLevel) && allowed(a)).map((a) => a.name);

  expect(stackActions.length).toBeGreaterThan(20);
  expect(readsDenied).toEqual([]);
  expect(writesAllowed.sort()).toEqual(['CreateChangeSet', 'DeleteChangeSet']);
});

test('every CloudFormation action on a stack supports aws:ResourceTag, so the tag statements apply', async () => {
  const blind: string[] = [];
  for (const a of await serviceActions('cloudformation')) {
    if (a.resourceTypes.some((r) => r.name === 'stack') && !(await resourceTypeSupports(a, 'stack', 'aws:ResourceTag/'))) {
      blind.push(a.name);
    }
  }
  expect(blind).toEqual([]);
});

test('the destructive actions a tag cannot protect are exactly TAG_BLIND_PRODUCTION_ACTIONS', async () => {
  const blind: string[] = [];
  for (const pattern of PRODUCTION_DESTRUCTIVE_ACTIONS) {
    for (const a of await expandActionPattern(pattern)) {
      if (a.resourceTypes.length === 0) {
        continue; // account-level actions: no resource, nothing for a tag to protect
      }
      const supported = await Promise.all(a.resourceTypes.map((r) => resourceTypeSupports(a, r.name, 'aws:ResourceTag/')));
      if (!supported.some(Boolean)) {
        blind.push(`${a.service}:${a.name}`);
      }
    }
  }
  expect(blind.sort()).toEqual(Object.keys(TAG_BLIND_PRODUCTION_ACTIONS).sort());
});

test('no read is denied on production: every action the production statements name writes', async () => {
  const reads: string[] = [];
  for (const pattern of [...PRODUCTION_DESTRUCTIVE_ACTIONS, ...PRODUCTION_BUCKET_ACTIONS]) {
    for (const a of await expandActionPattern(pattern)) {
      if (/^(Read|List)$/.test(a.accessLevel)) {
        reads.push(`${a.service}:${a.name}`);
      }
    }
  }
  expect(reads).toEqual([]);
});

test('every action that must name a bounded service role supports cloudformation:RoleArn', async () => {
  const unsupported: string[] = [];
  for (const pattern of asArray(statement('StackRoleBounded').Action)) {
    for (const a of await expandActionPattern(pattern)) {
      if (!(await actionSupports(a, 'cloudformation:RoleArn'))) {
        unsupported.push(a.name);
      }
    }
  }
  expect(unsupported).toEqual([]);
});

test('principal-permission actions either check iam:PermissionsBoundary or are denied outright on purpose', async () => {
  // ArnNotLike on a missing key is true, so an action without the key is always denied: intended
  // for groups, which cannot carry a boundary, and for account-wide IAM settings (no resource);
  // wrong for anything else.
  const withoutKey: string[] = [];
  const accountWide = new Set<string>();
  for (const pattern of asArray(statement('BoundedPrincipals').Action)) {
    for (const a of await expandActionPattern(pattern)) {
      if (!(await actionSupports(a, 'iam:PermissionsBoundary'))) {
        withoutKey.push(a.name);
      }
      if (a.resourceTypes.length === 0) {
        accountWide.add(a.name);
      }
    }
  }
  expect(withoutKey.length).toBeGreaterThan(0);
  expect(withoutKey.filter((name) => !/Group/.test(name) && !accountWide.has(name))).toEqual([]);
});

test('the recreate statement reaches exactly the create actions that carry aws:RequestTag', async () => {
  const tagged: string[] = [];
  for (const pattern of asArray(statement('ProdStackCreate').Action)) {
    for (const a of await expandActionPattern(pattern)) {
      if (await actionSupports(a, 'aws:RequestTag/')) {
        tagged.push(a.name);
      }
    }
  }
  expect(tagged.sort()).toEqual(['CreateChangeSet', 'CreateStack', 'CreateStackSet']);
});
