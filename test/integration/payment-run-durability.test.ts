import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../generated/index.ts';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { GetRun, createRun, gbpPayable } from '../helpers/payment-runs.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

const RunHistory = graphql(`
  query RunHistory($id: ID!) {
    paymentRun(id: $id) { status statusChanges(first: 500) { totalCount edges { node { entityType fromStatus toStatus } } } }
  }
`);

/** Background validation is durable and claimed once across instances sharing a database. */
describe('validation survives restarts and runs once across instances', () => {
  let tenant: Tenant;
  let apiOnly: TestApp;

  beforeAll(async () => {
    apiOnly = await startTestApp({ RUN_JOBS: 'false' });
    tenant = await createTenant(apiOnly);
  });
  afterAll(() => apiOnly?.stop());

  it('validates runs queued before a crash once a gateway with jobs starts', async () => {
    const runs = await Promise.all(Array.from({ length: 5 }, (_, i) => createRun(tenant.creator, [gbpPayable(i), gbpPayable(i + 10)])));
    // The instance that accepted them goes away with work still queued.
    await apiOnly.stop();
    apiOnly = await startTestApp({ RUN_JOBS: 'false' });
    const worker = await startTestApp();
    try {
      await worker.app.services.jobs.drain();
      for (const run of runs) {
        const { paymentRun } = await worker.client(tenant.creator.token).data(GetRun, { id: run.id, first: 0 });
        expect(paymentRun?.status).toBe('PENDING_CONFIRMATION');
      }
    } finally {
      await worker.stop();
    }
  });

  it('has two instances draining one queue validate each run exactly once', async () => {
    const creator = { ...tenant.creator, client: apiOnly.client(tenant.creator.token) };
    const runs = await Promise.all(Array.from({ length: 12 }, (_, i) => createRun(creator, Array.from({ length: 50 }, (_, j) => gbpPayable(i * 100 + j)))));
    const [a, b] = await Promise.all([startTestApp(), startTestApp()]);
    try {
      await Promise.all([a.app.services.jobs.drain(), b.app.services.jobs.drain()]);
      for (const run of runs) {
        const { paymentRun } = await a.client(tenant.creator.token).data(RunHistory, { id: run.id });
        const runMoves = paymentRun!.statusChanges.edges.filter((e) => e.node.entityType === 'PAYMENT_RUN').map((e) => `${e.node.fromStatus}->${e.node.toStatus}`);
        expect(runMoves).toEqual(['null->QUEUED', 'QUEUED->PENDING_CONFIRMATION']);
        // 50 payables created + 50 moved, the run created + moved: nothing twice.
        expect(paymentRun!.statusChanges.totalCount).toBe(102);
      }
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
