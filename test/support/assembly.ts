/**
 * Synthesizes an app into a temporary directory, as the CDK CLI would (with construct paths and
 * asset metadata), and reads it back as the review's assembly model.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { AssemblyModel, loadAssembly } from '../../lib';

/** Builds an app with `build`, synthesizes it, and returns the directory and the model. */
export function synthesizeApp(build: (app: App) => void): { dir: string; assembly: AssemblyModel } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agr-assembly-'));
  const app = new App({ outdir: dir, context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true } });
  build(app);
  app.synth();
  return { dir, assembly: loadAssembly(dir) };
}
