import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { allRules, Approver, isAcknowledgeable, loadAssembly, TwoPersonApproval } from '../../lib';
import { BREAK_GLASS } from '../../lib/review/rules/break-glass-rule';
import { buildApp as twoPersonApproval } from '../../examples/two-person-approval';

function synthesized(build: (app: App) => void) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'agr-break-glass-'));
  const app = new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true } });
  build(app);
  app.synth();
  return loadAssembly(outdir);
}

function workflow(app: App, breakGlass: boolean) {
  const stack = new Stack(app, 'Guardrails', { stackName: 'agent-guardrails' });
  const approval = new TwoPersonApproval(stack, 'Approval', { approvers: [Approver.identityCenterUser('alice@example.com'), Approver.identityCenterUser('bob@example.com')] });
  const statements = [new iam.PolicyStatement({ actions: ['cloudformation:ExecuteChangeSet'], resources: ['*'] })];
  approval.addElevatedRole('deployer', { statements });
  approval.addElevatedRole('responder', { statements, ...(breakGlass ? { breakGlass: {} } : {}) });
}

describe('AGR-BREAK-GLASS', () => {
  test('passes a workflow whose roles all need two approvals, and the example app', () => {
    expect(BREAK_GLASS.check(synthesized((app) => workflow(app, false)))).toEqual([]);
    expect(BREAK_GLASS.check(synthesized((app) => twoPersonApproval(app)))).toEqual([]);
  });

  test('fails when a role allows break-glass: one warning for it, on the role, read from the deployed configuration', () => {
    expect(BREAK_GLASS.check(synthesized((app) => workflow(app, true)))).toEqual([
      expect.objectContaining({
        ruleId: 'AGR-BREAK-GLASS',
        severity: 'warning',
        stackName: 'agent-guardrails',
        constructPath: 'Guardrails/Approval/ElevatedResponder/Resource',
        message: 'break-glass is enabled for elevated role "responder" of the workflow at Guardrails/Approval: one approver alone can issue a session of up to 15 minutes, 1 per 24 hours',
      }),
    ]);
  });

  test('fails as unresolved when the workflow configuration cannot be read offline', () => {
    const assembly = synthesized((app) => workflow(app, true));
    const fn = assembly.stacks[0].resources.find((r) => r.type === 'AWS::Lambda::Function' && r.properties.Environment?.Variables?.AGENT_GUARDRAILS_CONFIG)!;
    fn.properties.Environment.Variables.AGENT_GUARDRAILS_CONFIG = { 'Fn::ImportValue': 'somewhere' };
    expect(BREAK_GLASS.check(assembly)).toEqual([expect.objectContaining({ severity: 'unresolved', message: expect.stringMatching(/whether the workflow at Guardrails\/Approval allows break-glass cannot be read offline/) })]);
  });

  test('is in every review and cannot be acknowledged away', () => {
    expect(allRules().map((r) => r.id)).toContain('AGR-BREAK-GLASS');
    expect(isAcknowledgeable('AGR-BREAK-GLASS')).toBe(false);
  });
});
