/*
 * The impact of a CloudFormation change set, as approvers need to see it: what is added, modified,
 * removed and replaced, which of it holds data, which is in production, which touches IAM, and a
 * risk level. Read from the output of `describe-change-set` (the API's or the CLI's JSON, the same
 * shape). The approval workflow stores it with a request, and `agent-guardrails impact` prints it.
 * Pure: no SDK, no clock.
 */
import { createHash } from 'crypto';
import { STATEFUL_RESOURCE_TYPES } from '../../production-protection/stateful-resource-types';

/** How risky a change is. */
export type ImpactRisk = 'low' | 'medium' | 'high';

/** Why a change carries its risk. */
export type ImpactReasonCode =
  | 'stateful-removed'
  | 'stateful-removed-retained'
  | 'stateful-replaced'
  | 'stateful-may-be-replaced'
  | 'removed'
  | 'replaced'
  | 'may-be-replaced'
  | 'iam-changed'
  | 'iam-added'
  | 'resource-policy-changed'
  | 'network-changed'
  | 'nested-stack-not-shown'
  | 'known-at-execution'
  | 'imported';

const REASON_RISK: Readonly<Record<ImpactReasonCode, ImpactRisk>> = {
  'stateful-removed': 'high',
  'stateful-replaced': 'high',
  'iam-changed': 'high',
  'stateful-removed-retained': 'medium',
  'stateful-may-be-replaced': 'medium',
  removed: 'medium',
  replaced: 'medium',
  'may-be-replaced': 'medium',
  'iam-added': 'medium',
  'resource-policy-changed': 'medium',
  'network-changed': 'medium',
  'nested-stack-not-shown': 'medium',
  'known-at-execution': 'medium',
  imported: 'medium',
};

/** Each reason as a sentence, for text output and for `reasons` in JSON. */
export function describeImpactReason(code: ImpactReasonCode): string {
  switch (code) {
    case 'stateful-removed':
      return 'removes a resource that holds data: the data is deleted with it';
    case 'stateful-removed-retained':
      return 'removes a resource that holds data from the stack; its deletion policy keeps it (or a snapshot) in the account';
    case 'stateful-replaced':
      return 'replaces a resource that holds data: the new one starts empty';
    case 'stateful-may-be-replaced':
      return 'may replace a resource that holds data, depending on values known only at execution';
    case 'removed':
      return 'removes a resource';
    case 'replaced':
      return 'replaces a resource: its physical id changes, and whatever refers to it by id breaks';
    case 'may-be-replaced':
      return 'may replace a resource, depending on values known only at execution';
    case 'iam-changed':
      return 'changes or removes IAM permissions, trust or identities';
    case 'iam-added':
      return 'adds IAM permissions, trust or identities';
    case 'resource-policy-changed':
      return 'changes who else may use a resource (a resource policy, a Lambda permission, a key policy)';
    case 'network-changed':
      return 'changes network access (security groups, network ACLs, routes)';
    case 'nested-stack-not-shown':
      return "changes a nested stack whose own change set was not given: its changes are not shown";
    case 'known-at-execution':
      return 'depends on values CloudFormation knows only at execution';
    case 'imported':
      return 'imports an existing resource into the stack';
  }
}

/** One resource change and its risk. */
export interface ResourceImpact {
  /** The stack the change belongs to (a nested stack's own name for its changes). */
  readonly stackName: string;
  readonly logicalResourceId: string;
  readonly physicalResourceId?: string;
  readonly resourceType: string;
  readonly action: string;
  /** `True`, `False` or `Conditional` for modifications; absent otherwise. */
  readonly replacement?: string;
  readonly stateful: boolean;
  readonly risk: ImpactRisk;
  readonly reasons: readonly ImpactReasonCode[];
}

/** The impact of a change set (with its nested change sets where given). */
export interface ChangeSetImpact {
  readonly changeSetId: string;
  readonly stackName: string;
  readonly stackId?: string;
  /** Whether the stack carries the production tag. */
  readonly production: boolean;
  readonly risk: ImpactRisk;
  readonly counts: { readonly added: number; readonly modified: number; readonly removed: number; readonly replaced: number };
  readonly changes: readonly ResourceImpact[];
  /**
   * Production resources holding data that the change set removes or (maybe) replaces: each
   * approver must accept this risk explicitly, or the workflow refuses the change set, as configured.
   */
  readonly riskToAccept: readonly string[];
  /** Status and execution status, as described. */
  readonly status?: string;
  readonly executionStatus?: string;
  /** A digest of the changes: the same change set, described again, has the same one. */
  readonly fingerprint: string;
}

/** Options of the analysis. */
export interface ImpactOptions {
  /** The production tag (key, and values compared case-insensitively). @default Environment=production */
  readonly productionTag?: { readonly key: string; readonly values: readonly string[] };
  /** More types that hold data, beyond `STATEFUL_RESOURCE_TYPES`. */
  readonly statefulResourceTypes?: readonly string[];
  /** What to call each input in problems (file names, say). @default - "the change set", "nested change set N" */
  readonly inputNames?: readonly string[];
}

/** The analysis, or what is wrong with the input. */
export type ImpactResult = { readonly ok: true; readonly impact: ChangeSetImpact } | { readonly ok: false; readonly problems: string[] };

const IAM_TYPE = /^AWS::(IAM|SSO|IdentityStore|Cognito::IdentityPoolRoleAttachment)::/;
const RESOURCE_POLICY_TYPE = /^AWS::(S3::BucketPolicy|SQS::QueuePolicy|SNS::TopicPolicy|Lambda::(Permission|Url)|KMS::Key|SecretsManager::ResourcePolicy|Events::EventBusPolicy|ECR::Repository|Logs::ResourcePolicy|ApiGateway::RestApi)$/;
const NETWORK_TYPE = /^AWS::EC2::(SecurityGroup\w*|NetworkAcl\w*|Route|RouteTable|VPCPeeringConnection|TransitGateway\w*|VPCEndpoint|InternetGateway|VPCGatewayAttachment)$/;

const RISK_ORDER: readonly ImpactRisk[] = ['low', 'medium', 'high'];
const maxRisk = (risks: Iterable<ImpactRisk>): ImpactRisk => [...risks].reduce<ImpactRisk>((a, b) => (RISK_ORDER.indexOf(b) > RISK_ORDER.indexOf(a) ? b : a), 'low');

/**
 * Analyses `described`, the output of `describe-change-set` for a change set, with `nested`, the
 * outputs for its nested change sets (matched by change set id; missing ones are reported).
 */
export function changeSetImpact(described: unknown, nested: readonly unknown[] = [], options: ImpactOptions = {}): ImpactResult {
  const all = [described, ...nested];
  const problems = all.flatMap((d, i) => shapeProblems(d, options.inputNames?.[i] ?? (i === 0 ? 'the change set' : `nested change set ${i}`)));
  if (problems.length > 0) return { ok: false, problems };
  const root = described as DescribedChangeSet;
  const byId = new Map((nested as DescribedChangeSet[]).map((n) => [n.ChangeSetId, n]));
  const stateful = new Set([...STATEFUL_RESOURCE_TYPES, ...(options.statefulResourceTypes ?? [])]);
  const tag = options.productionTag ?? { key: 'Environment', values: ['production'] };
  const production = (root.Tags ?? []).some((t) => t.Key === tag.key && tag.values.some((v) => v.toLowerCase() === String(t.Value).toLowerCase()));

  const changes: ResourceImpact[] = [];
  const visit = (set: DescribedChangeSet, seen: Set<string>) => {
    for (const change of set.Changes ?? []) {
      const rc = change.ResourceChange;
      if (change.Type !== 'Resource' || rc === undefined) continue;
      const child = rc.ResourceType === 'AWS::CloudFormation::Stack' && rc.ChangeSetId ? byId.get(rc.ChangeSetId) : undefined;
      const reasons = reasonsOf(rc, stateful.has(rc.ResourceType), rc.ResourceType === 'AWS::CloudFormation::Stack' && rc.Action === 'Modify' && child === undefined);
      changes.push({
        stackName: set.StackName ?? '',
        logicalResourceId: rc.LogicalResourceId,
        ...(rc.PhysicalResourceId ? { physicalResourceId: rc.PhysicalResourceId } : {}),
        resourceType: rc.ResourceType,
        action: rc.Action,
        ...(rc.Replacement ? { replacement: rc.Replacement } : {}),
        stateful: stateful.has(rc.ResourceType),
        risk: maxRisk(reasons.map((r) => REASON_RISK[r])),
        reasons,
      });
      if (child && !seen.has(child.ChangeSetId)) visit(child, new Set([...seen, child.ChangeSetId]));
    }
  };
  visit(root, new Set([root.ChangeSetId]));

  const isReplacing = (c: ResourceImpact) => c.action === 'Modify' && (c.replacement === 'True' || c.replacement === 'Conditional');
  const riskToAccept = production
    ? changes.filter((c) => c.stateful && (c.action === 'Remove' || isReplacing(c))).map((c) => `${c.stackName}/${c.logicalResourceId} (${c.resourceType})`)
    : [];
  return {
    ok: true,
    impact: {
      changeSetId: root.ChangeSetId,
      stackName: root.StackName ?? '',
      ...(root.StackId ? { stackId: root.StackId } : {}),
      production,
      risk: maxRisk(changes.map((c) => c.risk)),
      counts: {
        added: changes.filter((c) => c.action === 'Add' || c.action === 'Import').length,
        modified: changes.filter((c) => c.action === 'Modify' && !isReplacing(c)).length,
        removed: changes.filter((c) => c.action === 'Remove').length,
        replaced: changes.filter(isReplacing).length,
      },
      changes,
      riskToAccept,
      ...(root.Status ? { status: root.Status } : {}),
      ...(root.ExecutionStatus ? { executionStatus: root.ExecutionStatus } : {}),
      fingerprint: fingerprint(all as DescribedChangeSet[]),
    },
  };
}

/** Whether a described change set can still be executed. */
export function isExecutable(impact: Pick<ChangeSetImpact, 'status' | 'executionStatus'>): boolean {
  return impact.status === 'CREATE_COMPLETE' && impact.executionStatus === 'AVAILABLE';
}

function reasonsOf(rc: DescribedResourceChange, stateful: boolean, nestedNotShown: boolean): ImpactReasonCode[] {
  const reasons: ImpactReasonCode[] = [];
  const retained = /Retain|Snapshot/.test(rc.PolicyAction ?? '');
  if (rc.Action === 'Remove') {
    reasons.push(stateful ? (retained ? 'stateful-removed-retained' : 'stateful-removed') : 'removed');
  } else if (rc.Action === 'Modify' && rc.Replacement === 'True') {
    reasons.push(stateful ? 'stateful-replaced' : 'replaced');
  } else if (rc.Action === 'Modify' && rc.Replacement === 'Conditional') {
    reasons.push(stateful ? 'stateful-may-be-replaced' : 'may-be-replaced');
  } else if (rc.Action === 'Import') {
    reasons.push('imported');
  }
  if (IAM_TYPE.test(rc.ResourceType)) {
    reasons.push(rc.Action === 'Add' ? 'iam-added' : 'iam-changed');
  } else if (rc.Action !== 'Add' && RESOURCE_POLICY_TYPE.test(rc.ResourceType)) {
    reasons.push('resource-policy-changed');
  }
  if (rc.Action !== 'Add' && NETWORK_TYPE.test(rc.ResourceType)) reasons.push('network-changed');
  if (nestedNotShown) reasons.push('nested-stack-not-shown');
  if ((rc.Details ?? []).some((d) => d.Evaluation === 'Dynamic') || rc.Action === 'Dynamic') reasons.push('known-at-execution');
  return [...new Set(reasons)];
}

function fingerprint(sets: readonly DescribedChangeSet[]): string {
  const stable = (value: unknown): unknown =>
    Array.isArray(value) ? value.map(stable) : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, stable(v)])) : value;
  const digest = createHash('sha256');
  for (const set of sets) digest.update(JSON.stringify(stable({ id: set.ChangeSetId, changes: set.Changes ?? [] })));
  return digest.digest('hex');
}

/** What the analysis reads of `describe-change-set` output. */
interface DescribedChangeSet {
  readonly ChangeSetId: string;
  readonly StackName?: string;
  readonly StackId?: string;
  readonly Status?: string;
  readonly ExecutionStatus?: string;
  readonly Tags?: ReadonlyArray<{ readonly Key: string; readonly Value: string }>;
  readonly Changes?: ReadonlyArray<{ readonly Type?: string; readonly ResourceChange?: DescribedResourceChange }>;
}

interface DescribedResourceChange {
  readonly Action: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceType: string;
  readonly Replacement?: string;
  readonly PolicyAction?: string;
  readonly ChangeSetId?: string;
  readonly Details?: ReadonlyArray<{ readonly Evaluation?: string }>;
}

function shapeProblems(d: unknown, what: string): string[] {
  const fix = 'give the JSON that `aws cloudformation describe-change-set --change-set-name ARN --include-property-values --output json` prints';
  if (typeof d !== 'object' || d === null || Array.isArray(d)) return [`${what} must be a JSON object; ${fix}`];
  const o = d as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof o.ChangeSetId !== 'string') problems.push(`${what} has no ChangeSetId; ${fix}`);
  if (!Array.isArray(o.Changes)) problems.push(`${what} has no Changes list; ${fix}`);
  else {
    o.Changes.forEach((c: any, i: number) => {
      const rc = c?.ResourceChange;
      if (c?.Type === 'Resource' && (typeof rc?.Action !== 'string' || typeof rc?.LogicalResourceId !== 'string' || typeof rc?.ResourceType !== 'string')) {
        problems.push(`${what}: Changes[${i}].ResourceChange needs Action, LogicalResourceId and ResourceType; ${fix}`);
      }
    });
  }
  if (o.Tags !== undefined && !Array.isArray(o.Tags)) problems.push(`${what}: Tags must be a list of { Key, Value }; ${fix}`);
  return problems;
}
