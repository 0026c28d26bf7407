/*
 * The audit page in a real headless Chromium: the sample page of the README, built by the command
 * from the fixtures with each request read from local mode, and a page of hostile values, parsed
 * by the browser, in which nothing becomes an element and nothing runs.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Browser, Page } from 'puppeteer-core';
import { LocalServer } from '../../lib/approval-workflow/local/server';
import { recordsOfDocument } from '../../lib/audit/documents';
import { formatAuditHtml } from '../../lib/audit/formats/html';
import { requestDetailsOf, withRequests } from '../../lib/audit/request-details';
import { buildAudit } from '../../lib/audit/timeline';
import { launchBrowser } from '../support/browser';
import { APPROVER_1, issuedRequest, run, startLocalWithChangeSets } from './local-request';
import { FIXTURE_REQUEST_ID, fixtureRecords, trailFolder } from './trail';

const SCRATCH = path.join(__dirname, '..', '..', '.scratch');
const SAMPLE_HTML = path.join(SCRATCH, 'audit-sample.html');
const SAMPLE_PNG = path.join(SCRATCH, 'audit-sample.png');
const IMG = '<img src=x onerror="window.__pwned=1">';
const SCRIPT = '</td></tr></table><script>window.__pwned=1</script>';
const STYLE = '<style>body{display:none}</style><a href="javascript:window.__pwned=1">x</a>';

// What the functions run in the page see (the project compiles without the DOM's types).
declare const document: any;
declare const window: any;
declare const getComputedStyle: any;

describe('the audit page in a browser', () => {
  let local: LocalServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    local = await startLocalWithChangeSets();
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on('console', (message) => problems.push(`console ${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => problems.push(`page error: ${(error as Error).message}`));
    page.on('request', (request) => {
      if (!request.url().startsWith('data:') && !request.url().startsWith('file:')) problems.push(`request: ${request.url()}`);
    });
    await page.setViewport({ width: 1280, height: 900 });
  }, 60000);
  afterAll(async () => {
    await browser?.close();
    await local?.close();
  });

  test('the sample page: sessions by agent, the request with its justification and approvers, denied calls and trips highlighted', async () => {
    const id = await issuedRequest(local, { justification: 'Rekey the orders table for the new customer index (OPS-42); the old table is kept for 7 days', ticket: 'OPS-42', comment: 'checked the replacement plan' });
    const folder = trailFolder({ [FIXTURE_REQUEST_ID]: id });
    const result = await run(['audit', '--events', folder, '--url', local.url, '--identity', APPROVER_1, '--format', 'html', '--production-stack', 'orders-prod']);
    expect(result.code).toBe(0);
    fs.mkdirSync(SCRATCH, { recursive: true });
    fs.writeFileSync(SAMPLE_HTML, result.out);

    await page.goto(`file://${SAMPLE_HTML}`);
    const seen = await page.evaluate(() => ({
      sessions: [...document.querySelectorAll('article.session')].map((a: any) => a.id),
      agents: [...document.querySelectorAll('section.agent h2')].map((h: any) => h.firstChild.textContent.trim()),
      justification: document.querySelector('blockquote.justification')?.textContent,
      approvers: [...document.querySelectorAll('#s4 .approvers li b')].map((b: any) => b.textContent),
      comment: document.querySelector('#s4 .approvers q')?.textContent,
      denied: document.querySelectorAll('#s1 tr.denied:not(.detail)').length,
      deniedBackground: getComputedStyle(document.querySelector('#s1 tr.denied td')).backgroundColor,
      allowedBackground: getComputedStyle(document.querySelector('#s1 tr.read td')).backgroundColor,
      trips: [...document.querySelectorAll('#s1 tr.trip')].map((r: any) => r.textContent),
      chainLink: document.querySelector('#s1 a.opens')?.getAttribute('href'),
      overflow: document.documentElement.scrollWidth - window.innerWidth,
      scripts: document.querySelectorAll('script').length,
    }));
    expect(seen.sessions).toEqual(['s1', 's2', 's4', 's3']);
    expect(seen.agents).toEqual(['coding-agent', 'alice']);
    expect(seen.justification).toBe('Rekey the orders table for the new customer index (OPS-42); the old table is kept for 7 days');
    expect(seen.approvers).toEqual(['human:approver-1', 'human:approver-2']);
    expect(seen.comment).toBe('checked the replacement plan');
    expect(seen.denied).toBe(5);
    expect(seen.deniedBackground).not.toBe(seen.allowedBackground);
    expect(seen.trips).toEqual([expect.stringContaining('circuit breaker tripped'), expect.stringContaining('circuit breaker reset')]);
    expect(seen.chainLink).toBe('#s2');
    expect(seen.overflow).toBeLessThanOrEqual(0);
    expect(seen.scripts).toBe(0);
    await page.screenshot({ path: SAMPLE_PNG, fullPage: true });
    expect(problems).toEqual([]);
  }, 60000);

  test('fails when a hostile value becomes an element or runs: the browser parses it as text', async () => {
    const records = ['agent-session.json', 'elevated-session.json'].flatMap((f) => fixtureRecords(f));
    const deleteStack = records.find((r) => r.eventName === 'DeleteStack');
    deleteStack.errorMessage = `${IMG}${STYLE}`;
    deleteStack.requestParameters = { stackName: SCRIPT };
    const parsed = recordsOfDocument(records, 'hostile');
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    const request = requestDetailsOf(FIXTURE_REQUEST_ID, {
      status: 'ISSUED',
      justification: `${SCRIPT}${IMG}`,
      ticket: STYLE,
      approvals: { [`human:${IMG}`]: { callerArn: SCRIPT, comment: STYLE } },
      impact: { stackName: IMG, production: true, risk: 'high" onmouseover="window.__pwned=1', counts: { added: 1, modified: 0, removed: 0, replaced: 0 }, riskToAccept: [SCRIPT] },
    });
    const html = formatAuditHtml(withRequests(buildAudit(parsed.records), new Map([[FIXTURE_REQUEST_ID, { ok: true as const, request }]])));
    await page.setContent(html, { waitUntil: 'load' });
    const seen = await page.evaluate(() => ({
      pwned: window.__pwned === undefined ? 'unset' : String(window.__pwned),
      injected: document.querySelectorAll('script, img, iframe, object, embed, a[href^="javascript"], body style, [onerror], [onmouseover]').length,
      styles: document.querySelectorAll('style').length,
      visible: getComputedStyle(document.body).display,
      text: document.body.textContent,
    }));
    expect(seen).toMatchObject({ pwned: 'unset', injected: 0, styles: 1, visible: 'block' });
    for (const value of [IMG, SCRIPT, STYLE]) expect(seen.text).toContain(value);
    expect(problems).toEqual([]);
  });
});
