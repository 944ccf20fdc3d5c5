import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../generated/index.ts';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { ConfirmRun, createRun, gbpPayable } from '../helpers/payment-runs.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

const Runs = graphql(`
  query Runs($first: Int, $after: String, $filter: PaymentRunFilter) {
    paymentRuns(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id tag status totalAmount { amount } } }
    }
  }
`);
const Dashboard = graphql(`
  query Dashboard {
    paymentRuns(first: 50) {
      totalCount
      edges { node { id status payableCount totalAmount { currency amount } createdBy { email }
        payableCountsByStatus { status count }
        payables(first: 20) { totalCount edges { node { id status amount { amount } reference supplier { name } } } } } }
    }
  }
`);
const PayablePage = graphql(`
  query PayablePage($id: ID!, $after: String) {
    paymentRun(id: $id) { payables(first: 3, after: $after) { pageInfo { hasNextPage endCursor } edges { node { reference } } } }
  }
`);
const Log = graphql(`
  query Log($paymentRunId: ID, $after: String) {
    statusChanges(paymentRunId: $paymentRunId, first: 4, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { cursor node { entityType fromStatus toStatus entity { id __typename } } }
    }
  }
`);

let app: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  app = await startTestApp();
  tenant = await createTenant(app);
});
afterAll(() => app?.stop());

describe('paymentRuns', () => {
  it('lists newest first with cursor pagination, filters and totalCount', async () => {
    const t = await createTenant(app);
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await createRun(t.creator, [gbpPayable(0, { amount: (i + 1) * 1000 })], { tag: i % 2 ? 'odd' : 'even' }));
    const page1 = (await t.creator.client.data(Runs, { first: 2 })).paymentRuns;
    expect(page1.totalCount).toBe(5);
    expect(page1.edges.map((e) => e.node.id)).toEqual([made[4]!.id, made[3]!.id]);
    const page2 = (await t.creator.client.data(Runs, { first: 2, after: page1.pageInfo.endCursor })).paymentRuns;
    expect(page2.edges.map((e) => e.node.id)).toEqual([made[2]!.id, made[1]!.id]);
    const odd = (await t.creator.client.data(Runs, { filter: { tag: ['odd'] } })).paymentRuns;
    expect(odd.edges.map((e) => e.node.tag)).toEqual(['odd', 'odd']);
    const band = (await t.creator.client.data(Runs, { filter: { minAmount: 2000, maxAmount: 4000 } })).paymentRuns;
    expect(band.edges.map((e) => e.node.totalAmount.amount)).toEqual([4000, 3000, 2000]);
    expect((await t.creator.client.data(Runs, { filter: { status: ['CANCELLED'] } })).paymentRuns.totalCount).toBe(0);
  });

  it('pages a run\'s payables in creation order', async () => {
    const run = await createRun(tenant.creator, Array.from({ length: 7 }, (_, i) => gbpPayable(i)));
    const seen: string[] = [];
    let after: string | null | undefined;
    do {
      const page = (await tenant.creator.client.data(PayablePage, { id: run.id, after })).paymentRun!.payables;
      seen.push(...page.edges.map((e) => e.node.reference));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `INV ${i}`));
  });

  it('answers the dashboard read (50 runs x 20 payables) with a constant number of SQL statements', async () => {
    // A quiet instance (no jobs, no relay polling) so that only the read's own statements count.
    let statements = 0;
    const quiet = await startTestApp({ RUN_JOBS: 'false', POLL_INTERVAL_MS: '600000' }, {}, { onQuery: () => void statements++ });
    try {
      const t = await createTenant(quiet);
      const count = async () => {
        await quiet.app.services.relay.drain();
        const before = statements;
        const { paymentRuns } = await t.creator.client.data(Dashboard);
        return { used: statements - before, paymentRuns };
      };
      for (let i = 0; i < 2; i++) await createRun(t.creator, Array.from({ length: 25 }, (_, j) => gbpPayable(j)));
      const small = await count();
      for (let i = 0; i < 48; i++) await createRun(t.creator, Array.from({ length: 25 }, (_, j) => gbpPayable(j)));
      const large = await count();
      expect(large.paymentRuns.edges).toHaveLength(50);
      expect(large.paymentRuns.edges.every((e) => e.node.payables.edges.length === 20 && e.node.payables.totalCount === 25)).toBe(true);
      expect(large.paymentRuns.edges.every((e) => e.node.payableCountsByStatus.reduce((n, c) => n + c.count, 0) === 25)).toBe(true);
      expect(large.used).toBe(small.used);
      expect(large.used).toBeLessThanOrEqual(8);
    } finally {
      await quiet.stop();
    }
  }, 60_000);
});

describe('statusChanges', () => {
  it('serves the log in order, paginated, with entities, per run', async () => {
    const run = await createRun(tenant.creator, [gbpPayable(0), gbpPayable(1)]);
    await app.app.services.jobs.drain();
    await tenant.controller.client.data(ConfirmRun, { id: run.id });
    const moves: string[] = [];
    const cursors: string[] = [];
    let after: string | null | undefined;
    do {
      const page = (await tenant.creator.client.data(Log, { paymentRunId: run.id, after })).statusChanges;
      expect(page.totalCount).toBe(9);
      for (const edge of page.edges) {
        cursors.push(edge.cursor);
        moves.push(`${edge.node.entityType}:${edge.node.fromStatus}->${edge.node.toStatus}`);
        expect(edge.node.entity?.__typename).toBe(edge.node.entityType === 'PAYMENT_RUN' ? 'PaymentRun' : 'Payable');
      }
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(new Set(cursors).size).toBe(9);
    expect(moves.filter((m) => m.startsWith('PAYMENT_RUN'))).toEqual([
      'PAYMENT_RUN:null->QUEUED', 'PAYMENT_RUN:QUEUED->PENDING_CONFIRMATION', 'PAYMENT_RUN:PENDING_CONFIRMATION->PENDING_CHALLENGE',
    ]);
  });

  it('answers another buyer\'s run id with NOT_FOUND', async () => {
    const other = await createTenant(app);
    const foreign = await createRun(other.creator, [gbpPayable(0)]);
    expect((await tenant.creator.client.error(Log, { paymentRunId: foreign.id })).extensions?.code).toBe('NOT_FOUND');
  });
});
