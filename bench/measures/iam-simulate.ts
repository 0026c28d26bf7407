/**
 * Our evaluator and @cloud-copilot/iam-simulate on the same requests with the same policies, each
 * parsing the policies for every request (iam-simulate has no compiled form, so that is the only
 * like-for-like comparison). Pure apart from the clock.
 */
import { performance } from 'perf_hooks';
import { ActionEvaluator, compilePolicy, EvaluationRequest } from '../../lib/review/policy-evaluator';

/** One request with the documents it is decided against. */
export interface PolicyRequest {
  readonly principal: string;
  readonly request: EvaluationRequest;
  readonly identity: ReadonlyArray<{ readonly name: string; readonly document: unknown }>;
  readonly boundary?: { readonly name: string; readonly document: unknown };
}

const versioned = (document: any) => ({ Version: '2012-10-17', ...document });

/** Evaluations per second of both, in one run, ours first then theirs, over the same requests. */
export async function perRequestRates(requests: readonly PolicyRequest[]): Promise<{ ours: number; theirs: number; theirsErrors: number }> {
  const { runSimulation } = require('@cloud-copilot/iam-simulate') as typeof import('@cloud-copilot/iam-simulate');
  // Warm both up on the first few, so that neither pays for its JIT alone.
  for (const r of requests.slice(0, 20)) {
    new ActionEvaluator(r.request.action, r.identity.map((p) => compilePolicy(p.name, p.document as any)), r.boundary && compilePolicy(r.boundary.name, r.boundary.document as any)).decide(r.request);
  }
  let start = performance.now();
  let n = 0;
  // Ours is fast: repeat the list until at least half a second has passed.
  do {
    for (const r of requests) {
      const identity = r.identity.map((p) => compilePolicy(p.name, p.document as any));
      const boundary = r.boundary && compilePolicy(r.boundary.name, r.boundary.document as any);
      new ActionEvaluator(r.request.action, identity, boundary).decide(r.request);
      n++;
    }
  } while (requests.length > 0 && performance.now() - start < 500);
  const ours = n / ((performance.now() - start) / 1000);
  const simulate = (r: PolicyRequest) =>
    runSimulation(
      {
        request: {
          principal: r.principal,
          action: r.request.action,
          resource: { resource: r.request.resource, accountId: r.request.resource.split(':')[4] || '111122223333' },
          contextVariables: Object.fromEntries(Object.entries(r.request.context ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : [...v]])),
        },
        identityPolicies: r.identity.map((p) => ({ name: p.name, policy: versioned(p.document) })),
        permissionBoundaryPolicies: r.boundary ? [{ name: r.boundary.name, policy: versioned(r.boundary.document) }] : undefined,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
  for (const r of requests.slice(0, 20)) await simulate(r);
  let theirsErrors = 0;
  start = performance.now();
  for (const r of requests) {
    const result = await simulate(r);
    if ('errors' in result && result.errors) theirsErrors++;
  }
  const theirs = requests.length / ((performance.now() - start) / 1000);
  return { ours, theirs, theirsErrors };
}
