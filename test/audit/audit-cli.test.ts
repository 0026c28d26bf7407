/* `agent-guardrails audit` as a user runs it: files and folders, the formats, the approval API, live CloudTrail, and bad input. */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { LocalServer } from '../../lib/approval-workflow/local/server';
import { LookupEvents } from '../../lib/audit/lookup-events';
import { runAudit } from '../../lib/cli/commands/audit';
import { startCloudTrailStandIn, withCloudTrailAt } from './cloudtrail-stand-in';
import { APPROVER_1, issuedRequest, run, startLocalWithChangeSets } from './local-request';
import { FIXTURE_REQUEST_ID, FIXTURES, fixtureRecords, fixtureText, trailFolder } from './trail';

const LOOKUP = path.join(FIXTURES, 'lookup-events.json');

describe('audit --events', () => {
  const folder = trailFolder();

  test('prints one timeline per session of a synced trail bucket, and says which files it skipped', async () => {
    const result = await run(['audit', '--events', folder, '--events', LOOKUP, '--production-stack', 'orders-prod']);
    expect(result.code).toBe(0);
    expect(result.err).toBe('audit: skipped 2 files that hold no records (digests, files that are not .json or .json.gz)');
    expect(result.out).toMatch(/^agent-guardrails audit: 5 sessions \(3 agent, 2 elevated\) of 3 source identities in 28 records from 2026-03-02T09:57:30Z to 2026-03-02T11:02:00Z; 6 calls of 6 other principals left out$/m);
    expect(result.out).toContain('  s1 agent session coding-agent/OPS-42 (task OPS-42)');
    expect(result.out).toContain('  s4 elevated session deployer/request-7d1c2b9e-5f3a-4e8b-9c6d-2a1b0c9d8e7f (task OPS-42) for request 7d1c2b9e-5f3a-4e8b-9c6d-2a1b0c9d8e7f');
    expect(result.out).toContain('    approvers:     human:approver-1; human:approver-2');
    expect(result.out).toContain('  s5 agent session review-agent/PR-318');
  });

  test('--json prints the documented shape; --format json is the same', async () => {
    const json = await run(['audit', '--events', folder, '--json']);
    const format = await run(['audit', '--events', folder, '--format', 'json']);
    expect(json.out).toBe(format.out);
    const sessions = JSON.parse(json.out).sessions;
    expect(sessions.map((s: any) => [s.sourceIdentity, s.roleArn, s.sessionName, s.requestId, s.events.length])).toEqual([
      ['coding-agent', 'arn:aws:iam::111122223333:role/agent-guardrails/agent/coding-agent', 'OPS-42', null, 9],
      ['coding-agent', 'arn:aws:iam::444455556666:role/agent-guardrails/agent/coding-agent', 'OPS-42', null, 3],
      ['alice', 'arn:aws:iam::111122223333:role/agent-guardrails/elevated/circuit-breaker-reset', 'request-3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7', '3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7', 0],
      ['coding-agent', 'arn:aws:iam::111122223333:role/agent-guardrails/elevated/deployer', `request-${FIXTURE_REQUEST_ID}`, FIXTURE_REQUEST_ID, 2],
    ]);
    expect(sessions[0].events[3]).toMatchObject({ eventTime: '2026-03-02T10:01:30Z', eventName: 'DeleteStack', eventSource: 'cloudformation.amazonaws.com', errorCode: 'AccessDenied' });
    expect(sessions[0].events[4]).toMatchObject({ eventName: 'TerminateInstances', eventSource: 'ec2.amazonaws.com', errorCode: 'Client.UnauthorizedOperation' });
  });

  test('--format markdown and --format html', async () => {
    const markdown = await run(['audit', '--events', folder, '--format', 'markdown']);
    expect(markdown.out).toMatch(/^## Agent audit\n/);
    const page = await run(['audit', '--events', folder, '--format', 'html']);
    expect(page.code).toBe(0);
    expect(page.out).toMatch(/^<!DOCTYPE html>[\s\S]*<\/html>\n?$/);
  });

  test('reads lookup-events output and a gzipped file on their own', async () => {
    const result = await run(['audit', '--events', LOOKUP, '--json']);
    expect(JSON.parse(result.out).sessions.map((s: any) => s.sessionName)).toEqual(['OPS-42', 'PR-318']);
  });

  test('prints that no session was found when the records hold none', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'audit-')), 'others.json');
    fs.writeFileSync(file, fixtureText('other-principals.json'));
    const result = await run(['audit', '--events', file]);
    expect(result).toMatchObject({ code: 0, out: expect.stringContaining('no agent or elevated session in these records') });
  });

  const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-bad-'));
  fs.writeFileSync(path.join(bad, 'cut.json'), '{"Records": [');
  test.each([
    ['no records are named', ['audit'], 'agent-guardrails: audit needs CloudTrail records: --events PATH (log files, a folder of them, or aws cloudtrail lookup-events output), or --from ISO [--to ISO] to read them live'],
    ['both files and a time range are given', ['audit', '--events', LOOKUP, '--from', '2026-03-02T09:00:00Z'], 'agent-guardrails: audit reads --events files or live CloudTrail (--from, --to), not both; to audit part of a folder, pass the files of those days'],
    ['the format is unknown', ['audit', '--events', LOOKUP, '--format', 'pdf'], 'agent-guardrails: --format must be one of text, markdown, json, html, got "pdf"'],
    ['a production stack is not a stack name', ['audit', '--events', LOOKUP, '--production-stack', 'orders prod'], 'agent-guardrails: --production-stack must be a stack name or pattern (letters, digits, - and *), got "orders prod"'],
    ['a path does not exist', ['audit', '--events', '/nonexistent/trail'], 'agent-guardrails: --events /nonexistent/trail: no such file or folder'],
    ['a file is not JSON', ['audit', '--events', path.join(bad, 'cut.json')], expect.stringMatching(/^agent-guardrails: .*cut\.json is not JSON \(.+\); expected a CloudTrail log file or lookup-events --output json$/)],
    ['--from is not a time', ['audit', '--from', 'yesterday'], 'agent-guardrails: --from must be an ISO time such as 2026-03-02T09:00:00Z, got "yesterday"'],
    ['--from is after --to', ['audit', '--from', '2026-03-02T12:00:00Z', '--to', '2026-03-02T09:00:00Z'], 'agent-guardrails: --from (2026-03-02T12:00:00.000Z) must be before --to (2026-03-02T09:00:00.000Z)'],
    ['--identity is given without an API', ['audit', '--events', LOOKUP, '--identity', APPROVER_1], 'agent-guardrails: --identity needs --url: it acts as a principal against local mode\'s API'],
  ])('fails when %s: exit 2 and one line', async (_name, argv, message) => {
    const result = await run(argv);
    expect(result).toEqual({ code: 2, out: '', err: message });
  });
});

describe('audit --url: each elevated session with its request', () => {
  let server: LocalServer;
  let id: string;
  let folder: string;
  beforeAll(async () => {
    server = await startLocalWithChangeSets();
    id = await issuedRequest(server, { justification: 'rekey the orders table for the new index', ticket: 'OPS-42' });
    folder = trailFolder({ [FIXTURE_REQUEST_ID]: id });
  }, 60000);
  afterAll(() => server.close());

  test('reads the request: justification, ticket, impact, approvers', async () => {
    const result = await run(['audit', '--events', folder, '--url', server.url, '--identity', APPROVER_1, '--json']);
    expect(result.code).toBe(0);
    const session = JSON.parse(result.out).sessions.find((s: any) => s.requestId === id);
    expect(session.request).toMatchObject({
      ok: true,
      requestId: id,
      status: 'ISSUED',
      role: 'deployer',
      requester: 'arn:aws:sts::000000000000:assumed-role/coding-agent/OPS-42',
      justification: 'rekey the orders table for the new index',
      ticket: 'OPS-42',
      impact: { stackName: 'orders-prod', production: true, risk: 'high', counts: { added: 0, modified: 1, removed: 0, replaced: 1 } },
      approvals: [
        { human: 'human:approver-1', callerArn: 'arn:aws:iam::000000000000:user/approver-1', acceptedRisk: true },
        { human: 'human:approver-2', callerArn: 'arn:aws:iam::000000000000:user/approver-2', acceptedRisk: true },
      ],
    });
    // Without --production-stack, the request's change set tells that the session changed production.
    expect(session.summary.production).toBe(true);
  });

  test('shows it in the text, and a request the API does not know with its reason', async () => {
    const result = await run(['audit', '--events', folder, '--url', server.url, '--identity', APPROVER_1]);
    expect(result.out).toContain('    justification: "rekey the orders table for the new index"');
    expect(result.out).toContain('    ticket:        OPS-42');
    expect(result.out).toMatch(/ {4}impact: {8}HIGH risk on orders-prod \(production\): 0 added, 1 modified, 0 removed, 1 replaced; production data at risk: orders-prod\/OrdersTable/);
    expect(result.out).toMatch(/ {4}approvers: {5}human:approver-1 \(arn:aws:iam::000000000000:user\/approver-1, at \S+, risk accepted\); human:approver-2/);
    expect(result.out).toContain('    request:       not read: 404 not-found: no request 3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7');
  });

  test('fails when the API cannot be reached: exit 2, naming it', async () => {
    const closed = await closedPort();
    const result = await run(['audit', '--events', folder, '--url', `http://127.0.0.1:${closed}`, '--identity', APPROVER_1]);
    expect(result.code).toBe(2);
    expect(result.err.split('\n').pop()).toBe(`agent-guardrails: cannot reach the approval API at http://127.0.0.1:${closed}: ECONNREFUSED; check --url and your network`);
  });
});

describe('audit --from --to: live CloudTrail', () => {
  const records = ['agent-session.json', 'elevated-session.json'].flatMap((f) => fixtureRecords(f));

  test('reads LookupEvents through the SDK, page by page', async () => {
    const standIn = await startCloudTrailStandIn(records, { pageSize: 10 });
    try {
      const result = await withCloudTrailAt(standIn.url, () => run(['audit', '--from', '2026-03-02T09:00:00Z', '--to', '2026-03-02T12:00:00Z', '--region', 'eu-west-1', '--json']));
      expect(result.code).toBe(0);
      expect(result.err.split('\n').filter((l) => l.startsWith('audit: read'))).toEqual(['audit: read 10 events (1 page)', 'audit: read 16 events (2 pages)']);
      expect(JSON.parse(result.out).sessions.map((s: any) => s.sessionName)).toEqual(['OPS-42', 'OPS-42', 'request-3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7', `request-${FIXTURE_REQUEST_ID}`]);
    } finally {
      await standIn.close();
    }
  });

  test('fails when CloudTrail refuses: exit 2, saying what to check', async () => {
    const standIn = await startCloudTrailStandIn(records, { failAlways: { type: 'AccessDeniedException', message: 'User is not authorized to perform: cloudtrail:LookupEvents' } });
    try {
      const result = await withCloudTrailAt(standIn.url, () => run(['audit', '--from', '2026-03-02T09:00:00Z', '--to', '2026-03-02T12:00:00Z', '--region', 'eu-west-1']));
      expect(result.code).toBe(2);
      expect(result.err.split('\n').pop()).toBe('agent-guardrails: LookupEvents in eu-west-1 failed: AccessDeniedException: User is not authorized to perform: cloudtrail:LookupEvents; check your AWS credentials, --region and cloudtrail:LookupEvents permission');
    } finally {
      await standIn.close();
    }
  });

  test('reads up to now without --to, and warns that LookupEvents keeps 90 days', async () => {
    const inputs: Array<{ StartTime: Date; EndTime: Date }> = [];
    const lookup: LookupEvents = async (input) => (inputs.push(input), { Events: [] });
    const err: string[] = [];
    const now = new Date('2026-09-01T00:00:00Z');
    const code = await runAudit(
      { command: 'audit', positional: [], flags: { from: '2026-03-02T09:00:00Z' }, repeated: {} },
      { out: () => undefined, err: (l) => err.push(l), env: {} },
      { lookupEvents: () => lookup, now: () => now },
    );
    expect(code).toBe(0);
    expect(inputs[0].EndTime).toEqual(now);
    expect(err[0]).toBe('audit: LookupEvents holds the last 90 days only; for older records, use the trail\'s log files with --events');
  });
});

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
