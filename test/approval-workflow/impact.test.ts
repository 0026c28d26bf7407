/**
 * The impact of a change set, read from `describe-change-set` output of real shape (change-sets/):
 * replacement, conditional replacement, removal with and without a retaining policy, IAM and
 * network changes, and a nested stack with and without its own change set.
 */
import * as fs from 'fs';
import * as path from 'path';
import { changeSetImpact, ChangeSetImpact, describeImpactReason, isExecutable } from '../../lib/approval-workflow/logic/impact';

const read = (name: string): any => JSON.parse(fs.readFileSync(path.join(__dirname, 'change-sets', `${name}.json`), 'utf8'));

function impactOf(name: string, nested: string[] = []): ChangeSetImpact {
  const result = changeSetImpact(read(name), nested.map(read));
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.impact;
}

const change = (impact: ChangeSetImpact, logicalId: string) => impact.changes.find((c) => c.logicalResourceId === logicalId)!;

describe('changeSetImpact', () => {
  test('calls replacing a production table high risk, to be accepted, and the dynamic reference to it medium', () => {
    const impact = impactOf('replace-table');
    expect(impact).toMatchObject({ stackName: 'orders-prod', production: true, risk: 'high', counts: { added: 0, modified: 1, removed: 0, replaced: 1 } });
    expect(change(impact, 'OrdersTable3F1A2B4C')).toMatchObject({ action: 'Modify', replacement: 'True', stateful: true, risk: 'high', reasons: ['stateful-replaced'] });
    expect(change(impact, 'WriterFunction9A8B7C6D')).toMatchObject({ risk: 'medium', reasons: ['known-at-execution'] });
    expect(impact.riskToAccept).toEqual(['orders-prod/OrdersTable3F1A2B4C (AWS::DynamoDB::Table)']);
  });

  test('tells a removal that deletes data from one that keeps it, and flags IAM, network and conditional replacement', () => {
    const impact = impactOf('remove-and-iam');
    // The tag value is matched case-insensitively: "Production" is production.
    expect(impact.production).toBe(true);
    expect(change(impact, 'IncomingQueue5E4D3C2B')).toMatchObject({ risk: 'high', reasons: ['stateful-removed'] });
    expect(change(impact, 'ReceiptsBucket1A2B3C4D')).toMatchObject({ risk: 'medium', reasons: ['stateful-removed-retained'] });
    expect(change(impact, 'WriterServiceRoleDefaultPolicy1B2C3D4E')).toMatchObject({ risk: 'high', reasons: ['iam-changed'] });
    expect(change(impact, 'ApiSecurityGroup7F6E5D4C')).toMatchObject({ risk: 'medium', reasons: ['may-be-replaced', 'network-changed'] });
    expect(change(impact, 'ReportsRole2A3B4C5D')).toMatchObject({ action: 'Add', risk: 'medium', reasons: ['iam-added'] });
    expect(impact.counts).toEqual({ added: 1, modified: 1, removed: 2, replaced: 1 });
    // Both removals of data-holding production resources need accepting, the retained one too: it leaves the stack.
    expect(impact.riskToAccept).toEqual(['orders-prod/IncomingQueue5E4D3C2B (AWS::SQS::Queue)', 'orders-prod/ReceiptsBucket1A2B3C4D (AWS::S3::Bucket)']);
  });

  test('reads a nested stack\'s changes from its own change set, and says so when it is missing', () => {
    const withChild = impactOf('nested-root', ['nested-child']);
    expect(withChild.risk).toBe('high');
    expect(change(withChild, 'LedgerTable0A1B2C3D')).toMatchObject({ stackName: 'shop-prod-DataNestedStack-1ABCDEF', risk: 'high', reasons: ['stateful-removed'] });
    expect(withChild.riskToAccept).toEqual(['shop-prod-DataNestedStack-1ABCDEF/LedgerTable0A1B2C3D (AWS::DynamoDB::Table)']);

    const alone = impactOf('nested-root');
    expect(alone.risk).toBe('medium');
    expect(alone.changes).toEqual([expect.objectContaining({ resourceType: 'AWS::CloudFormation::Stack', reasons: ['nested-stack-not-shown'] })]);
  });

  test('calls adding and changing in place outside production low, with nothing to accept', () => {
    const impact = impactOf('add-only-dev');
    expect(impact).toMatchObject({ production: false, risk: 'low', riskToAccept: [], counts: { added: 1, modified: 1, removed: 0, replaced: 0 } });
  });

  test('has nothing to accept outside production, even for a replaced table', () => {
    const described = { ...read('replace-table'), Tags: [{ Key: 'Environment', Value: 'staging' }] };
    const result = changeSetImpact(described);
    expect(result.ok && result.impact).toMatchObject({ production: false, risk: 'high', riskToAccept: [] });
  });

  test('uses the production tag and the data-holding types it is given', () => {
    const described = { ...read('add-only-dev'), Tags: [{ Key: 'tier', Value: 'live' }] };
    const result = changeSetImpact(described, [], { productionTag: { key: 'tier', values: ['live'] }, statefulResourceTypes: ['AWS::Lambda::Function'] });
    expect(result.ok && result.impact.production).toBe(true);
    expect(result.ok && result.impact.changes.find((c) => c.resourceType === 'AWS::Lambda::Function')!.stateful).toBe(true);
  });

  test('fingerprints the changes: the same change set described again matches, a different one does not', () => {
    const first = impactOf('replace-table');
    const again = changeSetImpact(JSON.parse(JSON.stringify(read('replace-table'))));
    const changed = read('replace-table');
    changed.Changes[0].ResourceChange.Details[0].Target.AfterValue = 'customerId';
    const other = changeSetImpact(changed);
    expect(again.ok && again.impact.fingerprint).toBe(first.fingerprint);
    expect(other.ok && other.impact.fingerprint).not.toBe(first.fingerprint);
  });

  test('says whether the change set can still be executed', () => {
    expect(isExecutable(impactOf('replace-table'))).toBe(true);
    expect(isExecutable({ status: 'CREATE_COMPLETE', executionStatus: 'EXECUTE_COMPLETE' })).toBe(false);
    expect(isExecutable({ status: 'FAILED', executionStatus: 'UNAVAILABLE' })).toBe(false);
  });

  test('has a sentence for every reason', () => {
    const codes = ['stateful-removed', 'stateful-removed-retained', 'stateful-replaced', 'stateful-may-be-replaced', 'removed', 'replaced', 'may-be-replaced', 'iam-changed', 'iam-added', 'resource-policy-changed', 'network-changed', 'nested-stack-not-shown', 'known-at-execution', 'imported'] as const;
    expect(new Set(codes.map(describeImpactReason)).size).toBe(codes.length);
  });

  test.each([
    ['not an object', [], /the change set must be a JSON object; give the JSON that `aws cloudformation describe-change-set/],
    ['no change set id', { Changes: [] }, /the change set has no ChangeSetId/],
    ['no changes', { ChangeSetId: 'x' }, /the change set has no Changes list/],
    ['a change without its type', { ChangeSetId: 'x', Changes: [{ Type: 'Resource', ResourceChange: { Action: 'Add', LogicalResourceId: 'A' } }] }, /Changes\[0\]\.ResourceChange needs Action, LogicalResourceId and ResourceType/],
  ])('fails when the input has %s, naming what is wrong and how to get it right', (_what, input, message) => {
    const result = changeSetImpact(input);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.join('\n')).toMatch(message);
  });
});
