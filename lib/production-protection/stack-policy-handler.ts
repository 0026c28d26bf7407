/*
 * Pure data: the source of the Lambda function that sets a production stack's CloudFormation stack
 * policy, inline in the template (`ZipFile`, so reviewers read it there and no asset is needed),
 * and the type of the custom resource that calls it.
 *
 * The source is a Lambda handler for the Node.js 22 runtime: it imports the AWS SDK the runtime
 * ships (`@aws-sdk/client-cloudformation`) and never aws-cdk-lib; its client is created at the first
 * request and it reads no environment. It answers every request on the presigned `ResponseURL`,
 * failures and timeouts included, so that CloudFormation is never left waiting.
 */

/** The CloudFormation type of the custom resource that sets the stack policy. */
export const STACK_POLICY_RESOURCE_TYPE = 'Custom::AgentGuardrailsStackPolicy';

/** The custom resource's property that holds the stack policy, as JSON text. */
export const STACK_POLICY_BODY_PROPERTY = 'StackPolicyBody';

/** The physical id of the custom resource: there is one stack policy per stack. */
export const STACK_POLICY_PHYSICAL_ID = 'stack-policy';

/** Seconds the function may run; it answers CloudFormation before then. */
export const STACK_POLICY_HANDLER_TIMEOUT_SECONDS = 60;

/** Milliseconds kept before the function's deadline to answer CloudFormation. */
const ANSWER_MARGIN_MS = 5000;

/** The handler's source (`index.handler`). Kept well under the 4,096 characters CloudFormation allows inline. */
export const STACK_POLICY_HANDLER_SOURCE = `// cdk-agent-guardrails ProductionProtection: sets the policy of the stack this resource is in.
// Create, Update: cloudformation:SetStackPolicy on the requesting stack (event.StackId) with ${STACK_POLICY_BODY_PROPERTY}.
// Delete: nothing; CloudFormation cannot remove a stack policy. Every request is answered.
const https = require('https');
let client;

function setStackPolicy(input) {
  const sdk = require('@aws-sdk/client-cloudformation');
  client = client || new sdk.CloudFormationClient({});
  return client.send(new sdk.SetStackPolicyCommand(input));
}

async function apply(event) {
  if (event.RequestType === 'Delete') return;
  const body = (event.ResourceProperties || {}).${STACK_POLICY_BODY_PROPERTY};
  if (typeof body !== 'string' || body.length === 0) throw new Error('${STACK_POLICY_BODY_PROPERTY} must be the stack policy as JSON text');
  await setStackPolicy({ StackName: event.StackId, StackPolicyBody: body });
}

function within(ms, work) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('SetStackPolicy got no answer within ' + Math.max(0, Math.round(ms)) + ' ms')), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

function answer(event, status, reason) {
  const body = JSON.stringify({
    Status: status,
    Reason: reason,
    PhysicalResourceId: event.PhysicalResourceId || '${STACK_POLICY_PHYSICAL_ID}',
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  return new Promise((resolve, reject) => {
    const request = https.request(event.ResponseURL, { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) } }, (response) => {
      response.resume();
      response.on('end', () => (response.statusCode < 300 ? resolve() : reject(new Error('ResponseURL answered ' + response.statusCode))));
    });
    request.on('error', reject);
    request.end(body);
  });
}

exports.handler = async (event, context) => {
  let status = 'SUCCESS';
  let reason = 'stack policy ' + (event.RequestType === 'Delete' ? 'left in place' : 'set');
  try {
    await within(context.getRemainingTimeInMillis() - ${ANSWER_MARGIN_MS}, apply(event));
  } catch (error) {
    status = 'FAILED';
    reason = String((error && error.message) || error).slice(0, 1000);
    console.error(error);
  }
  await answer(event, status, reason);
};
`;
