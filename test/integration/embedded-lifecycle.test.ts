import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, linkGbAccount, type Tenant } from '../helpers/factories.ts';
import {
  AuthoriseBatch, FundRun, SimulateAuthorisation, SimulateFunds, SimulatePayable, expectLogReplaysToState, pendingFundingRun, readFunding,
} from '../helpers/funding.ts';
import { ConfirmRun, GetRun, UpdatePayables, createRun, gbpPayable } from '../helpers/payment-runs.ts';
import { manualClock, startTestApp, type TestApp } from '../helpers/test-app.ts';

/**
 * The embedded database (PGlite) runs the same raw SQL as PostgreSQL but serialises parameters on
 * its own: every background job and bulk statement is driven here once, end to end.
 */
const clock = manualClock();
let app: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  app = await startTestApp(
    { RUN_JOBS: 'false' },
    { databaseUrl: null, redisUrl: null, dataDir: 'memory://', autopilot: { enabled: true, stepDelayMs: 0, failureRate: 0, returnRate: 0 } },
    { now: clock.now },
  );
  tenant = await createTenant(app);
}, 120_000);
afterAll(() => app?.stop());

const drain = () => app.app.services.jobs.drain();

describe('embedded database: the whole lifecycle', () => {
  it('validates, updates suppliers, expires challenges and times out attempts', async () => {
    expect(app.app.services.database.kind).toBe('embedded');
    const run = await createRun(tenant.creator, [gbpPayable(0, { accountNumber: '11111111' }), gbpPayable(1)]);
    await drain();
    const view = (await tenant.creator.client.data(GetRun, { id: run.id, first: 5 })).paymentRun!;
    expect(view.status).toBe('PENDING_CONFIRMATION');
    expect(view.payables.edges[0]!.node.validationOutcomes).toEqual([{ category: 'CONFIRMATION_OF_PAYEE', match: 'CLOSE_MATCH', reasonCode: 'MBAM', accountName: expect.any(String) }]);

    const supplier = { name: 'New Name', type: 'PERSONAL' as const, bankAccountDetails: { fasterPayments: { accountNumber: '44444444', sortCode: '400000' } } };
    await tenant.creator.client.data(UpdatePayables, { paymentRunId: run.id, payables: [{ payableId: view.payables.edges[1]!.node.id, supplier }] });
    const updated = (await tenant.creator.client.data(GetRun, { id: run.id, first: 5 })).paymentRun!.payables.edges[1]!.node;
    expect(updated.validationOutcomes[0]).toMatchObject({ match: 'NO_MATCH', reasonCode: 'BANM' });

    await tenant.controller.client.data(ConfirmRun, { id: run.id });
    clock.advance(5 * 60_000 + 1);
    await drain();
    expect((await tenant.creator.client.data(GetRun, { id: run.id, first: 0 })).paymentRun!.status).toBe('SCA_FAILED');

    const funding = await pendingFundingRun(app, tenant);
    const account = await linkGbAccount(tenant.controller);
    const { fundPaymentRun } = await tenant.controller.client.data(FundRun, { id: funding, linkedAccountIds: [account.id] });
    const { authoriseBatch } = await tenant.controller.client.data(AuthoriseBatch, { batchId: fundPaymentRun[0]!.batches[0]!.id });
    clock.advance(10 * 60_000 + 1);
    await drain();
    const attempt = (await readFunding(tenant.controller, funding))!.fundingGroups[0]!.batches[0]!.authorisations[0]!;
    expect(attempt).toMatchObject({ id: authoriseBatch.id, status: 'TIMED_OUT' });
  });

  it('funds, authorises, executes and completes, by hand and by the autopilot', async () => {
    const runId = await pendingFundingRun(app, tenant, [gbpPayable(0), gbpPayable(1), gbpPayable(2)]);
    const account = await linkGbAccount(tenant.controller, 'LIMITED_BANK_GB');
    const { fundPaymentRun } = await tenant.controller.client.data(FundRun, { id: runId, linkedAccountIds: [account.id] });
    const { authoriseBatch } = await tenant.controller.client.data(AuthoriseBatch, { batchId: fundPaymentRun[0]!.batches[0]!.id });
    await tenant.controller.client.data(SimulateAuthorisation, { id: authoriseBatch.id, outcome: 'APPROVE' });
    await tenant.controller.client.data(SimulateFunds, { fundingGroupId: fundPaymentRun[0]!.id });
    const first = (await tenant.creator.client.data(GetRun, { id: runId, first: 5 })).paymentRun!.payables.edges[0]!.node.id;
    await tenant.controller.client.data(SimulatePayable, { id: first, outcome: 'COMPLETE' });
    await drain(); // the autopilot settles the rest
    const view = (await tenant.creator.client.data(GetRun, { id: runId, first: 5 })).paymentRun!;
    expect(view.status).toBe('COMPLETED');
    expect(view.payables.edges.map((e) => e.node.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    await expectLogReplaysToState(tenant.controller, runId);
  });
});
