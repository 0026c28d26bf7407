import { CfnResource, Stack } from 'aws-cdk-lib';

/**
 * The properties a resource will have in the template, with escape-hatch overrides applied
 * (`addPropertyOverride`, and aspects such as `PermissionsBoundary.of(...)` that work through
 * overrides), resolved in its stack. Checks must read these, not the L1 properties, or an override
 * would slip past them. CDK offers no public API for this; `_toCloudFormation` is what it renders
 * templates with.
 */
export function renderedProperties(resource: CfnResource): Record<string, unknown> {
  const render = (resource as unknown as { _toCloudFormation?: () => { Resources: Record<string, { Properties?: Record<string, unknown> }> } })._toCloudFormation;
  if (typeof render !== 'function') {
    throw new Error('aws-cdk-lib no longer renders resources through _toCloudFormation; this version of cdk-agent-guardrails does not support it');
  }
  const rendered = Stack.of(resource).resolve(render.call(resource));
  const [entry] = Object.values(rendered.Resources as Record<string, { Properties?: Record<string, unknown> }>);
  return entry?.Properties ?? {};
}
