/**
 * The guardrail policies' action lists, checked against the IAM action catalog. A Deny that names an
 * action that does not exist, or conditions on a key the action does not support, silently does
 * nothing; a read pattern that also matches a write would open production.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { AgentPermissionsBoundary, CHANGE_SET_PROPOSALS, coverActions, IDENTITY_SERVICES, PRODUCTION_REQUEST_KEYS, readPatterns, SECURITY_SERVICES, STATE_CHANGING_READS, StatementJson, writePatterns, ProductionProtection } from '../../lib';
import { loadIamCatalog } from '../../lib/private/iam-catalog';
import { catalogActionsOf, guardrailActionLists } from '../../lib/permissions-boundary/catalog-actions';
import { sampleDocuments } from '../support/boundary';
import { actionSupports, expandActionPattern, matchesAction } from '../support/catalog';

const catalog = loadIamCatalog();
const documents = sampleDocuments();
const everyStatement = [...documents.agentBoundary.Statement, ...documents.agentDenies.Statement, ...documents.agentServiceDenies.Statement, ...documents.workloadBoundary.Statement];

const asArray = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const statement = (document: { Statement: StatementJson[] }, sid: string): StatementJson => document.Statement.find((s) => s.Sid === sid)!;
const isRead = (accessLevel: string) => accessLevel === 'Read' || accessLevel === 'List';

/** Services of a realistic production estate. */
const PRODUCTION_SERVICES = [
  'acm', 'apigateway', 'appconfig', 'application-autoscaling', 'cloudformation', 'cloudfront', 'cloudwatch', 'codebuild', 'dynamodb', 'ec2',
  'ecr', 'ecs', 'elasticache', 'elasticloadbalancing', 'events', 'iam', 'kinesis', 'kms', 'lambda', 'logs', 'rds', 'route53', 's3',
  'secretsmanager', 'sns', 'sqs', 'ssm', 'states',
];

describe.each(PRODUCTION_SERVICES)('the reads kept on production for %s', (service) => {
  const patterns = readPatterns(service, catalog.actions);
  const actions = catalog.actionsOf(service);
  const matched = (a: { service: string; name: string }) => patterns.some((p) => matchesAction(p, a));

  test('match every read of the service in the catalog', () => {
    const missed = actions.filter((a) => isRead(a.accessLevel) && !STATE_CHANGING_READS.includes(`${service}:${a.name}`) && !matched(a));
    expect(missed.map((a) => a.name)).toEqual([]);
  });

  test('match no write, permissions or tagging action, and no read that changes state', () => {
    const opened = actions.filter((a) => (!isRead(a.accessLevel) || STATE_CHANGING_READS.includes(`${service}:${a.name}`)) && matched(a));
    expect(opened.map((a) => `${a.name} (${a.accessLevel})`)).toEqual([]);
  });

  test('name the service with no wildcard in its prefix', () => {
    expect(patterns.every((p) => p.startsWith(`${service}:`) && !p.slice(0, p.indexOf(':')).includes('*'))).toBe(true);
  });
});

describe.each([...SECURITY_SERVICES, ...IDENTITY_SERVICES])('the writes denied in %s', (service) => {
  const patterns = writePatterns(service, catalog.actions);
  const matched = (a: { service: string; name: string }) => patterns.some((p) => matchesAction(p, a));

  test('match every write and no read', () => {
    const actions = catalog.actionsOf(service);
    expect(actions.length).toBeGreaterThan(5);
    expect(actions.filter((a) => !isRead(a.accessLevel) && !matched(a)).map((a) => a.name)).toEqual([]);
    expect(actions.filter((a) => isRead(a.accessLevel) && matched(a)).map((a) => a.name)).toEqual([]);
  });
});

describe('the catalog read one service at a time, as the guardrail documents read it', () => {
  test.each([...PRODUCTION_SERVICES, ...SECURITY_SERVICES, ...IDENTITY_SERVICES])('holds the same actions of %s as the whole catalog', (service) => {
    expect(catalogActionsOf(service)).toEqual(catalog.actionsOf(service));
  });

  test('gives the same action lists as the whole catalog', () => {
    expect(guardrailActionLists(PRODUCTION_SERVICES)).toEqual(guardrailActionLists(PRODUCTION_SERVICES, catalog));
  });

  test.each(['glue2', '../actions/s3', 'S3', ''])('fails to know %j: no actions, and no file read for it', (service) => {
    expect(catalogActionsOf(service)).toEqual([]);
  });
});

describe('word-prefix patterns', () => {
  const action = (name: string, accessLevel: string) => ({ service: 'x', name, accessLevel });

  test('cover a verb whole when every action with it is wanted', () => {
    expect(coverActions([action('GetA', 'Read'), action('GetB', 'Read'), action('PutA', 'Write')], (a) => isRead(a.accessLevel))).toEqual(['Get*']);
  });

  test('split a verb that also names writes, down to exact names', () => {
    const actions = [action('BatchGetItem', 'Read'), action('BatchWriteItem', 'Write'), action('Query', 'Read')];
    expect(coverActions(actions, (a) => isRead(a.accessLevel))).toEqual(['BatchGet*', 'Query']);
  });

  test('fail when a verb prefix would also match a longer word of a write', () => {
    // "List*" would match "ListenToStream", a write: IAM matches characters, not words.
    const actions = [action('ListThings', 'List'), action('ListenToStream', 'Write')];
    expect(coverActions(actions, (a) => isRead(a.accessLevel))).toEqual(['ListThings']);
  });
});

test('every action pattern in the guardrail policies names at least one action in the catalog', async () => {
  const patterns = everyStatement.flatMap((s) => [...asArray(s.Action), ...asArray(s.NotAction)]).filter((p) => p !== '*');
  const empty: string[] = [];
  for (const pattern of new Set(patterns)) {
    if ((await expandActionPattern(pattern)).length === 0) {
      empty.push(pattern);
    }
  }
  expect(empty).toEqual([]);
});

test('on a production stack, only reads and change-set proposals stay allowed', () => {
  const kept = asArray(statement(documents.agentBoundary, 'ProdReadOnly').NotAction);
  const stackActions = catalog.actionsOf('cloudformation').filter((a) => a.resourceTypes.some((r) => r.name === 'stack'));
  const allowed = (a: { service: string; name: string }) => kept.some((p) => matchesAction(p, a));
  expect(stackActions.length).toBeGreaterThan(20);
  expect(stackActions.filter((a) => isRead(a.accessLevel) && !allowed(a)).map((a) => a.name)).toEqual([]);
  expect(stackActions.filter((a) => !isRead(a.accessLevel) && allowed(a)).map((a) => a.name).sort()).toEqual(CHANGE_SET_PROPOSALS.map((a) => a.split(':')[1]));
});

test('the credential, tamper and CDK bootstrap lists name no read', async () => {
  const reads: string[] = [];
  const lists = ['NoEscapeOrTamper', 'CdkBootstrapProtected'].flatMap((sid) => asArray(statement(documents.agentDenies, sid).Action));
  for (const pattern of lists) {
    for (const a of await expandActionPattern(pattern)) {
      if (isRead(a.accessLevel)) reads.push(`${a.service}:${a.name}`);
    }
  }
  expect(reads).toEqual([]);
});

test('every action that must name a bounded service role supports cloudformation:RoleArn', async () => {
  const unsupported: string[] = [];
  for (const pattern of asArray(statement(documents.agentBoundary, 'StackRoleBounded').Action)) {
    for (const a of await expandActionPattern(pattern)) {
      if (!(await actionSupports(a, 'cloudformation:RoleArn'))) {
        unsupported.push(a.name);
      }
    }
  }
  expect(unsupported).toEqual([]);
});

test('record changes are denied through a key ChangeResourceRecordSets supports', async () => {
  const [action] = await expandActionPattern('route53:ChangeResourceRecordSets');
  expect(await actionSupports(action, 'route53:ChangeResourceRecordSetsNormalizedRecordNames')).toBe(true);
});

describe.each(PRODUCTION_REQUEST_KEYS.map((k) => [k.key, k]))('the placement key %s', (_key, { key }) => {
  const service = key.split(':')[0];
  const carrying = catalog.actionsOf(service).filter((a) => [...a.conditionKeys, ...a.resourceTypes.flatMap((t) => t.conditionKeys)].some((k) => k.toLowerCase() === key.toLowerCase()));

  test('is supported by the writes that place something, so the Deny on it does something', () => {
    expect(carrying.filter((a) => !isRead(a.accessLevel)).length).toBeGreaterThan(0);
  });

  test('leaves every read that carries it to agents: the agent statement denies all but the reads of its service', () => {
    const placement = placementStatements().find((st) => Object.keys(st.Condition?.['ForAnyValue:StringLike'] ?? {}).includes(key))!;
    const kept = asArray(placement.NotAction);
    const denied = carrying.filter((a) => isRead(a.accessLevel) && !STATE_CHANGING_READS.includes(`${service}:${a.name}`) && !kept.some((p) => matchesAction(p, a)));
    expect(kept.length).toBeGreaterThan(0);
    expect(denied.map((a) => a.name)).toEqual([]);
  });
});

/** The agent's placement statements for a production stack with a VPC and a cluster. */
function placementStatements(): StatementJson[] {
  const app = new App();
  const boundary = new AgentPermissionsBoundary(new Stack(app, 'Guardrails'), 'Boundary');
  const prod = new Stack(app, 'Prod');
  new ec2.Vpc(prod, 'Network', { maxAzs: 1, natGateways: 0 });
  new ecs.CfnCluster(prod, 'Cluster');
  new ProductionProtection(prod, 'ProductionProtection', { disableStackPolicy: true });
  return boundary.denyDocument().Statement.filter((st) => PRODUCTION_REQUEST_KEYS.some((k) => k.sid === st.Sid));
}

test('principal-permission actions either check iam:PermissionsBoundary or are denied outright on purpose', async () => {
  // ArnNotLike on a missing key is true, so an action without the key is always denied: intended
  // for groups, which cannot carry a boundary, and for account-wide IAM settings (no resource);
  // wrong for anything else.
  const withoutKey: string[] = [];
  const accountWide = new Set<string>();
  for (const pattern of asArray(statement(documents.agentBoundary, 'BoundedPrincipals').Action)) {
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

test('the stack-creation statement reaches exactly the change-set action, which carries aws:RequestTag', async () => {
  const [action] = await expandActionPattern(asArray(statement(documents.agentBoundary, 'ProdStackCreate').Action)[0]);
  expect(action.name).toBe('CreateChangeSet');
  expect(await actionSupports(action, 'aws:RequestTag/')).toBe(true);
});
