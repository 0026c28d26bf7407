/**
 * What installing the package adds to a CDK app: packages and megabytes (file sizes) of
 * node_modules in a fresh app with only aws-cdk-lib and constructs (the oldest versions of the peer
 * ranges), then with the packed tarball added; the largest additions; the tarball's size and the
 * time to pack and install. `BENCH_COMPARE_REF=<commit>` adds the same measure for that commit's
 * package, for a before/after of a change.
 *
 * Run with `npm run bench:install` (needs the npm registry, or a warm npm cache). Prints Markdown.
 */
import * as fs from 'fs';
import * as path from 'path';
import { copyCheckout, FreshApp, installedPackages, installIntoFreshApp, pack, Packed, peerFloors, tempDir } from '../test/package/fresh-app';

const MB = 1e6;

interface Measured {
  readonly label: string;
  readonly floors: { awsCdkLib: string; constructs: string };
  readonly packed: Packed;
  readonly fresh: FreshApp;
  readonly packSeconds: number;
}

function measure(root: string, label: string, ref?: string): Measured {
  const checkout = path.join(root, `${label}-checkout`);
  copyCheckout(checkout, ref);
  const start = Date.now();
  const packed = pack(checkout, path.join(root, `${label}-pack`));
  const packSeconds = (Date.now() - start) / 1000;
  // Each package with the oldest peers it accepts.
  const floors = peerFloors(checkout);
  return { label, floors, packed, packSeconds, fresh: installIntoFreshApp(path.join(root, `${label}-app`), packed.tarball, floors) };
}

function bytesOf(dir: string): number {
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((sum, e) => {
    const full = path.join(dir, e.name);
    return sum + (e.isDirectory() ? bytesOf(full) : e.isFile() ? fs.statSync(full).size : 0);
  }, 0);
}

/** The packages the tarball brought, with their own size (nested node_modules excluded), largest first. */
function added(fresh: FreshApp): Array<{ name: string; bytes: number }> {
  const nodeModules = path.join(fresh.app, 'node_modules');
  const before = new Set(fresh.packagesBefore);
  return installedPackages(nodeModules)
    .map((dir) => path.relative(nodeModules, dir))
    .filter((name) => !before.has(name))
    .map((name) => {
      const nested = path.join(nodeModules, name, 'node_modules');
      return { name, bytes: bytesOf(path.join(nodeModules, name)) - (fs.existsSync(nested) ? bytesOf(nested) : 0) };
    })
    .sort((x, y) => y.bytes - x.bytes);
}

function main(): void {
  const root = tempDir('agent-guardrails-install-size-');
  try {
    const runs = [measure(root, 'this')];
    if (process.env.BENCH_COMPARE_REF) runs.push(measure(root, process.env.BENCH_COMPARE_REF, process.env.BENCH_COMPARE_REF));
    const lines = [
      '### Install size in a fresh CDK app with the oldest peers the package accepts (file sizes, 1 MB = 10^6 bytes)',
      '',
      '| node_modules | packages | MB | added packages | added MB | ratio, packages | ratio, MB |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...runs.flatMap(({ label, floors, fresh: { before, after } }) => [
        `| aws-cdk-lib ${floors.awsCdkLib} + constructs ${floors.constructs} | ${before.packages} | ${(before.bytes / MB).toFixed(1)} | | | | |`,
        `| + cdk-agent-guardrails (${label}) | ${after.packages} | ${(after.bytes / MB).toFixed(1)} | ${after.packages - before.packages} | ${((after.bytes - before.bytes) / MB).toFixed(1)} | ${(after.packages / before.packages).toFixed(2)}x | ${(after.bytes / before.bytes).toFixed(2)}x |`,
      ]),
      '',
      '| package | tarball files | unpacked MB | pack s | install peers s | install tarball s |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...runs.map((m) => `| ${m.label} | ${m.packed.files.length} | ${(m.packed.unpackedBytes / MB).toFixed(2)} | ${m.packSeconds.toFixed(1)} | ${m.fresh.seconds.peers.toFixed(1)} | ${m.fresh.seconds.tarball.toFixed(1)} |`),
    ];
    for (const m of runs) {
      const largest = added(m.fresh).slice(0, 8);
      lines.push('', `Largest additions (${m.label}): ${largest.map((p) => `${p.name} ${(p.bytes / MB).toFixed(1)} MB`).join(', ')}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main();
