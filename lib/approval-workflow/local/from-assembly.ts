/*
 * I/O: the TwoPersonApproval workflows of a synthesized app (cdk.out), as local mode runs them:
 * the app's own state machine definition, table schema and configuration (roles, approvers,
 * required approvals, timeouts), read from the templates.
 */
import { renderIntrinsic } from '../../private/intrinsics';
import { AssemblyResource, AssemblyStack, loadAssembly } from '../../review/assembly';
import { WorkflowConfig } from '../handlers/deps';
import { ENV } from '../handlers/env';
import { definitionFromTemplate } from './local-workflow';

/** What local mode runs: a template holding the workflow's state machine and table, its definition and configuration. */
export interface LocalWorkflowSource {
  /** The workflow's construct path in the app. */
  readonly path: string;
  readonly template: { readonly Resources: Record<string, any> };
  readonly definition: Record<string, any>;
  readonly config: WorkflowConfig;
}

/** A local-mode error about the app: what was looked for, and what to do. */
export class LocalAppError extends Error {}

/** Every TwoPersonApproval in the assembly at `dir`. */
export function workflowsInAssembly(dir: string): LocalWorkflowSource[] {
  const assembly = loadAssembly(dir);
  return assembly.stacks.flatMap((stack) => stack.resources.filter((r) => r.type === 'AWS::StepFunctions::StateMachine' && r.constructPath.endsWith('/Workflow/Resource')).flatMap((machine) => {
    const path = machine.constructPath.slice(0, -'/Workflow/Resource'.length);
    const table = stack.resources.find((r) => r.type === 'AWS::DynamoDB::Table' && r.constructPath === `${path}/Requests/Resource`);
    const configured = stack.resources.find((r) => r.type === 'AWS::Lambda::Function' && r.constructPath.startsWith(`${path}/`) && r.properties.Environment?.Variables?.[ENV.config] !== undefined);
    if (!table || !configured) return [];
    const template = { Resources: { [machine.logicalId]: raw(machine), [table.logicalId]: raw(table) } };
    const config = JSON.parse(render(configured.properties.Environment.Variables[ENV.config], stack)) as WorkflowConfig;
    // Local mode has no account: change sets from files are taken from wherever they were described.
    return [{ path, template, definition: definitionFromTemplate(template), config: { ...config, account: undefined, region: undefined } }];
  }));
}

/** The one workflow of the app at `dir`, or the one at construct path `selector`. */
export function workflowFromAssembly(dir: string, selector?: string): LocalWorkflowSource {
  const found = workflowsInAssembly(dir);
  if (found.length === 0) {
    throw new LocalAppError(`--app: no TwoPersonApproval in ${dir}; give the cdk.out of an app that has one (cdk synth writes it)`);
  }
  if (selector !== undefined) {
    const chosen = found.find((w) => w.path === selector);
    if (!chosen) throw new LocalAppError(`--workflow: no TwoPersonApproval at ${selector} in ${dir}; the app has ${found.map((w) => w.path).join(', ')}`);
    return chosen;
  }
  if (found.length > 1) {
    throw new LocalAppError(`--app: ${dir} holds ${found.length} TwoPersonApproval workflows (${found.map((w) => w.path).join(', ')}); choose one with --workflow PATH`);
  }
  return found[0];
}

function raw(resource: AssemblyResource): Record<string, any> {
  return { Type: resource.type, Properties: resource.properties };
}

/** A template string value, with the partition, account and region the stack names (or local mode's). */
function render(value: unknown, stack: AssemblyStack): string {
  const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::AccountId': stack.account ?? '000000000000', 'AWS::Region': stack.region ?? 'us-east-1', 'AWS::URLSuffix': 'amazonaws.com' };
  return renderIntrinsic(value, (intrinsic) => {
    const ref = (intrinsic as { Ref?: unknown } | null)?.Ref;
    if (typeof ref === 'string' && pseudo[ref] !== undefined) return pseudo[ref];
    throw new LocalAppError(`--app: the workflow configuration in ${stack.stackName} holds a value local mode cannot read offline (${JSON.stringify(intrinsic)}); synthesize the app again with this version of the library`);
  });
}
