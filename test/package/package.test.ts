/**
 * The package as a CDK app installs it: packed from a copy of this checkout, installed into a fresh
 * app with the oldest aws-cdk-lib and constructs of the peer ranges, and used there: the examples
 * type-check against the shipped declarations and synthesize, the CLI runs. Needs the npm registry
 * (or a warm npm cache); about a minute.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import { isBuiltin } from 'module';
import * as path from 'path';
import * as ts from 'typescript';
import { copyCheckout, FreshApp, installedPackages, installIntoFreshApp, listFiles, npm, pack, Packed, peerFloors, REPO, tempDir } from './fresh-app';

const MANIFEST = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
const OPTIONAL_PEERS = Object.keys(MANIFEST.peerDependenciesMeta ?? {}).filter((name) => MANIFEST.peerDependenciesMeta[name].optional);
const MB = 1e6;

/**
 * The one shipped require of a dev dependency: the CLI runs the TypeScript sources through ts-node
 * when lib/cli/main.ts exists, that is in a clone; the package ships no sources (checked below).
 */
const DEV_REQUIRES_ALLOWED = [{ file: 'bin/agent-guardrails.js', module: 'ts-node' }];

/** Budget for what the package adds to a CDK app that has only its peers. */
const ADDED_BUDGET = { packages: 60, megabytes: 40 };

let root: string;
let treeBefore: string[];
let treeAfter: string[];
let packed: Packed;
let fresh: FreshApp;
let installed: string;

beforeAll(() => {
  root = tempDir('agent-guardrails-package-');
  const checkout = path.join(root, 'checkout');
  copyCheckout(checkout);
  treeBefore = listFiles(checkout);
  packed = pack(checkout, path.join(root, 'pack'));
  treeAfter = listFiles(checkout);
  fresh = installIntoFreshApp(path.join(root, 'app'), packed.tarball);
  installed = path.join(fresh.app, 'node_modules', 'cdk-agent-guardrails');
}, 10 * 60_000);

afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe('packing', () => {
  test('leaves the tree as it was', () => {
    expect({ added: treeAfter.filter((f) => !treeBefore.includes(f)), removed: treeBefore.filter((f) => !treeAfter.includes(f)) }).toEqual({ added: [], removed: [] });
  });

  test('ships the compiled code, its declarations, the handler bundle and the console assets', () => {
    expect(packed.files).toEqual(expect.arrayContaining([
      'package.json', 'README.md', 'LICENSE', 'bin/agent-guardrails.js',
      MANIFEST.main, MANIFEST.types, 'dist/cli/main.js',
      'dist/approval-workflow/handlers/dist/index.js',
      ...fs.readdirSync(path.join(REPO, 'lib', 'approver-console', 'assets')).map((f) => `dist/approver-console/assets/${f}`),
    ]));
  });

  test('fails when the package ships sources, source maps, tests or build scripts', () => {
    const unwanted = packed.files.filter((f) =>
      (f.endsWith('.ts') && !f.endsWith('.d.ts'))
      || f.endsWith('.map')
      || /^(lib|test|examples|bench|\.ci)\//.test(f)
      || /(^|\/)(bundle|tsconfig[^/]*)\.(js|d\.ts|json)$/.test(f));
    expect(unwanted).toEqual([]);
  });

  test('fails when a shipped file carries a source map', () => {
    const withMaps = jsFiles(installed).concat(packed.files.filter((f) => f.endsWith('.d.ts')))
      .filter((f, i, all) => all.indexOf(f) === i)
      .filter((f) => fs.readFileSync(path.join(installed, f), 'utf8').includes('sourceMappingURL'));
    expect(withMaps).toEqual([]);
  });
});

describe('a fresh CDK app that installs the package', () => {
  test('fails when the install brings a local-mode emulator, a native build or a dev dependency', () => {
    const peers = new Set(Object.keys(MANIFEST.peerDependencies));
    const forbidden = new Set([...Object.keys(MANIFEST.devDependencies).filter((name) => !peers.has(name) || OPTIONAL_PEERS.includes(name)), 'classic-level', 'level']);
    const packages = installedPackages(path.join(fresh.app, 'node_modules')).map(manifestOf);
    expect(packages.filter((p) => forbidden.has(p.name)).map((p) => p.name)).toEqual([]);
    // A native module: a gyp build, or a script run at install.
    const native = packages.filter((p) => p.gypfile || fs.existsSync(path.join(p.dir, 'binding.gyp')) || p.scripts?.preinstall || p.scripts?.install || p.scripts?.postinstall);
    expect(native.map((p) => p.name)).toEqual([]);
  });

  test('adds what synth needs and no more than the budget', () => {
    const added = { packages: fresh.after.packages - fresh.before.packages, megabytes: (fresh.after.bytes - fresh.before.bytes) / MB };
    expect(added.packages).toBeLessThanOrEqual(ADDED_BUDGET.packages);
    expect(added.megabytes).toBeLessThanOrEqual(ADDED_BUDGET.megabytes);
  });

  test('fails when a peer is missing or a dependency is invalid (npm ls)', () => {
    expect(() => npm(fresh.app, ['ls', '--all'])).not.toThrow();
    expect(fresh.installLog).not.toMatch(/EBADENGINE|ERESOLVE|peer dep/i);
  });

  test('fails when engines.node admits a Node.js that an installed package refuses', () => {
    const semver = require(require.resolve('semver', { paths: [path.join(fresh.app, 'node_modules', 'aws-cdk-lib')] }));
    const ours: string = MANIFEST.engines.node;
    const refusing = installedPackages(path.join(fresh.app, 'node_modules')).map(manifestOf)
      .filter((p) => p.engines?.node !== undefined && !semver.subset(ours, p.engines.node))
      .map((p) => `${p.name}@${p.version} wants node ${p.engines?.node}`);
    expect(refusing).toEqual([]);
  });

  test('fails when shipped code requires anything but Node.js, its own files, its dependencies and its optional peers', () => {
    const dependencies = new Set(Object.keys(MANIFEST.dependencies));
    const peers = new Set(Object.keys(MANIFEST.peerDependencies));
    const problems: string[] = [];
    const toResolve: Array<{ file: string; spec: string; from: string }> = [];
    let requires = 0;
    for (const file of jsFiles(installed)) {
      const dir = path.dirname(path.join(installed, file));
      for (const spec of requiredModules(path.join(installed, file))) {
        requires++;
        if (isBuiltin(spec)) continue;
        if (spec.startsWith('.')) {
          const target = path.resolve(dir, spec);
          const found = ['', '.js', '.json', '/index.js'].some((ext) => fs.existsSync(target + ext) && fs.statSync(target + ext).isFile());
          if (!found || path.relative(installed, target).startsWith('..')) problems.push(`${file}: ${spec} is not a file of the package`);
          continue;
        }
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (DEV_REQUIRES_ALLOWED.some((a) => a.file === file && a.module === name)) continue;
        if (!dependencies.has(name) && !peers.has(name)) {
          problems.push(`${file}: ${spec} is ${MANIFEST.devDependencies[name] ? 'a dev dependency' : 'not a dependency'}`);
        } else if (!OPTIONAL_PEERS.includes(name)) {
          toResolve.push({ file, spec, from: dir });
        }
      }
    }
    problems.push(...unresolved(fresh.app, toResolve).map((r) => `${r.file}: ${r.spec} does not resolve in the app`));
    expect(problems).toEqual([]);
    expect(requires).toBeGreaterThan(100);
  });

  test('the examples type-check against the shipped declarations and synthesize with the oldest aws-cdk-lib', () => {
    const app = fresh.app;
    // The examples and bin/app.ts as they are; their "../lib" is the installed package.
    fs.cpSync(path.join(REPO, 'examples'), path.join(app, 'examples'), { recursive: true });
    fs.mkdirSync(path.join(app, 'bin'), { recursive: true });
    fs.copyFileSync(path.join(REPO, 'bin', 'app.ts'), path.join(app, 'bin', 'app.ts'));
    fs.mkdirSync(path.join(app, 'lib'), { recursive: true });
    fs.writeFileSync(path.join(app, 'lib', 'index.ts'), "export * from 'cdk-agent-guardrails';\n");
    const program = ts.createProgram({
      rootNames: ['examples', 'bin', 'lib'].flatMap((d) => listFiles(path.join(app, d)).filter((f) => f.endsWith('.ts')).map((f) => path.join(app, d, f))),
      options: {
        target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, strict: true, esModuleInterop: true,
        rootDir: app, outDir: path.join(app, 'out'), types: ['node'], typeRoots: [path.join(REPO, 'node_modules', '@types')],
      },
    });
    // The examples and the shipped declarations are type-checked, every file parsed; aws-cdk-lib's own
    // declarations, which take three quarters of the check, are not ours to check.
    const checked = program.getSourceFiles().filter((f) => !f.fileName.includes('/node_modules/') || f.fileName.startsWith(`${installed}/`));
    expect(checked.filter((f) => f.fileName.startsWith(`${installed}/`)).length).toBeGreaterThan(50);
    const diagnostics = [
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...program.getSyntacticDiagnostics(),
      ...checked.flatMap((f) => program.getSemanticDiagnostics(f)),
    ];
    expect(ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => app, getNewLine: () => '\n' })).toBe('');
    // One root at a time: emitting the whole program would first type-check every file, aws-cdk-lib's included.
    expect(program.getRootFileNames().map((name) => ({ name, skipped: program.emit(program.getSourceFile(name)).emitSkipped })))
      .toEqual(program.getRootFileNames().map((name) => ({ name, skipped: false })));

    fs.writeFileSync(path.join(app, 'synth.js'), SYNTH_SCRIPT);
    const synth = spawnSync(process.execPath, ['synth.js'], { cwd: app, encoding: 'utf8' });
    expect(synth.stderr).toBe('');
    const result = JSON.parse(synth.stdout) as SynthResult;
    expect(result.awsCdkLib).toBe(peerFloors().awsCdkLib);
    expect(result.constructs).toBe(peerFloors().constructs);
    const examples = fs.readdirSync(path.join(REPO, 'examples')).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, ''));
    expect(Object.keys(result.examples).sort()).toEqual(examples.sort());
    for (const [name, example] of Object.entries(result.examples)) {
      expect({ name, messages: example.messages }).toEqual({ name, messages: [] });
      expect(example.stacks.length).toBeGreaterThan(0);
      example.stacks.forEach((s) => expect(fs.existsSync(path.resolve(app, s.template))).toBe(true));
    }
    // The Lambda handlers are the shipped bundle, staged as an asset.
    const bundled = fs.readFileSync(path.join(installed, 'dist', 'approval-workflow', 'handlers', 'dist', 'index.js'), 'utf8');
    const staged = fs.readdirSync(path.join(app, 'cdk.out', 'two-person-approval')).filter((d) => d.startsWith('asset.'))
      .filter((d) => fs.existsSync(path.join(app, 'cdk.out', 'two-person-approval', d, 'index.js')))
      .map((d) => fs.readFileSync(path.join(app, 'cdk.out', 'two-person-approval', d, 'index.js'), 'utf8'));
    expect(staged.some((b) => b === bundled)).toBe(true);

    // bin/app.ts, as `cdk synth` runs it: the example app with the review as a validation plugin.
    const cdkApp = spawnSync(process.execPath, ['out/bin/app.js'], { cwd: app, encoding: 'utf8', env: { ...process.env, CDK_OUTDIR: path.join(app, 'cdk.out', 'app') } });
    expect({ status: cdkApp.status, stderr: cdkApp.stderr }).toEqual({ status: 0, stderr: expect.stringContaining('agent-guardrails review: 0 errors, 0 unresolved') });
    expect(fs.existsSync(path.join(app, 'cdk.out', 'app', 'manifest.json'))).toBe(true);
  }, 5 * 60_000);

  test('the CLI runs from the package', () => {
    const cli = (...args: string[]) => spawnSync(path.join(fresh.app, 'node_modules', '.bin', 'agent-guardrails'), args, { cwd: fresh.app, encoding: 'utf8' });
    expect(cli('--version')).toMatchObject({ status: 0, stdout: `${MANIFEST.version}\n` });
    // Every command module loads without the optional peers.
    expect(cli('--help')).toMatchObject({ status: 0 });
  });

  test('fails when local mode runs without its optional peers: it names them and the fix', () => {
    const local = spawnSync(path.join(fresh.app, 'node_modules', '.bin', 'agent-guardrails'), ['local'], { cwd: fresh.app, encoding: 'utf8', timeout: 60_000 });
    expect(local.status).toBe(2);
    expect(local.stderr).toBe('agent-guardrails: agent-guardrails local needs dynalite and aws-local-stepfunctions, optional peer dependencies of cdk-agent-guardrails that are not installed; '
      + 'install them with: npm install --save-dev dynalite aws-local-stepfunctions\n');
  });
});

interface SynthResult {
  readonly awsCdkLib: string;
  readonly constructs: string;
  readonly examples: Record<string, { stacks: Array<{ name: string; template: string }>; messages: string[] }>;
}

/** Synthesizes every compiled example into cdk.out/<example>, and reports versions, stacks and non-info messages. */
const SYNTH_SCRIPT = `
const fs = require('fs');
const path = require('path');
const { App } = require('aws-cdk-lib');
const version = (name) => JSON.parse(fs.readFileSync(path.join('node_modules', name, 'package.json'), 'utf8')).version;
const result = { awsCdkLib: version('aws-cdk-lib'), constructs: version('constructs'), examples: {} };
for (const file of fs.readdirSync('out/examples').filter((f) => f.endsWith('.js'))) {
  const name = path.basename(file, '.js');
  const { buildApp } = require('./out/examples/' + file);
  const assembly = buildApp(new App({ outdir: path.join('cdk.out', name) })).synth();
  result.examples[name] = {
    stacks: assembly.stacks.map((s) => ({ name: s.stackName, template: s.templateFullPath })),
    messages: assembly.stacks.flatMap((s) => s.messages).filter((m) => m.level !== 'info').map((m) => m.id + ': ' + m.entry.data),
  };
}
process.stdout.write(JSON.stringify(result));
`;

interface InstalledManifest {
  readonly dir: string;
  readonly name: string;
  readonly version: string;
  readonly engines?: { node?: string };
  readonly gypfile?: boolean;
  readonly scripts?: Record<string, string>;
}

function manifestOf(dir: string): InstalledManifest {
  return { ...JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')), dir };
}

/** The modules a JavaScript file requires or imports by name, read from its syntax tree. */
function requiredModules(file: string): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0])
      && ((ts.isIdentifier(node.expression) && node.expression.text === 'require') || node.expression.kind === ts.SyntaxKind.ImportKeyword)) {
      found.push(node.arguments[0].text);
    }
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.JS));
  return found;
}

/** Every .js file of the installed package, relative to it. */
function jsFiles(dir: string): string[] {
  return listFiles(dir).filter((f) => f.endsWith('.js'));
}

/** The requires that Node.js itself (not jest's resolver) cannot resolve, from where they are. */
function unresolved<T extends { spec: string; from: string }>(cwd: string, requires: T[]): T[] {
  const script = `const requires = JSON.parse(require('fs').readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(requires.map((r) => { try { require.resolve(r.spec, { paths: [r.from] }); return true; } catch { return false; } })));`;
  const child = spawnSync(process.execPath, ['-e', script], { cwd, input: JSON.stringify(requires), encoding: 'utf8' });
  if (child.status !== 0) throw new Error(child.stderr);
  const resolved = JSON.parse(child.stdout) as boolean[];
  return requires.filter((_, i) => !resolved[i]);
}
