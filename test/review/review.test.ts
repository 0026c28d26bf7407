/**
 * The review as users meet it: elevated-role trust, acknowledgements with reasons (refused for the
 * rules that guard the guardrails), the CDK validation plugin during synthesis, and `simulate`.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  AGENT_TRUST,
  productionStacksDeclared,
  ACKNOWLEDGEMENTS_METADATA_KEY,
  AgentGuardrailsReview,
  Approver,
  ELEVATED_TRUST,
  ProductionProtection,
  ReviewAcknowledgements,
  reviewAssembly,
  ReviewInputError,
  simulateRequest,
  TwoPersonApproval,
} from '../../lib';
import { buildApp as codingAgent } from '../../examples/coding-agent';
import { buildApp as twoPersonApproval } from '../../examples/two-person-approval';
import { synthesizeApp } from '../support/assembly';

const approvers = [Approver.iamUser('arn:aws:iam::111122223333:user/bob'), Approver.iamUser('arn:aws:iam::111122223333:user/carol')];

function workflowApp(extraTrust?: (role: iam.Role) => void) {
  return synthesizeApp((app) => {
    const stack = new Stack(app, 'Approvals');
    const workflow = new TwoPersonApproval(stack, 'Approval', { approvers });
    const role = workflow.addElevatedRole('deployer', { statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] })] });
    extraTrust?.(role as iam.Role);
  }).assembly;
}

describe('AGR-AGENT-TRUST', () => {
  test('passes agent roles made with AgentRole', () => {
    expect(AGENT_TRUST.check(synthesizeApp((app) => codingAgent(app)).assembly)).toEqual([]);
  });

  test('fails on any template whose agent role trusts everyone or a human, or needs no source identity', () => {
    const { assembly } = synthesizeApp((app) => {
      const stack = new Stack(app, 'Guardrails');
      const statement = (principal: unknown, condition?: unknown) => ({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: principal, ...(condition ? { Condition: condition } : {}) });
      const sourceIdentity = { StringEquals: { 'sts:SourceIdentity': 'hand-made' } };
      new iam.CfnRole(stack, 'HandMade', {
        path: '/agent-guardrails/agent/',
        roleName: 'hand-made',
        assumeRolePolicyDocument: {
          Statement: [
            statement({ AWS: 'arn:aws:iam::111122223333:role/launcher' }, sourceIdentity),
            statement('*', sourceIdentity),
            statement({ AWS: 'arn:aws:iam::111122223333:user/alice' }, sourceIdentity),
            statement({ AWS: 'arn:aws:iam::111122223333:role/launcher' }),
            statement({ Federated: 'arn:aws:iam::111122223333:saml-provider/Okta' }, sourceIdentity),
          ],
        },
      });
    }, { skipSynthChecks: true });
    expect(AGENT_TRUST.check(assembly).map((f) => f.message)).toEqual([
      "the agent role's trust statement 1 trusts everyone (*); name the launcher role",
      "the agent role's trust statement 2 trusts the IAM user arn:aws:iam::111122223333:user/alice; an agent never runs with a human's credentials",
      'the agent role\'s trust statement 3 does not require the source identity "hand-made" (StringEquals sts:SourceIdentity), so sessions are not attributed to the agent',
      "the agent role's trust statement 4 trusts the SAML provider arn:aws:iam::111122223333:saml-provider/Okta, through which humans sign in",
    ]);
  });
});

describe('AGR-ELEVATED-TRUST', () => {
  test('passes when elevated roles trust only the workflow', () => {
    expect(ELEVATED_TRUST.check(workflowApp())).toEqual([]);
    expect(ELEVATED_TRUST.check(synthesizeApp((app) => twoPersonApproval(app)).assembly)).toEqual([]);
  });

  test('fails when an elevated role also trusts another principal', () => {
    const assembly = workflowApp((role) => {
      role.assumeRolePolicy!.addStatements(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], principals: [new iam.ArnPrincipal('arn:aws:iam::111122223333:role/platform-admin')] }));
      role.assumeRolePolicy!.addStatements(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], principals: [new iam.ServicePrincipal('lambda.amazonaws.com')] }));
    });
    expect(ELEVATED_TRUST.check(assembly).map((f) => [f.severity, f.message])).toEqual([
      ['error', 'the elevated role trusts arn:aws:iam::111122223333:role/platform-admin, which is not the approval workflow'],
      ['error', 'the elevated role trusts Service principals ("lambda.amazonaws.com")'],
    ]);
  });
});

/** A production stack whose queue is not retained: an AGR-PROD-PROTECTED error on the queue. */
function unretainedQueue(acknowledge?: (queue: sqs.Queue, stack: Stack) => void) {
  return synthesizeApp((app) => {
    const prod = new Stack(app, 'Prod', { stackName: 'orders-prod' });
    const queue = new sqs.Queue(prod, 'Orders');
    new ProductionProtection(prod, 'ProductionProtection', { allowStatefulResourceDeletion: true });
    acknowledge?.(queue, prod);
  }).assembly;
}

describe('acknowledgements', () => {
  test('an acknowledged finding no longer counts as an error, and keeps its reason', () => {
    const reason = 'The queue is rebuilt from the event log; losing it loses nothing.';
    const report = reviewAssembly(unretainedQueue((queue) => ReviewAcknowledgements.of(queue).acknowledge('AGR-PROD-PROTECTED', reason)));
    expect(report.summary).toEqual({ errors: 0, warnings: 0, unresolved: 0, acknowledged: 1 });
    expect(report.findings).toEqual([expect.objectContaining({ ruleId: 'AGR-PROD-PROTECTED', acknowledgedReason: reason, constructPath: 'Prod/Orders/Resource' })]);
  });

  test('fails when nothing is acknowledged: the same finding is an error', () => {
    expect(reviewAssembly(unretainedQueue()).summary.errors).toBe(1);
  });

  test('a stack-wide acknowledgement covers the stack\'s findings of that rule', () => {
    const report = reviewAssembly(unretainedQueue((_q, stack) => ReviewAcknowledgements.of(stack).acknowledge('AGR-PROD-PROTECTED', 'Pilot stack, migrated next sprint.')));
    expect(report.summary.errors).toBe(0);
  });

  test.each([
    ['AGR-BOUNDARY-ATTACHED', 'a perfectly good reason', /AGR-BOUNDARY-ATTACHED guards the guardrails themselves and cannot be acknowledged/],
    ['AGR-EFFECTIVE-PERMISSIONS', 'a perfectly good reason', /cannot be acknowledged/],
    ['AGR-PROD-PROTECTED', 'because', /needs a reason of at least 10 characters, got "because"/],
    ['AGR-NOPE', 'a perfectly good reason', /unknown rule id "AGR-NOPE"/],
  ])('refuses to acknowledge %s with reason %j', (ruleId, reason, error) => {
    const stack = new Stack(new App(), 'Prod');
    expect(() => ReviewAcknowledgements.of(new sqs.Queue(stack, 'Q')).acknowledge(ruleId, reason)).toThrow(error);
  });

  test('an acknowledgement of a guarding rule written into the template by hand is refused by the review', () => {
    const { assembly } = synthesizeApp((app) => {
      const stack = new Stack(app, 'Guardrails');
      const role = new iam.CfnRole(stack, 'Unbounded', { path: '/agent-workload/', assumeRolePolicyDocument: { Statement: [] } });
      role.addMetadata(ACKNOWLEDGEMENTS_METADATA_KEY, [{ ruleId: 'AGR-BOUNDARY-ATTACHED', reason: 'trust me, it is fine' }]);
    });
    const report = reviewAssembly(assembly);
    expect(report.summary.errors).toBe(1);
    expect(report.findings).toEqual([expect.objectContaining({ ruleId: 'AGR-BOUNDARY-ATTACHED', acknowledgementRefused: expect.stringMatching(/cannot be acknowledged/) })]);
  });
});

describe('the validation plugin', () => {
  test('cdk synth of the examples passes the review, and says what it checked', () => {
    for (const build of [codingAgent, twoPersonApproval]) {
      const app = new App();
      const lines: string[] = [];
      Validations.of(app).addPlugins(new AgentGuardrailsReview({ log: (line) => lines.push(line) }));
      build(app);
      expect(() => app.synth()).not.toThrow();
      expect(lines).toEqual([expect.stringMatching(/^agent-guardrails review: 0 errors, 0 unresolved, 0 acknowledged; 12 rules, [1-9]\d* roles and 2 boundaries swept over [1-9]\d* production resources \([1-9]\d* evaluations\)$/)]);
    }
  });

  test('fails synthesis on an error, naming the rule, and marks guarding rules fatal', () => {
    const app = new App();
    const stack = new Stack(app, 'Guardrails');
    new iam.CfnRole(stack, 'Unbounded', { path: '/agent-guardrails/agent/', assumeRolePolicyDocument: { Statement: [] } });
    const plugin = new AgentGuardrailsReview({ quiet: true });
    let report: any;
    const original = plugin.validate.bind(plugin);
    plugin.validate = (context) => (report = original(context));
    Validations.of(app).addPlugins(plugin);
    expect(() => app.synth()).toThrow(/the role under \/agent-guardrails\/agent\/ has no permissions boundary/);
    expect(report.success).toBe(false);
    expect(report.violations).toEqual(expect.arrayContaining([expect.objectContaining({ ruleName: 'AGR-BOUNDARY-ATTACHED', severity: 'fatal', violatingResources: [expect.objectContaining({ resourceLogicalId: 'Unbounded' })] })]));
  });
});

describe('AGR-PROD-DECLARED', () => {
  function withoutProtection(app: App) {
    const stack = new Stack(app, 'OrdersProd', { stackName: 'orders-prod' });
    new sqs.Queue(stack, 'Orders');
    return stack;
  }

  test('passes when every stack named as production carries the tag', () => {
    const { assembly } = synthesizeApp((app) => codingAgent(app));
    expect(productionStacksDeclared({ productionStacks: ['orders-prod', 'orders-*'] }).check(assembly).filter((f) => f.message.includes('orders-prod'))).toEqual([]);
  });

  test('fails when a stack named as production lost its protection, or is missing', () => {
    const { assembly } = synthesizeApp((app) => withoutProtection(app));
    expect(productionStacksDeclared({ productionStacks: ['orders-prod', 'billing-prod'] }).check(assembly).map((f) => f.message)).toEqual([
      'stack orders-prod must be production but does not carry the production tag Environment=production',
      'no stack of the assembly is named "billing-prod", which must be production',
    ]);
  });

  test('the plugin fails synthesis, naming the stack by its construct path so that CDK prints it', () => {
    const app = new App();
    withoutProtection(app);
    const plugin = new AgentGuardrailsReview({ quiet: true, productionStacks: ['orders-prod'] });
    let report: any;
    const original = plugin.validate.bind(plugin);
    plugin.validate = (context) => (report = original(context));
    Validations.of(app).addPlugins(plugin);
    expect(() => app.synth()).toThrow(/stack orders-prod must be production but does not carry the production tag/);
    expect(report.violations).toEqual([expect.objectContaining({ ruleName: 'AGR-PROD-DECLARED', severity: 'fatal', violatingResources: [expect.objectContaining({ constructPath: 'OrdersProd' })] })]);
  });
});

describe('simulate', () => {
  const { assembly } = synthesizeApp((app) => codingAgent(app));

  test('names the boundary statement that denies deleting the production stack', () => {
    const result = simulateRequest(assembly, {
      role: 'AgentGuardrails/CodingAgent',
      action: 'cloudformation:DeleteStack',
      resource: 'arn:aws:cloudformation:us-east-1:123456789012:stack/orders-prod/abc',
      resourceTags: { Environment: 'production' },
    });
    expect(result.decision).toEqual({ result: 'ExplicitlyDenied', decidedBy: [{ policy: 'permissions boundary', statement: 'ProdReadOnly' }] });
  });

  test('allows what the boundary and the role allow, with the statements that allowed it', () => {
    const result = simulateRequest(assembly, { role: 'CodingAgent0BA105AC', action: 'dynamodb:DescribeTable', resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-prod-Orders' });
    expect(result.decision.result).toBe('Allowed');
    expect(result.decision.decidedBy).toContainEqual({ policy: 'permissions boundary', statement: 'Ceiling' });
  });

  test.each([
    [{ role: 'Nope/Agent' }, /unknown role "Nope\/Agent".*AgentGuardrails\/CodingAgent/],
    [{ resource: 'orders-prod' }, /malformed resource ARN "orders-prod"/],
    [{ action: 'cloudformation:DeleteStacks' }, /unknown action "cloudformation:DeleteStacks"/],
    [{ action: 'DeleteStack' }, /malformed action "DeleteStack"/],
  ])('fails with a one-line error for bad input %j', (override, message) => {
    const input = { role: 'AgentGuardrails/CodingAgent', action: 'cloudformation:DeleteStack', resource: 'arn:aws:cloudformation:us-east-1:123456789012:stack/orders-prod/abc', ...override };
    expect(() => simulateRequest(assembly, input)).toThrow(ReviewInputError);
    expect(() => simulateRequest(assembly, input)).toThrow(message);
  });
});
