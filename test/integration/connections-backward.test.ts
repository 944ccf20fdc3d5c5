import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { CancelRun, ConfirmRun, createRun, gbpPayable } from '../helpers/payment-runs.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { connectWs, readLog, type StatusChangeEvent } from '../helpers/ws-client.ts';

/**
 * `last`/`before` are offered on every connection and honoured (issue 8 item 11): a client asks for
 * the newest cursor with `statusChanges(last: 1)` and subscribes `after` it.
 */
let app: TestApp;
let tenant: Tenant;
let runId: string;
let log: StatusChangeEvent[];

interface Page<N> {
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  edges: { cursor: string; node: N }[];
}

beforeAll(async () => {
  app = await startTestApp();
  tenant = await createTenant(app);
  runId = (await createRun(tenant.creator, Array.from({ length: 7 }, (_, i) => gbpPayable(i)))).id;
  await app.app.services.jobs.drain();
  await tenant.controller.client.data(ConfirmRun, { id: runId });
  log = await readLog(tenant.admin.client);
});
afterAll(() => app?.stop());

const LogPage = `query($runId: ID, $first: Int, $last: Int, $after: String, $before: String) {
  statusChanges(paymentRunId: $runId, first: $first, last: $last, after: $after, before: $before) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { cursor toStatus entityType } } } }`;

async function logPage(variables: Record<string, unknown>) {
  const { statusChanges } = await tenant.admin.client.data(LogPage as never, variables as never) as { statusChanges: Page<{ cursor: string }> };
  return statusChanges;
}

describe('statusChanges backward', () => {
  it('last: 1 is the newest event, and a subscription after its cursor gets only what follows', async () => {
    const page = await logPage({ last: 1 });
    expect(page.edges.map((e) => e.cursor)).toEqual([log.at(-1)!.cursor]);
    expect(page.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false, endCursor: log.at(-1)!.cursor });

    const ws = connectWs(app.url, tenant.admin.token);
    try {
      const live = ws.subscribeText<{ statusChanged: StatusChangeEvent }>(
        'subscription($after: String) { statusChanged(after: $after) { cursor toStatus entityType } }',
        { after: page.pageInfo.endCursor },
      );
      await tenant.controller.client.data(CancelRun, { id: runId });
      const [first] = await live.take(1);
      expect(first!.statusChanged.toStatus).toBe('CANCELLED');
      expect(first!.statusChanged.cursor > page.pageInfo.endCursor!).toBe(true);
      log = await readLog(tenant.admin.client);
    } finally {
      await ws.dispose();
    }
  });

  it('pages backward with last/before, in log order, to the very first event', async () => {
    const seen: string[] = [];
    let before: string | null = null;
    for (;;) {
      const page = await logPage({ runId, last: 3, before });
      seen.unshift(...page.edges.map((e) => e.cursor));
      expect(page.pageInfo.hasNextPage).toBe(before !== null);
      if (!page.pageInfo.hasPreviousPage) break;
      before = page.pageInfo.startCursor;
    }
    expect(seen).toEqual((await readLog(tenant.admin.client, { paymentRunId: runId })).map((e) => e.cursor));
  });

  it('reads the window between after and before from either end', async () => {
    const [, a, , , , b] = log;
    const forward = await logPage({ after: a!.cursor, before: b!.cursor, first: 10 });
    const backward = await logPage({ after: a!.cursor, before: b!.cursor, last: 10 });
    expect(forward.edges.map((e) => e.cursor)).toEqual(log.slice(2, 5).map((e) => e.cursor));
    expect(backward.edges.map((e) => e.cursor)).toEqual(log.slice(2, 5).map((e) => e.cursor));
    expect((await logPage({ after: a!.cursor, before: b!.cursor, last: 2 })).edges.map((e) => e.cursor)).toEqual(log.slice(3, 5).map((e) => e.cursor));
  });

  it('PaymentRun.statusChanges(last: 1) is the run\'s newest event', async () => {
    const { paymentRun } = await tenant.admin.client.data(
      'query($id: ID!) { paymentRun(id: $id) { statusChanges(last: 1) { edges { cursor node { toStatus entityType } } } } }' as never,
      { id: runId } as never,
    ) as { paymentRun: { statusChanges: Page<{ toStatus: string; entityType: string }> } };
    const runLog = await readLog(tenant.admin.client, { paymentRunId: runId });
    expect(paymentRun.statusChanges.edges.map((e) => e.cursor)).toEqual([runLog.at(-1)!.cursor]);
  });

  it('refuses first and last together', async () => {
    const error = await tenant.admin.client.error(LogPage as never, { first: 1, last: 1 } as never);
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('payables backward', () => {
  const Payables = `query($id: ID!, $first: Int, $last: Int, $after: String, $before: String) { paymentRun(id: $id) {
    payables(first: $first, last: $last, after: $after, before: $before) {
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { reference } } } } }`;
  const page = async (variables: Record<string, unknown>) =>
    ((await tenant.admin.client.data(Payables as never, { id: runId, ...variables } as never)) as { paymentRun: { payables: Page<{ reference: string }> } }).paymentRun.payables;
  const refs = (p: Page<{ reference: string }>) => p.edges.map((e) => e.node.reference);

  it('last: 2 is the last two payables, in order; before pages back to the start', async () => {
    const tail = await page({ last: 2 });
    expect(refs(tail)).toEqual(['INV 5', 'INV 6']);
    expect(tail.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const middle = await page({ last: 3, before: tail.pageInfo.startCursor });
    expect(refs(middle)).toEqual(['INV 2', 'INV 3', 'INV 4']);
    const head = await page({ last: 3, before: middle.pageInfo.startCursor });
    expect(refs(head)).toEqual(['INV 0', 'INV 1']);
    expect(head.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
  });

  it('first with before, and after with before, stay inside the window', async () => {
    const all = await page({ first: 7 });
    const cursor = (i: number) => all.edges[i]!.cursor;
    expect(refs(await page({ first: 2, before: cursor(4) }))).toEqual(['INV 0', 'INV 1']);
    expect(refs(await page({ after: cursor(1), before: cursor(5), last: 2 }))).toEqual(['INV 3', 'INV 4']);
    expect(refs(await page({ after: cursor(1), before: cursor(5) }))).toEqual(['INV 2', 'INV 3', 'INV 4']);
  });
});

describe('paymentRuns backward', () => {
  it('last: 1 is the oldest run (the list is newest first)', async () => {
    const own = await createTenant(app);
    const older = await createRun(own.creator, [gbpPayable(0)]);
    await createRun(own.creator, [gbpPayable(1)]);
    const { paymentRuns } = await own.admin.client.data('{ paymentRuns(last: 1) { edges { node { id } } } }' as never) as { paymentRuns: Page<{ id: string }> };
    expect(paymentRuns.edges.map((e) => e.node.id)).toEqual([older.id]);
  });
});
