import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import {
  AuthoriseBatch, CancelFundingGroup, SimulateAuthorisation, SimulateFunds, SimulatePayable, authoriseAll, expectLogReplaysToState,
  fundedRun, movesOf, payablesOf, readFunding, startIsolatedApp, type FundingView,
} from '../helpers/funding.ts';
import { CancelRun, gbpPayable } from '../helpers/payment-runs.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

let app: TestApp;
let tenant: Tenant;
let other: Tenant;

beforeAll(async () => {
  app = await startIsolatedApp();
  [tenant, other] = await Promise.all([createTenant(app), createTenant(app)]);
});
afterAll(() => app?.stop());

const client = () => tenant.controller.client;
const view = (runId: string) => readFunding(tenant.controller, runId);
const payableIds = (v: FundingView) => v.payables.edges.map((e) => e.node.id);
const settle = (id: string, outcome: 'COMPLETE' | 'FAIL' | 'RETURN') => client().data(SimulatePayable, { id, outcome });
const statuses = (v: FundingView) => ({
  run: v.status,
  groups: v.fundingGroups.map((g) => g.status),
  batches: v.fundingGroups.flatMap((g) => g.batches.map((b) => b.status)),
  payables: v.payables.edges.map((e) => e.node.status),
});

/** Funded at the sandbox bank, every batch authorised: AWAITING_FUNDS. */
async function awaitingFunds(institution = 'SANDBOX_BANK_GB', payables = [gbpPayable(0), gbpPayable(1), gbpPayable(2)]) {
  const funded = await fundedRun(app, tenant, institution, payables);
  await authoriseAll(tenant.controller, funded.groups);
  return funded;
}

describe('execution and derived statuses', () => {
  it('runs a group to COMPLETED, then a late RETURN makes group and run COMPLETED_WITH_ERRORS', async () => {
    const { runId, groups } = await awaitingFunds();
    const { simulateFundsReceived } = await client().data(SimulateFunds, { fundingGroupId: groups[0]!.id });
    expect(simulateFundsReceived.status).toBe('EXECUTING');
    expect(Date.parse(simulateFundsReceived.fundingDate!)).toBeGreaterThan(Date.now() - 60_000);
    let v = await view(runId);
    expect(statuses(v)).toEqual({ run: 'EXECUTING', groups: ['EXECUTING'], batches: ['PROCESSING'], payables: ['EXECUTING', 'EXECUTING', 'EXECUTING'] });

    const [a, b, c] = payableIds(v);
    expect((await settle(a!, 'COMPLETE')).simulatePayableOutcome).toMatchObject({ status: 'COMPLETED', statusReason: null });
    await settle(b!, 'COMPLETE');
    expect(statuses(await view(runId))).toMatchObject({ run: 'EXECUTING', groups: ['EXECUTING'], batches: ['PROCESSING'] });
    await settle(c!, 'COMPLETE');
    expect(statuses(await view(runId))).toEqual({ run: 'COMPLETED', groups: ['COMPLETED'], batches: ['PROCESSED'], payables: ['COMPLETED', 'COMPLETED', 'COMPLETED'] });

    expect((await settle(b!, 'RETURN')).simulatePayableOutcome).toMatchObject({ status: 'RETURNED', statusReason: 'Payment returned by the beneficiary bank' });
    v = await view(runId);
    expect(statuses(v)).toEqual({ run: 'COMPLETED_WITH_ERRORS', groups: ['COMPLETED_WITH_ERRORS'], batches: ['PROCESSED'], payables: ['COMPLETED', 'RETURNED', 'COMPLETED'] });

    const log = await expectLogReplaysToState(tenant.controller, runId);
    expect(movesOf(log, v.id)).toEqual([
      'null->QUEUED', 'QUEUED->PENDING_CONFIRMATION', 'PENDING_CONFIRMATION->PENDING_CHALLENGE', 'PENDING_CHALLENGE->PENDING_FUNDING',
      'PENDING_FUNDING->EXECUTING', 'EXECUTING->COMPLETED', 'COMPLETED->COMPLETED_WITH_ERRORS',
    ]);
    expect(movesOf(log, groups[0]!.id)).toEqual([
      'null->PENDING_FUNDING', 'PENDING_FUNDING->AWAITING_FUNDS', 'AWAITING_FUNDS->EXECUTING', 'EXECUTING->COMPLETED', 'COMPLETED->COMPLETED_WITH_ERRORS',
    ]);
    expect(movesOf(log, b!).slice(-4)).toEqual(['PENDING_FUNDING->AWAITING_FUNDS', 'AWAITING_FUNDS->EXECUTING', 'EXECUTING->COMPLETED', 'COMPLETED->RETURNED']);
  });

  it('makes a group with a FAILED payable, and its run, COMPLETED_WITH_ERRORS', async () => {
    const { runId, groups } = await awaitingFunds();
    await client().data(SimulateFunds, { fundingGroupId: groups[0]!.id });
    const [a, b, c] = payableIds(await view(runId));
    await settle(a!, 'COMPLETE');
    expect((await settle(b!, 'FAIL')).simulatePayableOutcome).toMatchObject({ status: 'FAILED', statusReason: 'Payment failed at the beneficiary bank' });
    await settle(c!, 'COMPLETE');
    expect(statuses(await view(runId))).toEqual({
      run: 'COMPLETED_WITH_ERRORS', groups: ['COMPLETED_WITH_ERRORS'], batches: ['PROCESSED'], payables: ['COMPLETED', 'FAILED', 'COMPLETED'],
    });
    await expectLogReplaysToState(tenant.controller, runId);
  });

  it('derives the run from all its groups: EXECUTING with the first, concluded with the last', async () => {
    const { runId, groups } = await fundedRun(app, tenant, 'LIMITED_BANK_GB', payablesOf(2_000_000, 1_500_000, 300_000));
    const [first, second] = groups;
    await authoriseAll(tenant.controller, [first!]);
    await client().data(SimulateFunds, { fundingGroupId: first!.id });
    expect(statuses(await view(runId))).toMatchObject({ run: 'EXECUTING', groups: ['EXECUTING', 'PENDING_FUNDING'] });
    // The second group's batch stays authorisable while the run already executes.
    await authoriseAll(tenant.controller, [second!]);
    let v = await view(runId);
    for (const { node } of v.fundingGroups[0]!.payables.edges) await settle(node.id, 'COMPLETE');
    expect(statuses(await view(runId))).toMatchObject({ run: 'EXECUTING', groups: ['COMPLETED', 'AWAITING_FUNDS'] });
    await client().data(SimulateFunds, { fundingGroupId: second!.id });
    for (const { node } of v.fundingGroups[1]!.payables.edges) await settle(node.id, 'COMPLETE');
    v = await view(runId);
    expect(statuses(v)).toEqual({ run: 'COMPLETED', groups: ['COMPLETED', 'COMPLETED'], batches: ['PROCESSED', 'PROCESSED'], payables: ['COMPLETED', 'COMPLETED', 'COMPLETED'] });
    await expectLogReplaysToState(tenant.controller, runId);
  });

  it('lets any signed-in user of the buyer play the bank, and nobody else', async () => {
    const { runId, groups } = await awaitingFunds();
    expect((await tenant.creator.client.data(SimulateFunds, { fundingGroupId: groups[0]!.id })).simulateFundsReceived.status).toBe('EXECUTING');
    const [a] = payableIds(await view(runId));
    expect((await other.controller.client.error(SimulatePayable, { id: a!, outcome: 'COMPLETE' })).extensions?.code).toBe('NOT_FOUND');
    expect((await app.client().error(SimulatePayable, { id: a!, outcome: 'COMPLETE' })).extensions?.code).toBe('UNAUTHENTICATED');
    expect((await tenant.creator.client.data(SimulatePayable, { id: a!, outcome: 'COMPLETE' })).simulatePayableOutcome.status).toBe('COMPLETED');
  });

  it('refuses outcomes that do not fit the current status with INVALID_STATE, changing nothing', async () => {
    const { runId, groups } = await awaitingFunds();
    const [a, b] = payableIds(await view(runId));
    const refusal = async (id: string, outcome: 'COMPLETE' | 'FAIL' | 'RETURN') => (await client().error(SimulatePayable, { id, outcome })).extensions;
    expect(await refusal(a!, 'COMPLETE')).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'AWAITING_FUNDS' });
    await client().data(SimulateFunds, { fundingGroupId: groups[0]!.id });
    expect((await client().error(SimulateFunds, { fundingGroupId: groups[0]!.id })).extensions).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'EXECUTING' });
    expect(await refusal(a!, 'RETURN')).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'EXECUTING' });
    await settle(a!, 'COMPLETE');
    await settle(b!, 'FAIL');
    expect(await refusal(a!, 'COMPLETE')).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'COMPLETED' });
    expect(await refusal(b!, 'RETURN')).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'FAILED' });
    expect(statuses(await view(runId)).payables).toEqual(['COMPLETED', 'FAILED', 'EXECUTING']);
    await expectLogReplaysToState(tenant.controller, runId);
  });

  it('receives funds only for a group AWAITING_FUNDS', async () => {
    const { runId, groups } = await fundedRun(app, tenant);
    const error = await client().error(SimulateFunds, { fundingGroupId: groups[0]!.id });
    expect(error.extensions).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'PENDING_FUNDING' });
    expect(statuses(await view(runId))).toMatchObject({ groups: ['PENDING_FUNDING'], payables: ['PENDING_FUNDING', 'PENDING_FUNDING'] });
  });
});

describe('cancelling a funding group', () => {
  it('cancels a group AWAITING_FUNDS and its payables; the run is CANCELLED with its only group', async () => {
    const { runId, groups } = await awaitingFunds();
    const { cancelFundingGroup } = await client().data(CancelFundingGroup, { paymentRunId: runId, reference: 'FG-001' });
    expect(cancelFundingGroup).toMatchObject({ id: groups[0]!.id, status: 'CANCELLED' });
    expect(statuses(await view(runId))).toEqual({ run: 'CANCELLED', groups: ['CANCELLED'], batches: ['PROCESSED'], payables: ['CANCELLED', 'CANCELLED', 'CANCELLED'] });
    const log = await expectLogReplaysToState(tenant.controller, runId);
    expect(movesOf(log, groups[0]!.id).at(-1)).toBe('AWAITING_FUNDS->CANCELLED');
  });

  it('concludes a run whose other groups completed as COMPLETED_WITH_ERRORS', async () => {
    const { runId, groups } = await fundedRun(app, tenant, 'LIMITED_BANK_GB', payablesOf(2_000_000, 1_500_000));
    await authoriseAll(tenant.controller, groups);
    await client().data(SimulateFunds, { fundingGroupId: groups[0]!.id });
    const v = await view(runId);
    await settle(v.fundingGroups[0]!.payables.edges[0]!.node.id, 'COMPLETE');
    expect(statuses(await view(runId))).toMatchObject({ run: 'EXECUTING', groups: ['COMPLETED', 'AWAITING_FUNDS'] });
    await client().data(CancelFundingGroup, { paymentRunId: runId, reference: groups[1]!.reference });
    expect(statuses(await view(runId))).toMatchObject({ run: 'COMPLETED_WITH_ERRORS', groups: ['COMPLETED', 'CANCELLED'] });
    await expectLogReplaysToState(tenant.controller, runId);
  });

  it('refuses groups in any other status, unknown references, and the run\'s cancellation once EXECUTING', async () => {
    const { runId, groups } = await fundedRun(app, tenant, 'LIMITED_BANK_GB', payablesOf(2_000_000, 1_500_000));
    const cancel = async (reference: string) => (await client().error(CancelFundingGroup, { paymentRunId: runId, reference })).extensions;
    expect(await cancel('FG-001')).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'PENDING_FUNDING' });
    expect(await cancel('FG-999')).toMatchObject({ code: 'NOT_FOUND' });
    await authoriseAll(tenant.controller, [groups[0]!]);
    await client().data(SimulateFunds, { fundingGroupId: groups[0]!.id });
    expect(await cancel('FG-001')).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'EXECUTING' });
    expect((await tenant.creator.client.error(CancelRun, { id: runId })).extensions).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'EXECUTING' });
    for (const { node } of (await view(runId)).fundingGroups[0]!.payables.edges) await settle(node.id, 'COMPLETE');
    expect(await cancel('FG-001')).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'COMPLETED' });
    expect(statuses(await view(runId))).toMatchObject({ run: 'EXECUTING', groups: ['COMPLETED', 'PENDING_FUNDING'] });
    const foreign = await other.controller.client.error(CancelFundingGroup, { paymentRunId: runId, reference: 'FG-002' });
    expect(foreign.extensions?.code).toBe('NOT_FOUND');
    await expectLogReplaysToState(tenant.controller, runId);
  });
});

describe('outside the sandbox', () => {
  it('answers every simulate* with SANDBOX_DISABLED and changes nothing', async () => {
    const { runId, groups } = await fundedRun(app, tenant);
    const { authoriseBatch } = await client().data(AuthoriseBatch, { batchId: groups[0]!.batches[0]!.id });
    const [payableId] = payableIds(await view(runId));
    const live = await startTestApp({ SANDBOX: 'false', RUN_JOBS: 'false' }, { databaseUrl: app.app.services.config.databaseUrl });
    try {
      const controller = live.client(tenant.controller.token);
      const garbage = 'not-an-id';
      for (const error of [
        await controller.error(SimulateAuthorisation, { id: authoriseBatch.id, outcome: 'APPROVE' }),
        await controller.error(SimulateAuthorisation, { id: garbage, outcome: 'APPROVE' }),
        await controller.error(SimulateFunds, { fundingGroupId: groups[0]!.id }),
        await controller.error(SimulatePayable, { id: payableId!, outcome: 'COMPLETE' }),
        await controller.error(SimulatePayable, { id: garbage, outcome: 'FAIL' }),
      ]) expect(error.extensions?.code).toBe('SANDBOX_DISABLED');
    } finally {
      await live.stop();
    }
    const v = await view(runId);
    expect(v.fundingGroups[0]!.batches[0]!.authorisations.map((a) => a.status)).toEqual(['USER_AUTHORISING']);
    expect(statuses(v)).toMatchObject({ groups: ['PENDING_FUNDING'], payables: ['PENDING_FUNDING', 'PENDING_FUNDING'] });
    expect((await client().data(SimulateAuthorisation, { id: authoriseBatch.id, outcome: 'APPROVE' })).simulateAuthorisationOutcome.status).toBe('PROCESSED');
  });
});
