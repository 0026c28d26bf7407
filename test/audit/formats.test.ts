/* The audit's formats: the JSON shape scripts rely on, and every value escaped for its medium. */
import { recordsOfDocument } from '../../lib/audit/documents';
import { formatAuditHtml } from '../../lib/audit/formats/html';
import { escapeHtml, html, htmlString } from '../../lib/audit/formats/html-builder';
import { formatAuditJson } from '../../lib/audit/formats/json';
import { formatAuditMarkdown, markdownText } from '../../lib/audit/formats/markdown';
import { formatAuditText } from '../../lib/audit/formats/text';
import { Audit } from '../../lib/audit/model';
import { requestDetailsOf, withRequests } from '../../lib/audit/request-details';
import { buildAudit } from '../../lib/audit/timeline';
import { FIXTURE_REQUEST_ID, fixtureRecords } from './trail';

const IMG = '<img src=x onerror="window.__pwned=1">';
const SCRIPT = '</td></tr></table><script>window.__pwned=1</script>';

function auditOf(raw: unknown[], requestBody?: Record<string, unknown>): Audit {
  const result = recordsOfDocument(raw, 'test');
  if (!result.ok) throw new Error(result.problems.join('; '));
  const audit = buildAudit(result.records, { productionStacks: ['orders-prod'] });
  return requestBody ? withRequests(audit, new Map([[FIXTURE_REQUEST_ID, { ok: true as const, request: requestDetailsOf(FIXTURE_REQUEST_ID, requestBody) }]])) : audit;
}

const fixtures = () => ['agent-session.json', 'chained-session.json', 'elevated-session.json', 'other-principals.json'].flatMap((f) => fixtureRecords(f));

/** Records whose untrusted fields carry markup, terminal escapes and Markdown. */
function hostileRecords(): unknown[] {
  const records = fixtures();
  const deleteStack = records.find((r) => r.eventName === 'DeleteStack' && r.errorCode);
  deleteStack.errorMessage = `${IMG} \u001b[2J\u009b31m [click](javascript:alert(1)) | cell`;
  deleteStack.requestParameters = { stackName: SCRIPT };
  const describe = records.find((r) => r.eventName === 'DescribeStacks');
  describe.eventName = `DescribeStacks${IMG}`;
  describe.userIdentity = { ...describe.userIdentity };
  return records;
}

const HOSTILE_REQUEST = {
  requestId: FIXTURE_REQUEST_ID,
  status: 'ISSUED',
  role: 'deployer',
  requester: { callerArn: 'arn:aws:sts::111122223333:assumed-role/coding-agent/OPS-42' },
  justification: `rekey ${SCRIPT}\nsecond line ${IMG}`,
  ticket: `OPS-42 ${IMG}`,
  approvals: { [`human:approver-1${IMG}`]: { callerArn: 'arn:aws:iam::111122223333:user/approver-1', at: '2026-03-02T10:28:00Z', acceptedRisk: true, comment: SCRIPT } },
  impact: { stackName: `orders-prod${IMG}`, production: true, risk: 'high', counts: { added: 0, modified: 1, removed: 0, replaced: 1 }, riskToAccept: [`orders-prod/OrdersTable${SCRIPT}`] },
  history: [{ at: '2026-03-02T10:27:00Z', event: 'requested' }],
};

/** The elements of an HTML document, by a scan of its tags (the browser test parses it for real). */
const elementsOf = (page: string) => new Set([...page.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)/g)].map((m) => m[1].toLowerCase()));

const PAGE_ELEMENTS = ['!doctype', 'html', 'head', 'meta', 'title', 'style', 'body', 'div', 'header', 'h1', 'p', 'b', 'span', 'nav', 'table', 'thead', 'tr', 'th', 'tbody', 'td', 'a', 'section', 'h2', 'article', 'h3', 'ol', 'li', 'code', 'dl', 'dt', 'dd', 'time', 'h4', 'blockquote', 'ul', 'q', 'details', 'summary', 'footer'];

describe('JSON', () => {
  test('has the documented shape, its keys first and always present', () => {
    const json = JSON.parse(formatAuditJson(auditOf(fixtures())));
    expect(Object.keys(json).slice(0, 1)).toEqual(['sessions']);
    for (const session of json.sessions) {
      expect(Object.keys(session).slice(0, 5)).toEqual(['sourceIdentity', 'roleArn', 'sessionName', 'requestId', 'events']);
      for (const event of session.events) expect(Object.keys(event).slice(0, 4)).toEqual(['eventTime', 'eventName', 'eventSource', 'errorCode']);
    }
    expect(json.sessions[0]).toMatchObject({
      sourceIdentity: 'coding-agent',
      roleArn: 'arn:aws:iam::111122223333:role/agent-guardrails/agent/coding-agent',
      sessionName: 'OPS-42',
      requestId: null,
      events: expect.arrayContaining([{ eventTime: '2026-03-02T10:01:30Z', eventName: 'DeleteStack', eventSource: 'cloudformation.amazonaws.com', errorCode: 'AccessDenied', eventId: expect.any(String), awsRegion: 'eu-west-1', outcome: 'denied', readOnly: false, target: 'stackName=orders-prod', production: true, errorMessage: expect.any(String), opens: null }]),
    });
    expect(json.sessions.find((s: any) => s.sessionName === `request-${FIXTURE_REQUEST_ID}`)).toMatchObject({ requestId: FIXTURE_REQUEST_ID, approvers: ['human:approver-1', 'human:approver-2'], request: null });
    expect(json.trips).toHaveLength(2);
  });

  test('carries the request the API returned', () => {
    const json = JSON.parse(formatAuditJson(auditOf(fixtures(), HOSTILE_REQUEST)));
    expect(json.sessions.find((s: any) => s.requestId === FIXTURE_REQUEST_ID).request).toMatchObject({ ok: true, justification: HOSTILE_REQUEST.justification, approvals: [{ human: `human:approver-1${IMG}`, acceptedRisk: true }] });
  });
});

describe('text', () => {
  test('shows each session with its facts and timeline, denied calls and trips in capitals', () => {
    const text = formatAuditText(auditOf(fixtures(), HOSTILE_REQUEST));
    expect(text).toMatch(/^agent-guardrails audit: 4 sessions \(2 agent, 2 elevated\) of 2 source identities in 25 records from 2026-03-02T09:57:30Z to 2026-03-02T10:40:00Z; 6 calls of 6 other principals left out$/m);
    expect(text).toContain('  s1 agent session coding-agent/OPS-42 (task OPS-42)');
    expect(text).toContain('    2026-03-02T10:01:30Z  DENIED   cloudformation DeleteStack  stackName=orders-prod  [production] (AccessDenied) "User: arn:aws:sts::111122223333:assumed-role/coding-agent/OPS-42 is not authorized');
    expect(text).toContain('    2026-03-02T10:06:05Z  TRIPPED  circuit breaker tripped: quarantine policy put on role coding-agent by arn:aws:sts::111122223333:assumed-role/AgentGuardrails-BreakerTripServiceRole-9C0D1E2F/AgentGuardrails-BreakerTrip-3A4B5C6D');
    expect(text).toContain('    2026-03-02T10:04:00Z  allowed  sts AssumeRole  arn:aws:iam::444455556666:role/agent-guardrails/agent/coding-agent -> s2');
    expect(text).toContain('  s2 agent session coding-agent/OPS-42, chained from s1');
    expect(text).toContain('    approvers:     human:approver-1<img src=x onerror="window.__pwned=1"> (arn:aws:iam::111122223333:user/approver-1, at 2026-03-02T10:28:00Z, risk accepted): "</td></tr></table><script>window.__pwned=1</script>"');
  });

  test('fails when a terminal escape reaches the terminal: control characters are shown escaped', () => {
    const text = formatAuditText(auditOf(hostileRecords(), HOSTILE_REQUEST));
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(text).toContain('\\u001b[2J\\u009b31m');
    // A justification is quoted: its line break cannot start a line of its own.
    expect(text).toContain(`justification: "rekey </td></tr></table><script>window.__pwned=1</script>\\nsecond line <img src=x onerror=\\"window.__pwned=1\\">"`);
  });
});

describe('Markdown', () => {
  test('shows a table of sessions and each timeline', () => {
    const markdown = formatAuditMarkdown(auditOf(fixtures()));
    expect(markdown).toContain('| s1 | coding-agent | agent session | coding-agent/OPS-42 | OPS-42 | 9 | **5** | 1 | yes | **tripped** |');
    expect(markdown).toContain('| 2026-03-02T10:01:30Z | **cloudformation DeleteStack** | stackName=orders-prod (production) | **denied** AccessDenied: User: arn:aws:sts::111122223333:assumed-role/coding-agent/OPS-42');
  });

  test('fails when a value makes markup, a link, a cell or a line: each is escaped', () => {
    const markdown = formatAuditMarkdown(auditOf(hostileRecords(), HOSTILE_REQUEST));
    expect(markdown).not.toContain('<img');
    expect(markdown).not.toContain('<script');
    expect(markdown).not.toMatch(/(?<!\\)\]\(javascript/);
    expect(markdownText('a | b [x](javascript:alert(1)) <b>\nc https://evil.example www.evil.example')).toBe('a \\| b \\[x\\](javascript:alert(1)) &lt;b&gt;<br>c https\\:\\/\\/evil.example www\\.evil.example');
    for (const line of markdown.split('\n').filter((l) => l.startsWith('| 2026'))) expect(line.split(/(?<!\\)\|/)).toHaveLength(6);
  });
});

describe('HTML', () => {
  test('is one page that loads nothing and runs nothing', () => {
    const page = formatAuditHtml(auditOf(fixtures(), { ...HOSTILE_REQUEST, justification: 'rekey', ticket: 'OPS-42', approvals: {}, impact: undefined }));
    expect(page).toMatch(/^<!DOCTYPE html>/);
    expect(page).toContain('<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;; img-src data:; form-action &#39;none&#39;; base-uri &#39;none&#39;">');
    expect(page).not.toMatch(/<script|<link|<img|src=|@import|url\(/i);
    expect([...elementsOf(page)].filter((e) => !PAGE_ELEMENTS.includes(e))).toEqual([]);
  });

  test('shows the request, the trips and the denied calls', () => {
    const page = formatAuditHtml(auditOf(fixtures(), { ...HOSTILE_REQUEST, justification: 'rekey the orders table for the new index', ticket: 'OPS-42', approvals: { 'human:approver-1': { callerArn: 'arn:aws:iam::111122223333:user/approver-1', at: '2026-03-02T10:28:00Z' } } }));
    expect(page).toContain('<blockquote class="justification">rekey the orders table for the new index</blockquote>');
    expect(page).toContain('<tr class="trip">');
    expect(page).toContain('<tr class="denied has-detail">');
    expect(page).toContain('<a class="opens" href="#s2">→ s2</a>');
  });

  test.each([
    ['an error message', (audit: string) => audit.includes('&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt; \u001b[2J')],
    ['a request parameter', (audit: string) => audit.includes('stackName=&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;window.__pwned=1&lt;/script&gt;')],
    ['an event name', (audit: string) => audit.includes('DescribeStacks&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;')],
    ['a justification', (audit: string) => audit.includes('rekey &lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;')],
    ['an approver', (audit: string) => audit.includes('<b>human:approver-1&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;</b>')],
    ['a stack of the impact', (audit: string) => audit.includes('on orders-prod&lt;img src=x')],
    ['an approver\'s comment', (audit: string) => audit.includes('<q class="comment">&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;')],
  ])('fails when %s becomes markup: it is escaped text', (_name, shownAsText) => {
    const page = formatAuditHtml(auditOf(hostileRecords(), HOSTILE_REQUEST));
    expect(shownAsText(page)).toBe(true);
    expect([...elementsOf(page)].filter((e) => !PAGE_ELEMENTS.includes(e))).toEqual([]);
    expect(page).not.toMatch(/<script|<img/i);
  });

  test('the builder escapes every value, lists included, and keeps its own HTML', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(htmlString(html`<p title="${'"x\' onmouseover="y'}">${[inner, '&', 1, undefined, false]}</p>`)).toBe('<p title="&quot;x&#39; onmouseover=&quot;y"><b>&lt;i&gt;</b>&amp;1</p>');
    expect(escapeHtml(`<>&"'`)).toBe('&lt;&gt;&amp;&quot;&#39;');
  });
});
