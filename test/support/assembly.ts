/**
 * Synthesizes an app into a temporary directory, as the CDK CLI would (with construct paths and
 * asset metadata), and reads it back as the review's assembly model.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { AssemblyModel, loadAssembly } from '../../lib';

/**
 * Builds an app with `build`, synthesizes it, and returns the directory and the model.
 * `sketchResources`: the app holds deliberately incomplete or unknown resources (only their type
 * matters to the review), so CDK's template validation warnings about them are not printed.
 * `skipSynthChecks`: the app is broken on purpose in a way synth itself refuses (a role under a
 * guardrail path without its boundary, say); the review must still find it in the templates.
 */
export function synthesizeApp(build: (app: App) => void, options: { sketchResources?: boolean; skipSynthChecks?: boolean } = {}): { dir: string; assembly: AssemblyModel } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agr-assembly-'));
  const app = new App({ outdir: dir, context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true } });
  build(app);
  const quiet = options.sketchResources ? jest.spyOn(console, 'error').mockImplementation(() => undefined) : undefined;
  try {
    app.synth({ skipValidation: options.skipSynthChecks });
  } finally {
    quiet?.mockRestore();
  }
  return { dir, assembly: loadAssembly(dir) };
}
