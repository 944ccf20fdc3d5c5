/**
 * Payable groups (bundleBySupplier): one bank transfer per beneficiary — formed at funding, packed
 * and batched as transfers, derived by precedence, moved as a whole by the bank's outcomes, logged
 * and published as PAYABLE_GROUP.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { graphql } from '../generated/index.ts';
import { createTenant, linkGbAccount, type Tenant } from '../helpers/factories.ts';
import {
  AuthoriseBatch, FundRun, SimulateAuthorisation, SimulateFunds, SimulatePayable, expectLogReplaysToState, fundedRun, movesOf,
  pendingFundingRun, readFunding, readRunLog, startIsolatedApp,
} from '../helpers/funding.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { StatusChanged, connectWs, type WsTestClient } from '../helpers/ws-client.ts';

const Transfers = graphql(`
  query Transfers($id: ID!) {
    paymentRun(id: $id) {
      id status bundleBySupplier
      fundingGroups {
        id status totalAmount { amount }
        batches {
          id status payableCount
          payableGroups {
            id reference status payableCount totalAmount { currency amount }
            supplier { name bankAccountDetails { ... on FasterPaymentsBankDetails { accountNumber sortCode secondaryReference } } }
            batch { id }
            payables(first: 5) { totalCount edges { node { id reference status payableGroup { id } } } }
          }
        }
      }
      payables(first: 100) { edges { node { id status reference payableGroup { id } } } }
    }
  }
`);
const GroupNode = graphql(`
  query GroupNode($id: ID!) { node(id: $id) { __typename ... on PayableGroup { id reference status payableCount } } }
`);
const TransfersRead = graphql(`
  query TransfersRead($id: ID!) {
    paymentRun(id: $id) {
      fundingGroups { batches { payableGroups {
        id reference status payableCount supplier { name } batch { id }
        payables(first: 5) { totalCount edges { node { id payableGroup { id reference } } } }
      } } }
      payables(first: 100) { edges { node { id payableGroup { id status } } } }
    }
  }
`);
const GroupMembersPage = graphql(`
  query GroupMembersPage($id: ID!, $first: Int, $after: String) {
    node(id: $id) { ... on PayableGroup { payables(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { reference } }
    } } }
  }
`);

const RunTransfersPage = graphql(`
  query RunTransfersPage($id: ID!, $first: Int, $after: String, $last: Int) {
    paymentRun(id: $id) {
      payableGroups(first: $first, after: $after, last: $last) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { id reference payableCount } }
      }
    }
  }
`);

/** The dashboard's run page read, reduced to what bundling adds: a page of transfers and each payable's transfer. */
const RunPageTransfers = graphql(`
  query RunPageTransfers($id: ID!, $first: Int) {
    paymentRun(id: $id) {
      bundleBySupplier
      payableGroups(first: $first) { totalCount edges { node { id reference status payableCount totalAmount { currency amount } supplier { name } } } }
      payables(first: $first) { totalCount edges { node { id status payableGroup { id reference } } } }
    }
  }
`);

let app: TestApp;
let tenant: Tenant;
let other: Tenant;

beforeAll(async () => {
  app = await startIsolatedApp();
  [tenant, other] = await Promise.all([createTenant(app), createTenant(app)]);
});
afterAll(() => app?.stop());

interface Line { name: string; account: string; amount?: number; secondaryReference?: string; reference?: string }

/** A GBP payable to a named supplier's account (account numbers steer clear of the CoP magic values). */
const to = ({ name, account, amount = 1000, secondaryReference, reference }: Line, i: number) => ({
  externalRef: `ext-${i}`,
  amount: { currency: 'GBP' as const, amount },
  reference: reference ?? `INV ${i}`,
  supplier: {
    name, type: 'BUSINESS' as const, bankCountry: 'GB',
    bankAccountDetails: { fasterPayments: { accountNumber: account, sortCode: '400000', ...(secondaryReference ? { secondaryReference } : {}) } },
  },
});
const lines = (...list: Line[]) => list.map(to);

const A = { name: 'Alpha Supplies Ltd', account: '70000001' };
const B = { name: 'Beta plc', account: '70000002' };
const C = { name: 'Gamma & Sons', account: '70000003' };

async function transfersOf(runId: string) {
  const { paymentRun } = await tenant.controller.client.data(Transfers, { id: runId });
  const groups = paymentRun!.fundingGroups.flatMap((g) => g.batches.flatMap((b) => b.payableGroups));
  return { run: paymentRun!, groups };
}

const transfersPage = async (runId: string, page: { first?: number; after?: string | null; last?: number }) =>
  (await tenant.controller.client.data(RunTransfersPage, { id: runId, ...page })).paymentRun!.payableGroups;

const bundled = (institution: string, payables: ReturnType<typeof lines>, t: Tenant = tenant) =>
  fundedRun(app, t, institution, payables, { bundleBySupplier: true });

describe('forming groups at funding', () => {
  it('bundles 3 invoices to A, 2 to B and 1 to C into 3 transfers', async () => {
    const { runId } = await bundled('SANDBOX_BANK_GB', lines(
      { ...A, amount: 100 }, { ...B, amount: 200 }, { ...A, amount: 300 }, { ...C, amount: 400 }, { ...B, amount: 500 }, { ...A, amount: 600 },
    ));
    const { run, groups } = await transfersOf(runId);
    expect(run.bundleBySupplier).toBe(true);
    expect(groups.map((g) => [g.supplier.name, g.payableCount, g.totalAmount.amount, g.reference, g.status])).toEqual([
      ['Alpha Supplies Ltd', 3, 1000, 'INV 0 INV 2 INV 5', 'OPEN'],
      ['Beta plc', 2, 700, 'INV 1 INV 4', 'OPEN'],
      ['Gamma & Sons', 1, 400, 'INV 3', 'OPEN'],
    ]);
    // Members are listed in run order; every payable knows its transfer.
    expect(groups.map((g) => g.payables.edges.map((e) => e.node.reference))).toEqual([['INV 0', 'INV 2', 'INV 5'], ['INV 1', 'INV 4'], ['INV 3']]);
    for (const group of groups) {
      expect(group.payables.totalCount).toBe(group.payableCount);
      expect(group.payables.edges.every((e) => e.node.payableGroup?.id === group.id)).toBe(true);
    }
    expect(run.payables.edges.every((e) => e.node.payableGroup !== null)).toBe(true);
    // The batch holds 6 payables in 3 transfers; a group is a node of its own.
    expect(run.fundingGroups[0]!.batches.map((b) => [b.payableCount, b.payableGroups.length])).toEqual([[6, 3]]);
    const { node } = await tenant.controller.client.data(GroupNode, { id: groups[0]!.id });
    expect(node).toEqual({ __typename: 'PayableGroup', id: groups[0]!.id, reference: 'INV 0 INV 2 INV 5', status: 'OPEN', payableCount: 3 });
    // Another buyer's id answers like one that never existed.
    const foreign = await other.controller.client.error(GroupNode, { id: groups[0]!.id });
    expect(foreign.extensions?.code).toBe('NOT_FOUND');
  });

  it('bundles names differing in case and spaces, but not different account details', async () => {
    const { runId } = await bundled('SANDBOX_BANK_GB', lines(
      A, { ...A, name: '  alpha   SUPPLIES ltd ' }, { ...A, name: 'ALPHA SUPPLIES\tLTD' },
      { ...A, account: '70000009' }, { ...A, secondaryReference: 'ROLL-1' }, { ...A, name: 'Alpha Supplies Ltd.' },
    ));
    const { groups } = await transfersOf(runId);
    expect(groups.map((g) => g.payables.edges.map((e) => e.node.reference))).toEqual([['INV 0', 'INV 1', 'INV 2'], ['INV 3'], ['INV 4'], ['INV 5']]);
    expect(groups[0]!.supplier.name).toBe('Alpha Supplies Ltd');
    expect(groups[2]!.supplier.bankAccountDetails).toEqual({ accountNumber: '70000001', sortCode: '400000', secondaryReference: 'ROLL-1' });
  });

  it('gives a bundle whose references do not fit 18 characters a short reference naming the first and how many more', async () => {
    const { runId } = await bundled('SANDBOX_BANK_GB', lines(
      { ...A, reference: 'INV-2026-000101' }, { ...A, reference: 'INV-2026-000102' }, { ...A, reference: 'INV-2026-000103' },
    ));
    const { groups } = await transfersOf(runId);
    expect(groups.map((g) => g.reference)).toEqual(['INV-2026-00 2 MORE']);
    expect(groups[0]!.reference.length).toBeLessThanOrEqual(18);
  });

  it('pages a group\'s members with first/after', async () => {
    const { runId } = await bundled('SANDBOX_BANK_GB', lines(...Array.from({ length: 5 }, () => A)));
    const [group] = (await transfersOf(runId)).groups;
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const { node }: { node: unknown } = await tenant.controller.client.data(GroupMembersPage, { id: group!.id, first: 2, after });
      const page: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor?: string | null }; edges: { node: { reference: string } }[] } = (node as { payables: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor?: string | null }; edges: { node: { reference: string } }[] } }).payables;
      expect(page.totalCount).toBe(5);
      seen.push(...page.edges.map((e) => e.node.reference));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor ?? null;
    }
    expect(seen).toEqual(['INV 0', 'INV 1', 'INV 2', 'INV 3', 'INV 4']);
  });
});

describe('packing transfers', () => {
  it('fits a LIMITED_BANK_GB run of 30 payables to 10 suppliers in one batch: maxBatchSize counts transfers', async () => {
    const suppliers = Array.from({ length: 10 }, (_, s) => ({ name: `Supplier ${s} Ltd`, account: `7100000${s}` }));
    const payables = lines(...Array.from({ length: 30 }, (_, i) => suppliers[i % 10]!));
    const { runId, groups } = await bundled('LIMITED_BANK_GB', payables);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.batches.map((b) => b.payableCount)).toEqual([30]);
    const { run } = await transfersOf(runId);
    expect(run.fundingGroups[0]!.batches[0]!.payableGroups.map((g) => g.payableCount)).toEqual(Array(10).fill(3));

    // Without bundling the same payables need 3 batches of at most 10.
    const plain = await fundedRun(app, tenant, 'LIMITED_BANK_GB', payables);
    expect(plain.groups[0]!.batches.map((b) => b.payableCount)).toEqual([10, 10, 10]);
  });

  it('never splits a group across funding groups', async () => {
    // 4 × 600,000 to A (2.4M, one transfer) and 3 × 500,000 to B (1.5M) under a 2.5M limit.
    const { runId, groups } = await bundled('LIMITED_BANK_GB', lines(
      ...Array.from({ length: 4 }, () => ({ ...A, amount: 600_000 })), ...Array.from({ length: 3 }, () => ({ ...B, amount: 500_000 })),
    ));
    expect(groups.map((g) => g.totalAmount.amount)).toEqual([2_400_000, 1_500_000]);
    const { run } = await transfersOf(runId);
    expect(run.fundingGroups.map((g) => g.batches.flatMap((b) => b.payableGroups.map((t) => t.supplier.name)))).toEqual([['Alpha Supplies Ltd'], ['Beta plc']]);
  });

  it('answers FUNDING_LIMIT_EXCEEDED naming the group when one bundle exceeds the limit, and stores nothing', async () => {
    const runId = await pendingFundingRun(app, tenant, lines({ ...B, amount: 1000 }, { ...A, amount: 1_500_000 }, { ...A, amount: 1_500_000 }), { bundleBySupplier: true });
    const limited = await linkGbAccount(tenant.controller, 'LIMITED_BANK_GB');
    const { errors } = await tenant.controller.client.request(FundRun, { id: runId, linkedAccountIds: [limited.id] });
    const view = await readFunding(tenant.controller, runId);
    const members = view.payables.edges.slice(1).map((e) => e.node.id);
    expect(errors?.[0]?.message).toBe('Payable group "INV 1 INV 2" (2 payables to Alpha Supplies Ltd) exceeds the institution\'s funding limit');
    expect(errors?.[0]?.extensions).toMatchObject({
      code: 'FUNDING_LIMIT_EXCEEDED', payableGroupReference: 'INV 1 INV 2', supplierName: 'Alpha Supplies Ltd', payableCount: 2,
      payableIds: members, positions: [1, 2], amount: 3_000_000, maxFundingAmount: 2_500_000,
    });
    expect(view.fundingGroups).toEqual([]);
  });
});

describe('statuses and outcomes', () => {
  let ws: WsTestClient;
  afterAll(() => ws?.dispose());

  it('follow the precedence through authorisation, execution, completion and a RETURN, one transfer at a time', async () => {
    const runId = await pendingFundingRun(app, tenant, lines(A, B, A, A, B), { bundleBySupplier: true });
    ws = connectWs(app.url, tenant.controller.token);
    const open = app.app.services.live.open;
    const live = ws.subscribe(StatusChanged, { paymentRunId: runId, entityTypes: ['PAYABLE_GROUP'] });
    // Without a cursor the stream sees what commits after it read the log's head: funding (which
    // opens the transfers) waits for that.
    await vi.waitFor(() => expect(app.app.services.live.open).toBe(open + 1), { timeout: 30_000 });
    const account = await linkGbAccount(tenant.controller);
    const { fundPaymentRun: [fundingGroup] } = await tenant.controller.client.data(FundRun, { id: runId, linkedAccountIds: [account.id] });
    const statuses = async () => (await transfersOf(runId)).groups.map((g) => g.status);
    const { groups: [groupA, groupB] } = await transfersOf(runId);
    const membersOf = (g: typeof groupA) => g!.payables.edges.map((e) => e.node.id);
    expect(await statuses()).toEqual(['OPEN', 'OPEN']);

    const { authoriseBatch } = await tenant.controller.client.data(AuthoriseBatch, { batchId: fundingGroup!.batches[0]!.id });
    expect(await statuses()).toEqual(['USER_INITIATION_IN_PROGRESS', 'USER_INITIATION_IN_PROGRESS']);
    await tenant.controller.client.data(SimulateAuthorisation, { id: authoriseBatch.id, outcome: 'APPROVE' });
    expect(await statuses()).toEqual(['PROCESSING', 'PROCESSING']);
    await tenant.controller.client.data(SimulateFunds, { fundingGroupId: fundingGroup!.id });
    expect(await statuses()).toEqual(['PROCESSING', 'PROCESSING']);

    // An outcome for one member is the transfer's: every member moves in the same request.
    const { simulatePayableOutcome } = await tenant.controller.client.data(SimulatePayable, { id: membersOf(groupA)[1]!, outcome: 'COMPLETE' });
    expect(simulatePayableOutcome.status).toBe('COMPLETED');
    let view = await transfersOf(runId);
    expect(view.groups.map((g) => [g.status, g.payables.edges.map((e) => e.node.status)])).toEqual([
      ['PROCESSED', ['COMPLETED', 'COMPLETED', 'COMPLETED']], ['PROCESSING', ['EXECUTING', 'EXECUTING']],
    ]);
    await tenant.controller.client.data(SimulatePayable, { id: membersOf(groupB)[0]!, outcome: 'COMPLETE' });
    view = await transfersOf(runId);
    expect(view.run.status).toBe('COMPLETED');
    expect(view.groups.map((g) => g.status)).toEqual(['PROCESSED', 'PROCESSED']);

    // A later RETURN returns every member; the run follows into COMPLETED_WITH_ERRORS.
    await tenant.controller.client.data(SimulatePayable, { id: membersOf(groupA)[2]!, outcome: 'RETURN' });
    view = await transfersOf(runId);
    expect(view.run.status).toBe('COMPLETED_WITH_ERRORS');
    expect(view.run.fundingGroups[0]!.status).toBe('COMPLETED_WITH_ERRORS');
    expect(view.groups.map((g) => [g.status, g.payables.edges.map((e) => e.node.status)])).toEqual([
      ['PROCESSED', ['RETURNED', 'RETURNED', 'RETURNED']], ['PROCESSED', ['COMPLETED', 'COMPLETED']],
    ]);

    // Logged once each, in order, and replaying the log gives today's statuses.
    const log = await expectLogReplaysToState(tenant.controller, runId);
    const lifecycle = ['null->OPEN', 'OPEN->USER_INITIATION_IN_PROGRESS', 'USER_INITIATION_IN_PROGRESS->PROCESSING', 'PROCESSING->PROCESSED'];
    expect(movesOf(log, groupA!.id)).toEqual(lifecycle);
    expect(movesOf(log, groupB!.id)).toEqual(lifecycle);
    const returned = log.filter((c) => c.entityType === 'PAYABLE' && c.toStatus === 'RETURNED');
    expect(returned.map((c) => c.entityId).sort()).toEqual([...membersOf(groupA)].sort());

    // The same PAYABLE_GROUP changes reach a subscriber, in log order.
    const logged = log.filter((c) => c.entityType === 'PAYABLE_GROUP');
    expect(logged).toHaveLength(8);
    const received = await live.take(logged.length);
    expect(received.map((v) => [v.statusChanged.entityType, v.statusChanged.entityId, v.statusChanged.fromStatus ?? null, v.statusChanged.toStatus]))
      .toEqual(logged.map((c) => ['PAYABLE_GROUP', c.entityId, c.fromStatus, c.toStatus]));
  });

  it('refuses an outcome the transfer cannot take, changing nothing', async () => {
    const { runId, groups } = await bundled('SANDBOX_BANK_GB', lines(A, A));
    const { run } = await transfersOf(runId);
    const error = await tenant.controller.client.error(SimulatePayable, { id: run.payables.edges[0]!.node.id, outcome: 'COMPLETE' });
    expect(error.extensions).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'PENDING_FUNDING' });
    expect(groups[0]!.batches[0]!.status).toBe('OPEN');
    expect((await transfersOf(runId)).groups.map((g) => g.status)).toEqual(['OPEN']);
  });
});

describe('without bundleBySupplier', () => {
  it('behaves exactly as before: no groups, no PAYABLE_GROUP changes, an outcome moves one payable', async () => {
    const { runId, groups } = await fundedRun(app, tenant, 'SANDBOX_BANK_GB', lines(A, B, A, A, B));
    const { run } = await transfersOf(runId);
    expect(run.bundleBySupplier).toBe(false);
    expect(run.payables.edges.every((e) => e.node.payableGroup === null)).toBe(true);
    expect(run.fundingGroups[0]!.batches.map((b) => [b.payableCount, b.payableGroups])).toEqual([[5, []]]);

    const { authoriseBatch } = await tenant.controller.client.data(AuthoriseBatch, { batchId: groups[0]!.batches[0]!.id });
    await tenant.controller.client.data(SimulateAuthorisation, { id: authoriseBatch.id, outcome: 'APPROVE' });
    await tenant.controller.client.data(SimulateFunds, { fundingGroupId: groups[0]!.id });
    await tenant.controller.client.data(SimulatePayable, { id: run.payables.edges[0]!.node.id, outcome: 'COMPLETE' });
    const after = await transfersOf(runId);
    expect(after.run.payables.edges.map((e) => e.node.status)).toEqual(['COMPLETED', 'EXECUTING', 'EXECUTING', 'EXECUTING', 'EXECUTING']);
    expect((await readRunLog(tenant.controller, runId)).filter((c) => c.entityType === 'PAYABLE_GROUP')).toEqual([]);
  });
});

describe('reading groups', () => {
  it('pages a run\'s transfers with first/after (and last), in run order, counting them all; none without bundling', async () => {
    const suppliers = [A, B, C, { name: 'Delta Ltd', account: '70000004' }, { name: 'Epsilon Ltd', account: '70000005' }];
    const { runId } = await bundled('SANDBOX_BANK_GB', lines(...suppliers, A, B));
    const all = (await transfersOf(runId)).groups.map((g) => g.reference);
    expect(all).toEqual(['INV 0 INV 5', 'INV 1 INV 6', 'INV 2', 'INV 3', 'INV 4']);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await transfersPage(runId, { first: 2, after });
      expect(page.totalCount).toBe(5);
      expect(page.edges.length).toBeLessThanOrEqual(2);
      seen.push(...page.edges.map((e) => e.node.reference));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor ?? null;
    }
    expect(seen).toEqual(all);
    const last = await transfersPage(runId, { last: 2 });
    expect(last.edges.map((e) => e.node.reference)).toEqual(all.slice(-2));

    const plain = await fundedRun(app, tenant, 'SANDBOX_BANK_GB', lines(A, A));
    expect(await transfersPage(plain.runId, { first: 2 })).toMatchObject({ totalCount: 0, edges: [] });
  });

  it('costs the same number of SQL statements for 2 transfers as for 40, and for a run page of 5 as of 40 (no N+1)', async () => {
    let statements = 0;
    const quiet = await startTestApp({ RUN_JOBS: 'false', POLL_INTERVAL_MS: '600000' }, {}, { onQuery: () => void statements++ });
    try {
      const t = await createTenant(quiet);
      const fundedWith = async (suppliers: number) => {
        const payables = lines(...Array.from({ length: 80 }, (_, i) => ({ name: `Supplier ${i % suppliers}`, account: `720000${String(i % suppliers).padStart(2, '0')}` })));
        const { runId } = await fundedRun(quiet, t, 'SANDBOX_BANK_GB', payables, { bundleBySupplier: true });
        return runId;
      };
      const [few, many] = [await fundedWith(2), await fundedWith(40)];
      const count = async (runId: string) => {
        await quiet.app.services.relay.drain();
        const before = statements;
        const { paymentRun } = await t.controller.client.data(TransfersRead, { id: runId });
        return { used: statements - before, groups: paymentRun!.fundingGroups.flatMap((g) => g.batches.flatMap((b) => b.payableGroups)) };
      };
      const small = await count(few);
      const large = await count(many);
      expect(small.groups).toHaveLength(2);
      expect(large.groups).toHaveLength(40);
      expect(large.groups.every((g) => g.payables.edges.every((e) => e.node.payableGroup?.id === g.id))).toBe(true);
      expect(small.used).toBeGreaterThan(0);
      expect(large.used).toBe(small.used);

      // The run page's read: 5 or 40 transfers and payables a page, the same statements.
      const pageOf = async (first: number) => {
        const before = statements;
        const { paymentRun } = await t.controller.client.data(RunPageTransfers, { id: many, first });
        return { used: statements - before, run: paymentRun! };
      };
      const [five, forty] = [await pageOf(5), await pageOf(40)];
      expect(forty.run.payableGroups.edges).toHaveLength(40);
      expect(forty.run.payables.edges.every((e) => e.node.payableGroup !== null)).toBe(true);
      expect(five.run.payableGroups.totalCount).toBe(40);
      expect(forty.used).toBe(five.used);
    } finally {
      await quiet.stop();
    }
  }, 120_000);
});
