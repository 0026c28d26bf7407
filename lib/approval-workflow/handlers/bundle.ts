/*
 * Bundles the Lambda handlers into one file with esbuild, so that teams who install the package
 * synthesize without Docker and without esbuild. Runs on `npm ci` (prepare) and before publishing.
 * The AWS SDK v3 is provided by the Node.js 22 Lambda runtime and left out.
 */
import * as path from 'path';
import { buildSync } from 'esbuild';

const here = __dirname;
const result = buildSync({
  entryPoints: [path.join(here, 'lambda-entry.ts')],
  outfile: path.join(here, 'dist', 'index.js'),
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  external: ['@aws-sdk/*'],
  legalComments: 'inline',
  logLevel: 'warning',
  metafile: true,
});
const bytes = Object.values(result.metafile!.outputs).reduce((sum, o) => sum + o.bytes, 0);
process.stdout.write(`bundled handlers: ${path.relative(process.cwd(), path.join(here, 'dist', 'index.js'))} (${bytes} bytes)\n`);
