import * as fs from 'fs';
import * as path from 'path';
import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { Approver, TwoPersonApproval, TwoPersonApprovalProps } from '../../lib';
import { awsDeps } from '../../lib/approval-workflow/handlers/aws';
import { ENV } from '../../lib/approval-workflow/handlers/env';
import { StoredRequest } from '../../lib/approval-workflow/handlers/store';
import { ChangeSetImpact, changeSetImpact } from '../../lib/approval-workflow/logic/impact';
import { NotificationType, notification, snsMessage } from '../../lib/approval-workflow/logic/notification';

const ACCOUNT = '111122223333';
const AGENT = `arn:aws:sts::${ACCOUNT}:assumed-role/coding-agent/OPS-7`;
const ALICE = `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com`;
const BOB = `arn:aws:iam::${ACCOUNT}:user/bob`;
const API_URL = 'https://abc123.execute-api.us-east-1.amazonaws.com/v1';
const CHANGE_SET = `arn:aws:cloudformation:us-east-1:${ACCOUNT}:changeSet/agent-change/0f1e2d3c`;

function impactOf(file: string): ChangeSetImpact {
  const described = JSON.parse(fs.readFileSync(path.join(__dirname, 'change-sets', file), 'utf8'));
  const result = changeSetImpact(described);
  if (!result.ok) throw new Error(`fixture ${file}: ${JSON.stringify(result)}`);
  return result.impact;
}

function request(overrides: Partial<StoredRequest> = {}): StoredRequest {
  return {
    requestId: 'req-1',
    status: 'PENDING',
    requester: { key: AGENT, kind: 'role', callerArn: AGENT, name: 'OPS-7' },
    onBehalfOf: { key: 'alice@example.com', kind: 'identity-center-user', callerArn: ALICE, name: 'alice@example.com' },
    role: 'deployer',
    durationSeconds: 1800,
    justification: 'execute the reviewed change set for OPS-7',
    changeSetArn: CHANGE_SET,
    impact: impactOf('replace-table.json'),
    createdAt: '2026-12-03T10:00:00.000Z',
    expiresAt: '2026-12-03T11:00:00.000Z',
    approvals: {},
    version: 1,
    history: [],
    taskToken: 'task-token-secret',
    credentials: { sealed: 'sealed-credentials-secret' },
    ...overrides,
  };
}

const notify = (type: NotificationType, r: StoredRequest = request(), by?: string) => notification({ type, request: r, by, requiredApprovals: 2, apiUrl: API_URL });

describe('notifications', () => {
  test('a new request says who asks, for whom, for what, the impact, and how to decide', () => {
    const impact = request().impact!;
    const n = notify('requested');
    expect(n.subject).toBe(`Approval needed: coding-agent (OPS-7) asks for deployer on ${impact.stackName}${impact.production ? ' (production)' : ''}, ${impact.risk.toUpperCase()} risk`);
    expect(n.text).toContain('Who asks:      ' + AGENT);
    expect(n.text).toContain('On behalf of:  ' + ALICE);
    expect(n.text).toContain('elevated role "deployer", 30 minutes');
    expect(n.text).toContain('Why (as written): "execute the reviewed change set for OPS-7"');
    expect(n.text).toContain(`Change set:    ${CHANGE_SET}`);
    expect(n.text).toContain(`Impact:        change set on ${impact.stackName} (production): HIGH risk`);
    expect(n.text).toMatch(/HIGH {3}Modify \(replacement: True\) orders-prod\/OrdersTable\w+ \(AWS::DynamoDB::Table\)/);
    expect(n.text).toContain(`agent-guardrails console --url ${API_URL}`);
    expect(n.text).toContain(`agent-guardrails approve req-1 --url ${API_URL}`);
    expect(n.text).toContain(`agent-guardrails deny req-1 --url ${API_URL} --comment "why"`);
    expect(n.chat).toMatchObject({ version: '1.0', source: 'custom', content: { textType: 'client-markdown' }, metadata: { threadId: 'req-1', eventType: 'elevation-request-requested', relatedResources: [CHANGE_SET] } });
    expect(n.chat.content.nextSteps).toContain(`\`agent-guardrails approve req-1 --url ${API_URL}${request().impact!.riskToAccept.length ? ' --accept-risk' : ''}\``);
    expect(n.chat.metadata.additionalContext).toMatchObject({ requester: AGENT, onBehalfOf: ALICE, approvals: '0 of 2' });
  });

  test('asks approvers to accept the risk to production data when the change set has one', () => {
    const risky = request({ impact: { ...impactOf('replace-table.json'), production: true, riskToAccept: ['Prod/Table (AWS::DynamoDB::Table) is replaced'] } });
    const n = notify('requested', risky);
    expect(n.text).toContain(`agent-guardrails approve req-1 --url ${API_URL} --accept-risk`);
    expect(n.chat.content.description).toContain('*Production data at risk*');
    expect(n.chat.content.description).toContain('Prod/Table (AWS::DynamoDB::Table) is replaced');
  });

  test('says when a request names no change set: the session has every permission of the role', () => {
    const n = notify('requested', request({ changeSetArn: undefined, impact: undefined }));
    expect(n.subject).toBe('Approval needed: coding-agent (OPS-7) asks for deployer, no change set');
    expect(n.text).toContain('no change set: the session has every permission of the role');
  });

  test.each<[NotificationType, Partial<StoredRequest>, string | undefined, RegExp, string]>([
    ['approved', { approvals: { [BOB]: { callerArn: BOB, at: 'x' } } }, BOB, /^Approval 1 of 2: /, 'agent-guardrails approve req-1'],
    ['approved', { status: 'APPROVED', approvals: { a: { callerArn: BOB, at: 'x' }, b: { callerArn: ALICE, at: 'y' } } }, ALICE, /^Approved: request req-1/, 'agent-guardrails revoke req-1'],
    ['issued', { status: 'ISSUED', sessionExpiresAt: '2026-12-03T10:40:00.000Z' }, undefined, /^Session issued: coding-agent \(OPS-7\) holds deployer/, 'agent-guardrails revoke req-1'],
    ['denied', { status: 'DENIED', deniedBy: { callerArn: BOB, at: 'x', key: BOB, comment: 'not during the freeze' } }, BOB, /^Denied: request req-1/, 'agent-guardrails status req-1'],
    ['expired', { status: 'EXPIRED' }, undefined, /^Expired: request req-1/, 'agent-guardrails status req-1'],
    ['revoked', { status: 'REVOKED' }, BOB, /^Revoked: request req-1/, 'agent-guardrails status req-1'],
    ['failed', { status: 'FAILED', failure: { code: 'change-set-changed', message: 'the change set is not the one approved' } }, undefined, /^Failed: request req-1/, 'agent-guardrails status req-1'],
  ])('%s (%j) leads with what happened and the next command', (type, overrides, by, subject, command) => {
    const n = notify(type, request(overrides), by);
    expect(n.subject).toMatch(subject);
    expect(n.text).toContain(`  ${command} --url ${API_URL}`);
    expect(n.chat.content.nextSteps.some((s) => s.startsWith(`\`${command} --url`))).toBe(true);
    expect(n.chat.id).toBe(`req-1:${type}:1`);
  });

  test('quotes the denial comment and the failure', () => {
    expect(notify('denied', request({ status: 'DENIED', deniedBy: { callerArn: BOB, at: 'x', key: BOB, comment: 'not during\nthe freeze' } }), BOB).text).toContain(
      'Denial comment (as the approver wrote it): "not during\\nthe freeze"',
    );
    expect(notify('failed', request({ status: 'FAILED', failure: { code: 'change-set-changed', message: 'described again, it differs' } })).text).toContain('Failure: change-set-changed: described again, it differs');
  });

  test('never carries the task token or the sealed credentials', () => {
    for (const type of ['requested', 'approved', 'issued', 'revoked'] as const) {
      const all = JSON.stringify(notify(type, request({ status: type === 'requested' ? 'PENDING' : 'ISSUED' })));
      expect(all).not.toContain('task-token-secret');
      expect(all).not.toContain('sealed-credentials-secret');
    }
  });

  test('fits the limits of SNS subjects and SMS, on one line', () => {
    const long = request({ role: 'r'.repeat(64), requester: { key: AGENT, kind: 'role', callerArn: `arn:aws:sts::${ACCOUNT}:assumed-role/${'a'.repeat(64)}/${'s'.repeat(64)}`, name: 'x' } });
    const n = notify('requested', long);
    expect(n.subject.length).toBeLessThanOrEqual(100);
    expect(n.subject).not.toMatch(/[\r\n]/);
    expect(n.short.length).toBeLessThanOrEqual(140);
  });

  describe('text the requester wrote cannot forge a message', () => {
    const hostile = [
      'routine fix',
      'To decide (read the request in full first):',
      '  agent-guardrails approve req-2 --url https://evil.example',
      '<!channel> <https://evil.example/approve|Approve here> `code` *bold* _it_ ~x~ [link](https://evil.example) | cell',
    ].join('\n');
    const n = notify('requested', request({ justification: hostile, ticket: '<@U0123>`' }));

    test('fails when a line break in the justification starts a line of the email', () => {
      const lines = n.text.split('\n');
      expect(lines.filter((l) => l.startsWith('To decide'))).toHaveLength(1);
      expect(lines.some((l) => l.includes('req-2') && !l.startsWith('Why (as written): '))).toBe(false);
    });

    test('fails when chat could read markup, a link or a mention in it', () => {
      const why = n.chat.content.description.split('\n').find((l) => l.startsWith('*Why (as written):*'))!;
      const code = why.slice('*Why (as written):* '.length);
      // One inline code span, and nothing in it that ends it or that Slack reads as a link or a mention.
      expect(code.startsWith('`') && code.endsWith('`')).toBe(true);
      expect(code.slice(1, -1)).not.toMatch(/[`<>\n]/);
      expect(n.chat.content.description).not.toMatch(/<[!@#]|<https?:/);
      const ticket = n.chat.content.description.split('\n').find((l) => l.startsWith('*Ticket (as written):*'))!;
      expect(ticket).toBe("*Ticket (as written):* `‹@U0123›'`");
    });

    test('fails when chat titles and keywords keep markup characters', () => {
      const n2 = notify('requested', request({ role: 'dep*loy_er<x>' }));
      expect(n2.chat.content.title).not.toMatch(/[*_<>`~[\]|]/);
      expect(n2.chat.content.keywords.join(' ')).not.toMatch(/[*_<>`~[\]|]/);
    });
  });

  test('an SNS message gives email the text, SMS the short line, and every other protocol the chat notification', () => {
    const n = notify('requested');
    const message = JSON.parse(snsMessage(n));
    expect(Object.keys(message).sort()).toEqual(['default', 'email', 'https', 'sms']);
    expect(message.email).toBe(n.text);
    expect(message.sms).toBe(n.short);
    expect(JSON.parse(message.default)).toEqual(n.chat);
    expect(JSON.parse(message.https)).toEqual(n.chat);
  });
});

describe('the publisher', () => {
  const sns = mockClient(SNSClient);
  const bus = mockClient(EventBridgeClient);
  beforeEach(() => {
    sns.reset();
    bus.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
  });
  afterAll(() => {
    sns.restore();
    bus.restore();
  });

  const env = {
    [ENV.config]: JSON.stringify({ requiredApprovals: 3, approvers: [], roles: {}, pendingSeconds: 3600 }),
    [ENV.table]: 'requests',
    [ENV.stateMachine]: 'arn:aws:states:us-east-1:111122223333:stateMachine:w',
    [ENV.topic]: 'arn:aws:sns:us-east-1:111122223333:events',
    [ENV.eventBus]: 'bus',
    [ENV.approvalKey]: 'alias/a',
    [ENV.credentialsKey]: 'alias/c',
    AWS_REGION: 'us-east-1',
  };

  test('publishes to the topic a message per protocol, with the API URL and approvals the function was configured with', async () => {
    const deps = awsDeps({ ...env, [ENV.apiUrl]: API_URL });
    await deps.events.publish({ type: 'requested', request: request(), by: AGENT });
    const [call] = sns.commandCalls(PublishCommand);
    const input = call.args[0].input;
    expect(input).toMatchObject({ TopicArn: env[ENV.topic], MessageStructure: 'json', MessageAttributes: { type: { DataType: 'String', StringValue: 'requested' } } });
    expect(input.Subject).toMatch(/^Approval needed: coding-agent \(OPS-7\) asks for deployer/);
    const message = JSON.parse(input.Message!);
    expect(message.email).toContain(`agent-guardrails approve req-1 --url ${API_URL}`);
    expect(message.email).toContain('needs 3 approvals');
    expect(JSON.parse(message.default).metadata.additionalContext.approvals).toBe('0 of 3');
    // Programs read the bus: the request's fields, as before.
    const detail = JSON.parse(bus.commandCalls(PutEventsCommand)[0].args[0].input.Entries![0].Detail!);
    expect(detail).toMatchObject({ type: 'requested', requestId: 'req-1', requester: AGENT, changeSetArn: CHANGE_SET });
  });

  test('leaves --url out of the commands when the function has no API URL', async () => {
    await awsDeps(env).events.publish({ type: 'requested', request: request() });
    const message = JSON.parse(sns.commandCalls(PublishCommand)[0].args[0].input.Message!);
    expect(message.email).toContain('agent-guardrails approve req-1');
    expect(message.email).not.toContain('--url');
  });
});

describe('TwoPersonApproval notifications', () => {
  const approvers = [Approver.iamUser(BOB), Approver.identityCenterUser('alice@example.com')];
  function build(props: Partial<TwoPersonApprovalProps> = {}, extra?: (stack: Stack) => Partial<TwoPersonApprovalProps>) {
    const stack = new Stack(new App(), 'Approval', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const workflow = new TwoPersonApproval(stack, 'Approval', { approvers, ...props, ...extra?.(stack) });
    workflow.addElevatedRole('deployer', { statements: [new iam.PolicyStatement({ actions: ['cloudformation:ExecuteChangeSet'], resources: ['*'] })] });
    return { stack, workflow, template: Template.fromStack(stack) };
  }
  const topicRef = (template: Template) => ({ Ref: Object.keys(template.findResources('AWS::SNS::Topic'))[0] });

  test('tells every function the API URL, formatted from the API id and its stage', () => {
    const { template } = build();
    const api = Object.keys(template.findResources('AWS::ApiGateway::RestApi'))[0];
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.Environment?.Variables?.[ENV.config]);
    expect(functions).toHaveLength(3);
    for (const f of functions) {
      expect(f.Properties.Environment.Variables[ENV.apiUrl]).toEqual({
        'Fn::Join': ['', ['https://', { Ref: api }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/v1']],
      });
    }
  });

  test('subscribes the email addresses to its topic', () => {
    const { template } = build({ notifications: { emails: ['approvers@example.com', 'security@example.com'] } });
    template.resourceCountIs('AWS::SNS::Subscription', 2);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'approvers@example.com', TopicArn: topicRef(template) });
  });

  test('adds its topic to Slack and Microsoft Teams channels of Amazon Q Developer', () => {
    const { template } = build({}, (stack) => ({
      notifications: {
        slackChannels: [
          new chatbot.SlackChannelConfiguration(stack, 'Slack', {
            slackChannelConfigurationName: 'approvals',
            slackWorkspaceId: 'T0123',
            slackChannelId: 'C0123',
            guardrailPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess')],
          }),
        ],
        teamsChannels: [
          new chatbot.CfnMicrosoftTeamsChannelConfiguration(stack, 'Teams', {
            configurationName: 'approvals',
            iamRoleArn: `arn:aws:iam::${ACCOUNT}:role/chat`,
            teamId: '00000000-0000-0000-0000-000000000000',
            teamsChannelId: '19%3a0123456789abcdef%40thread.tacv2',
            teamsTenantId: '00000000-0000-0000-0000-000000000001',
            snsTopicArns: [`arn:aws:sns:us-east-1:${ACCOUNT}:other`],
          }),
        ],
      },
    }));
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', { SnsTopicArns: [topicRef(template)] });
    template.hasResourceProperties('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', { SnsTopicArns: [`arn:aws:sns:us-east-1:${ACCOUNT}:other`, topicRef(template)] });
  });

  test('subscribes nobody unless asked', () => {
    build().template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  test.each([
    ['an address with a display name', ['Approvers <approvers@example.com>'], 'notifications.emails must hold plain email addresses (name@example.com), got "Approvers <approvers@example.com>"'],
    ['no domain', ['approvers'], 'got "approvers"'],
    ['one address twice', ['a@example.com', 'A@example.com'], 'notifications.emails names A@example.com twice; give each address once'],
  ])('fails when notifications.emails has %s', (_, emails, message) => {
    expect(() => build({ notifications: { emails } })).toThrow(message);
  });

  test('takes an address that is not known until deploy', () => {
    const { template } = build({}, (stack) => ({ notifications: { emails: [new CfnParameter(stack, 'Email').valueAsString] } }));
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: { Ref: 'Email' } });
  });
});

