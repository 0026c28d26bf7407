/*
 * The approver console in a real headless Chromium, against local mode: two consoles, one per
 * approver, each acting as its approver with --identity.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Browser, Page } from 'puppeteer-core';
import { IDENTITY_HEADER, LocalServer, startLocalServer } from '../../lib/approval-workflow/local/server';
import { main } from '../../lib/cli/main';
import { launchBrowser } from '../support/browser';

const agent = (n: number) => `arn:aws:sts::000000000000:assumed-role/coding-agent-${n}/task-${n}`;
const APPROVER_1 = 'arn:aws:iam::000000000000:user/approver-1';
const APPROVER_2 = 'arn:aws:iam::000000000000:user/approver-2';
const ALICE = 'arn:aws:iam::000000000000:user/alice';
const FIXTURES = path.join(__dirname, '..', 'approval-workflow', 'change-sets');
const RISKY = 'arn:aws:cloudformation:eu-west-1:111122223333:changeSet/agent-rekey-orders/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
const PLAIN = 'arn:aws:cloudformation:eu-west-1:111122223333:changeSet/agent-timeout/2b3c4d5e-6f70-8192-a3b4-c5d6e7f80912';
const HOSTILE = 'arn:aws:cloudformation:eu-west-1:111122223333:changeSet/agent-hostile/9a9a9a9a-0000-4000-8000-000000000001';
const IMG = '<img src=x onerror="window.__pwned=1">';
const SCRIPT = '<script>window.__pwned=1</script>';
const SCREENSHOT = path.join(__dirname, '..', '..', '.scratch', 'console.png');

// What the functions run in the page see (the project compiles without the DOM's types).
declare const document: any;
declare const window: any;

interface RunningConsole {
  readonly url: string;
  readonly stop: () => Promise<number>;
}

/** Starts `agent-guardrails console` in-process, as `identity`. */
async function startConsole(apiUrl: string, identity: string): Promise<RunningConsole> {
  const out: string[] = [];
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const running = main(['console', '--url', apiUrl, '--identity', identity, '--port', '0'], { out: (l) => out.push(l), err: () => undefined, env: {}, untilStopped: () => stopped });
  await waitFor(async () => out.length > 0);
  return { url: /open (\S+)/.exec(out[0])![1], stop: () => (stop(), running) };
}

describe('the approver console in a browser', () => {
  let local: LocalServer;
  let consoles: RunningConsole[];
  let browser: Browser;
  let page1: Page;
  let page2: Page;
  const requested: string[] = [];
  const problems: string[] = [];

  /** Asks for an elevated session through the API, as `identity`; resolves to the request id. */
  async function ask(identity: string, body: Record<string, unknown>): Promise<string> {
    const response = await fetch(`${local.url}/requests`, { method: 'POST', headers: { [IDENTITY_HEADER]: identity, 'content-type': 'application/json' }, body: JSON.stringify({ role: 'deployer', ...body }) });
    const answer = (await response.json()) as Record<string, any>;
    if (response.status !== 201) throw new Error(`request refused: ${JSON.stringify(answer)}`);
    return answer.requestId;
  }

  async function status(id: string): Promise<string> {
    const response = await fetch(`${local.url}/requests/${id}`, { headers: { [IDENTITY_HEADER]: APPROVER_1 } });
    return ((await response.json()) as any).status;
  }

  async function decideByApi(identity: string, id: string, action: string, body: Record<string, unknown> = {}) {
    const response = await fetch(`${local.url}/requests/${id}/${action}`, { method: 'POST', headers: { [IDENTITY_HEADER]: identity, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status).toBe(200);
  }

  const card = (id: string) => `article[data-request-id="${id}"]`;

  /** Refreshes the page's lists and waits for the request's card. */
  async function showCard(page: Page, id: string): Promise<void> {
    await page.click('#refresh');
    await page.waitForSelector(card(id), { timeout: 10000 });
  }

  const textOf = (page: Page, selector: string) => page.$eval(selector, (node) => node.textContent ?? '');
  const waitForText = (page: Page, selector: string, text: string, timeout = 15000) =>
    page.waitForFunction((s: string, t: string) => (document.querySelector(s)?.textContent ?? '').includes(t), { timeout }, selector, text);

  async function openPage(url: string): Promise<Page> {
    const page = await browser.newPage();
    await page.setViewport({ width: 1200, height: 900 });
    page.on('request', (request) => requested.push(request.url()));
    page.on('pageerror', (error) => problems.push(`page error: ${String(error)}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/Failed to load resource: the server responded with a status of (403|404|409|410)/.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    await page.goto(url, { waitUntil: 'networkidle0' });
    return page;
  }

  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-change-sets-'));
    for (const name of ['replace-table.json', 'add-only-dev.json']) fs.copyFileSync(path.join(FIXTURES, name), path.join(dir, name));
    // A change set whose names carry markup: they reach the page as the impact's text.
    const hostile = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'add-only-dev.json'), 'utf8'));
    hostile.ChangeSetId = HOSTILE;
    hostile.StackName = `orders-dev${SCRIPT}`;
    hostile.Changes[0].ResourceChange.LogicalResourceId = IMG;
    hostile.Changes[0].ResourceChange.ResourceType = `AWS::SQS::Queue${SCRIPT}`;
    fs.writeFileSync(path.join(dir, 'hostile.json'), JSON.stringify(hostile));

    [local, browser] = await Promise.all([startLocalServer({ changeSetsDir: dir }), launchBrowser()]);
    consoles = await Promise.all([startConsole(local.url, APPROVER_1), startConsole(local.url, APPROVER_2)]);
    page1 = await openPage(consoles[0].url);
    page2 = await openPage(consoles[1].url);
  });

  afterAll(async () => {
    await browser?.close();
    for (const c of consoles ?? []) await c.stop();
    await local?.close();
  });

  test('shows who it acts as, and drops the token from the address bar', async () => {
    await waitForText(page1, '#acting-as', APPROVER_1);
    expect(await textOf(page1, '#acting-as')).toBe(`${APPROVER_1}local mode`);
    await waitForText(page2, '#acting-as', APPROVER_2);
    expect(page1.url()).not.toContain('token');
  });

  test('two approvers approve in their own consoles, accepting the risk; the request is issued, and the page shows it', async () => {
    const id = await ask(agent(1), { justification: 'rekey the orders table for the new index', ticket: 'OPS-1234', onBehalfOf: ALICE, changeSetArn: RISKY });
    await showCard(page1, id);
    const c = card(id);
    expect(await textOf(page1, `${c} [data-field="requester"]`)).toBe(agent(1));
    expect(await textOf(page1, `${c} [data-field="on-behalf-of"]`)).toBe(ALICE);
    expect(await textOf(page1, `${c} [data-field="justification"]`)).toBe('rekey the orders table for the new index');
    expect(await textOf(page1, `${c} [data-field="ticket"]`)).toBe('OPS-1234');
    expect(await textOf(page1, `${c} [data-field="change-set"]`)).toBe(RISKY);
    const impact = await textOf(page1, `${c} .impact`);
    expect(impact).toContain('HIGH risk on stack orders-prodproduction');
    expect(await textOf(page1, `${c} h3`)).toBe('deployer for 1 h asked by coding-agent-1/task-1');
    expect(await textOf(page1, `${c} .history`)).toContain(`requested by ${agent(1)}`);
    expect(impact).toContain('Production data at risk');
    expect(impact).toContain('orders-prod/OrdersTable3F1A2B4C (AWS::DynamoDB::Table)');
    expect(impact).toContain('replaces a resource that holds data: the new one starts empty');
    expect(await textOf(page1, `${c} .meta`)).toMatch(/asked (now|\d+ seconds? ago) · expires in \d+ (minutes|hours?)/);
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page1.screenshot({ path: SCREENSHOT, fullPage: true });

    // Without ticking the box, the page says what is missing; ticked, it sends acceptRisk.
    await page1.click(`${c} button[data-action="approve"]`);
    await waitForText(page1, `${c} [data-outcome]`, 'tick "I accept the risk"');
    expect(await status(id)).toBe('PENDING');
    await page1.click(`${c} input[data-input="accept-risk"]`);
    await page1.type(`${c} textarea[data-input="comment"]`, 'checked the new key schema');
    await page1.click(`${c} button[data-action="approve"]`);
    await waitForText(page1, `${c} [data-outcome]`, 'You approved. 1 approval so far');
    expect(await textOf(page1, `${c} .decisions`)).toContain('human:approver-1');

    await showCard(page2, id);
    await page2.click(`${c} input[data-input="accept-risk"]`);
    await page2.click(`${c} button[data-action="approve"]`);
    await waitForText(page2, c, 'enough approvers have');
    await waitForText(page2, `${c} .badge.status`, 'Session issued');
    expect(await status(id)).toBe('ISSUED');
    expect(await textOf(page2, `${c} .decisions`)).toMatch(/human:approver-1.*accepted the risk.*checked the new key schema.*human:approver-2.*accepted the risk/s);
    const history = await textOf(page2, `${c} .history`);
    expect(history).toMatch(/approved by arn:aws:iam::000000000000:user\/approver-1.*checked the new key schema.*approved-complete by arn:aws:iam::000000000000:user\/approver-2/s);
  });

  test('denies with a comment, which the history shows', async () => {
    const id = await ask(agent(2), { justification: 'bump the writer timeout', onBehalfOf: ALICE, changeSetArn: PLAIN });
    await showCard(page2, id);
    const c = card(id);
    expect(await textOf(page2, `${c} .badge.risk`)).toBe('LOW risk');
    expect(await page2.$(`${c} input[data-input="accept-risk"]`)).toBeNull();
    await page2.type(`${c} textarea[data-input="comment"]`, 'not during the freeze');
    await page2.click(`${c} button[data-action="deny"]`);
    await waitForText(page2, `${c} .badge.status`, 'Denied');
    expect(await status(id)).toBe('DENIED');
    expect(await textOf(page2, `${c} .history`)).toMatch(/denied by arn:aws:iam::000000000000:user\/approver-2.*not during the freeze/s);
    expect(await textOf(page2, `${c} .denied`)).toContain('not during the freeze');
    // It no longer waits in the other console either.
    await page1.click('#refresh');
    await page1.waitForFunction((s: string) => !document.querySelector(`#pending ${s}`), {}, c);
  });

  test('shows the API\'s refusal: the requester approving their own request, the human behind the agent, an unknown id', async () => {
    const own = await ask(APPROVER_1, { justification: 'my own change, to be approved by someone else', changeSetArn: PLAIN });
    await showCard(page1, own);
    await page1.click(`${card(own)} button[data-action="approve"]`);
    await waitForText(page1, `${card(own)} [data-outcome]`, 'Refused (403 self-approval): the requester cannot approve their own request, under any of their identities');
    expect(await page1.$eval(`${card(own)} [data-outcome]`, (n: any) => n.getAttribute('role'))).toBe('alert');
    expect(await status(own)).toBe('PENDING');

    const mine = await ask(agent(3), { justification: 'my agent asks for me', onBehalfOf: APPROVER_2, changeSetArn: PLAIN });
    await showCard(page2, mine);
    await page2.type(`${card(mine)} textarea[data-input="comment"]`, 'trying anyway');
    await page2.click(`${card(mine)} button[data-action="approve"]`);
    await waitForText(page2, `${card(mine)} [data-outcome]`, 'Refused (403 on-behalf-of-approval): the human on whose behalf the agent asks cannot approve the request');
    expect(await page2.$eval(`${card(mine)} textarea[data-input="comment"]`, (n: any) => n.value)).toBe('trying anyway');

    await page1.type('#open-id', '00000000-0000-4000-8000-000000000000');
    await page1.click('#open-form button[type="submit"]');
    await waitForText(page1, '#open-problem', 'Refused (404 not-found): no request 00000000-0000-4000-8000-000000000000');
  });

  test('opens an issued request by its id and revokes its session', async () => {
    const id = await ask(agent(4), { justification: 'apply the approved timeout change', onBehalfOf: ALICE, changeSetArn: PLAIN });
    await decideByApi(APPROVER_1, id, 'approve');
    await decideByApi(APPROVER_2, id, 'approve');
    await waitFor(async () => (await status(id)) === 'ISSUED');
    await page1.$eval('#open-id', (n: any) => (n.value = ''));
    await page1.type('#open-id', id);
    await page1.click('#open-form button[type="submit"]');
    await page1.waitForSelector(`#opened ${card(id)}`);
    expect(await textOf(page1, `${card(id)} .badge.status`)).toBe('Session issued');
    expect(await textOf(page1, `${card(id)} .meta`)).toMatch(/session ends in \d+ minutes/);
    await page1.click(`${card(id)} button[data-action="revoke"]`);
    await waitForText(page1, `${card(id)} .badge.status`, 'Revoked');
    expect(await textOf(page1, `${card(id)} [data-outcome]`)).toBe('Revoked: the session has ended.');
    expect(await status(id)).toBe('REVOKED');
    expect(await textOf(page1, `${card(id)} .history`)).toContain('revoked by arn:aws:iam::000000000000:user/approver-1');
  });

  test('shows text from requests literally: markup in it runs nothing and creates no element', async () => {
    const refusedTicket = await fetch(`${local.url}/requests`, {
      method: 'POST',
      headers: { [IDENTITY_HEADER]: agent(5), 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'deployer', justification: 'x'.repeat(12), ticket: IMG, changeSetArn: HOSTILE, onBehalfOf: ALICE }),
    });
    expect(refusedTicket.status).toBe(400); // the API takes only ticket references, so markup reaches the page through the other fields

    const requester = `arn:aws:sts::000000000000:assumed-role/coding-agent-5/${IMG}`;
    const onBehalfOf = `arn:aws:iam::000000000000:user/${SCRIPT}`;
    const justification = `deploy ${IMG} and ${SCRIPT} now`;
    const id = await ask(requester, { justification, onBehalfOf, changeSetArn: HOSTILE });
    await decideByApi(APPROVER_2, id, 'approve', { comment: `${SCRIPT}${IMG}` });
    await showCard(page1, id);
    const c = card(id);
    await page1.type(`${c} textarea[data-input="comment"]`, `denied: ${IMG}`);
    await page1.click(`${c} button[data-action="deny"]`);
    await waitForText(page1, `${c} .badge.status`, 'Denied');
    await page1.$eval(`${c} details.history`, (n: any) => (n.open = true));
    await page1.waitForFunction(() => new Promise((resolve) => setTimeout(() => resolve(true), 300)));

    expect(await page1.evaluate(() => window.__pwned)).toBeUndefined();
    expect(await page1.evaluate(() => [...document.querySelectorAll('img')].map((i: any) => i.getAttribute('src')))).toEqual(['/favicon.svg']);
    expect(await page1.evaluate(() => [...document.querySelectorAll('script')].map((x: any) => x.getAttribute('src')))).toEqual(['/console.js']);
    expect(await page1.evaluate(() => document.querySelectorAll('[onerror], iframe, object, embed').length)).toBe(0);
    expect(await textOf(page1, `${c} [data-field="justification"]`)).toBe(justification);
    expect(await textOf(page1, `${c} [data-field="requester"]`)).toBe(requester);
    expect(await textOf(page1, `${c} [data-field="on-behalf-of"]`)).toBe(onBehalfOf);
    const impact = await textOf(page1, `${c} .impact`);
    expect(impact).toContain(`orders-dev${SCRIPT}/${IMG}`);
    expect(impact).toContain(`AWS::SQS::Queue${SCRIPT}`);
    expect(await textOf(page1, `${c} .decisions`)).toContain(`${SCRIPT}${IMG}`);
    expect(await textOf(page1, `${c} .history`)).toContain(`denied: ${IMG}`);
  });

  test('made no request outside 127.0.0.1, and hit no script error or policy violation', () => {
    expect(requested.length).toBeGreaterThan(10);
    const outside = requested.filter((url) => new URL(url).hostname !== '127.0.0.1');
    expect(outside).toEqual([]);
    const consolePorts = consoles.map((c) => new URL(c.url).port);
    expect(requested.filter((url) => !consolePorts.includes(new URL(url).port))).toEqual([]);
    expect(requested.filter((url) => /credentials/.test(url))).toEqual([]);
    expect(problems).toEqual([]);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
