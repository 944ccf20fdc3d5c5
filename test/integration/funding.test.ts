import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../generated/index.ts';
import { CreateUser, LinkAccount, PASSWORD, createTenant, linkGbAccount, signIn, type Tenant } from '../helpers/factories.ts';
import {
  AuthoriseBatch, CancelAuthorisation, CancelFundingGroup, FundRun, expectLogReplaysToState, fundedRun, movesOf,
  payablesOf, pendingFundingRun, readFunding, startIsolatedApp,
} from '../helpers/funding.ts';
import { CancelRun, createRun, eurPayable, gbpPayable } from '../helpers/payment-runs.ts';
import type { TestApp } from '../helpers/test-app.ts';

const Unlink = graphql(`mutation UnlinkForFunding($id: ID!) { unlinkAccount(id: $id) { id status } }`);

let app: TestApp;
let tenant: Tenant;
let other: Tenant;

beforeAll(async () => {
  app = await startIsolatedApp();
  [tenant, other] = await Promise.all([createTenant(app), createTenant(app)]);
});
afterAll(() => app?.stop());

const fund = (runId: string, linkedAccountIds: string[], t: Tenant = tenant) =>
  t.controller.client.request(FundRun, { id: runId, linkedAccountIds });

async function linkEurAccount(t: Tenant) {
  const { linkAccount } = await t.controller.client.data(LinkAccount, {
    input: { institutionCode: 'SANDBOX_BANK_EU', accountIdentification: { sepa: { iban: 'DE89370400440532013000' } } },
  });
  return linkAccount;
}

describe('splitting a run into funding groups and batches', () => {
  it('packs the contract\'s example into exactly 3 groups under LIMITED_BANK_GB\'s 2.5M limit', async () => {
    const amounts = [2_000_000, 1_500_000, 1_000_000, 500_000, 400_000, 100_000];
    const { runId, groups, accountId } = await fundedRun(app, tenant, 'LIMITED_BANK_GB', payablesOf(...amounts));
    expect(groups.map((g) => [g.reference, g.status, g.totalAmount.amount])).toEqual([
      ['FG-001', 'PENDING_FUNDING', 2_500_000],
      ['FG-002', 'PENDING_FUNDING', 2_500_000],
      ['FG-003', 'PENDING_FUNDING', 500_000],
    ]);
    expect(groups.every((g) => g.linkedAccount.id === accountId && g.fundingDate === null)).toBe(true);
    expect(groups.map((g) => g.batches.map((b) => [b.status, b.payableCount]))).toEqual([[['OPEN', 2]], [['OPEN', 2]], [['OPEN', 2]]]);

    const view = await readFunding(tenant.controller, runId);
    expect(view.status).toBe('PENDING_FUNDING');
    const amountsIn = (i: number) => view.fundingGroups[i]!.payables.edges.map((e) => e.node.amount.amount).sort((a, b) => b - a);
    expect([amountsIn(0), amountsIn(1), amountsIn(2)]).toEqual([[2_000_000, 500_000], [1_500_000, 1_000_000], [400_000, 100_000]]);
    // Payables keep their status; each sits in exactly one group and one batch of that group.
    for (const { node } of view.payables.edges) {
      expect(node.status).toBe('PENDING_FUNDING');
      const group = view.fundingGroups.find((g) => g.id === node.fundingGroup?.id)!;
      expect(group.batches.map((b) => b.id)).toContain(node.batch?.id);
    }
  });

  it('splits a group into batches of at most maxBatchSize, in run order', async () => {
    const payables = Array.from({ length: 25 }, (_, i) => gbpPayable(i));
    const { runId, groups } = await fundedRun(app, tenant, 'LIMITED_BANK_GB', payables);
    expect(groups).toHaveLength(1);
    const [group] = groups;
    expect(group!.batches.map((b) => b.payableCount)).toEqual([10, 10, 5]);
    expect(group!.batches.reduce((sum, b) => sum + b.totalAmount.amount, 0)).toBe(group!.totalAmount.amount);
    expect(group!.totalAmount.amount).toBe(payables.reduce((sum, p) => sum + p.amount.amount, 0));
    const view = await readFunding(tenant.controller, runId);
    const batchOf = new Map(view.payables.edges.map((e, position) => [position, e.node.batch?.id]));
    expect([0, 9, 10, 19, 20, 24].map((position) => group!.batches.findIndex((b) => b.id === batchOf.get(position)))).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it('logs each new group (null → PENDING_FUNDING) and batch (null → OPEN), and no payable moves', async () => {
    const payables = Array.from({ length: 12 }, (_, i) => gbpPayable(i));
    const { runId, groups } = await fundedRun(app, tenant, 'LIMITED_BANK_GB', payables);
    const log = await expectLogReplaysToState(tenant.controller, runId);
    expect(movesOf(log, groups[0]!.id)).toEqual(['null->PENDING_FUNDING']);
    for (const batch of groups[0]!.batches) expect(movesOf(log, batch.id)).toEqual(['null->OPEN']);
    // Payables only moved with their run so far: QUEUED, PENDING_CONFIRMATION, PENDING_CHALLENGE, PENDING_FUNDING.
    expect(log.filter((c) => c.entityType === 'PAYABLE')).toHaveLength(12 * 4);
    expect(log.filter((c) => c.entityType === 'FUNDING_GROUP').every((c) => c.actor?.id === tenant.controller.id)).toBe(true);
  });
});

describe('linked accounts', () => {
  it('answers LINKED_ACCOUNT_NOT_FOUND for another buyer\'s account, an unknown id and a malformed one', async () => {
    const runId = await pendingFundingRun(app, tenant);
    const foreign = await linkGbAccount(other.controller);
    const unknown = Buffer.from('LinkedAccount:01937a00-0000-7000-8000-00000000ffff').toString('base64url');
    for (const id of [foreign.id, unknown, 'not-an-id', runId]) {
      const { errors } = await fund(runId, [id]);
      expect(errors?.[0]?.extensions).toMatchObject({ code: 'LINKED_ACCOUNT_NOT_FOUND', fieldName: 'linkedAccountIds[0]' });
    }
    expect((await readFunding(tenant.controller, runId)).fundingGroups).toEqual([]);
  });

  it('answers LINKED_ACCOUNT_INVALID_STATE for an unlinked account', async () => {
    const runId = await pendingFundingRun(app, tenant);
    const account = await linkGbAccount(tenant.controller);
    await tenant.controller.client.data(Unlink, { id: account.id });
    const { errors } = await fund(runId, [account.id]);
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'LINKED_ACCOUNT_INVALID_STATE', currentStatus: 'UNLINKED' });
    expect((await readFunding(tenant.controller, runId)).fundingGroups).toEqual([]);
  });

  it('answers UNSUPPORTED_CURRENCY for an account in another currency than the run\'s, either way round', async () => {
    const gbpRun = await pendingFundingRun(app, tenant);
    const eur = await linkEurAccount(tenant);
    expect((await fund(gbpRun, [eur.id])).errors?.[0]?.extensions).toMatchObject({ code: 'UNSUPPORTED_CURRENCY', currency: 'EUR', expectedCurrency: 'GBP' });
    const gbp = await linkGbAccount(tenant.controller);
    expect((await fund(gbpRun, [gbp.id, eur.id])).errors?.[0]?.extensions?.code).toBe('UNSUPPORTED_CURRENCY');

    const eurRun = await pendingFundingRun(app, tenant, [eurPayable(0), eurPayable(1)]);
    expect((await fund(eurRun, [gbp.id])).errors?.[0]?.extensions?.code).toBe('UNSUPPORTED_CURRENCY');
    const { data } = await fund(eurRun, [eur.id]);
    expect(data?.fundPaymentRun.map((g) => g.totalAmount)).toEqual([{ currency: 'EUR', amount: 1001 }]);
  });

  it('answers TOO_MANY_LINKED_ACCOUNT_PER_CURRENCY for two accounts of one currency, and counts a repeated id once', async () => {
    const runId = await pendingFundingRun(app, tenant);
    const [a, b] = [await linkGbAccount(tenant.controller), await linkGbAccount(tenant.controller, 'LIMITED_BANK_GB')];
    expect((await fund(runId, [a.id, b.id])).errors?.[0]?.extensions).toMatchObject({ code: 'TOO_MANY_LINKED_ACCOUNT_PER_CURRENCY', currency: 'GBP' });
    expect((await readFunding(tenant.controller, runId)).fundingGroups).toEqual([]);
    expect((await fund(runId, [a.id, a.id])).data?.fundPaymentRun).toHaveLength(1);
  });

  it('needs at least one account', async () => {
    const runId = await pendingFundingRun(app, tenant);
    expect((await fund(runId, [])).errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT', invalidFields: [{ fieldName: 'linkedAccountIds', error: 'SIZE' }],
    });
  });
});

describe('funding limits', () => {
  it('answers FUNDING_LIMIT_EXCEEDED naming the payable above the limit, and stores nothing', async () => {
    const runId = await pendingFundingRun(app, tenant, payablesOf(1_000, 2_500_001, 2_500_000));
    const limited = await linkGbAccount(tenant.controller, 'LIMITED_BANK_GB');
    const { errors } = await fund(runId, [limited.id]);
    const oversized = (await readFunding(tenant.controller, runId)).payables.edges[1]!.node;
    expect(errors?.[0]?.extensions).toMatchObject({
      code: 'FUNDING_LIMIT_EXCEEDED', payableId: oversized.id, position: 1, amount: 2_500_001, maxFundingAmount: 2_500_000,
    });
    expect((await readFunding(tenant.controller, runId)).fundingGroups).toEqual([]);
    // The same run funds from an account whose bank takes larger groups.
    const roomy = await linkGbAccount(tenant.controller);
    expect((await fund(runId, [roomy.id])).data?.fundPaymentRun.map((g) => g.totalAmount.amount)).toEqual([5_001_001]);
  });
});

describe('groups are created once', () => {
  it('returns the same groups when called again, even with other accounts', async () => {
    const { runId, groups } = await fundedRun(app, tenant, 'LIMITED_BANK_GB', payablesOf(2_000_000, 2_000_000));
    const other = await linkGbAccount(tenant.controller);
    const again = await fund(runId, [other.id]);
    expect(again.data?.fundPaymentRun.map((g) => g.id)).toEqual(groups.map((g) => g.id));
  });

  it('gives 5 concurrent calls the same groups, created and logged once', async () => {
    const runId = await pendingFundingRun(app, tenant, Array.from({ length: 30 }, (_, i) => gbpPayable(i, { amount: 400_000 })));
    const account = await linkGbAccount(tenant.controller, 'LIMITED_BANK_GB');
    const results = await Promise.all(Array.from({ length: 5 }, () => fund(runId, [account.id])));
    const ids = results.map((r) => r.data?.fundPaymentRun.map((g) => g.id));
    expect(ids[0]).toHaveLength(5);
    for (const other of ids) expect(other).toEqual(ids[0]);
    const log = await expectLogReplaysToState(tenant.controller, runId);
    expect(log.filter((c) => c.entityType === 'FUNDING_GROUP')).toHaveLength(5);
    expect(log.filter((c) => c.entityType === 'BATCH')).toHaveLength(5);
  });
});

describe('who may fund, and when', () => {
  it('refuses a CREATOR every funding mutation with INSUFFICIENT_PERMISSIONS, changing nothing', async () => {
    const { runId, groups } = await fundedRun(app, tenant);
    const batchId = groups[0]!.batches[0]!.id;
    const { authoriseBatch } = await tenant.controller.client.data(AuthoriseBatch, { batchId });
    const creator = tenant.creator.client;
    const account = await linkGbAccount(tenant.controller);
    const fresh = await pendingFundingRun(app, tenant);
    for (const error of [
      await creator.error(FundRun, { id: fresh, linkedAccountIds: [account.id] }),
      await creator.error(AuthoriseBatch, { batchId }),
      await creator.error(CancelAuthorisation, { id: authoriseBatch.id }),
      await creator.error(CancelFundingGroup, { paymentRunId: runId, reference: 'FG-001' }),
    ]) expect(error.extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
    expect((await readFunding(tenant.controller, fresh)).fundingGroups).toEqual([]);
    const view = await readFunding(tenant.controller, runId);
    expect(view.fundingGroups[0]!.batches[0]!.authorisations.map((a) => a.status)).toEqual(['USER_AUTHORISING']);
  });

  it('asks an unenrolled controller to enrol before authorising (SCA_NOT_ENROLLED)', async () => {
    const { groups } = await fundedRun(app, tenant);
    const email = `unenrolled-${Date.now()}@test.example`;
    await tenant.admin.client.data(CreateUser, { input: { email, name: 'U', password: PASSWORD, roles: ['CONTROLLER'] } });
    const unenrolled = await signIn(app, email);
    const error = await unenrolled.client.error(AuthoriseBatch, { batchId: groups[0]!.batches[0]!.id });
    expect(error.extensions?.code).toBe('SCA_NOT_ENROLLED');
  });

  it('answers INVALID_STATE with currentStatus before confirmation and after cancellation', async () => {
    const account = await linkGbAccount(tenant.controller);
    const unconfirmed = await createRun(tenant.creator, [gbpPayable(0)]);
    await app.app.services.jobs.drain();
    expect((await fund(unconfirmed.id, [account.id])).errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'PENDING_CONFIRMATION' });
    const cancelled = await pendingFundingRun(app, tenant);
    await tenant.creator.client.data(CancelRun, { id: cancelled });
    expect((await fund(cancelled, [account.id])).errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'CANCELLED' });
    expect((await readFunding(tenant.controller, cancelled)).fundingGroups).toEqual([]);
  });

  it('answers NOT_FOUND for another buyer\'s run', async () => {
    const foreignRun = await pendingFundingRun(app, other);
    const account = await linkGbAccount(tenant.controller);
    expect((await fund(foreignRun, [account.id])).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
