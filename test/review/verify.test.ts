/**
 * verifyRole against a fake IAM at the SDK boundary. The fake policy simulator decides each request
 * it receives with the project's evaluator on the synthesized policies of the role (in the deployed
 * account), from the ContextEntries and ResourceArns it is sent, so agreement is the normal case
 * and a request sent without its resource tags, or to the wrong ARN, is decided differently.
 * Failing cases change what the fake deployment is: no boundary, another boundary, a destructive
 * action allowed, a role that is not there, credentials that may not call IAM.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  GetRoleCommand,
  IAMClient,
  IAMServiceException,
  InvalidInputException,
  NoSuchEntityException,
  SimulatePrincipalPolicyCommand,
  SimulatePrincipalPolicyCommandInput,
} from '@aws-sdk/client-iam';
import { App, Fn, Stack } from 'aws-cdk-lib';
import * as cdkIam from 'aws-cdk-lib/aws-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { buildApp } from '../../examples/coding-agent';
import { AssemblyModel, loadAssembly } from '../../lib/review/assembly';
import { ActionEvaluator } from '../../lib/review/policy-evaluator';
import { findRole, ReviewInputError } from '../../lib/review/simulate';
import { sweepAssembly } from '../../lib/review/sweep/assembly-sweep';
import { loadIamCatalog } from '../../lib/review/sweep/iam-catalog';
import { SweptRole } from '../../lib/review/sweep/principals';
import { sweep, SweptRequest } from '../../lib/review/sweep/sweep';
import { formatVerifyResult, LiveDecision, verifyRole, VerifyResult } from '../../lib/review/verify';

const SYNTH_ACCOUNT = '123456789012';
const ACCOUNT = '111122223333';
const AGENT_ARN = `arn:aws:iam::${ACCOUNT}:role/agent-guardrails/agent/coding-agent`;
const BOUNDARY_ARN = `arn:aws:iam::${ACCOUNT}:policy/agent-guardrails/AgentPermissionsBoundary`;
const PROD_TABLE = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders-prod-Orders1DDF4F53`;
const PROD_STACK = `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/orders-prod/00000000-0000-0000-0000-000000000000`;

const iamMock = mockClient(IAMClient);
let outdir: string;
let assembly: AssemblyModel;
let agent: SweptRole;

beforeAll(() => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-'));
  const app = new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true } });
  buildApp(app);
  app.synth();
  assembly = loadAssembly(outdir);
  agent = findRole(assembly, 'AgentGuardrails/CodingAgent');
});
afterAll(() => {
  iamMock.restore();
  fs.rmSync(outdir, { recursive: true, force: true });
});
beforeEach(() => iamMock.reset());

const EVAL_TO_LIVE: Record<string, LiveDecision> = { Allowed: 'allowed', ExplicitlyDenied: 'explicitDeny', ImplicitlyDenied: 'implicitDeny' };

/** How the fake account is deployed. */
interface Deployment {
  /** The synthesized role whose policies the deployed role has. @default the coding agent */
  readonly role?: SweptRole;
  readonly roleArn?: string;
  /** The attached boundary's ARN; null for none. */
  readonly boundaryArn?: string | null;
  /** Answers that differ from the synthesized policies. */
  readonly override?: (action: string, resource: string) => LiveDecision | undefined;
  /** Actions an SCP denies. */
  readonly scpDenies?: (action: string) => boolean;
  /** Results per page (IsTruncated/Marker beyond). @default all */
  readonly pageSize?: number;
  /** Answer as IAM did before ResourceSpecificResults: one result per resource, EvalResourceName its ARN. */
  readonly legacyShape?: boolean;
  /** Actions the simulator refuses with InvalidInput. */
  readonly refuses?: (action: string) => boolean;
}

/** Installs a fake IAM: GetRole for the deployed role, SimulatePrincipalPolicy deciding with its synthesized policies. */
function deploy(deployment: Deployment = {}) {
  const role = deployment.role ?? agent;
  const roleArn = deployment.roleArn ?? AGENT_ARN;
  const [, roleNameWithPath] = roleArn.split(':role');
  const roleName = roleNameWithPath.slice(roleNameWithPath.lastIndexOf('/') + 1);
  const boundaryArn = deployment.boundaryArn === undefined ? BOUNDARY_ARN : deployment.boundaryArn;
  // The deployed policies are the synthesized ones with the real account: map requests back to the synthesized account.
  const back = (v: string) => v.split(ACCOUNT).join(SYNTH_ACCOUNT);

  iamMock.on(GetRoleCommand).callsFake((input) => {
    if (input.RoleName !== roleName) throw new NoSuchEntityException({ message: `The role with name ${input.RoleName} cannot be found.`, $metadata: {} });
    return {
      Role: {
        Arn: roleArn,
        RoleName: roleName,
        Path: roleNameWithPath.slice(0, roleNameWithPath.lastIndexOf('/') + 1),
        RoleId: 'AROAEXAMPLEEXAMPLE01',
        CreateDate: new Date('2026-01-01T00:00:00Z'),
        PermissionsBoundary: boundaryArn ? { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: boundaryArn } : undefined,
      },
    };
  });
  iamMock.on(SimulatePrincipalPolicyCommand).callsFake((input: SimulatePrincipalPolicyCommandInput) => {
    if (input.PolicySourceArn !== roleArn) throw new NoSuchEntityException({ message: `no role ${input.PolicySourceArn}`, $metadata: {} });
    if (input.PermissionsBoundaryPolicyInputList !== undefined) throw new Error('verify must simulate the attached boundary, not pass one');
    if (input.ResourceArns?.length !== 1) throw new Error('one resource per call expected');
    if (deployment.refuses && input.ActionNames!.some(deployment.refuses)) {
      throw new InvalidInputException({ message: `Actions not supported: ${input.ActionNames!.filter(deployment.refuses).join(', ')}`, $metadata: {} });
    }
    const resource = input.ResourceArns[0];
    const context = Object.fromEntries(
      (input.ContextEntries ?? []).map((e) => [e.ContextKeyName!, e.ContextKeyType!.endsWith('List') ? e.ContextKeyValues!.map(back) : back(e.ContextKeyValues![0])]),
    );
    const results = input.ActionNames!.map((action) => {
      const decision = new ActionEvaluator(action, role.identity, boundaryArn ? role.boundary : undefined).decide({ resource: back(resource), context });
      const scp = deployment.scpDenies?.(action) ?? false;
      const live = scp ? 'implicitDeny' : (deployment.override?.(action, resource) ?? EVAL_TO_LIVE[decision.result]);
      const matched = decision.decidedBy.map((s) => ({ SourcePolicyId: `${s.policy}/${s.statement}`, SourcePolicyType: 'role' as const }));
      const organizations = deployment.scpDenies ? { OrganizationsDecisionDetail: { AllowedByOrganizations: !scp } } : {};
      return deployment.legacyShape
        ? { EvalActionName: action, EvalResourceName: resource, EvalDecision: live, MatchedStatements: matched, ...organizations }
        : {
            EvalActionName: action,
            EvalResourceName: 'arn:${Partition}:service:${Region}:${Account}:type/${Name}',
            EvalDecision: live,
            ...organizations,
            ResourceSpecificResults: [{ EvalResourceName: resource, EvalResourceDecision: live, MatchedStatements: matched, MissingContextValues: [] }],
          };
    });
    const start = Number(input.Marker ?? '0');
    const size = deployment.pageSize ?? results.length;
    const more = start + size < results.length;
    return { EvaluationResults: results.slice(start, start + size), IsTruncated: more, Marker: more ? String(start + size) : undefined };
  });
}

const simulateCalls = () => iamMock.commandCalls(SimulatePrincipalPolicyCommand).map((c) => c.args[0].input);

/** The requests the offline sweep decides for `role`, for checking what was sent. */
function sweptRequests(role: SweptRole): SweptRequest[] {
  const { inventory, productionTag } = sweepAssembly(assembly);
  const requests: SweptRequest[] = [];
  sweep(role, inventory, loadIamCatalog(), productionTag, (r) => requests.push(r));
  return requests;
}

/** The assembly with the boundary's ManagedPolicyName removed, so that CloudFormation would generate it. */
function withoutBoundaryName(): AssemblyModel {
  return {
    stacks: assembly.stacks.map((s) => ({
      ...s,
      resources: s.resources.map((r) => {
        if (r.type !== 'AWS::IAM::ManagedPolicy' || r.properties.ManagedPolicyName === undefined) return r;
        const { ManagedPolicyName: _generated, ...properties } = r.properties;
        return { ...r, properties };
      }),
    })),
  };
}

const sent = (action: string, resource: string) => simulateCalls().find((c) => c.ActionNames!.includes(action) && c.ResourceArns![0] === resource);

describe('verifyRole against a deployment of the synthesized role', () => {
  let result: VerifyResult;
  let progress: [number, number][];
  beforeEach(async () => {
    deploy();
    progress = [];
    result = await verifyRole({ iam: new IAMClient({ region: 'us-east-1' }), roleArn: AGENT_ARN, assembly, onProgress: (done, total) => progress.push([done, total]) });
  });

  test('agrees with IAM and finds the boundary', () => {
    expect(result).toMatchObject({
      roleArn: AGENT_ARN,
      constructPath: 'AgentGuardrails/CodingAgent/Resource',
      boundary: { attached: true, arn: BOUNDARY_ARN, matches: true },
      checked: 200,
      disagreements: [],
      changesAllowedLive: [],
      rejected: [],
      ok: true,
    });
    expect(result.agreements + result.notComparable).toBe(200);
    expect(result.agreements).toBeGreaterThan(150);
    // CreateChangeSet, tagging-capable creates... depend on request tags the caller chooses.
    expect(result.notComparableReasons).toEqual({ 'the offline decision depends on keys the caller chooses (request tags, the stack role...)': result.notComparable });
    expect(progress[progress.length - 1]).toEqual([200, 200]);
  });

  test('simulates every change of production the sweep tried, as the deployed role, in the deployed account', () => {
    const changes = sweptRequests(agent).filter((r) => r.change);
    expect(changes.length).toBeGreaterThan(100);
    expect(result.swept.changes).toBeGreaterThanOrEqual(changes.length);
    for (const r of changes) {
      expect(sent(r.action, r.arn.replace(SYNTH_ACCOUNT, ACCOUNT))).toBeDefined();
    }
    const calls = simulateCalls();
    expect(calls.every((c) => c.PolicySourceArn === AGENT_ARN)).toBe(true);
    expect(calls.some((c) => c.ResourceArns!.some((a) => a.includes(SYNTH_ACCOUNT)))).toBe(false);
    // Batched: several actions per call, never the same action twice in one call.
    expect(calls.length).toBeLessThan(60);
    expect(calls.every((c) => new Set(c.ActionNames).size === c.ActionNames!.length)).toBe(true);
  });

  test('sends the resource tags, the resource account and the principal as context entries', () => {
    const call = sent('dynamodb:DeleteTable', PROD_TABLE)!;
    expect(call).toBeDefined();
    expect(call.ContextEntries).toEqual(
      expect.arrayContaining([
        { ContextKeyName: 'aws:ResourceTag/Environment', ContextKeyValues: ['production'], ContextKeyType: 'string' },
        { ContextKeyName: 'aws:ResourceTag/aws:cloudformation:logical-id', ContextKeyValues: ['Orders1DDF4F53'], ContextKeyType: 'string' },
        { ContextKeyName: 'aws:ResourceAccount', ContextKeyValues: [ACCOUNT], ContextKeyType: 'string' },
        { ContextKeyName: 'aws:PrincipalArn', ContextKeyValues: [AGENT_ARN], ContextKeyType: 'string' },
        { ContextKeyName: 'aws:PrincipalTag/agent-guardrails:agent', ContextKeyValues: ['coding-agent'], ContextKeyType: 'string' },
        { ContextKeyName: 'aws:PrincipalIsAWSService', ContextKeyValues: ['false'], ContextKeyType: 'boolean' },
      ]),
    );
    // A lookalike tagged production by the request: no resource tag, the production request tag.
    const lookalike = simulateCalls().find((c) => c.ResourceArns![0] === `${PROD_STACK}-lookalike`);
    expect(lookalike?.ActionNames).toContain('cloudformation:CreateStack');
    expect(lookalike?.ContextEntries).toEqual(expect.arrayContaining([{ ContextKeyName: 'aws:RequestTag/Environment', ContextKeyValues: ['production'], ContextKeyType: 'string' }]));
    expect(lookalike?.ContextEntries!.some((e) => e.ContextKeyName!.startsWith('aws:ResourceTag/Environment'))).toBe(false);
  });

  test('sends the production tag change with aws:TagKeys as a string list', () => {
    const call = simulateCalls().find((c) => c.ContextEntries!.some((e) => e.ContextKeyName === 'aws:TagKeys'))!;
    expect(call.ContextEntries).toEqual(
      expect.arrayContaining([
        { ContextKeyName: 'aws:TagKeys', ContextKeyValues: ['Environment'], ContextKeyType: 'stringList' },
      ]),
    );
  });

  test('prints a short OK report', () => {
    const text = formatVerifyResult(result);
    expect(text).toContain(`verify ${AGENT_ARN} against AgentGuardrails/CodingAgent`);
    expect(text).toContain(`boundary: ok - attached: ${BOUNDARY_ARN}`);
    expect(text).toMatch(/200 requests checked \(\d+ of \d+ changes of production or of its tag, \d+ of \d+ others\): \d+ agree, 0 disagree/);
    expect(text).toMatch(/result: OK/);
    expect(text.split('\n').length).toBeLessThan(12);
  });
});

describe('verifyRole fails', () => {
  const iam = () => new IAMClient({ region: 'us-east-1' });

  test('fails when the deployed role has no permissions boundary', async () => {
    deploy({ boundaryArn: null });
    const result = await verifyRole({ iam: iam(), roleArn: AGENT_ARN, assembly });
    expect(result.boundary).toMatchObject({ attached: false, matches: false, expected: '/agent-guardrails/AgentPermissionsBoundary' });
    expect(result.boundary.message).toMatch(/no permissions boundary/);
    expect(result.ok).toBe(false);
    // Without its boundary, the role (ViewOnlyAccess taken to allow everything) may delete the production table.
    expect(result.changesAllowedLive).toContainEqual({ action: 'dynamodb:DeleteTable', resource: PROD_TABLE, scenario: 'as tagged' });
    expect(formatVerifyResult(result)).toMatch(/boundary: FAILED .*\n[\s\S]*result: NOT OK \(no permissions boundary/);
  });

  test('fails when the deployed boundary is another policy', async () => {
    const other = `arn:aws:iam::${ACCOUNT}:policy/agent-guardrails/SomeOtherBoundary`;
    deploy({ boundaryArn: other });
    const result = await verifyRole({ iam: iam(), roleArn: AGENT_ARN, assembly });
    expect(result.boundary).toMatchObject({ attached: true, arn: other, matches: false });
    expect(result.boundary.message).toContain('/agent-guardrails/AgentPermissionsBoundary');
    expect(result.ok).toBe(false);
  });

  test('accepts a boundary whose name CloudFormation generated, by its path', async () => {
    const generated = withoutBoundaryName();
    deploy({ boundaryArn: `arn:aws:iam::${ACCOUNT}:policy/agent-guardrails/agent-guardrails-AgentBoundary560CA9BF-Q1W2E3R4T5Y6` });
    const result = await verifyRole({ iam: iam(), roleArn: AGENT_ARN, assembly: generated, maxRequests: 20 });
    expect(result.boundary).toMatchObject({ attached: true, matches: true, expected: '/agent-guardrails/*' });
  });

  test('fails when a boundary whose name CloudFormation generated is under another path', async () => {
    deploy({ boundaryArn: `arn:aws:iam::${ACCOUNT}:policy/agent-guardrails-AgentBoundary560CA9BF-Q1W2E3R4T5Y6` });
    const result = await verifyRole({ iam: iam(), roleArn: AGENT_ARN, assembly: withoutBoundaryName(), maxRequests: 20 });
    expect(result.boundary).toMatchObject({ attached: true, matches: false });
    expect(result.ok).toBe(false);
  });

  test('fails when the deployed boundary has the name under another path', async () => {
    deploy({ boundaryArn: `arn:aws:iam::${ACCOUNT}:policy/AgentPermissionsBoundary` });
    const result = await verifyRole({ iam: iam(), roleArn: AGENT_ARN, assembly });
    expect(result.boundary.matches).toBe(false);
    expect(result.ok).toBe(false);
  });

  test('fails when IAM allows a change the offline sweep denies', async () => {
    deploy({ override: (action, resource) => (action === 'dynamodb:DeleteTable' && resource === PROD_TABLE ? 'allowed' : undefined) });
    const result = await verifyRole({ iam: iam(), roleArn: AGENT_ARN, assembly });
    expect(result.disagreements).toEqual([
      expect.objectContaining({ action: 'dynamodb:DeleteTable', resource: PROD_TABLE, offline: 'ExplicitlyDenied', live: 'allowed', change: true, offlineStatements: ['permissions boundary/ProdReadOnly'] }),
    ]);
    expect(result.changesAllowedLive).toEqual([{ action: 'dynamodb:DeleteTable', resource: PROD_TABLE, scenario: 'as tagged' }]);
    expect(result.ok).toBe(false);
    const text = formatVerifyResult(result);
    expect(text).toContain(`DISAGREE: dynamodb:DeleteTable on ${PROD_TABLE} (as tagged): offline ExplicitlyDenied, IAM allowed`);
    expect(text).toContain(`ALLOWED ON PRODUCTION: dynamodb:DeleteTable on ${PROD_TABLE} (as tagged)`);
    expect(text).toContain('result: NOT OK (1 disagreement, 1 change of production allowed)');
  });

  test('fails when IAM denies what a readable statement of the role allows', async () => {
    // cloudformation:Describe* is in the role's own DefaultPolicy: a live denial is drift, not an offline assumption.
    deploy({ override: (action) => (action === 'cloudformation:DescribeStacks' ? 'implicitDeny' : undefined) });
    const result = await verifyRole({ iam: iam(), roleArn: AGENT_ARN, assembly, maxRequests: 1000 });
    expect(result.disagreements.map((d) => [d.action, d.offline, d.live])).toEqual([['cloudformation:DescribeStacks', 'Allowed', 'implicitDeny']]);
    expect(result.ok).toBe(false);
  });

  test('counts a live denial of what offline only an unreadable managed policy allowed as not comparable', async () => {
    // Reading an item of the production table is allowed offline only because ViewOnlyAccess is taken to allow everything.
    deploy({ override: (action) => (action === 'dynamodb:GetItem' ? 'implicitDeny' : undefined) });
    const result = await verifyRole({ iam: iam(), roleArn: AGENT_ARN, assembly, maxRequests: 1000 });
    expect(result.disagreements).toEqual([]);
    expect(result.notComparableReasons).toMatchObject({
      'offline, arn:aws:iam::aws:policy/job-function/ViewOnlyAccess could not be read and was taken to allow it': 1,
    });
    expect(result.ok).toBe(true);
  });

  test('counts a live denial by a Deny the offline review could not read as not comparable, not as a disagreement', async () => {
    // The deployed role carries a Deny on an imported ARN: offline it is left out (an assumption,
    // recorded as data), so the offline sweep allows what IAM denies.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-deny-'));
    const app = new App({ outdir: dir, context: { 'aws:cdk:enable-path-metadata': true } });
    buildApp(app);
    const stack = app.node.findChild('AgentGuardrails') as Stack;
    const role = app.node.findChild('AgentGuardrails').node.findChild('CodingAgent') as cdkIam.Role;
    role.addToPrincipalPolicy(new cdkIam.PolicyStatement({ effect: cdkIam.Effect.DENY, actions: ['dynamodb:GetItem'], resources: [Fn.importValue('orders-table-arn')] }));
    expect(stack).toBeDefined();
    app.synth();
    const withDeny = loadAssembly(dir);
    const agentWithDeny = findRole(withDeny, 'AgentGuardrails/CodingAgent');
    expect(agentWithDeny.assumptions).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'deny-dropped' })]));
    deploy({ role: agentWithDeny, override: (action) => (action === 'dynamodb:GetItem' ? 'explicitDeny' : undefined) });
    const result = await verifyRole({ iam: iam(), roleArn: AGENT_ARN, assembly: withDeny, maxRequests: 1000 });
    expect(result.disagreements).toEqual([]);
    expect(result.notComparableReasons['offline, a Deny that cannot be resolved was left out']).toBe(1);
  });

  test('counts a denial by a service control policy as not comparable', async () => {
    deploy({ scpDenies: (action) => action === 'dynamodb:GetItem' });
    const result = await verifyRole({ iam: iam(), roleArn: AGENT_ARN, assembly, maxRequests: 1000 });
    expect(result.disagreements).toEqual([]);
    expect(result.notComparableReasons['a service control policy denies it, and the offline review does not read SCPs']).toBe(1);
  });

  test('fails when the role is not in the account', async () => {
    deploy({ roleArn: `arn:aws:iam::${ACCOUNT}:role/agent-guardrails/agent/someone-else` });
    const run = verifyRole({ iam: iam(), roleArn: AGENT_ARN, assembly });
    await expect(run).rejects.toThrow(ReviewInputError);
    await expect(run).rejects.toThrow(`role coding-agent not found in account ${ACCOUNT}`);
    await expect(run).rejects.toThrow(/check --role-arn and the credentials' account/);
    expect(simulateCalls()).toEqual([]);
  });

  test('fails when GetRole finds the name under another path', async () => {
    deploy({ roleArn: `arn:aws:iam::${ACCOUNT}:role/elsewhere/coding-agent` });
    await expect(verifyRole({ iam: iam(), roleArn: AGENT_ARN, assembly })).rejects.toThrow(/is arn:aws:iam::111122223333:role\/elsewhere\/coding-agent, not/);
  });

  test.each([
    ['coding-agent'],
    ['arn:aws:iam::12345:role/agent-guardrails/agent/coding-agent'],
    ['arn:aws:iam::111122223333:user/coding-agent'],
    ['arn:aws:sts::111122223333:assumed-role/coding-agent/session'],
    ['arn:aws:iam::111122223333:role/'],
  ])('fails on the malformed role ARN %s', async (roleArn) => {
    deploy();
    const run = verifyRole({ iam: iam(), roleArn, assembly });
    await expect(run).rejects.toThrow(ReviewInputError);
    await expect(run).rejects.toThrow(`--role-arn must be a role ARN, arn:<partition>:iam::<12-digit account>:role/<path/>name, got ${JSON.stringify(roleArn)}`);
    expect(iamMock.calls()).toEqual([]);
  });

  test('fails with the permissions it needs when GetRole is denied', async () => {
    iamMock.on(GetRoleCommand).rejects(
      new IAMServiceException({ name: 'AccessDenied', $fault: 'client', message: 'User: arn:aws:sts::111122223333:assumed-role/dev/x is not authorized to perform: iam:GetRole', $metadata: {} }),
    );
    const run = verifyRole({ iam: iam(), roleArn: AGENT_ARN, assembly });
    await expect(run).rejects.toThrow(ReviewInputError);
    await expect(run).rejects.toThrow(/access denied calling iam:GetRole .* verify needs iam:GetRole and iam:SimulatePrincipalPolicy on arn:aws:iam::111122223333:role\/agent-guardrails\/agent\/coding-agent/);
  });

  test('fails with the permissions it needs when SimulatePrincipalPolicy is denied', async () => {
    deploy();
    iamMock.on(SimulatePrincipalPolicyCommand).rejects(new IAMServiceException({ name: 'AccessDenied', $fault: 'client', message: 'not authorized to perform: iam:SimulatePrincipalPolicy', $metadata: {} }));
    await expect(verifyRole({ iam: iam(), roleArn: AGENT_ARN, assembly })).rejects.toThrow(/access denied calling iam:SimulatePrincipalPolicy .* verify needs iam:GetRole and iam:SimulatePrincipalPolicy/);
  });

  test('fails when the simulator refuses an action, and still checks the others', async () => {
    deploy({ refuses: (action) => action === 'dynamodb:DeleteTable' });
    const result = await verifyRole({ iam: iam(), roleArn: AGENT_ARN, assembly });
    expect(result.rejected).toEqual([{ action: 'dynamodb:DeleteTable', resource: PROD_TABLE, scenario: 'as tagged', message: 'Actions not supported: dynamodb:DeleteTable' }]);
    expect(result.agreements + result.notComparable).toBe(199);
    expect(result.ok).toBe(false);
    expect(formatVerifyResult(result)).toMatch(/REFUSED by the simulator: dynamodb:DeleteTable/);
  });

  test('fails when the assembly has no production resource to try', async () => {
    deploy();
    const withoutProduction = { stacks: assembly.stacks.filter((s) => s.stackName !== 'orders-prod') };
    const result = await verifyRole({ iam: iam(), roleArn: AGENT_ARN, assembly: withoutProduction });
    expect(result.checked).toBe(0);
    expect(result.ok).toBe(false);
    expect(result.warnings).toContain('the assembly has no production resource the sweep can try, so no request was simulated');
  });

  test('fails on a maxRequests below 1', async () => {
    deploy();
    await expect(verifyRole({ iam: iam(), roleArn: AGENT_ARN, assembly, maxRequests: 0 })).rejects.toThrow('maxRequests must be a whole number of at least 1, got 0');
  });
});

describe('verifyRole reads every answer', () => {
  const iam = () => new IAMClient({ region: 'us-east-1' });

  test('follows IsTruncated and Marker to the last page', async () => {
    deploy({ pageSize: 2 });
    const result = await verifyRole({ iam: iam(), roleArn: AGENT_ARN, assembly });
    expect(result).toMatchObject({ checked: 200, disagreements: [], ok: true });
    const calls = simulateCalls();
    const continued = calls.filter((c) => c.Marker !== undefined);
    expect(continued.length).toBeGreaterThan(0);
    // A continuation repeats the request with the marker.
    const first = continued.find((c) => c.Marker === '2')!;
    const original = calls.find((c) => c.Marker === undefined && c.ResourceArns![0] === first.ResourceArns![0] && JSON.stringify(c.ActionNames) === JSON.stringify(first.ActionNames) && JSON.stringify(c.ContextEntries) === JSON.stringify(first.ContextEntries));
    expect(original).toBeDefined();
  });

  test('fails loudly when an answer is missing', async () => {
    deploy();
    iamMock.on(SimulatePrincipalPolicyCommand).resolves({ EvaluationResults: [], IsTruncated: false });
    await expect(verifyRole({ iam: iam(), roleArn: AGENT_ARN, assembly })).rejects.toThrow(/returned no decision for/);
  });

  test('reads results in the shape without ResourceSpecificResults', async () => {
    deploy({ legacyShape: true, override: (action, resource) => (action === 'dynamodb:DeleteTable' && resource === PROD_TABLE ? 'allowed' : undefined) });
    const result = await verifyRole({ iam: iam(), roleArn: AGENT_ARN, assembly });
    expect(result.disagreements.map((d) => d.action)).toEqual(['dynamodb:DeleteTable']);
  });

  test('checks destructive requests first when maxRequests is small', async () => {
    deploy();
    const result = await verifyRole({ iam: iam(), roleArn: AGENT_ARN, assembly, maxRequests: 10 });
    expect(result.checked).toBe(10);
    const destructive = new Set(sweptRequests(agent).filter((r) => r.change || r.scenario === 'production tag changed').map((r) => r.action));
    const actions = simulateCalls().flatMap((c) => c.ActionNames!);
    expect(actions).toHaveLength(10);
    expect(actions.every((a) => destructive.has(a))).toBe(true);
  });
});

describe('verifyRole finds the synthesized role', () => {
  const iam = () => new IAMClient({ region: 'us-east-1' });

  test('matches a name CloudFormation generated from the stack name and logical id', async () => {
    const deployRole = findRole(assembly, 'AgentGuardrails/DevDeploy/Role');
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/agent-guardrails/service/agent-guardrails-DevDeployRole63C4-1A2B3C4D5E6F`;
    deploy({ role: deployRole, roleArn, boundaryArn: `arn:aws:iam::${ACCOUNT}:policy/agent-guardrails/AgentPermissionsBoundary-Workload` });
    const result = await verifyRole({ iam: iam(), roleArn, assembly, maxRequests: 20 });
    expect(result.constructPath).toBe('AgentGuardrails/DevDeploy/Role/Resource');
    expect(result.boundary.matches).toBe(true);
    expect(simulateCalls().every((c) => c.PolicySourceArn === roleArn)).toBe(true);
    expect(result.ok).toBe(true);
  });

  test('fails when no role of the assembly has that path and name', async () => {
    deploy();
    const run = verifyRole({ iam: iam(), roleArn: `arn:aws:iam::${ACCOUNT}:role/agent-guardrails/agent/other-agent`, assembly });
    await expect(run).rejects.toThrow(ReviewInputError);
    await expect(run).rejects.toThrow(/^no role of the assembly matches .*roles in this assembly: .*AgentGuardrails\/CodingAgent \(\/agent-guardrails\/agent\/coding-agent\).*name the role with --role <construct path>$/);
    expect(iamMock.calls()).toEqual([]);
  });

  test('fails when a generated name has another path', async () => {
    deploy();
    await expect(verifyRole({ iam: iam(), roleArn: `arn:aws:iam::${ACCOUNT}:role/agent-guardrails-DevDeployRole63C4-1A2B3C4D5E6F`, assembly })).rejects.toThrow(/^no role of the assembly matches/);
  });

  test('fails when several roles match, naming them', async () => {
    deploy();
    const guardrails = assembly.stacks.find((s) => s.stackName === 'agent-guardrails')!;
    const twice = { stacks: [...assembly.stacks, { ...guardrails, stackName: 'agent-guardrails-eu', resources: guardrails.resources.map((r) => ({ ...r, constructPath: r.constructPath.replace('AgentGuardrails', 'AgentGuardrailsEu') })) }] };
    const run = verifyRole({ iam: iam(), roleArn: AGENT_ARN, assembly: twice });
    await expect(run).rejects.toThrow(ReviewInputError);
    await expect(run).rejects.toThrow(/matches several roles of the assembly: AgentGuardrails\/CodingAgent .*, AgentGuardrailsEu\/CodingAgent .*; name one with --role <construct path>/);

    const chosen = await verifyRole({ iam: iam(), roleArn: AGENT_ARN, assembly: twice, role: 'AgentGuardrailsEu/CodingAgent' });
    expect(chosen.constructPath).toBe('AgentGuardrailsEu/CodingAgent/Resource');
  });

  test('takes the role named with role, whatever the deployed name', async () => {
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/agent-guardrails/agent/coding-agent-v2`;
    deploy({ roleArn });
    const result = await verifyRole({ iam: iam(), roleArn, assembly, role: 'AgentGuardrails/CodingAgent', maxRequests: 20 });
    expect(result.constructPath).toBe('AgentGuardrails/CodingAgent/Resource');
    expect(result.warnings.filter((w) => !w.startsWith('offline: '))).toEqual([]);
    expect(result.ok).toBe(true);
  });

  test('warns when the role named with role is deployed under another path', async () => {
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/coding-agent`;
    deploy({ roleArn });
    const result = await verifyRole({ iam: iam(), roleArn, assembly, role: 'AgentGuardrails/CodingAgent', maxRequests: 20 });
    expect(result.warnings).toContain("the deployed role's path is /, the synthesized role's /agent-guardrails/agent/: the boundary's path-based protections treat them differently");
  });

  test('fails when the role named with role is deployed to another account', async () => {
    deploy();
    const pinned = { stacks: assembly.stacks.map((s) => (s.stackName === 'agent-guardrails' ? { ...s, account: '999999999999' } : s)) };
    await expect(verifyRole({ iam: iam(), roleArn: AGENT_ARN, assembly: pinned, role: 'AgentGuardrails/CodingAgent' })).rejects.toThrow(
      /is in account 111122223333, but stack agent-guardrails deploys AgentGuardrails\/CodingAgent\/Resource to account 999999999999/,
    );
  });
});
