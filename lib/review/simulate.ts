/*
 * One request, decided offline for a role of the assembly: the decision and the statements that
 * made it. Context keys not given are absent, as in IAM's own policy simulator.
 */
import { AssemblyModel } from './assembly';
import { ActionEvaluator, Decision } from './policy-evaluator';
import { IamCatalog, loadIamCatalog } from './sweep/iam-catalog';
import { SweptRole, sweptRole } from './sweep/principals';
import { resourceArn } from './sweep/resources';

/** Bad input to a review command: the message says what was wrong and what to do. */
export class ReviewInputError extends Error {}

/** A request to simulate. */
export interface SimulationInput {
  /** The role: its construct path (with or without `/Resource`), logical id, or ARN as synthesized. */
  readonly role: string;
  /** `service:Action`. */
  readonly action: string;
  /** An ARN, or `*`. */
  readonly resource: string;
  /** Tags of the resource, reported as `aws:ResourceTag/<key>`. */
  readonly resourceTags?: Readonly<Record<string, string>>;
  /** Further context keys. */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

/** The decision of one simulated request. */
export interface SimulationResult {
  readonly role: SweptRole;
  readonly decision: Decision;
  readonly context: Readonly<Record<string, string | readonly string[]>>;
}

const ARN = /^arn:[a-z-]+:[a-z0-9-]*:[a-z0-9-]*:(\d{12}|aws)?:.+$/;
const ACTION = /^[a-z0-9-]+:[A-Za-z0-9]+$/;

/** The role of `assembly` that `selector` names; throws ReviewInputError listing the roles otherwise. */
export function findRole(assembly: AssemblyModel, selector: string, catalog: IamCatalog = loadIamCatalog()): SweptRole {
  const trimmed = selector.replace(/\/+$/, '');
  for (const stack of assembly.stacks) {
    for (const resource of stack.resources.filter((r) => r.type === 'AWS::IAM::Role')) {
      const names = [resource.constructPath, resource.constructPath.replace(/\/Resource$/, ''), resource.logicalId, resourceArn(catalog, stack, resource)];
      if (names.includes(trimmed)) return sweptRole(assembly, stack, resource, catalog);
    }
  }
  const known = assembly.stacks.flatMap((s) => s.resources.filter((r) => r.type === 'AWS::IAM::Role').map((r) => r.constructPath.replace(/\/Resource$/, '')));
  throw new ReviewInputError(`unknown role "${selector}": name a role by construct path or logical id; roles in this assembly: ${known.join(', ') || 'none'}`);
}

/** Checks an action and a resource ARN; throws ReviewInputError naming what is wrong. */
export function checkRequest(action: string, resource: string, catalog: IamCatalog = loadIamCatalog()): void {
  if (!ACTION.test(action)) {
    throw new ReviewInputError(`malformed action "${action}": write service:Action, for example cloudformation:DeleteStack`);
  }
  const [service, name] = action.split(':');
  if (!catalog.actions.some((a) => a.service === service.toLowerCase() && a.name.toLowerCase() === name.toLowerCase())) {
    throw new ReviewInputError(`unknown action "${action}": it is not in the IAM action catalog; check the service prefix and the action name`);
  }
  if (resource !== '*' && !ARN.test(resource)) {
    throw new ReviewInputError(`malformed resource ARN "${resource}": write arn:partition:service:region:account:resource, or * for actions without a resource`);
  }
}

/** Decides one request for a role of `assembly`. */
export function simulateRequest(assembly: AssemblyModel, input: SimulationInput, catalog: IamCatalog = loadIamCatalog()): SimulationResult {
  checkRequest(input.action, input.resource, catalog);
  const role = findRole(assembly, input.role, catalog);
  const context: Record<string, string | readonly string[]> = { ...role.principalContext };
  for (const [key, value] of Object.entries(input.resourceTags ?? {})) context[`aws:ResourceTag/${key}`] = value;
  Object.assign(context, input.context ?? {});
  const decision = new ActionEvaluator(input.action, role.identity, role.boundary).decide({ resource: input.resource, context });
  return { role, decision, context };
}
