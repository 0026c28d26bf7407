/*
 * Pure: the CLI's commands, declared once: the parser, the help and the usage are built from this
 * table. Each command's implementation, in its own file beside this one, is loaded only when the
 * command runs, so that `--version`, `--help` and usage errors load commander and this table alone
 * (not aws-cdk-lib, the AWS SDK or the review); keep the imports of this file to declarations.
 */
import { SESSION_NAME_ENV } from '../../agent-access/credential-process';
import { API_OPTIONS, CommandSpec, JSON_OPTION, OptionSpec } from '../command-spec';

/** The profile the MCP server's save_credentials writes unless told otherwise. */
export const DEFAULT_ELEVATED_PROFILE = 'agent-guardrails-elevated';

const COMMENT: OptionSpec = { name: 'comment', value: 'TEXT', help: 'recorded with the decision' };
const PRODUCTION_TAG: OptionSpec = { name: 'production-tag', value: 'KEY=VALUE[,VALUE]', help: 'the production tag (default: Environment=production)' };
const PORT: OptionSpec = { name: 'port', value: 'N', help: 'port on 127.0.0.1 (default: a free one)' };

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'request',
    summary: 'ask for an elevated session, bound to a change set (--break-glass: as an approver, alone, in an emergency)',
    options: [
      { name: 'role', value: 'ROLE', help: 'the elevated role' },
      { name: 'justification', value: 'TEXT', help: 'why, in 10-2000 characters' },
      { name: 'change-set', value: 'ARN', help: 'the change set the session executes (optional with --break-glass)' },
      { name: 'on-behalf-of', value: 'ARN', help: 'the human the agent works for' },
      { name: 'duration', value: 'SECONDS', help: 'the session length (default: the role\'s longest)' },
      { name: 'ticket', value: 'ID', help: 'a ticket reference' },
      { name: 'break-glass', help: 'as an eligible approver, issue yourself a short session alone, on a role that allows it; everyone is told and a review opens' },
      { name: 'reason', value: 'TEXT', help: 'with --break-glass: what is broken and why it cannot wait, in 20-2000 characters' },
      { name: 'accept-risk', help: 'with --break-glass: accept the change set\'s risk to production data' },
      ...API_OPTIONS,
      JSON_OPTION,
    ],
    run: async (input, io) => (await import('./request')).runRequest(input, io),
  },
  {
    name: 'approve',
    args: '<id>',
    summary: 'approve a request (as an eligible approver)',
    options: [COMMENT, { name: 'accept-risk', help: 'accept the change set\'s risk to production data' }, ...API_OPTIONS, JSON_OPTION],
    run: async (input, io) => (await import('./decisions')).runApprove(input, io),
  },
  {
    name: 'deny',
    args: '<id>',
    summary: 'deny a request (as an eligible approver); it ends',
    options: [COMMENT, ...API_OPTIONS, JSON_OPTION],
    run: async (input, io) => (await import('./decisions')).runDeny(input, io),
  },
  {
    name: 'revoke',
    args: '<id>',
    summary: 'end an issued session (as an approver or the requester)',
    options: [...API_OPTIONS, JSON_OPTION],
    run: async (input, io) => (await import('./decisions')).runRevoke(input, io),
  },
  {
    name: 'status',
    args: '<id>',
    summary: 'a request in full: who, why, the change set and its impact, approvals, history',
    options: [...API_OPTIONS, JSON_OPTION],
    run: async (input, io) => (await import('./reads')).runStatus(input, io),
  },
  {
    name: 'pending',
    summary: 'what waits for approval (approvers only)',
    options: [...API_OPTIONS, JSON_OPTION],
    run: async (input, io) => (await import('./reads')).runPending(input, io),
  },
  {
    name: 'credentials',
    args: '<id>',
    summary: 'collect an issued session\'s credentials, once, as export lines',
    options: [...API_OPTIONS, JSON_OPTION],
    run: async (input, io) => (await import('./reads')).runCredentials(input, io),
  },
  {
    name: 'console',
    summary: 'a web console for approvers on 127.0.0.1: pending requests, their impact, approve, deny, revoke',
    options: [PORT, ...API_OPTIONS],
    run: async (input, io) => (await import('./console')).runConsole(input, io),
  },
  {
    name: 'local',
    summary: 'run the approval workflow locally (the demo, or your app\'s with --app)',
    options: [
      PORT,
      { name: 'approvers', value: 'ARN,ARN', help: 'the demo\'s approvers' },
      { name: 'app', value: 'CDK_OUT', help: 'run the TwoPersonApproval of this synthesized app' },
      { name: 'workflow', value: 'PATH', help: 'with --app: the workflow\'s construct path, when the app has several' },
      { name: 'change-sets', value: 'DIR', help: 'describe-change-set JSON files that requests may name' },
      JSON_OPTION,
    ],
    run: async (input, io) => (await import('./local')).runLocal(input, io),
  },
  {
    name: 'review',
    args: '[cdk-out]',
    summary: 'every review rule and the effective-permission sweep (default: cdk.out)',
    options: [
      { name: 'format', value: 'FORMAT', help: 'text, json, sarif or markdown (default: text)' },
      PRODUCTION_TAG,
      { name: 'production-stack', value: 'NAME', help: 'a stack that must be production (repeatable)', repeatable: true },
      { name: 'fail-on-unresolved', help: 'exit 1 when something cannot be resolved offline' },
      JSON_OPTION,
    ],
    run: async (input, io) => (await import('./review')).runReview(input, io),
  },
  {
    name: 'simulate',
    args: '[cdk-out]',
    summary: 'one request against a role of the app, offline',
    options: [
      { name: 'role', value: 'PATH', help: 'the role\'s construct path' },
      { name: 'action', value: 'SERVICE:ACTION', help: 'the action' },
      { name: 'resource', value: 'ARN', help: 'the resource' },
      { name: 'tag', value: 'KEY=VALUE', help: 'a tag of the resource (repeatable)', repeatable: true },
      JSON_OPTION,
    ],
    run: async (input, io) => (await import('./review')).runSimulate(input, io),
  },
  {
    name: 'verify',
    args: '[cdk-out]',
    summary: 'check a deployed role with IAM\'s own simulator',
    options: [
      { name: 'role-arn', value: 'ARN', help: 'the deployed role' },
      { name: 'role', value: 'PATH', help: 'its construct path in the app' },
      { name: 'region', value: 'REGION', help: 'the IAM endpoint\'s region (default: AWS_REGION)' },
      JSON_OPTION,
    ],
    run: async (input, io) => (await import('./review')).runVerify(input, io),
  },
  {
    name: 'impact',
    args: '<file...>',
    summary: 'a change set\'s impact, from describe-change-set --output json (one more file per nested change set)',
    options: [PRODUCTION_TAG, JSON_OPTION],
    run: async (input, io) => (await import('./impact')).runImpact(input, io),
  },
  {
    name: 'credential-process',
    summary: 'print the agent role\'s session for the AWS credential_process setting, cached until shortly before it expires',
    options: [
      { name: 'role-arn', value: 'ARN', help: 'the agent role' },
      { name: 'source-identity', value: 'NAME', help: 'the agent\'s name (the role requires it)' },
      { name: 'session-name', value: 'NAME', help: `a task or ticket id, so CloudTrail tells tasks apart (default: $${SESSION_NAME_ENV}, else the source identity)` },
      { name: 'tag', value: 'KEY=VALUE', help: 'a session tag (repeatable)', repeatable: true },
      { name: 'duration', value: 'SECONDS', help: 'the session length (default: 3600)' },
      { name: 'source-profile', value: 'PROFILE', help: 'the profile of the base credentials (default: the SDK\'s chain)' },
      { name: 'endpoint-url', value: 'URL', help: 'the STS endpoint (default: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, or the SDK\'s)' },
      { name: 'cache-dir', value: 'DIR', help: 'where sessions are cached (default: ~/.cache/agent-guardrails)' },
    ],
    run: async (input, io) => (await import('./credential-process')).runCredentialProcess(input, io),
  },
  {
    name: 'setup-agent',
    summary: 'write an AWS profile whose credentials come from credential-process (start the agent with AWS_PROFILE)',
    options: [
      { name: 'profile', value: 'NAME', help: 'the profile to write (default: the source identity)' },
      { name: 'role-arn', value: 'ARN', help: 'the agent role' },
      { name: 'source-identity', value: 'NAME', help: 'the agent\'s name' },
      { name: 'session-name', value: 'NAME', help: 'a task or ticket id for CloudTrail' },
      { name: 'source-profile', value: 'PROFILE', help: 'the profile of the base credentials' },
      { name: 'config-file', value: 'FILE', help: 'the AWS config file (default: AWS_CONFIG_FILE, or ~/.aws/config)' },
      { name: 'replace', help: 'overwrite a profile of that name that setup-agent did not write' },
    ],
    run: async (input, io) => (await import('./setup-agent')).runSetupAgent(input, io),
  },
  {
    name: 'mcp',
    summary: 'a Model Context Protocol server on stdio for coding agents: check access, request elevation, follow it, save the session to a profile',
    options: [
      { name: 'app', value: 'CDK_OUT', help: 'the synthesized app check_access evaluates (default: cdk.out)' },
      { name: 'role', value: 'PATH', help: 'the agent\'s role in it, by construct path or logical id (default: its only agent role)' },
      { name: 'on-behalf-of', value: 'ARN', help: 'the human the agent works for, sent with every request (who then cannot approve)' },
      { name: 'profile', value: 'NAME', help: `the profile save_credentials writes by default (default: ${DEFAULT_ELEVATED_PROFILE})` },
      { name: 'task', value: 'ID', help: `the task or ticket, sent as the ticket of requests that name none (default: $${SESSION_NAME_ENV})` },
      ...API_OPTIONS,
    ],
    run: async (input, io) => (await import('./mcp')).runMcp(input, io),
  },
  {
    name: 'audit',
    summary: 'one timeline per agent session from CloudTrail: every call and its outcome, denied attempts, elevations with their request and approvers, breaker trips',
    options: [
      { name: 'events', value: 'PATH', help: 'CloudTrail log files (.json, .json.gz), a folder of them, or lookup-events output (repeatable)', repeatable: true },
      { name: 'from', value: 'ISO', help: 'instead of --events, read live CloudTrail (LookupEvents in --region, the last 90 days) from this time' },
      { name: 'to', value: 'ISO', help: 'with --from: up to this time (default: now)' },
      { name: 'format', value: 'FORMAT', help: 'text, markdown, json or html (default: text)' },
      { name: 'production-stack', value: 'NAME', help: 'a stack that is production, so calls on it are marked (repeatable)', repeatable: true },
      ...API_OPTIONS,
      JSON_OPTION,
    ],
    run: async (input, io) => (await import('./audit')).runAudit(input, io),
  },
  {
    name: 'breaker',
    args: '<action>',
    summary: 'replay: when the app\'s circuit breaker would have tripped on recorded CloudTrail events, and why',
    options: [
      { name: 'app', value: 'CDK_OUT', help: 'the synthesized app whose AgentCircuitBreaker to replay (its pattern and thresholds)' },
      { name: 'events', value: 'PATH', help: 'a CloudTrail log file (.json or .json.gz), lookup-events output, a JSON array or JSON lines' },
      { name: 'breaker', value: 'PATH', help: 'the breaker\'s construct path, when the app has several' },
      JSON_OPTION,
    ],
    run: async (input, io) => (await import('./breaker')).runBreaker(input, io),
  },
];
