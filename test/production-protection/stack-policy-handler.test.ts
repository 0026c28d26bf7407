/**
 * The stack policy function, run as Lambda runs it: its code taken from a synthesized template,
 * in a Node.js process of its own, with the CloudFormation client of the AWS SDK replaced by a
 * stand-in (the only fake), answering CloudFormation on a real HTTPS server on 127.0.0.1 (a
 * certificate made for the test, trusted by that process only).
 */
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import type { SetStackPolicyCommandInput } from '@aws-sdk/client-cloudformation';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ProductionProtection, StackPolicyScope } from '../../lib';
import { STACK_POLICY_RESOURCE_TYPE } from '../../lib/production-protection/stack-policy-handler';

const STACK_ID = 'arn:aws:cloudformation:us-east-1:111122223333:stack/orders-prod/4d3c2b1a-0000-1111-2222-333344445555';

/** The function's code and the custom resource's properties, as synthesized for `scope`. */
function synthesized(scope?: StackPolicyScope) {
  const app = new App();
  const stack = new Stack(app, 'Prod', { stackName: 'orders-prod' });
  const protection = new ProductionProtection(stack, 'ProductionProtection', { stackPolicyScope: scope });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, any>;
  const [resource] = Object.values(resources).filter((r) => r.Type === STACK_POLICY_RESOURCE_TYPE);
  const fn = resources[resource.Properties.ServiceToken['Fn::GetAtt'][0]];
  return { code: fn.Properties.Code.ZipFile as string, properties: resource.Properties, policy: protection.stackPolicy };
}

/** What the stand-in SDK does when sent a command: answer, fail as CloudFormation does, or never answer. */
type SdkBehaviour = 'answer' | 'fail' | 'hang';

/** The stand-in for `@aws-sdk/client-cloudformation`: records every client and command in a file. */
const FAKE_SDK = `
const fs = require('fs');
const record = (entry) => fs.appendFileSync(process.env.SDK_CALLS, JSON.stringify(entry) + '\\n');
class SetStackPolicyCommand { constructor(input) { this.input = input; } }
class CloudFormationClient {
  constructor(config) { record({ client: config }); }
  async send(command) {
    record({ command: command.constructor.name, input: command.input });
    if (process.env.SDK_BEHAVIOUR === 'fail') {
      const error = new Error('Error parsing the stack policy: Unexpected token');
      error.name = 'ValidationError';
      throw error;
    }
    if (process.env.SDK_BEHAVIOUR === 'hang') return new Promise(() => {});
    return { $metadata: { httpStatusCode: 200 } };
  }
}
module.exports = { CloudFormationClient, SetStackPolicyCommand };
`;

/** Runs the handler once on `event` in a child process, as the Lambda runtime would call it. */
const RUNNER = `
const { handler } = require('./index.js');
const deadline = Date.now() + Number(process.env.REMAINING_MS);
handler(JSON.parse(process.env.EVENT), { getRemainingTimeInMillis: () => deadline - Date.now() }).then(
  () => process.exit(0),
  (error) => { console.error(error.message); process.exit(1); },
);
`;

interface Answer {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, unknown>;
  readonly body: any;
}

let dir: string;
let server: https.Server;
let port: number;
let answers: Answer[];
let answerStatus: number;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agr-stack-policy-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1'], { stdio: 'ignore' });
  server = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }, (req, res) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => {
      answers.push({ method: req.method!, url: req.url!, headers: req.headers, body: JSON.parse(text) });
      res.writeHead(answerStatus).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  answers = [];
  answerStatus = 200;
});

/** Installs `code` as the function's index.js with the stand-in SDK beside it, and runs it on `event`. */
async function invoke(code: string, event: Record<string, unknown>, options: { sdk?: SdkBehaviour; remainingMs?: number } = {}) {
  const work = fs.mkdtempSync(path.join(dir, 'fn-'));
  fs.writeFileSync(path.join(work, 'index.js'), code);
  fs.writeFileSync(path.join(work, 'run.js'), RUNNER);
  const sdkDir = path.join(work, 'node_modules', '@aws-sdk', 'client-cloudformation');
  fs.mkdirSync(sdkDir, { recursive: true });
  fs.writeFileSync(path.join(sdkDir, 'index.js'), FAKE_SDK);
  const calls = path.join(work, 'calls.jsonl');
  const exitCode = await new Promise<number>((resolve) => {
    execFile(
      process.execPath,
      ['run.js'],
      {
        cwd: work,
        env: {
          PATH: process.env.PATH,
          NODE_EXTRA_CA_CERTS: path.join(dir, 'cert.pem'),
          EVENT: JSON.stringify({
            StackId: STACK_ID,
            RequestId: 'c0ffee00-1111-4222-8333-944445555666',
            LogicalResourceId: 'ProductionProtectionStackPolicyApplyB87FC03F',
            ResourceType: STACK_POLICY_RESOURCE_TYPE,
            ResponseURL: `https://127.0.0.1:${port}/cloudformation-custom-resource-response-useast1/answer?X-Amz-Signature=abc`,
            ...event,
          }),
          REMAINING_MS: String(options.remainingMs ?? 60_000),
          SDK_CALLS: calls,
          SDK_BEHAVIOUR: options.sdk ?? 'answer',
        },
      },
      (error) => resolve(error ? Number(error.code ?? 1) : 0),
    );
  });
  const sdk = fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').trim().split('\n').map((line) => JSON.parse(line)) : [];
  return { exitCode, sdk, answers: [...answers] };
}

describe('the stack policy function', () => {
  const all = synthesized();

  test('on Create, sets the policy of the requesting stack from the properties, and answers SUCCESS', async () => {
    const { exitCode, sdk, answers: [answer, ...more] } = await invoke(all.code, { RequestType: 'Create', ResourceProperties: all.properties });
    expect(exitCode).toBe(0);
    expect(sdk).toEqual([{ client: {} }, { command: 'SetStackPolicyCommand', input: { StackName: STACK_ID, StackPolicyBody: JSON.stringify(all.policy) } }]);
    expect(more).toEqual([]);
    expect(answer.method).toBe('PUT');
    expect(answer.url).toBe('/cloudformation-custom-resource-response-useast1/answer?X-Amz-Signature=abc');
    // The presigned URL is signed for no content type.
    expect(answer.headers['content-type']).toBe('');
    expect(answer.body).toEqual({
      Status: 'SUCCESS',
      Reason: 'stack policy set',
      PhysicalResourceId: 'stack-policy',
      StackId: STACK_ID,
      RequestId: 'c0ffee00-1111-4222-8333-944445555666',
      LogicalResourceId: 'ProductionProtectionStackPolicyApplyB87FC03F',
    });
  });

  test('on Update, sets the new policy and keeps the physical id, so CloudFormation deletes nothing', async () => {
    const stateful = synthesized(StackPolicyScope.STATEFUL_RESOURCES);
    const { sdk, answers: [answer] } = await invoke(all.code, {
      RequestType: 'Update',
      PhysicalResourceId: 'stack-policy-of-orders-prod',
      ResourceProperties: stateful.properties,
      OldResourceProperties: all.properties,
    });
    expect(sdk[1]).toEqual({ command: 'SetStackPolicyCommand', input: { StackName: STACK_ID, StackPolicyBody: JSON.stringify(stateful.policy) } });
    expect(JSON.parse(sdk[1].input.StackPolicyBody).Statement[1].Condition.StringEquals.ResourceType).toContain('AWS::DynamoDB::Table');
    expect(answer.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'stack-policy-of-orders-prod' });
  });

  test('on Delete, calls nothing and answers SUCCESS: the last policy stays on the stack', async () => {
    const { exitCode, sdk, answers: [answer] } = await invoke(all.code, { RequestType: 'Delete', PhysicalResourceId: 'stack-policy', ResourceProperties: all.properties });
    expect(exitCode).toBe(0);
    expect(sdk).toEqual([]);
    expect(answer.body).toMatchObject({ Status: 'SUCCESS', Reason: 'stack policy left in place', PhysicalResourceId: 'stack-policy' });
  });

  test('fails when CloudFormation refuses the policy: answers FAILED with its reason', async () => {
    const { exitCode, sdk, answers: [answer] } = await invoke(all.code, { RequestType: 'Create', ResourceProperties: all.properties }, { sdk: 'fail' });
    expect(exitCode).toBe(0);
    expect(sdk).toHaveLength(2);
    expect(answer.body).toMatchObject({ Status: 'FAILED', Reason: 'Error parsing the stack policy: Unexpected token', PhysicalResourceId: 'stack-policy', StackId: STACK_ID });
  });

  test('fails when CloudFormation does not answer: answers FAILED before the function times out', async () => {
    const { exitCode, answers: [answer] } = await invoke(all.code, { RequestType: 'Update', PhysicalResourceId: 'stack-policy', ResourceProperties: all.properties }, { sdk: 'hang', remainingMs: 5_300 });
    expect(exitCode).toBe(0);
    expect(answer.body).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/^SetStackPolicy got no answer within \d+ ms$/), PhysicalResourceId: 'stack-policy' });
    // It waited at most what was left of the 5.3 s but the 5 s it keeps to answer.
    expect(Number(/(\d+) ms$/.exec(answer.body.Reason)![1])).toBeLessThanOrEqual(300);
  });

  test.each([
    ['there is no StackPolicyBody', {}],
    ['the StackPolicyBody is not text', { StackPolicyBody: { Statement: [] } }],
  ])('fails when %s: answers FAILED and calls nothing', async (_name, properties) => {
    const { sdk, answers: [answer] } = await invoke(all.code, { RequestType: 'Create', ResourceProperties: { ServiceToken: 'arn', ...properties } });
    expect(sdk).toEqual([]);
    expect(answer.body).toMatchObject({ Status: 'FAILED', Reason: 'StackPolicyBody must be the stack policy as JSON text' });
  });

  test('fails the invocation when the ResponseURL refuses the answer, so that Lambda tries again', async () => {
    answerStatus = 403;
    const { exitCode, answers: sent } = await invoke(all.code, { RequestType: 'Delete', PhysicalResourceId: 'stack-policy', ResourceProperties: all.properties });
    expect(sent).toHaveLength(1);
    expect(exitCode).toBe(1);
  });

  test('names the SDK client, command and input fields as @aws-sdk/client-cloudformation does', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require('@aws-sdk/client-cloudformation');
    expect(typeof sdk.CloudFormationClient).toBe('function');
    expect(typeof sdk.SetStackPolicyCommand).toBe('function');
    const input: Required<Pick<SetStackPolicyCommandInput, 'StackName' | 'StackPolicyBody'>> = { StackName: STACK_ID, StackPolicyBody: '{}' };
    expect(new sdk.SetStackPolicyCommand(input).input).toEqual(input);
  });
});
