/*
 * I/O: loads the packages that only one command needs. They are optional peer dependencies, so that
 * a CDK app that imports the constructs installs what synth needs and nothing else; a command
 * that needs one says which are missing and how to install them, in one error.
 */
import { CliError } from '../cli/errors';

/** A feature whose packages are optional peer dependencies of this package. */
export interface OptionalFeature {
  /** What the user ran, as they would type it. */
  readonly name: string;
  /** Every package the feature needs, so that one error names all that are missing. */
  readonly packages: readonly string[];
}

/** `agent-guardrails local`: the table in dynalite, the state machine in aws-local-stepfunctions. */
export const LOCAL_MODE: OptionalFeature = { name: 'agent-guardrails local', packages: ['dynalite', 'aws-local-stepfunctions'] };

/** `agent-guardrails mcp`: the Model Context Protocol SDK. */
export const MCP_SERVER: OptionalFeature = { name: 'agent-guardrails mcp', packages: ['@modelcontextprotocol/sdk'] };

/**
 * Returns `load()`, which requires `packageName` (one of `feature.packages`) with a literal
 * `require`, so that tools that follow requires see it. Throws a usage `CliError` naming every
 * package of the feature that is missing, and the command that installs them.
 */
export function loadOptional<T>(feature: OptionalFeature, packageName: string, load: () => T, resolve: (name: string) => string = require.resolve): T {
  const missing = missingPackages(feature, resolve);
  if (missing.length > 0) {
    throw new CliError('usage', missingMessage(feature, missing));
  }
  try {
    return load();
  } catch (error) {
    if (isNotFound(error) && (error as Error).message.includes(`'${packageName}'`)) {
      throw new CliError('usage', missingMessage(feature, [packageName]), { cause: error });
    }
    throw error;
  }
}

/** The packages of `feature` that do not resolve from this package. */
export function missingPackages(feature: OptionalFeature, resolve: (name: string) => string = require.resolve): string[] {
  return feature.packages.filter((name) => {
    try {
      resolve(name);
      return false;
    } catch (error) {
      // A package whose `exports` hide the bare name is installed all the same.
      return isNotFound(error);
    }
  });
}

/** The one-line message for the packages of `feature` that are missing: what, and the command that installs them. */
export function missingMessage(feature: OptionalFeature, missing: readonly string[]): string {
  const list = missing.join(' and ');
  return `${feature.name} needs ${list}, ${missing.length === 1 ? 'an optional peer dependency' : 'optional peer dependencies'} of cdk-agent-guardrails that ${missing.length === 1 ? 'is' : 'are'} not installed; `
    + `install ${feature.packages.length === 1 ? 'it' : 'them'} with: npm install --save-dev ${feature.packages.join(' ')}`;
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'MODULE_NOT_FOUND';
}
