/**
 * The breaker's EventBridge pattern, as the construct synthesizes it, against CloudTrail records in
 * the envelope EventBridge delivers them in; and the offline matcher replay uses, operator by operator.
 */
import { App } from 'aws-cdk-lib';
import { matchesPattern, UnsupportedPatternError } from '../../lib/circuit-breaker/logic/event-pattern';
import { resolveIntrinsics, Template } from '../support/template';
import { ACCOUNT, AGENT_ROLE, assumedRole, denied, envelope, record } from './fixtures/records';
import { buildBreakerApp } from './support';

let pattern: any;

beforeAll(() => {
  const { stack } = buildBreakerApp(new App());
  const template = (stack.node.root as App).synth().getStackByName('agent-guardrails').template as Template;
  const rule = Object.values(template.Resources).find((r) => r.Type === 'AWS::Events::Rule')!;
  pattern = resolveIntrinsics(rule.Properties.EventPattern, template);
});

const delivered = (event: unknown) => matchesPattern(pattern, event);
const chained = (sourceIdentity: string) => assumedRole(`arn:aws:iam::${ACCOUNT}:role/agent-workload/helper`, 'chained', sourceIdentity);

describe('the synthesized pattern delivers', () => {
  test.each([
    ['a denied read of the agent (readOnly: true)', denied({ readOnly: true })],
    ['a denied call with AccessDeniedException', denied({ errorCode: 'AccessDeniedException', eventSource: 'dynamodb.amazonaws.com', eventName: 'GetItem' })],
    ['a denied EC2 call (Client.UnauthorizedOperation)', denied({ errorCode: 'Client.UnauthorizedOperation', eventSource: 'ec2.amazonaws.com', eventName: 'DescribeInstances' })],
    ['a denied EC2 call (UnauthorizedOperation)', denied({ errorCode: 'UnauthorizedOperation', eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', readOnly: false })],
    ['an allowed write of the agent (readOnly: false)', record({ readOnly: false, eventName: 'PutObject' })],
    ['a call CloudTrail does not mark readOnly', record({ readOnly: undefined, eventName: 'DeleteQueue', eventSource: 'sqs.amazonaws.com' })],
    ['a denied call of a role-chained session carrying the agent\'s source identity', denied({ userIdentity: chained('coding-agent') })],
    ['an allowed write of a role-chained session', record({ readOnly: false, userIdentity: chained('coding-agent') })],
  ])('%s', (_name, detail) => {
    expect(delivered(envelope(detail))).toBe(true);
  });
});

describe('the synthesized pattern leaves out', () => {
  test.each([
    ['fails when an allowed read of the agent is delivered', envelope(record({ readOnly: true }))],
    ['fails when a call that failed for another reason, a read, is delivered', envelope(record({ readOnly: true, errorCode: 'ThrottlingException' }))],
    ['fails when a human\'s denied call is delivered', envelope(denied({ userIdentity: assumedRole(`arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef`, 'alice@example.com') }))],
    ['fails when an agent not watched is delivered', envelope(denied({ userIdentity: assumedRole(`arn:aws:iam::${ACCOUNT}:role/agent-guardrails/agent/review-agent`, 'r', 'review-agent') }))],
    ['fails when a chained session of someone else is delivered', envelope(denied({ userIdentity: chained('release-bot') }))],
    ['fails when the agent\'s role in another account is delivered', envelope(denied({ userIdentity: assumedRole(AGENT_ROLE.replace(ACCOUNT, '444455556666'), 'OPS-1') }))],
    ['fails when the launcher\'s AssumeRole of the agent role is delivered', envelope(record({
      userIdentity: assumedRole(`arn:aws:iam::${ACCOUNT}:role/agent-launcher`, 'ci-7'),
      eventSource: 'sts.amazonaws.com',
      eventName: 'AssumeRole',
      readOnly: false,
      requestParameters: { roleArn: AGENT_ROLE, roleSessionName: 'OPS-43', sourceIdentity: 'coding-agent' },
    }))],
    ['fails when an event someone put on the bus (a source that is not aws.*) is delivered', { ...envelope(denied()), source: 'agent.forged' }],
    ['fails when a service event is delivered', { ...envelope(record({ readOnly: false })), 'detail-type': 'AWS Service Event via CloudTrail' }],
  ])('%s', (_name, event) => {
    expect(delivered(event)).toBe(false);
  });
});

describe('the offline matcher', () => {
  test.each([
    ['an exact value', { a: ['x'] }, { a: 'x' }, true],
    ['an exact value, not matching', { a: ['x'] }, { a: 'y' }, false],
    ['a value of a list in the event', { a: ['x'] }, { a: ['y', 'x'] }, true],
    ['a boolean', { a: [false] }, { a: false }, true],
    ['a boolean, not matching a string', { a: [false] }, { a: 'false' }, false],
    ['a missing field', { a: ['x'] }, {}, false],
    ['prefix', { a: [{ prefix: 'aws.' }] }, { a: 'aws.s3' }, true],
    ['prefix, not matching', { a: [{ prefix: 'aws.' }] }, { a: 'awsx' }, false],
    ['exists: false on a missing field', { a: [{ exists: false }] }, {}, true],
    ['exists: false on a present field', { a: [{ exists: false }] }, { a: 1 }, false],
    ['exists: true', { a: [{ exists: true }] }, { a: null }, true],
    ['a nested object', { a: { b: ['x'] } }, { a: { b: 'x' } }, true],
    ['a nested object, missing', { a: { b: ['x'] } }, {}, false],
    ['$or, one alternative', { $or: [{ a: ['x'] }, { b: ['y'] }] }, { b: 'y' }, true],
    ['$or, none', { $or: [{ a: ['x'] }, { b: ['y'] }] }, { a: 'y' }, false],
    ['$or nested, with a sibling', { d: { $or: [{ a: ['x'] }, { b: ['y'] }], c: ['z'] } }, { d: { a: 'x', c: 'q' } }, false],
  ])('%s', (_name, p, event, expected) => {
    expect(matchesPattern(p, event)).toBe(expected);
  });

  test('fails when an operator it does not implement is taken for a match', () => {
    expect(() => matchesPattern({ a: [{ wildcard: 'x*' }] }, { a: 'xy' })).toThrow(UnsupportedPatternError);
    expect(() => matchesPattern({ a: [{ numeric: ['>', 1] }] }, { a: 2 })).toThrow(/numeric/);
  });
});
