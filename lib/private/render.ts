/*
 * Construct logic: a resource's properties as its template will hold them, read without I/O.
 */
import { CfnResource, Stack, Token, Tokenization } from 'aws-cdk-lib';

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

/** What `renderedPropertiesOf` reads of a resource: CDK's own rendering steps (not public API). */
interface RenderSteps {
  readonly _toCloudFormation?: unknown;
  readonly cfnProperties?: unknown;
  readonly renderProperties?: (properties: unknown) => unknown;
  readonly rawOverrides?: unknown;
  readonly shouldSynthesize?: () => boolean;
}

/** Members that decide what a resource renders as its properties. */
const RENDERING_MEMBERS = ['_toCloudFormation', 'cfnProperties', 'renderProperties'];

/** What stands for a value that is still a token: CDK's rendering passes an intrinsic through unchanged, and never drops it. */
const UNRESOLVED = { Ref: 'agent-guardrails-unresolved' };

/**
 * The properties `names` of `renderedProperties(resource)`, without resolving every token of the
 * resource when it can: checks that read a few properties of many resources (a physical name, an
 * IAM path) would otherwise resolve each resource whole. The resource is first rendered by CDK's
 * own rendering with its tokens still unresolved (each token object standing as an intrinsic, which
 * the rendering passes through). CDK renders each template property from its own L1 property
 * alone, and a string as given: a property that comes out undefined or as a string without tokens
 * is what the template holds, and one that comes out as a string with tokens is that string
 * resolved. When any of `names` comes out otherwise (an object, or a string that resolves to
 * anything but a string), when an override touches the properties, or when the resource renders
 * by code of its own or the rendering fails, the resource is rendered whole, as
 * `renderedProperties` does.
 */
export function renderedPropertiesOf(resource: CfnResource, names: readonly string[]): Record<string, unknown> {
  const unresolved = renderedUnresolved(resource);
  const picked: Record<string, unknown> = {};
  for (const name of names) {
    const value = unresolved?.[name];
    const resolved = typeof value === 'string' && Token.isUnresolved(value) ? Stack.of(resource).resolve(value) : value;
    if (unresolved === undefined || (resolved !== undefined && typeof resolved !== 'string')) {
      const properties = renderedProperties(resource);
      return Object.fromEntries(names.filter((n) => properties[n] !== undefined).map((n) => [n, properties[n]]));
    }
    if (resolved !== undefined) {
      picked[name] = resolved;
    }
  }
  return picked;
}

/** The resource's properties as CDK renders them before resolution, or undefined when that rendering cannot stand for the template's (see `renderedPropertiesOf`). */
function renderedUnresolved(resource: CfnResource): Record<string, unknown> | undefined {
  const steps = resource as unknown as RenderSteps;
  const overrides = steps.rawOverrides;
  if (typeof overrides !== 'object' || overrides === null || 'Properties' in overrides || !rendersAsCdkDoes(resource)) {
    return undefined;
  }
  // A resource that does not synthesize renders nothing, which renderedProperties reports as it does.
  if (typeof steps.shouldSynthesize !== 'function' || !steps.shouldSynthesize.call(resource)) {
    return undefined;
  }
  let rendered: unknown;
  try {
    const properties = steps.cfnProperties;
    if (typeof properties !== 'object' || properties === null || Tokenization.isResolvable(properties)) {
      return undefined;
    }
    rendered = steps.renderProperties!.call(resource, withTokensAsIntrinsics(properties));
  } catch {
    return undefined;
  }
  if (typeof rendered !== 'object' || rendered === null || Tokenization.isResolvable(rendered) || Object.keys(rendered).some((key) => Token.isUnresolved(key))) {
    return undefined;
  }
  return rendered as Record<string, unknown>;
}

/**
 * Whether `resource` renders its properties with CDK's code alone: the generic `CfnResource`
 * (properties as given), or a generated L1 class (its type name a static of its own) that no
 * subclass changes the rendering of (L2s subclass L1s to decide only whether they synthesize).
 */
function rendersAsCdkDoes(resource: CfnResource): boolean {
  const base = CfnResource.prototype as unknown as RenderSteps;
  const steps = resource as unknown as RenderSteps;
  if (steps._toCloudFormation !== base._toCloudFormation || typeof steps.renderProperties !== 'function') {
    return false;
  }
  for (let prototype = Object.getPrototypeOf(resource) as object | null; prototype !== null; prototype = Object.getPrototypeOf(prototype) as object | null) {
    if (prototype === CfnResource.prototype) {
      return true;
    }
    if (Object.prototype.hasOwnProperty.call(prototype, 'renderProperties')) {
      const type = prototype.constructor as { CFN_RESOURCE_TYPE_NAME?: unknown };
      return Object.prototype.hasOwnProperty.call(type, 'CFN_RESOURCE_TYPE_NAME') && type.CFN_RESOURCE_TYPE_NAME === resource.cfnResourceType;
    }
    if (RENDERING_MEMBERS.some((member) => Object.prototype.hasOwnProperty.call(prototype, member))) {
      return false;
    }
  }
  return false;
}

/** `value` with every token object in it replaced by `UNRESOLVED` (strings, numbers and lists that encode tokens are kept). */
function withTokensAsIntrinsics(value: unknown): unknown {
  if (Tokenization.isResolvable(value)) {
    return UNRESOLVED;
  }
  if (Array.isArray(value)) {
    return value.map(withTokensAsIntrinsics);
  }
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withTokensAsIntrinsics(v)]));
  }
  return value;
}
