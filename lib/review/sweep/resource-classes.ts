/*
 * Production resources a principal's policies cannot tell apart, so that the sweep decides each of
 * its requests once per class instead of once per resource: in an app of many alike stacks, the
 * tables (queues, functions...) of every production stack are usually one class. Pure.
 */
import { CompiledPolicy, conditionKeysOf, resourceSignature } from '../policy-evaluator';
import { ProductionResource } from './production';

/** The tags the caller cannot change (see `callerChosen`) of a resource, lower-case keys, in the resource's order. */
export function fixedTags(resource: ProductionResource, productionKey: string): Array<readonly [string, string]> {
  return Object.entries(resource.tags)
    .filter(([k]) => k.toLowerCase() === productionKey || k.startsWith('agent-guardrails:') || k.startsWith('aws:'))
    .map(([k, v]) => [k.toLowerCase(), v] as const);
}

/**
 * Resources a principal's policies cannot tell apart, numbered: same service, type and request
 * facts, same account, same values of the fixed tags the policies' conditions read, and the same
 * statements naming the ARN and its lookalike. A decision reads nothing else of a resource
 * (`conditionKeysOf`, `resourceSignature`), so each request needs evaluating once per class.
 */
export function resourceClasses(resources: readonly ProductionResource[], policies: readonly CompiledPolicy[], productionKey: string): Map<ProductionResource, number> {
  const keys = conditionKeysOf(policies);
  const ids = new Map<string, number>();
  const classes = new Map<ProductionResource, number>();
  for (const resource of resources) {
    const tags = fixedTags(resource, productionKey).filter(([k]) => keys.has(`aws:resourcetag/${k}`) || keys.has(`${resource.service}:resourcetag/${k}`));
    const signature = JSON.stringify([
      resource.service,
      resource.iamType,
      resource.tagsEvaluated ?? null,
      resource.namedByGuardrail ?? null,
      resource.requestContext ?? null,
      resource.arn.split(':')[4],
      tags,
      resourceSignature(policies, resource.arn),
      resourceSignature(policies, `${resource.arn}-lookalike`),
    ]);
    let id = ids.get(signature);
    if (id === undefined) ids.set(signature, (id = ids.size));
    classes.set(resource, id);
  }
  return classes;
}
