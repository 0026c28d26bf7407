/*
 * I/O: bundles the Lambda handlers into one file with esbuild, so that teams who install the package
 * synthesize without Docker and without esbuild. Runs before every synth of the example app
 * (cdk.json), on `npm ci` (prepare) and before publishing; the AWS SDK v3 is provided by the
 * Node.js 22 Lambda runtime and left out.
 *
 * When nothing the bundle is made of has changed since it was written, it does nothing, in
 * milliseconds: a stamp in node_modules/.cache (one per checkout) records the size and time of
 * every input esbuild read (and of their folders, which change when a file is added or removed),
 * of this script, of esbuild's version and of the bundle itself. Any difference rebuilds it; the
 * file is rewritten only when its bytes change, so its asset hash stays the same.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { buildSync, version } from 'esbuild';

const HERE = __dirname;
const ROOT = path.join(HERE, '..', '..', '..');
const OUTFILE = path.join(HERE, 'dist', 'index.js');
// One stamp per checkout: copies of the repository may share a node_modules.
const STAMP = path.join(ROOT, 'node_modules', '.cache', 'cdk-agent-guardrails', `handler-bundle-${createHash('sha256').update(ROOT).digest('hex').slice(0, 16)}.json`);

/** The files a stamp covers, and their digest. */
interface Stamp {
  readonly files: string[];
  readonly digest: string;
}

/** Writes the bundle unless it is current; says whether it did, and its size. */
export function bundleHandlers(): { readonly written: boolean; readonly bytes: number } {
  const previous = readStamp();
  if (previous && digestOf(previous.files) === previous.digest) return { written: false, bytes: fs.statSync(OUTFILE).size };

  const result = buildSync({
    entryPoints: [path.join(HERE, 'lambda-entry.ts')],
    outfile: OUTFILE,
    // Paths in the bundle's comments are relative to the repository, wherever this runs from.
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    external: ['@aws-sdk/*'],
    legalComments: 'inline',
    logLevel: 'warning',
    metafile: true,
    write: false,
  });
  const [output] = result.outputFiles;
  const written = !fs.existsSync(OUTFILE) || !fs.readFileSync(OUTFILE).equals(output.contents);
  if (written) {
    fs.mkdirSync(path.dirname(OUTFILE), { recursive: true });
    fs.writeFileSync(OUTFILE, output.contents);
  }
  const inputs = Object.keys(result.metafile.inputs).map((input) => path.resolve(ROOT, input));
  const files = [...new Set([__filename, OUTFILE, ...inputs, ...inputs.map((input) => path.dirname(input))])].sort();
  fs.mkdirSync(path.dirname(STAMP), { recursive: true });
  fs.writeFileSync(STAMP, JSON.stringify({ files, digest: digestOf(files) } satisfies Stamp));
  return { written, bytes: output.contents.length };
}

function readStamp(): Stamp | undefined {
  try {
    return JSON.parse(fs.readFileSync(STAMP, 'utf8')) as Stamp;
  } catch {
    return undefined;
  }
}

/** esbuild's version and the size and time of each file; a file that is gone digests as such. */
function digestOf(files: readonly string[]): string {
  const hash = createHash('sha256').update(`esbuild ${version}\n`);
  for (const file of files) {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    hash.update(`${file}\0${stat ? `${stat.size}\0${stat.mtimeMs}` : 'missing'}\n`);
  }
  return hash.digest('hex');
}

if (require.main === module) {
  const { written, bytes } = bundleHandlers();
  if (written) process.stdout.write(`bundled handlers: ${path.relative(process.cwd(), OUTFILE)} (${bytes} bytes)\n`);
}
