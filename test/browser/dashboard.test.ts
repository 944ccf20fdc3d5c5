import { mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../generated/index.ts';
import { freePort, isolatedDatabase, launchChromium, recordStatuses, statusesSeen } from '../helpers/browser.ts';
import { createTenant, enrolSca, linkGbAccount, PASSWORD, type Tenant } from '../helpers/factories.ts';
import { AuthoriseBatch, FundRun } from '../helpers/funding.ts';
import { ConfirmRun, createRun, gbpPayable, VerifyChallenge } from '../helpers/payment-runs.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

/**
 * The dashboard in Debian's Chromium against real gateways: one serving the page (no background
 * work, at a fixed port so it can be restarted under the page), one running the jobs and the sandbox
 * bank's autopilot. Both share a database of their own and Redis, as two instances in production.
 */
const RUN_LIFECYCLE = ['QUEUED', 'PENDING_CONFIRMATION', 'PENDING_CHALLENGE', 'PENDING_FUNDING', 'EXECUTING', 'COMPLETED'];
const PAYABLE_LIFECYCLE = ['QUEUED', 'PENDING_CONFIRMATION', 'PENDING_CHALLENGE', 'PENDING_FUNDING', 'AWAITING_FUNDS', 'EXECUTING', 'COMPLETED'];
const TRANSFER_LIFECYCLE = ['OPEN', 'USER_INITIATION_IN_PROGRESS', 'PROCESSING', 'PROCESSED'];
/** How many changes the page's feed keeps (src/web/live.ts FEED_SIZE). */
const FEED_SIZE = 200;
const WAIT = { timeout: Number(process.env.BROWSER_WAIT_MS ?? 60_000) };

const RunStatus = graphql(`query BrowserRunStatus($id: ID!) { paymentRun(id: $id) { status fundingGroups { batches { id } } } }`);
const FullLog = graphql(`
  query BrowserLog($after: String) { statusChanges(first: 500, after: $after) { pageInfo { hasNextPage endCursor } edges { cursor } } }
`);
const RunCount = graphql(`query BrowserRunCount { paymentRuns { totalCount } }`);

/**
 * The screenshots in docs/dashboard.md: `UPDATE_SCREENSHOTS=1` writes them there (commit them);
 * otherwise they go to a temporary folder, so a test run leaves the work tree as it was.
 */
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS ? 'docs/screenshots' : join(tmpdir(), 'dashboard-screenshots');
const MAX_SCREENSHOT_BYTES = 150 * 1024;

async function screenshot(target: Page | Locator, name: string) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await target.screenshot({ path });
  expect(statSync(path).size).toBeLessThan(MAX_SCREENSHOT_BYTES);
}

let db: Awaited<ReturnType<typeof isolatedDatabase>>;
let port: number;
let api: TestApp;
let worker: TestApp | null = null;
let tenant: Tenant;
let accountId: string;
let browser: Browser;
let context: BrowserContext;
let origin: string;
const requested: string[] = [];

const startApi = () => startTestApp({ RUN_JOBS: 'false', AUTOPILOT: 'false', PORT: String(port) }, { databaseUrl: db.url });
async function startWorker() {
  worker ??= await startTestApp(
    { RUN_JOBS: 'true', AUTOPILOT: 'true', AUTOPILOT_STEP_MS: '250', AUTOPILOT_FAILURE_RATE: '0', AUTOPILOT_RETURN_RATE: '0' },
    { databaseUrl: db.url },
  );
}

/** Polls the gateway until `check` holds (conditions, never fixed sleeps). */
async function until<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const statusOf = (runId: string) => tenant.admin.client.data(RunStatus, { id: runId }).then((r) => r.paymentRun!);

function csv(rows: string[][]): Buffer {
  const header = 'externalRef,reference,amount,currency,supplierName,supplierType,accountNumber,sortCode';
  return Buffer.from([header, ...rows.map((r) => r.join(','))].join('\n'));
}

async function newPage(): Promise<Page> {
  const page = await context.newPage();
  await recordStatuses(page);
  if (process.env.BROWSER_DEBUG) {
    page.on('console', (m) => console.log('[page]', m.type(), m.text()));
    page.on('pageerror', (e) => console.log('[page error]', e.message));
  }
  return page;
}

async function signIn(page: Page) {
  await page.goto(`${origin}/`);
  await page.fill('input[name=email]', tenant.admin.email);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('form button[type=submit]');
  await page.waitForSelector('[data-connection=live]', WAIT);
  await page.evaluate(() => ((window as unknown as { __signedIn: string }).__signedIn = 'same document'));
}

const stillSameDocument = (page: Page) => page.evaluate(() => (window as unknown as { __signedIn?: string }).__signedIn);

/** A run taken by the API to PENDING_FUNDING and funded: authorising it is all that is left. */
async function fundedRun(payables: number, accountNumbers: string[] = []): Promise<{ runId: string; batchIds: string[] }> {
  return fundedRunOf(Array.from({ length: payables }, (_, i) => gbpPayable(i, { accountNumber: accountNumbers[i] })));
}

async function fundedRunOf(payables: ReturnType<typeof gbpPayable>[], options: { bundleBySupplier?: boolean } = {}) {
  await startWorker();
  const run = await createRun(tenant.admin, payables, options);
  await until(() => statusOf(run.id), (r) => r.status === 'PENDING_CONFIRMATION', 'validation');
  await tenant.admin.client.data(ConfirmRun, { id: run.id });
  await tenant.admin.client.data(VerifyChallenge, { id: run.id, code: '123456' });
  const { fundPaymentRun } = await tenant.admin.client.data(FundRun, { id: run.id, linkedAccountIds: [accountId] });
  return { runId: run.id, batchIds: fundPaymentRun.flatMap((g) => g.batches.map((b) => b.id)) };
}

async function logCursors(): Promise<string[]> {
  const cursors: string[] = [];
  let after: string | null = null;
  for (;;) {
    const { statusChanges: log }: { statusChanges: { pageInfo: { hasNextPage: boolean; endCursor?: string | null }; edges: { cursor: string }[] } } =
      await tenant.admin.client.data(FullLog, { after });
    cursors.push(...log.edges.map((e) => e.cursor));
    if (!log.pageInfo.hasNextPage) return cursors;
    after = log.pageInfo.endCursor ?? null;
  }
}

beforeAll(async () => {
  db = await isolatedDatabase();
  port = await freePort();
  api = await startApi();
  origin = new URL(api.url).origin;
  tenant = await createTenant(api);
  await enrolSca(tenant.admin);
  accountId = (await linkGbAccount(tenant.admin)).id;
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1200, height: 760 } });
  context.on('request', (request) => requested.push(request.url()));
  context.on('page', (page) => page.on('websocket', (socket) => requested.push(socket.url())));
}, 120_000);

afterEach(async (test) => {
  if (test.task.result?.state !== 'fail') return;
  for (const [i, page] of context.pages().entries()) {
    await page.screenshot({ path: `/tmp/dashboard-failure-${i}.png` }).catch(() => {});
    console.log(`[failure] page ${i}: ${page.url()}\n${(await page.locator('body').innerText().catch(() => '')).slice(0, 2000)}`);
  }
});

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  await api?.stop();
  await db?.drop();
}, 60_000);

describe('dashboard', () => {
  it('signs in and shows a run created from a CSV file going from QUEUED to COMPLETED live', async () => {
    const page = await newPage();
    await signIn(page);
    await page.setInputFiles('input[type=file]', {
      name: 'payables.csv', mimeType: 'text/csv',
      buffer: csv([['INV-1', 'INV 1', '120.50', 'GBP', 'Acme Ltd', 'BUSINESS', '12345678', '400000'],
        ['INV-2', 'INV 2', '75', 'GBP', 'Close Match Ltd', 'BUSINESS', '11111111', '400000'],
        ['INV-3', 'INV 3', '9.99', 'GBP', 'Bolt & Nut Co', 'BUSINESS', '87654321', '400000']]),
    });
    await page.fill('input[name=paymentRunRef]', `BROWSER-${Date.now()}`);
    await page.getByRole('button', { name: 'Create run' }).click();
    await page.waitForFunction(() => location.hash.startsWith('#/runs/'), null, WAIT);
    const runId = decodeURIComponent(page.url().split('#/runs/')[1]!);
    await page.getByRole('link', { name: '← All runs' }).click();
    // Nothing validates runs until the worker starts: the list shows it QUEUED.
    await page.waitForSelector(`li[data-run-id="${runId}"][data-status="QUEUED"]`, WAIT);

    await startWorker();
    await page.waitForSelector(`li[data-run-id="${runId}"][data-status="PENDING_CONFIRMATION"]`, WAIT);
    await screenshot(page, 'runs-list');
    await page.click(`li[data-run-id="${runId}"] a`);
    await page.getByRole('button', { name: 'Confirm run' }).click();
    await page.getByLabel('One-time code').fill('123456');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForSelector(`section[data-run-id="${runId}"][data-status="PENDING_FUNDING"]`, WAIT);
    await page.getByRole('button', { name: 'Fund' }).click();
    await page.getByRole('button', { name: /Authorise all batches/ }).click();
    await page.waitForSelector(`section[data-run-id="${runId}"][data-status="EXECUTING"], section[data-run-id="${runId}"][data-status="COMPLETED"]`, WAIT);
    await page.getByRole('link', { name: '← All runs' }).click();
    await page.waitForSelector(`li[data-run-id="${runId}"][data-status="COMPLETED"]`, WAIT);

    const seen = await statusesSeen(page, runId);
    expect(seen[0]).toBe('QUEUED');
    expect(seen.at(-1)).toBe('COMPLETED');
    expect(seen).toContain('PENDING_CONFIRMATION');
    const order = seen.map((s) => RUN_LIFECYCLE.indexOf(s));
    expect(order.every((index, i) => index >= 0 && (i === 0 || index >= order[i - 1]!))).toBe(true);
    expect(await stillSameDocument(page)).toBe('same document');
    await page.close();
  }, 120_000);
  it('opens a run and shows its payables completing live', async () => {
    // Sandbox payee check: 11111111 answers a close match, 22222222 no match; neither blocks payment.
    const { runId, batchIds } = await fundedRun(4, ['12345678', '11111111', '22222222', '12345678']);
    const page = await newPage();
    await signIn(page);
    await page.click(`li[data-run-id="${runId}"] a`);
    await page.waitForSelector(`section[data-run-id="${runId}"][data-status="PENDING_FUNDING"]`, WAIT);
    const warnings = await page.$$eval('[data-payable-id] .cop-warning', (els) => els.map((e) => e.textContent ?? ''));
    expect(warnings).toEqual([expect.stringMatching(/^Close match/), expect.stringMatching(/^No match \(ANNM\)/)]);
    const payableIds = await page.$$eval('[data-payable-id]', (rows) => rows.map((r) => r.getAttribute('data-payable-id')!));
    expect(payableIds).toHaveLength(4);
    // Not bundled: no transfers section and no transfer column, as before payable groups existed.
    expect(await page.locator('#transfers-title, [data-payable-group-id]').count()).toBe(0);
    expect(await page.$$eval('table.payables th', (cells) => cells.map((c) => c.textContent))).not.toContain('Transfer');
    // The bank (autopilot) approves the attempts, receives the funds and pays: nobody touches the page.
    for (const batchId of batchIds) await tenant.admin.client.data(AuthoriseBatch, { batchId });
    await page.waitForSelector(`[data-batch-id][data-status="PROCESSING"], [data-batch-id][data-status="PROCESSED"]`, WAIT);
    await page.waitForFunction((n) => document.querySelectorAll('[data-payable-id][data-status="COMPLETED"]').length === n, 4, WAIT);
    await page.waitForSelector(`section[data-run-id="${runId}"][data-status="COMPLETED"]`, WAIT);
    await page.waitForSelector('section[data-run-id] [role=progressbar][aria-valuenow="4"]', WAIT);
    await screenshot(page.locator('main'), 'run-page');
    for (const id of payableIds) {
      const seen = await statusesSeen(page, id);
      expect(seen[0]).toBe('PENDING_FUNDING');
      expect(seen.at(-1)).toBe('COMPLETED');
      expect(seen).toContain('EXECUTING');
      const order = seen.map((s) => PAYABLE_LIFECYCLE.indexOf(s));
      expect(order.every((index, i) => index >= 0 && (i === 0 || index >= order[i - 1]!))).toBe(true);
    }
    expect(await stillSameDocument(page)).toBe('same document');
    await page.close();
  }, 120_000);

  it('shows a bundled run\'s transfers, each payable\'s transfer, and a transfer\'s status changing live', async () => {
    // 3 invoices to A, 2 to B, 1 to C (account numbers clear of the sandbox payee check's magic values).
    const invoice = (i: number, supplier: string, account: string, amount: number) => {
      const payable = gbpPayable(i, { amount, accountNumber: account });
      return { ...payable, reference: `INV ${i}`, supplier: { ...payable.supplier, name: supplier } };
    };
    const { runId, batchIds } = await fundedRunOf([
      invoice(1, 'Alpha Supplies Ltd', '70000001', 10_000), invoice(2, 'Beta plc', '70000002', 7_500),
      invoice(3, 'Alpha Supplies Ltd', '70000001', 25_050), invoice(4, 'Gamma & Sons', '70000003', 999),
      invoice(5, 'Beta plc', '70000002', 2_500), invoice(6, 'Alpha Supplies Ltd', '70000001', 4_950),
    ], { bundleBySupplier: true });
    const page = await newPage();
    await signIn(page);
    await page.click(`li[data-run-id="${runId}"] a`);
    await page.waitForSelector(`section[data-run-id="${runId}"][data-status="PENDING_FUNDING"]`, WAIT);
    await page.waitForSelector('tr[data-payable-group-id]', WAIT);
    expect(await page.locator('#transfers-title').innerText()).toBe('Transfers (3)');
    const transfers = await page.$$eval('tr[data-payable-group-id]', (rows) => rows.map((row) => ({
      id: row.getAttribute('data-payable-group-id')!,
      status: row.getAttribute('data-status'),
      cells: [...row.querySelectorAll('td')].map((td) => td.textContent),
    })));
    expect(transfers.map((t) => [t.status, t.cells])).toEqual([
      ['OPEN', ['INV 1 INV 3 INV 6', 'Alpha Supplies Ltd', '3', '£400.00', 'open']],
      ['OPEN', ['INV 2 INV 5', 'Beta plc', '2', '£100.00', 'open']],
      ['OPEN', ['INV 4', 'Gamma & Sons', '1', '£9.99', 'open']],
    ]);
    // Each payable names the transfer it goes out in.
    const payables = await page.$$eval('tr[data-payable-id]', (rows) => rows.map((row) => {
      const cell = row.querySelector('td.transfer')!;
      return [row.querySelector('td:nth-child(2)')!.textContent, cell.textContent, cell.getAttribute('data-payable-group-id')];
    }));
    const [alpha, beta, gamma] = transfers.map((t) => t.id);
    expect(payables).toEqual([
      ['INV 1', 'INV 1 INV 3 INV 6', alpha], ['INV 2', 'INV 2 INV 5', beta], ['INV 3', 'INV 1 INV 3 INV 6', alpha],
      ['INV 4', 'INV 4', gamma], ['INV 5', 'INV 2 INV 5', beta], ['INV 6', 'INV 1 INV 3 INV 6', alpha],
    ]);
    await screenshot(page.locator('section[aria-labelledby=transfers-title]'), 'transfers');

    // The bank (autopilot) approves, receives the funds and pays: the transfers move on the page by themselves.
    for (const batchId of batchIds) await tenant.admin.client.data(AuthoriseBatch, { batchId });
    await page.waitForSelector(`tr[data-payable-group-id="${alpha}"][data-status="PROCESSING"], tr[data-payable-group-id="${alpha}"][data-status="PROCESSED"]`, WAIT);
    await page.waitForFunction(() => [...document.querySelectorAll('tr[data-payable-group-id]')]
      .every((row) => row.getAttribute('data-status') === 'PROCESSED' && row.textContent!.includes('processed')), null, WAIT);
    await page.waitForSelector(`section[data-run-id="${runId}"][data-status="COMPLETED"]`, WAIT);
    for (const id of [alpha!, beta!, gamma!]) {
      const seen = await statusesSeen(page, id);
      expect(seen[0]).toBe('OPEN');
      expect(seen.at(-1)).toBe('PROCESSED');
      const order = seen.map((s) => TRANSFER_LIFECYCLE.indexOf(s));
      expect(order.every((index, i) => index >= 0 && (i === 0 || index > order[i - 1]!))).toBe(true);
    }
    expect(await stillSameDocument(page)).toBe('same document');
    await page.close();
  }, 120_000);

  it('shows every problem of an uploaded CSV at its row and column, and creates nothing', async () => {
    const page = await newPage();
    await signIn(page);
    const before = (await tenant.admin.client.data(RunCount)).paymentRuns.totalCount;
    await page.setInputFiles('input[type=file]', {
      name: 'payables.csv', mimeType: 'text/csv',
      buffer: csv([['A-1', 'INV 1', '10.00', 'GBP', 'Good Supplier Ltd', 'BUSINESS', '12345678', '400000'],
        ['A-2', 'INV 2', '20.00', 'GBP', 'Bad Sort Code Ltd', 'BUSINESS', '12345678', '4000'],
        ['A-3', 'INV 3', '30.00', 'GBP', 'Another Good Ltd', 'BUSINESS', '12345678', '400000']]),
    });
    await page.getByRole('button', { name: 'Create run' }).click();
    // Row 3 of the file (the header is row 1) is payables[1]: the gateway's invalidFields, mapped back.
    await page.waitForSelector('li[data-row="3"][data-column="sortCode"]', WAIT);
    const marked = await page.$$eval('td[aria-invalid="true"]', (cells) =>
      cells.map((c) => `${c.closest('tr')!.getAttribute('data-csv-row')}:${c.getAttribute('data-column')}`));
    expect(marked).toEqual(['3:sortCode']);
    expect(await page.$$eval('.csv-errors li', (items) => items.length)).toBe(1);
    await screenshot(page.locator('main'), 'csv-errors');
    expect((await tenant.admin.client.data(RunCount)).paymentRuns.totalCount).toBe(before);
    await page.close();
  }, 120_000);

  it('resumes after the gateway restarts: the feed has every change once, none missed', async () => {
    const { runId, batchIds } = await fundedRun(5);
    const page = await newPage();
    await signIn(page);
    await page.waitForSelector(`li[data-run-id="${runId}"][data-status="PENDING_FUNDING"]`, WAIT);
    // The feed lists newest first: its last item is the oldest change the page holds.
    const firstShown = await page.$$eval('.feed li[data-cursor]', (items) => items.at(-1)!.getAttribute('data-cursor'));

    await api.stop();
    await page.waitForSelector('[data-connection=reconnecting]', WAIT);
    // While the page's gateway is down the other instance authorises, funds and pays the whole run.
    const other = worker!.client(tenant.admin.token);
    for (const batchId of batchIds) await other.data(AuthoriseBatch, { batchId });
    await until(() => other.data(RunStatus, { id: runId }).then((r) => r.paymentRun!.status), (s) => s === 'COMPLETED', 'the run to complete');
    api = await startApi();

    await page.waitForSelector('[data-connection=live]', WAIT);
    await page.waitForSelector(`li[data-run-id="${runId}"][data-status="COMPLETED"]`, WAIT);
    const log = await logCursors();
    const start = log.indexOf(firstShown!);
    // Everything from there on, or the newest FEED_SIZE of it once earlier tests' changes fill the feed.
    const expected = Math.min(FEED_SIZE, log.length - start);
    await page.waitForFunction(([n, newest]) => {
      const items = document.querySelectorAll('.feed li[data-cursor]');
      return items.length >= n && items[0]?.getAttribute('data-cursor') === newest;
    }, [expected, log.at(-1)!] as const, WAIT);
    const feed = (await page.$$eval('.feed li[data-cursor]', (items) => items.map((i) => i.getAttribute('data-cursor')!))).reverse();
    expect(new Set(feed).size).toBe(feed.length);
    expect(feed).toEqual(log.slice(log.length - expected));
    expect(await stillSameDocument(page)).toBe('same document');
    await page.close();
  }, 180_000);

  it('serves GraphiQL from the gateway, and a subscription typed into it streams with the headers typed into it', async () => {
    const page = await newPage();
    await page.goto(`${origin}/graphql`);
    await page.waitForSelector('.graphiql-container', WAIT);
    await typeInto(page, '.graphiql-query-editor', 'subscription Watch { statusChanged { cursor entityType toStatus } }');
    await page.getByRole('button', { name: 'Headers' }).click();
    await typeInto(page, '.graphiql-editor-tool', JSON.stringify({ Authorization: `Bearer ${tenant.admin.token}` }));
    // The subscription has no cursor: it sees only what commits after the gateway registered it.
    // Every other page is closed; their streams end a little after the close.
    const live = () => Promise.resolve(api.app.services.live.open);
    await until(live, (open) => open === 0, 'the closed pages\' streams to end');
    await page.click('.graphiql-execute-button');
    await until(live, (open) => open === 1, 'GraphiQL\'s subscription to be live');
    await startWorker();
    await createRun(tenant.admin, [gbpPayable(0)]);
    await page.waitForFunction(() => /PENDING_CONFIRMATION/.test(document.querySelector('.graphiql-response')?.textContent ?? ''), null, WAIT);
    await screenshot(page, 'graphiql');
    await page.close();
  }, 120_000);

  it('made every request of every page to the gateway itself', async () => {
    const page = await newPage();
    await signIn(page);
    await page.close();
    expect(requested.length).toBeGreaterThan(10);
    const elsewhere = requested.filter((url) => !/^(https?|wss?):\/\/127\.0\.0\.1:\d+\//.test(url) || new URL(url).port !== String(port));
    expect(elsewhere.filter((url) => !url.startsWith('blob:') && !url.startsWith('data:'))).toEqual([]);
    expect(requested.some((url) => url.startsWith(`ws://127.0.0.1:${port}/graphql`))).toBe(true);
  });
});

/** Replaces the text of the Monaco editor inside `container` (insertText: no auto-closed brackets). */
async function typeInto(page: Page, container: string, text: string) {
  await page.locator(`${container} .monaco-editor .view-lines >> visible=true`).first().click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}
