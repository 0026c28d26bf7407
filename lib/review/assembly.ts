/*
 * A cloud assembly (cdk.out) as plain data for the review rules: each stack's name, tags,
 * termination protection and template, and each resource's construct path. Reading the directory
 * is the only I/O; the rules themselves are pure functions of this model.
 */
import * as fs from 'fs';
import * as path from 'path';

/** A resource of a synthesized template. */
export interface AssemblyResource {
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Record<string, any>;
  readonly deletionPolicy?: string;
  readonly updateReplacePolicy?: string;
  /** The construct path (`aws:cdk:path` metadata), or the logical id if there is none. */
  readonly constructPath: string;
  /** The resource's template metadata. */
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** A synthesized stack. */
export interface AssemblyStack {
  readonly stackName: string;
  readonly templateFile: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly terminationProtection: boolean;
  /** The stack's account and region, when the app names them. */
  readonly account?: string;
  readonly region?: string;
  /** The template's own metadata. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** For a nested stack, the name of the stack that holds it. */
  readonly nestedIn?: string;
  readonly resources: readonly AssemblyResource[];
  /** The template's outputs by logical name: value and export name, if exported. */
  readonly outputs: Readonly<Record<string, { readonly value: unknown; readonly exportName?: string }>>;
  /**
   * The outputs of the assembly this stack can read, set when the whole assembly is read: by
   * `export:<export name>` (Fn::ImportValue) and `output:<stack name>:<output name>` (Fn::GetStackOutput).
   */
  readonly imports?: ReadonlyMap<string, { readonly stack: AssemblyStack; readonly value: unknown }>;
}

/** The stacks of a cloud assembly. */
export interface AssemblyModel {
  readonly stacks: readonly AssemblyStack[];
}

/** Thrown for a missing or unreadable cloud assembly, with what to do about it. */
export class AssemblyError extends Error {}

/** Builds the model of one stack from its template and manifest properties. */
export function stackModel(
  stackName: string,
  templateFile: string,
  template: any,
  properties: { tags?: Record<string, string>; terminationProtection?: boolean; environment?: string; nestedIn?: string },
): AssemblyStack {
  const resources = Object.entries<any>(template?.Resources ?? {}).map(([logicalId, r]) => ({
    logicalId,
    type: String(r.Type),
    properties: r.Properties ?? {},
    deletionPolicy: r.DeletionPolicy,
    updateReplacePolicy: r.UpdateReplacePolicy,
    constructPath: r.Metadata?.['aws:cdk:path'] ?? logicalId,
    metadata: r.Metadata ?? {},
  }));
  const [, account, region] = /^aws:\/\/([^/]*)\/(.*)$/.exec(properties.environment ?? '') ?? [];
  return {
    stackName,
    templateFile,
    tags: properties.tags ?? {},
    terminationProtection: properties.terminationProtection ?? false,
    account: /^\d{12}$/.test(account ?? '') ? account : undefined,
    region: region && !region.startsWith('unknown') ? region : undefined,
    metadata: template?.Metadata ?? {},
    nestedIn: properties.nestedIn,
    resources,
    outputs: Object.fromEntries(
      Object.entries<any>(template?.Outputs ?? {}).map(([name, o]) => [name, { value: o?.Value, exportName: typeof o?.Export?.Name === 'string' ? o.Export.Name : undefined }]),
    ),
  };
}

/**
 * The nested stacks of `parent`, read from the templates CDK writes next to it (`aws:asset:path`),
 * recursively. A nested stack carries its parent's tags, account and region; its name is the one
 * CloudFormation gives it without the random suffix.
 */
export function nestedStacks(parent: AssemblyStack, dir: string): AssemblyStack[] {
  const found: AssemblyStack[] = [];
  for (const resource of parent.resources.filter((r) => r.type === 'AWS::CloudFormation::Stack')) {
    const file = resource.metadata['aws:asset:path'];
    const templateFile = typeof file === 'string' ? path.resolve(dir, file) : undefined;
    if (!templateFile || !fs.existsSync(templateFile)) continue;
    let template: any;
    try {
      template = JSON.parse(fs.readFileSync(templateFile, 'utf8'));
    } catch (error) {
      throw new AssemblyError(`the template of nested stack ${resource.constructPath} (${templateFile}) cannot be read: ${(error as Error).message}; synthesize again`);
    }
    const nested = stackModel(`${parent.stackName}-${resource.logicalId}`, templateFile, template, {
      tags: { ...parent.tags, ...literalTags(resource.properties.Tags) },
      terminationProtection: parent.terminationProtection,
      environment: `aws://${parent.account ?? 'unknown-account'}/${parent.region ?? 'unknown-region'}`,
      nestedIn: parent.stackName,
    });
    found.push(nested, ...nestedStacks(nested, dir));
  }
  return found;
}

/** The literal tags of a template `Tags` value (a list of `{ Key, Value }` or a map); tags with intrinsic values are left out. */
export function literalTags(tags: unknown): Record<string, string> {
  if (Array.isArray(tags)) {
    return Object.fromEntries(tags.filter((t) => typeof t?.Key === 'string' && typeof t?.Value === 'string').map((t) => [t.Key, t.Value]));
  }
  if (tags && typeof tags === 'object') {
    return Object.fromEntries(Object.entries(tags).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  }
  return {};
}

/** Reads `dir` (a cdk.out directory), including nested assemblies (stages) and nested stacks. */
export function loadAssembly(dir: string): AssemblyModel {
  return withImports(readAssembly(dir).stacks);
}

/** The assembly of `stacks`, each able to import what the others export. */
export function withImports(stacks: readonly AssemblyStack[]): AssemblyModel {
  // Exports are imported within one account and region, and CDK names them uniquely: one map serves.
  const imports = new Map<string, { stack: AssemblyStack; value: unknown }>();
  for (const stack of stacks) {
    for (const [name, { value, exportName }] of Object.entries(stack.outputs)) {
      imports.set(`output:${stack.stackName}:${name}`, { stack, value });
      if (exportName !== undefined) imports.set(`export:${exportName}`, { stack, value });
    }
  }
  return { stacks: stacks.map((stack) => ({ ...stack, imports })) };
}

function readAssembly(dir: string): AssemblyModel {
  const manifestFile = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestFile)) {
    throw new AssemblyError(`${dir} is not a cloud assembly (no manifest.json); run "npx cdk synth" first, or name the cdk.out directory`);
  }
  let manifest: any;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  } catch (error) {
    throw new AssemblyError(`${manifestFile} is not valid JSON (${(error as Error).message}); synthesize again with "npx cdk synth"`);
  }
  const stacks: AssemblyStack[] = [];
  for (const [id, artifact] of Object.entries<any>(manifest.artifacts ?? {})) {
    if (artifact.type === 'aws:cloudformation:stack') {
      const templateFile = path.resolve(dir, artifact.properties.templateFile);
      let template: any;
      try {
        template = JSON.parse(fs.readFileSync(templateFile, 'utf8'));
      } catch (error) {
        throw new AssemblyError(`the template of stack ${id} (${templateFile}) cannot be read: ${(error as Error).message}; synthesize again`);
      }
      const stack = stackModel(artifact.properties.stackName ?? id, templateFile, template, { ...artifact.properties, environment: artifact.environment });
      stacks.push(stack, ...nestedStacks(stack, path.dirname(templateFile)));
    } else if (artifact.type === 'cdk:cloud-assembly') {
      stacks.push(...readAssembly(path.join(dir, artifact.properties.directoryName)).stacks);
    }
  }
  return { stacks };
}
