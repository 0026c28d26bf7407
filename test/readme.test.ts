/** The README documents what the code does; these checks keep the two in step. */
import * as fs from 'fs';
import * as path from 'path';
import { sampleDocuments } from './support/boundary';

const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

test('the Quick start holds exactly the two commands', () => {
  const section = readme.split('## Quick start')[1].split('\n## ')[0];
  const block = section.split('```')[1].split('\n').slice(1).filter((line) => line.trim().length > 0);
  expect(block).toEqual(['npm ci && npx cdk synth', 'npm test']);
});

test('every statement of the guardrail policies is described', () => {
  const documents = sampleDocuments();
  const sids = [...documents.agentBoundary.Statement, ...documents.agentDenies.Statement, ...documents.agentServiceDenies.Statement, ...documents.workloadBoundary.Statement].map((s) => s.Sid!);
  const undocumented = [...new Set(sids)].filter((sid) => sid !== 'Ceiling' && !readme.includes(`\`${sid}\``));
  expect(undocumented).toEqual([]);
});

test('every review rule is in the rules table with its id, and the unacknowledgeable ones are named', () => {
  const { allRules } = require('../lib') as typeof import('../lib');
  const table = readme.split('### Review rules')[1].split('\n\n')[1];
  const ids = table.split('\n').slice(2).map((row) => /^\| `([A-Z0-9-]+)` \|/.exec(row)?.[1]);
  expect(ids.sort()).toEqual(allRules().map((r) => r.id).sort());
  const guarded = allRules().filter((r) => !r.acknowledgeable).map((r) => r.id);
  const sentence = readme.split('### Review rules')[1].split('cannot be acknowledged')[0];
  expect(guarded.filter((id) => !sentence.split(table)[1].includes(`\`${id}\``))).toEqual([]);
});

describe('the TypeScript snippets', () => {
  const snippets = [...readme.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1]);

  test('each starts with its imports and names the package as users install it', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(8);
    const missing = snippets.filter((code) => !/^import /.test(code) || !code.includes("from 'cdk-agent-guardrails'"));
    expect(missing).toEqual([]);
  });

  test('each compiles on its own against the library', () => {
    const ts = require('typescript') as typeof import('typescript');
    const root = path.join(__dirname, '..');
    // Each snippet is a file of its own, beside the tests, so that its imports resolve as a user's would.
    const files = new Map(snippets.map((code, i) => [path.join(root, 'test', `readme-snippet-${i}.ts`), code]));
    const options: import('typescript').CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      esModuleInterop: true,
      types: ['node'],
      baseUrl: root,
      paths: { 'cdk-agent-guardrails': ['lib/index.ts'] },
    };
    const host = ts.createCompilerHost(options);
    const readFile = host.readFile.bind(host);
    const fileExists = host.fileExists.bind(host);
    const getSourceFile = host.getSourceFile.bind(host);
    host.readFile = (name) => files.get(path.resolve(name)) ?? readFile(name);
    host.fileExists = (name) => files.has(path.resolve(name)) || fileExists(name);
    host.getSourceFile = (name, language, ...rest) => {
      const code = files.get(path.resolve(name));
      return code !== undefined ? ts.createSourceFile(name, code, language) : getSourceFile(name, language, ...rest);
    };
    const program = ts.createProgram([...files.keys()], options, host);
    // The snippets' own diagnostics: the library is type-checked by `tsc --noEmit`, so checking
    // all of it again here would only find problems that the filter below drops.
    const problems = program.getSourceFiles()
      .filter((file) => files.has(path.resolve(file.fileName)))
      .flatMap((file) => ts.getPreEmitDiagnostics(program, file))
      .filter((d) => d.file && files.has(path.resolve(d.file.fileName)))
      .map((d) => `${path.basename(d.file!.fileName)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}\n${files.get(path.resolve(d.file!.fileName))!.split('\n')[d.file!.getLineAndCharacterOfPosition(d.start ?? 0).line]}`);
    expect(problems).toEqual([]);
  });
});
