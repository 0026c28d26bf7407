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
