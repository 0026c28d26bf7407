/** The README documents what the code does; these checks keep the two in step. */
import * as fs from 'fs';
import * as path from 'path';
import { TAG_BLIND_PRODUCTION_ACTIONS } from '../lib';
import { sampleBoundaryDocument } from './support/boundary';

const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

test('the Quick start holds exactly the two commands', () => {
  const section = readme.split('## Quick start')[1].split('\n## ')[0];
  const block = section.split('```')[1].split('\n').slice(1).filter((line) => line.trim().length > 0);
  expect(block).toEqual(['npm ci && npx cdk synth', 'npm test']);
});

test('every boundary statement is described', () => {
  const document = sampleBoundaryDocument();
  const undocumented = document.Statement.map((s) => s.Sid!).filter((sid) => sid !== 'Ceiling' && !readme.includes(`\`${sid}\``));
  expect(undocumented).toEqual([]);
});

test('every action a tag cannot protect is listed', () => {
  const unlisted = Object.keys(TAG_BLIND_PRODUCTION_ACTIONS).filter((action) => !readme.includes(`\`${action}\``));
  expect(unlisted).toEqual([]);
});
