import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autopilotFails, autopilotReturns } from '../../src/sandbox/autopilot.ts';
import { rowIdOf } from '../helpers/bank-events.ts';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import {
  AuthoriseBatch, expectLogReplaysToState, fundedRun, movesOf, readFunding, startIsolatedApp, type FundingView,
} from '../helpers/funding.ts';
import { GetRun, createRun, gbpPayable } from '../helpers/payment-runs.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

const AUTOPILOT = { AUTOPILOT: 'true', AUTOPILOT_STEP_MS: '0', AUTOPILOT_FAILURE_RATE: '0.3', AUTOPILOT_RETURN_RATE: '0.3' };
let app: TestApp;
let tenant: Tenant;

// The autopilot acts for every buyer of its database: it gets one of its own.
beforeAll(async () => {
  app = await startIsolatedApp(AUTOPILOT);
  tenant = await createTenant(app);
});
afterAll(() => app?.stop());

/** What the sandbox bank will have done to each payable, known in advance from its id. */
function predicted(v: FundingView) {
  return v.payables.edges.map(({ node }) => {
    const id = rowIdOf(node.id);
    if (autopilotFails(id, 0.3)) return 'FAILED';
    return autopilotReturns(id, 0.3) ? 'RETURNED' : 'COMPLETED';
  });
}

async function authoriseEveryBatch(runId: string) {
  const v = await readFunding(tenant.controller, runId);
  for (const batch of v.fundingGroups.flatMap((g) => g.batches)) await tenant.controller.client.data(AuthoriseBatch, { batchId: batch.id });
}

describe('sandbox autopilot', () => {
  it('acts for the bank only: it confirms, funds and authorises nothing', async () => {
    const unconfirmed = await createRun(tenant.creator, [gbpPayable(0)]);
    const { runId } = await fundedRun(app, tenant);
    await app.app.services.jobs.drain();
    expect((await tenant.creator.client.data(GetRun, { id: unconfirmed.id, first: 0 })).paymentRun?.status).toBe('PENDING_CONFIRMATION');
    const v = await readFunding(tenant.controller, runId);
    expect([v.status, v.fundingGroups[0]!.status, v.fundingGroups[0]!.batches[0]!.status]).toEqual(['PENDING_FUNDING', 'PENDING_FUNDING', 'OPEN']);
  });

  it('approves (second signatory too), delivers funds, settles and returns payables as predicted by their ids', async () => {
    const { runId, groups } = await fundedRun(app, tenant, 'MULTI_AUTH_BANK_GB', Array.from({ length: 24 }, (_, i) => gbpPayable(i)));
    await authoriseEveryBatch(runId);
    await app.app.services.jobs.drain();

    const v = await readFunding(tenant.controller, runId);
    const expected = predicted(v);
    expect(v.payables.edges.map((e) => e.node.status)).toEqual(expected);
    expect(expected).toContain('FAILED');
    expect(expected).toContain('RETURNED');
    expect(v.fundingGroups[0]!.fundingDate).not.toBeNull();
    expect([v.status, v.fundingGroups[0]!.status, v.fundingGroups[0]!.batches[0]!.status]).toEqual(['COMPLETED_WITH_ERRORS', 'COMPLETED_WITH_ERRORS', 'PROCESSED']);

    const log = await expectLogReplaysToState(tenant.controller, runId);
    const attempt = v.fundingGroups[0]!.batches[0]!.authorisations[0]!;
    expect(movesOf(log, attempt.id)).toEqual(['null->USER_AUTHORISING', 'USER_AUTHORISING->AWAITING_MULTI_AUTH', 'AWAITING_MULTI_AUTH->PROCESSED']);
    expect(log.filter((c) => c.entityId === attempt.id && c.fromStatus !== null).every((c) => c.actor === null)).toBe(true);
    expect(movesOf(log, groups[0]!.id).slice(-2)).toEqual(['AWAITING_FUNDS->EXECUTING', 'EXECUTING->COMPLETED_WITH_ERRORS']);
  });

  it('takes each step once with two instances on one database', async () => {
    const second = await startTestApp({ ...AUTOPILOT, RUN_JOBS: 'false' }, { databaseUrl: app.app.services.config.databaseUrl });
    try {
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push((await fundedRun(app, tenant, 'LIMITED_BANK_GB', Array.from({ length: 15 }, (_, j) => gbpPayable(j)))).runId);
      await Promise.all(runs.map(authoriseEveryBatch));
      await Promise.all([app.app.services.jobs.drain(), second.app.services.jobs.drain()]);
      for (const runId of runs) {
        const v = await readFunding(tenant.controller, runId);
        expect(v.payables.edges.map((e) => e.node.status)).toEqual(predicted(v));
        // A step taken twice would break the chain of from → to statuses.
        await expectLogReplaysToState(tenant.controller, runId);
      }
    } finally {
      await second.stop();
    }
  });

  it('settles a payable group as one transfer: it fails or comes back whole when any member draws it', async () => {
    const suppliers = Array.from({ length: 6 }, (_, s) => gbpPayable(s));
    const payables = Array.from({ length: 24 }, (_, i) => ({ ...suppliers[i % 6]!, reference: `INV ${i}`, externalRef: `ext-${i}` }));
    const { runId } = await fundedRun(app, tenant, 'SANDBOX_BANK_GB', payables, { bundleBySupplier: true });
    await authoriseEveryBatch(runId);
    await app.app.services.jobs.drain();

    const v = await readFunding(tenant.controller, runId);
    const statuses = v.payables.edges.map((e) => e.node.status);
    const ids = v.payables.edges.map((e) => rowIdOf(e.node.id));
    for (let s = 0; s < 6; s++) {
      const members = [0, 1, 2, 3].map((k) => s + 6 * k);
      const expected = members.some((i) => autopilotFails(ids[i]!, 0.3)) ? 'FAILED'
        : members.some((i) => autopilotReturns(ids[i]!, 0.3)) ? 'RETURNED' : 'COMPLETED';
      expect(members.map((i) => statuses[i]), `supplier ${s}`).toEqual([expected, expected, expected, expected]);
    }
    await expectLogReplaysToState(tenant.controller, runId);
  });
});
