/**
 * `agent-guardrails impact` as an approver runs it on the JSON `describe-change-set` prints:
 * exit 0 with the analysis, 2 with one line naming the file and the fix for bad input.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../lib/cli/main';

const CHANGE_SETS = path.join(__dirname, '..', 'approval-workflow', 'change-sets');
const file = (name: string) => path.join(CHANGE_SETS, `${name}.json`);

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: {} });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('impact', () => {
  test('prints the risk, each change with its reasons, and the production data at risk', async () => {
    const result = await run(['impact', file('replace-table')]);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^change set on orders-prod \(production\): HIGH risk$/m);
    expect(result.out).toMatch(/HIGH\s+Modify \(replacement: True\) orders-prod\/OrdersTable3F1A2B4C \(AWS::DynamoDB::Table\)\n\s+- replaces a resource that holds data/);
    expect(result.out).toMatch(/production data at risk, which each approver must accept:\n\s+orders-prod\/OrdersTable3F1A2B4C/);
  });

  test('prints the documented JSON with --json, nested change sets included', async () => {
    const result = await run(['impact', file('nested-root'), file('nested-child'), '--json']);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.out);
    expect(json).toMatchObject({ risk: 'high', production: true });
    expect(json.changes).toContainEqual({
      stackName: 'shop-prod-DataNestedStack-1ABCDEF',
      logicalResourceId: 'LedgerTable0A1B2C3D',
      resourceType: 'AWS::DynamoDB::Table',
      action: 'Remove',
      replacement: null,
      stateful: true,
      risk: 'high',
      reasons: ['removes a resource that holds data: the data is deleted with it'],
      reasonCodes: ['stateful-removed'],
    });
  });

  test('reads the production tag it is given', async () => {
    const result = await run(['impact', file('replace-table'), '--production-tag', 'tier=live', '--json']);
    expect(JSON.parse(result.out)).toMatchObject({ production: false, riskToAccept: [] });
  });

  test.each([
    ['no file', [], /missing required argument 'file'/],
    ['a missing file', ['/nonexistent/change-set.json'], /cannot read \/nonexistent\/change-set.json/],
  ])('fails with exit 2 for %s', async (_what, argv, message) => {
    const result = await run(['impact', ...argv]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
  });

  test('fails with exit 2 for a file that is not describe-change-set JSON, naming the file and the fix', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'impact-'));
    const text = path.join(dir, 'table.txt');
    fs.writeFileSync(text, 'Action  LogicalResourceId\nModify  OrdersTable');
    const wrong = path.join(dir, 'stack.json');
    fs.writeFileSync(wrong, JSON.stringify({ Stacks: [] }));
    expect((await run(['impact', text])).err).toMatch(/table\.txt is not JSON .*save the output of describe-change-set with --output json/);
    const result = await run(['impact', wrong]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/stack\.json has no ChangeSetId; give the JSON that `aws cloudformation describe-change-set --change-set-name ARN --include-property-values --output json` prints/);
  });
});
