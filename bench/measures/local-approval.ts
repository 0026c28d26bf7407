/**
 * Local mode, in process (`startLocalServer`): machine time from sending a request's second approval
 * to holding its credentials, p50 and p95 over 30 requests one at a time, and the states an approved
 * request enters. The requester collects the credentials once the workflow reports them issued (the
 * `issued` event), with one call: a requester polling in a tight loop would share local mode's one
 * thread with the issuing task and measure its own polls (deployed, the API and the task run apart).
 */
import { performance } from 'perf_hooks';
import { DEFAULT_LOCAL_APPROVERS, IDENTITY_HEADER, startLocalServer } from '../../lib/approval-workflow/local/server';
import { Measure, median, quantile } from './measure';

const AGENT = 'arn:aws:sts::000000000000:assumed-role/coding-agent/bench';
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 30);

function caller(url: string) {
  return async (method: string, path: string, identity: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: identity }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
}

export const localApproval: Measure = {
  name: 'local-approval',
  async run() {
    const latencies: number[] = [];
    const approved: number[] = [];
    const issuedAfter: number[] = [];
    const issued = new Map<string, () => void>();
    const live = await startLocalServer({ onEvent: (event) => (event.type === 'issued' ? issued.get(event.request.requestId)?.() : undefined) });
    try {
      const call = caller(live.url);
      for (let i = 0; i < REQUESTS + 3; i++) {
        const id = (await call('POST', '/requests', AGENT, { role: 'deployer', justification: 'benchmark of the approval path', onBehalfOf: 'arn:aws:iam::000000000000:user/developer' })).body.requestId as string;
        await call('POST', `/requests/${id}/approve`, DEFAULT_LOCAL_APPROVERS[0]);
        const isIssued = new Promise<number>((resolve) => issued.set(id, () => resolve(performance.now())));
        const start = performance.now();
        const second = await call('POST', `/requests/${id}/approve`, DEFAULT_LOCAL_APPROVERS[1]);
        const answered = performance.now();
        if (second.body.status !== 'APPROVED') throw new Error(`request ${id}: the second approval left it ${second.body.status}`);
        const issuedAt = await isIssued;
        const collected = await call('GET', `/requests/${id}/credentials`, AGENT);
        if (collected.status !== 200) throw new Error(`request ${id}: credentials answered ${collected.status} ${collected.body.error}`);
        if (i >= 3) {
          latencies.push(performance.now() - start);
          approved.push(answered - start);
          issuedAfter.push(issuedAt - start);
        }
      }
    } finally {
      await live.close();
    }
    const states: number[] = [];
    const lifecycle = await startLocalServer({ waitTimeOverrides: { UntilSessionEnds: 0 } });
    try {
      const call = caller(lifecycle.url);
      for (let i = 0; i < 5; i++) {
        const id = (await call('POST', '/requests', AGENT, { role: 'deployer', justification: 'benchmark of the approval path', onBehalfOf: 'arn:aws:iam::000000000000:user/developer' })).body.requestId as string;
        await call('POST', `/requests/${id}/approve`, DEFAULT_LOCAL_APPROVERS[0]);
        await call('POST', `/requests/${id}/approve`, DEFAULT_LOCAL_APPROVERS[1]);
        states.push((await lifecycle.workflow.outcome(id)).statesEntered);
      }
    } finally {
      await lifecycle.close();
    }
    const [p50, p95, transitions] = [median(latencies), quantile(latencies, 0.95), median(states)];
    return {
      rows: [{ measure: 'second approval to credentials in local mode, p50', before: '26-28 ms', now: `${p50.toFixed(1)} ms (p95 ${p95.toFixed(1)} ms)`, target: 'under 12 ms', met: p50 < 12 }],
      details: [
        `### Approval workflow, local mode (${REQUESTS} approved requests one at a time, after 3 to warm up; credentials collected once issued)`,
        '',
        '| measure | value |',
        '| --- | ---: |',
        `| second approval to credentials, p50 | ${p50.toFixed(1)} ms |`,
        `| the same, p95 | ${p95.toFixed(1)} ms |`,
        `| within it: the second approval answered, p50 | ${median(approved).toFixed(1)} ms |`,
        `| within it: the session issued, p50 | ${median(issuedAfter).toFixed(1)} ms |`,
        `| states entered by an approved request, from request to session end | ${transitions} |`,
        `| Step Functions cost per approved request (Standard, $0.025 per 1,000 transitions) | $${((transitions * 0.025) / 1000).toFixed(6)} |`,
      ],
    };
  },
};
