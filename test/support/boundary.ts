import { BoundaryDocumentInput, buildBoundaryDocuments, BoundaryDocuments } from '../../lib';
import { guardrailActionLists } from '../../lib/permissions-boundary/catalog-actions';

/** The input of the guardrail documents for one production stack of a table, a queue and a function, plus a stack and a bucket by name. */
export function sampleInput(overrides: Partial<BoundaryDocumentInput> = {}): BoundaryDocumentInput {
  const lists = guardrailActionLists(['cloudformation', 'dynamodb', 'sqs', 'lambda', 'iam', 's3', 'route53']);
  return {
    productionTag: { key: 'Environment', values: ['production'] },
    productionReadActions: lists.productionReadActions,
    productionStackNames: ['legacy-billing'],
    productionBucketNames: ['legacy-billing-*'],
    productionRecordNames: ['shop.example.com'],
    securityServiceWrites: lists.securityServiceWrites,
    identityServiceWrites: lists.identityServiceWrites,
    boundaryPolicyName: 'AgentPermissionsBoundary',
    workloadBoundaryName: 'AgentPermissionsBoundary-Workload',
    accountId: '111122223333',
    ...overrides,
  };
}

/** The three guardrail documents of `sampleInput`, straight from the pure builders. */
export function sampleDocuments(overrides: Partial<BoundaryDocumentInput> = {}): BoundaryDocuments {
  return buildBoundaryDocuments(sampleInput(overrides));
}
