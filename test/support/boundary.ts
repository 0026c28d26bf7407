import { buildBoundaryDocument, PolicyDocumentJson } from '../../lib';

/** A boundary document for one production stack and bucket, straight from the pure builder. */
export function sampleBoundaryDocument(): PolicyDocumentJson {
  return buildBoundaryDocument({
    productionTag: { key: 'Environment', values: ['production'] },
    productionStackNames: ['orders-prod'],
    productionBucketNames: ['orders-prod-*'],
    boundaryPolicyName: 'AgentPermissionsBoundary',
    accountId: '111122223333',
  });
}
