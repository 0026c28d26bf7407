/**
 * The offline evaluator on 5 request shapes (the example's agent boundary under
 * AdministratorAccess): compiled once, and parsing the policies per request against iam-simulate,
 * which parses them per request too.
 */
import { performance } from 'perf_hooks';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../../examples/coding-agent';
import { AgentPermissionsBoundary, compilePolicy, evaluate, EvaluationRequest } from '../../lib';
import { perRequestRates } from './iam-simulate';
import { fmt, Measure } from './measure';

export const evaluatorShapes: Measure = {
  name: 'evaluator',
  async run() {
    const app = buildApp(new App());
    const construct = app.node.findAll().find(AgentPermissionsBoundary.isAgentPermissionsBoundary)!;
    const boundary = JSON.parse(JSON.stringify(construct.document()).replace(/\$\{Token\[[^\]]+\]\}/g, '111122223333'));
    const admin = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
    const requests: EvaluationRequest[] = [
      { action: 'cloudformation:DeleteStack', resource: 'arn:aws:cloudformation:us-east-1:111122223333:stack/orders-prod/1', context: { 'cloudformation:RoleArn': 'arn:aws:iam::111122223333:role/agent-guardrails/service/Deploy' } },
      { action: 'dynamodb:DeleteTable', resource: 'arn:aws:dynamodb:us-east-1:111122223333:table/orders', context: { 'aws:ResourceTag/Environment': 'Production' } },
      { action: 'iam:PassRole', resource: 'arn:aws:iam::111122223333:role/platform-admin', context: {} },
      { action: 's3:GetObject', resource: 'arn:aws:s3:::orders-prod-x/key', context: {} },
      { action: 'lambda:UpdateFunctionCode', resource: 'arn:aws:lambda:us-east-1:111122223333:function:dev', context: { 'aws:ResourceTag/Environment': 'development' } },
    ];
    const compiledBoundary = compilePolicy('boundary', boundary);
    const compiledAdmin = [compilePolicy('admin', admin)];
    const once = 200_000;
    const start = performance.now();
    for (let i = 0; i < once; i++) evaluate(compiledAdmin, compiledBoundary, requests[i % requests.length]);
    const onceRate = once / ((performance.now() - start) / 1000);
    const principal = 'arn:aws:iam::111122223333:role/agent-guardrails/agent/coding-agent';
    const sample = Array.from({ length: 1000 }, (_, i) => ({ principal, request: requests[i % requests.length], identity: [{ name: 'admin', document: admin }], boundary: { name: 'boundary', document: boundary } }));
    const rates = await perRequestRates(sample);
    return {
      rows: [],
      details: [
        '### Offline evaluator (the example\'s agent boundary, AdministratorAccess, 5 request shapes)',
        '',
        '| evaluator | evaluations per second |',
        '| --- | ---: |',
        `| cdk-agent-guardrails, policies compiled once (iam-simulate has no compiled form: no ratio) | ${fmt(onceRate)} |`,
        `| cdk-agent-guardrails, policies parsed per request | ${fmt(rates.ours)} |`,
        `| @cloud-copilot/iam-simulate \`runSimulation\`, policies parsed per request${rates.theirsErrors ? ` (${rates.theirsErrors} returned errors)` : ''} | ${fmt(rates.theirs)} |`,
        `| ratio, both parsing per request | ${(rates.ours / rates.theirs).toFixed(0)}x |`,
      ],
    };
  },
};
