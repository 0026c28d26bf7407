/*
 * I/O: the configuration a synthesized breaker function runs with, read from its code in the
 * cloud assembly. The template's `Code.S3Key` names an asset of one of the assembly's asset
 * manifests (`*.assets.json`); that asset's source directory holds the handler bundle and
 * `breaker-config.json`. Without a literal key (another stack synthesizer), the function's
 * `aws:asset:path` metadata names the directory. Every way this can fail is an error naming the
 * input, what is wrong and the fix.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AssemblyResource, AssemblyStack } from '../../review/assembly';
import { BREAKER_CONFIG_FILE, BreakerConfig, parseBreakerConfig } from '../logic/config';
import { ReplayInputError } from './events-file';

const AGAIN = 'give replay the whole cdk.out directory as cdk synth wrote it, or synthesize the app again';

/** The configuration in the code of `fn`, the function of the breaker at `breakerPath` in `stack`. */
export function configOfFunction(fn: AssemblyResource, stack: AssemblyStack, breakerPath: string): BreakerConfig {
  const where = `the breaker ${breakerPath} in ${stack.stackName}`;
  const assemblyDir = path.dirname(stack.templateFile);
  const key: unknown = fn.properties.Code?.S3Key;
  const metadataPath = fn.metadata['aws:asset:path'];
  let dir: string;
  if (typeof key === 'string') {
    const source = assetSource(assemblyDir, stack.templateFile, key);
    if (source === undefined) {
      throw new ReplayInputError(`--app: the code of ${where} (S3 key ${key}) is in none of the asset manifests of ${assemblyDir}; ${AGAIN}`);
    }
    dir = path.resolve(assemblyDir, source);
  } else if (typeof metadataPath === 'string') {
    dir = path.resolve(assemblyDir, metadataPath);
  } else {
    throw new ReplayInputError(
      `--app: the code of ${where} has no S3 key replay can read offline (${JSON.stringify(key ?? null).slice(0, 200)}) and no aws:asset:path metadata; ` +
        'synthesize the app with the default stack synthesizer, or with asset metadata (cdk synth writes it)',
    );
  }
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new ReplayInputError(`--app: the code asset of ${where} is missing: ${dir} is not a directory; ${AGAIN}`);
  }
  const file = path.join(dir, BREAKER_CONFIG_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ReplayInputError(
      `--app: ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): the code of ${where} holds no configuration; synthesize the app again with this version of the library`,
    );
  }
  const parsed = parseBreakerConfig(text);
  if (!parsed.ok) {
    throw new ReplayInputError(`--app: ${file}, the configuration of ${where}, is not valid: ${parsed.problem}; synthesize the app again`);
  }
  return parsed.config;
}

/**
 * The source path (relative to `assemblyDir`) of the file asset published under `objectKey`: in the
 * asset manifests of the stack whose template is `templateFile`, else in any of the assembly's.
 */
function assetSource(assemblyDir: string, templateFile: string, objectKey: string): string | undefined {
  const manifest = readJson(path.join(assemblyDir, 'manifest.json'));
  const artifacts: Record<string, any> = manifest.artifacts ?? {};
  const assetManifests = Object.entries(artifacts).filter(([, a]) => a?.type === 'cdk:asset-manifest' && typeof a.properties?.file === 'string');
  const stack = Object.values(artifacts).find((a) => a?.type === 'aws:cloudformation:stack' && path.resolve(assemblyDir, String(a.properties?.templateFile)) === templateFile);
  const own = assetManifests.filter(([id]) => (stack?.dependencies ?? []).includes(id));
  for (const [, artifact] of own.length > 0 ? [...own, ...assetManifests] : assetManifests) {
    const files: Record<string, any> = readJson(path.join(assemblyDir, artifact.properties.file))?.files ?? {};
    for (const asset of Object.values(files)) {
      const published = Object.values<any>(asset?.destinations ?? {}).some((d) => d?.objectKey === objectKey);
      if (published && typeof asset.source?.path === 'string') return asset.source.path;
    }
  }
  return undefined;
}

function readJson(file: string): any {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ReplayInputError(`--app: ${file} cannot be read (${(error as Error).message}); ${AGAIN}`);
  }
}
