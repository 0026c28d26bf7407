/**
 * Reads synthesized templates the way CloudFormation would deploy them, for one fixed account and
 * region, so policies can be handed to the simulator exactly as IAM would receive them.
 */
import { App, Stack } from 'aws-cdk-lib';
import { ACCOUNT, AGENT_ROLE_ARN, simulate } from './simulator';

export const REGION = 'us-east-1';

export type Template = { Resources: Record<string, { Type: string; Properties?: any; DeletionPolicy?: string; UpdateReplacePolicy?: string }> };

/** Synthesizes `app` and returns each stack's template by stack name. */
export function synthTemplates(app: App): Map<string, Template> {
  const assembly = app.synth();
  const templates = new Map<string, Template>();
  for (const stack of assembly.stacks) {
    templates.set(stack.stackName, stack.template as Template);
  }
  return templates;
}

/** The template of `stack` after synthesizing its app. */
export function templateOf(stack: Stack): Template {
  const app = stack.node.root as App;
  return synthTemplates(app).get(stack.stackName)!;
}

/** Logical ids and resources of `type` in `template`. */
export function resourcesOfType(template: Template, type: string): Array<[string, any]> {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/**
 * Resolves `Ref`, `Fn::GetAtt` (of roles and policies), `Fn::Join` and pseudo parameters. Roles
 * get the ARN CloudFormation would give them: their path, then their name or logical id.
 */
export function resolveIntrinsics(value: any, template: Template): any {
  if (Array.isArray(value)) {
    return value.map((v) => resolveIntrinsics(v, template));
  }
  if (value === null || typeof value !== 'object') {
    return value;
  }
  if ('Ref' in value) {
    return resolveRef(value.Ref, template);
  }
  if ('Fn::GetAtt' in value) {
    const [logicalId, attribute] = value['Fn::GetAtt'];
    if (attribute === 'Arn') {
      return resolveRef(logicalId, template, true);
    }
    throw new Error(`cannot resolve Fn::GetAtt ${logicalId}.${attribute}`);
  }
  if ('Fn::ImportValue' in value && typeof value['Fn::ImportValue'] === 'string') {
    // A cross-stack reference: stands for the exported value, named after what it exports.
    return `imported-${value['Fn::ImportValue'].replace(/^.*:ExportsOutput(Ref|FnGetAtt)/, '')}`;
  }
  if ('Fn::GetStackOutput' in value) {
    return `output-${value['Fn::GetStackOutput'].OutputName}`;
  }
  if ('Fn::Join' in value) {
    const [separator, parts] = value['Fn::Join'];
    return resolveIntrinsics(parts, template).join(separator);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveIntrinsics(v, template)]));
}

function resolveRef(name: string, template: Template, arn = false): string {
  switch (name) {
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::AccountId':
      return ACCOUNT;
    case 'AWS::Region':
      return REGION;
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
  }
  const resource = template.Resources[name];
  if (!resource) {
    throw new Error(`cannot resolve Ref ${name}: not in the template`);
  }
  const props = resource.Properties ?? {};
  switch (resource.Type) {
    case 'AWS::IAM::Role':
      return `arn:aws:iam::${ACCOUNT}:role${props.Path ?? '/'}${props.RoleName ?? name}`;
    case 'AWS::IAM::ManagedPolicy':
      return `arn:aws:iam::${ACCOUNT}:policy${props.Path ?? '/'}${props.ManagedPolicyName ?? name}`;
    default:
      if (arn) {
        throw new Error(`cannot resolve the ARN of ${resource.Type} ${name}`);
      }
      return name;
  }
}

/** The deployed documents of the guardrail policies in `template`: the agent boundary, the two agent deny policies and the workload boundary. */
export function guardrailDocuments(template: Template): { agentBoundary: any; agentDenies: any; agentServiceDenies: any; workloadBoundary: any } {
  const policies = resourcesOfType(template, 'AWS::IAM::ManagedPolicy').filter(([, r]) => r.Properties.Path === '/agent-guardrails/');
  const named = (test: (name: string) => boolean) => {
    const found = policies.filter(([, r]) => test(r.Properties.ManagedPolicyName));
    if (found.length !== 1) {
      throw new Error(`expected one such guardrail policy in the template, found ${found.length}`);
    }
    return resolveIntrinsics(found[0][1].Properties.PolicyDocument, template);
  };
  return {
    agentBoundary: named((n) => !n.endsWith('-Denies') && !n.endsWith('-Services') && !n.endsWith('-Workload')),
    agentDenies: named((n) => n.endsWith('-Denies')),
    agentServiceDenies: named((n) => n.endsWith('-Services')),
    workloadBoundary: named((n) => n.endsWith('-Workload')),
  };
}

/** The deployed policy document of the agent boundary in `template`. */
export function boundaryDocument(template: Template): any {
  return guardrailDocuments(template).agentBoundary;
}

/** The identity policies (inline `AWS::IAM::Policy` documents) attached to role `roleLogicalId`. */
export function inlinePoliciesOf(template: Template, roleLogicalId: string): any[] {
  return resourcesOfType(template, 'AWS::IAM::Policy')
    .filter(([, r]) => (r.Properties.Roles ?? []).some((ref: any) => ref.Ref === roleLogicalId))
    .map(([, r]) => resolveIntrinsics(r.Properties.PolicyDocument, template));
}

/** The ARN CloudFormation gives stack `name` in the test account and region. */
export function stackArn(name: string): string {
  return `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${name}/4d3c2b1a-0000-1111-2222-333344445555`;
}

/**
 * The agent role named `agentName` in `template`, as IAM would evaluate it: its synthesized inline
 * policies and the agent deny policies, with the synthesized boundary. Also the ARN of the template's deploy role, if any.
 */
export function agentEvaluator(template: Template, agentName: string) {
  const roles = resourcesOfType(template, 'AWS::IAM::Role');
  const agentId = roles.find(([, r]) => r.Properties.RoleName === agentName)![0];
  const { agentBoundary: boundary, agentDenies, agentServiceDenies } = guardrailDocuments(template);
  const identity = [...inlinePoliciesOf(template, agentId), agentDenies, agentServiceDenies];
  const deployId = roles.find(([, r]) => r.Properties.Path === '/agent-guardrails/service/')?.[0];
  return {
    deployRoleArn: `arn:aws:iam::${ACCOUNT}:role/agent-guardrails/service/${deployId}`,
    decide: (action: string, resource: string, context: Record<string, string | string[]> = {}) =>
      simulate({ action, resource, context, principal: AGENT_ROLE_ARN }, { identity, boundary }).then((d) => d.result),
  };
}
