import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import {
  AuthoriseBatch, CancelAuthorisation, FundRun, SimulateAuthorisation, authoriseAll, expectLogReplaysToState, fundedRun,
  movesOf, payablesOf, readFunding, readRunLog, startIsolatedApp,
} from '../helpers/funding.ts';
import { CancelRun, gbpPayable } from '../helpers/payment-runs.ts';
import { manualClock, type TestApp } from '../helpers/test-app.ts';

const TEN_MINUTES = 10 * 60_000;
const clock = manualClock();
let app: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  app = await startIsolatedApp({}, {}, { now: clock.now });
  tenant = await createTenant(app);
});
afterAll(() => app?.stop());

const controller = () => tenant.controller.client;
const drain = () => app.app.services.jobs.drain();

async function oneBatch(institution = 'SANDBOX_BANK_GB') {
  const { runId, groups } = await fundedRun(app, tenant, institution);
  return { runId, group: groups[0]!, batchId: groups[0]!.batches[0]!.id };
}
const start = async (batchId: string) => (await controller().data(AuthoriseBatch, { batchId })).authoriseBatch;
const answer = async (id: string, outcome: 'APPROVE' | 'SECOND_SIGNATORY_APPROVE' | 'REJECT' | 'CANCEL' | 'TIME_OUT') =>
  (await controller().data(SimulateAuthorisation, { id, outcome })).simulateAuthorisationOutcome;
const groupOf = async (runId: string, index = 0) => (await readFunding(tenant.controller, runId)).fundingGroups[index]!;

describe('an authorisation attempt', () => {
  it('goes USER_AUTHORISING → BANK_AUTHORISING → PROCESSED on APPROVE; batch PROCESSING, group and payables AWAITING_FUNDS', async () => {
    const { runId, batchId } = await oneBatch();
    const attempt = await start(batchId);
    expect(attempt).toMatchObject({
      status: 'USER_AUTHORISING', failureReason: null, initiatedBy: { id: tenant.controller.id },
      batch: { id: batchId, status: 'USER_INITIATION_IN_PROGRESS' },
    });
    expect(attempt.redirectUrl).toMatch(/^https:\/\/sandbox-bank\.example\/authorise\/[0-9a-f-]{36}$/);
    expect(await answer(attempt.id, 'APPROVE')).toMatchObject({ status: 'PROCESSED', batch: { status: 'PROCESSING' } });

    const view = await readFunding(tenant.controller, runId);
    expect(view.fundingGroups[0]!.status).toBe('AWAITING_FUNDS');
    expect(view.payables.edges.map((e) => e.node.status)).toEqual(['AWAITING_FUNDS', 'AWAITING_FUNDS']);
    expect(view.status).toBe('PENDING_FUNDING');
    const log = await expectLogReplaysToState(tenant.controller, runId);
    expect(movesOf(log, attempt.id)).toEqual(['null->USER_AUTHORISING', 'USER_AUTHORISING->BANK_AUTHORISING', 'BANK_AUTHORISING->PROCESSED']);
    expect(movesOf(log, batchId)).toEqual(['null->OPEN', 'OPEN->USER_INITIATION_IN_PROGRESS', 'USER_INITIATION_IN_PROGRESS->PROCESSING']);
    expect(movesOf(log, view.fundingGroups[0]!.id)).toEqual(['null->PENDING_FUNDING', 'PENDING_FUNDING->AWAITING_FUNDS']);
  });

  it('leaves the group PENDING_FUNDING until every one of its batches is authorised', async () => {
    const { runId, groups } = await fundedRun(app, tenant, 'LIMITED_BANK_GB', Array.from({ length: 12 }, (_, i) => gbpPayable(i)));
    const [first, second] = groups[0]!.batches;
    await authoriseAll(tenant.controller, [{ batches: [first!] }]);
    let group = await groupOf(runId);
    expect([group.status, group.batches.map((b) => b.status)]).toEqual(['PENDING_FUNDING', ['PROCESSING', 'OPEN']]);
    expect((await readFunding(tenant.controller, runId)).payables.edges.every((e) => e.node.status === 'PENDING_FUNDING')).toBe(true);
    await authoriseAll(tenant.controller, [{ batches: [second!] }]);
    group = await groupOf(runId);
    expect([group.status, group.batches.map((b) => b.status)]).toEqual(['AWAITING_FUNDS', ['PROCESSING', 'PROCESSING']]);
    await expectLogReplaysToState(tenant.controller, runId);
  });

  it('needs a second signatory at MULTI_AUTH_BANK_GB', async () => {
    const { runId, batchId } = await oneBatch('MULTI_AUTH_BANK_GB');
    const attempt = await start(batchId);
    const early = await controller().error(SimulateAuthorisation, { id: attempt.id, outcome: 'SECOND_SIGNATORY_APPROVE' });
    expect(early.extensions).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'USER_AUTHORISING' });
    expect(await answer(attempt.id, 'APPROVE')).toMatchObject({ status: 'AWAITING_MULTI_AUTH', batch: { status: 'USER_INITIATION_IN_PROGRESS' } });
    const twice = await controller().error(SimulateAuthorisation, { id: attempt.id, outcome: 'APPROVE' });
    expect(twice.extensions).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'AWAITING_MULTI_AUTH' });
    expect((await groupOf(runId)).status).toBe('PENDING_FUNDING');
    expect(await answer(attempt.id, 'SECOND_SIGNATORY_APPROVE')).toMatchObject({ status: 'PROCESSED', batch: { status: 'PROCESSING' } });
    expect((await groupOf(runId)).status).toBe('AWAITING_FUNDS');
    const log = await expectLogReplaysToState(tenant.controller, runId);
    expect(movesOf(log, attempt.id)).toEqual(['null->USER_AUTHORISING', 'USER_AUTHORISING->AWAITING_MULTI_AUTH', 'AWAITING_MULTI_AUTH->PROCESSED']);
  });

  it.each([
    ['REJECT', 'FAILED', 'Rejected at the bank'],
    ['CANCEL', 'CANCELLED', 'Cancelled at the bank'],
    ['TIME_OUT', 'TIMED_OUT', 'Not concluded within 10 minutes'],
  ] as const)('on %s is %s, the batch OPEN again, and a new attempt may succeed', async (outcome, status, reason) => {
    const { runId, batchId } = await oneBatch();
    const first = await start(batchId);
    expect(await answer(first.id, outcome)).toMatchObject({ status, failureReason: reason, batch: { status: 'OPEN' } });
    const again = await controller().error(SimulateAuthorisation, { id: first.id, outcome: 'APPROVE' });
    expect(again.extensions).toMatchObject({ code: 'INVALID_STATE', currentStatus: status });
    const retry = await start(batchId);
    expect(await answer(retry.id, 'APPROVE')).toMatchObject({ status: 'PROCESSED', batch: { status: 'PROCESSING' } });
    const group = await groupOf(runId);
    expect(group.batches[0]!.authorisations.map((a) => a.status)).toEqual([status, 'PROCESSED']);
    expect(group.status).toBe('AWAITING_FUNDS');
    const log = await expectLogReplaysToState(tenant.controller, runId);
    expect(movesOf(log, batchId)).toEqual([
      'null->OPEN', 'OPEN->USER_INITIATION_IN_PROGRESS', 'USER_INITIATION_IN_PROGRESS->OPEN',
      'OPEN->USER_INITIATION_IN_PROGRESS', 'USER_INITIATION_IN_PROGRESS->PROCESSING',
    ]);
  });

  it('may be cancelled by a controller while not concluded, also awaiting the second signatory', async () => {
    const { runId, batchId } = await oneBatch('MULTI_AUTH_BANK_GB');
    const attempt = await start(batchId);
    await answer(attempt.id, 'APPROVE');
    const { cancelAuthorisation } = await controller().data(CancelAuthorisation, { id: attempt.id });
    expect(cancelAuthorisation).toMatchObject({ status: 'CANCELLED', failureReason: 'Cancelled by the user', batch: { status: 'OPEN' } });
    const again = await controller().error(CancelAuthorisation, { id: attempt.id });
    expect(again.extensions).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'CANCELLED' });
    const processed = await start(batchId);
    await answer(processed.id, 'APPROVE');
    await answer(processed.id, 'SECOND_SIGNATORY_APPROVE');
    const late = await controller().error(CancelAuthorisation, { id: processed.id });
    expect(late.extensions).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'PROCESSED' });
    expect((await groupOf(runId)).status).toBe('AWAITING_FUNDS');
    await expectLogReplaysToState(tenant.controller, runId);
  });
});

describe('one attempt at a time', () => {
  it('refuses a second attempt while one is under way, and any once the batch is authorised', async () => {
    const { batchId } = await oneBatch();
    const attempt = await start(batchId);
    const busy = await controller().error(AuthoriseBatch, { batchId });
    expect(busy.extensions).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'USER_INITIATION_IN_PROGRESS' });
    await answer(attempt.id, 'APPROVE');
    const done = await controller().error(AuthoriseBatch, { batchId });
    expect(done.extensions).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'PROCESSING' });
  });

  it('lets exactly one of 5 concurrent authoriseBatch calls start an attempt', async () => {
    const { runId, batchId } = await oneBatch();
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) =>
      (i % 2 ? tenant.controller2 : tenant.controller).client.request(AuthoriseBatch, { batchId })));
    expect(results.filter((r) => r.data?.authoriseBatch.status === 'USER_AUTHORISING')).toHaveLength(1);
    const refused = results.filter((r) => r.errors);
    expect(refused).toHaveLength(4);
    for (const r of refused) expect(r.errors![0]!.extensions).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'USER_INITIATION_IN_PROGRESS' });
    expect((await groupOf(runId)).batches[0]!.authorisations).toHaveLength(1);
  });
});

describe('ten minutes without conclusion', () => {
  it('times the attempt out by the timer alone, with the clock moved and no request', async () => {
    const { runId, batchId } = await oneBatch();
    const attempt = await start(batchId);
    clock.advance(TEN_MINUTES - 1_000);
    await drain();
    expect((await groupOf(runId)).batches[0]!.authorisations[0]!.status).toBe('USER_AUTHORISING');
    clock.advance(1_000);
    await drain();
    const batch = (await groupOf(runId)).batches[0]!;
    expect(batch.status).toBe('OPEN');
    expect(batch.authorisations[0]).toMatchObject({ status: 'TIMED_OUT', failureReason: 'Not concluded within 10 minutes' });
    const log = await expectLogReplaysToState(tenant.controller, runId);
    const timedOut = log.find((c) => c.entityId === attempt.id && c.toStatus === 'TIMED_OUT')!;
    expect(timedOut.actor).toBeNull();
    expect(await answer((await start(batchId)).id, 'APPROVE')).toMatchObject({ status: 'PROCESSED' });
  });

  it('times the attempt out when it is answered too late, and starts a fresh one over an expired one', async () => {
    const { runId, batchId } = await oneBatch('MULTI_AUTH_BANK_GB');
    const attempt = await start(batchId);
    await answer(attempt.id, 'APPROVE');
    clock.advance(TEN_MINUTES);
    // No timer ran: the late answer itself times the attempt out, commits that, and is refused.
    const late = await controller().error(SimulateAuthorisation, { id: attempt.id, outcome: 'SECOND_SIGNATORY_APPROVE' });
    expect(late.extensions).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'TIMED_OUT' });
    const timedOut = (await readRunLog(tenant.controller, runId)).find((c) => c.entityId === attempt.id && c.toStatus === 'TIMED_OUT');
    expect(timedOut).toMatchObject({ fromStatus: 'AWAITING_MULTI_AUTH', actor: { id: tenant.controller.id } });
    const next = await start(batchId);
    clock.advance(TEN_MINUTES);
    const fresh = await start(batchId);
    expect(fresh.status).toBe('USER_AUTHORISING');
    const attempts = (await groupOf(runId)).batches[0]!.authorisations;
    expect(attempts.map((a) => [a.id, a.status])).toEqual([[attempt.id, 'TIMED_OUT'], [next.id, 'TIMED_OUT'], [fresh.id, 'USER_AUTHORISING']]);
    await expectLogReplaysToState(tenant.controller, runId);
  });
});

describe('cancelling the run while PENDING_FUNDING', () => {
  it('cancels its groups, their payables and the attempts under way; batches conclude', async () => {
    const { runId, groups } = await fundedRun(app, tenant, 'LIMITED_BANK_GB', payablesOf(2_000_000, 1_500_000, 100_000));
    expect(groups).toHaveLength(2);
    await authoriseAll(tenant.controller, [groups[0]!]);
    const active = await start(groups[1]!.batches[0]!.id);
    expect((await groupOf(runId, 0)).status).toBe('AWAITING_FUNDS');

    const { cancelPaymentRun } = await tenant.creator.client.data(CancelRun, { id: runId });
    expect(cancelPaymentRun.status).toBe('CANCELLED');
    const view = await readFunding(tenant.controller, runId);
    expect(view.fundingGroups.map((g) => g.status)).toEqual(['CANCELLED', 'CANCELLED']);
    expect(view.fundingGroups.flatMap((g) => g.batches.map((b) => b.status))).toEqual(['PROCESSED', 'PROCESSED']);
    expect(view.payables.edges.map((e) => e.node.status)).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED']);
    expect(view.fundingGroups[1]!.batches[0]!.authorisations).toEqual([expect.objectContaining({ id: active.id, status: 'CANCELLED' })]);

    const log = await expectLogReplaysToState(tenant.controller, runId);
    expect(movesOf(log, active.id).at(-1)).toBe('USER_AUTHORISING->CANCELLED');
    const refused = await controller().error(AuthoriseBatch, { batchId: groups[1]!.batches[0]!.id });
    expect(refused.extensions).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'PROCESSED' });
    const refund = await controller().error(FundRun, { id: runId, linkedAccountIds: [groups[0]!.linkedAccount.id] });
    expect(refund.extensions).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'CANCELLED' });
    expect((await readRunLog(tenant.controller, runId)).length).toBe(log.length);
  });
});
