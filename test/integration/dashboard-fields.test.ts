import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../generated/index.ts';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { ConfirmRun, createRun, gbpPayable } from '../helpers/payment-runs.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

const Viewed = graphql(`
  query Viewed($id: ID!) { paymentRun(id: $id) { status viewerActions payableCountsByStatus { status count } } }
`);

let app: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  app = await startTestApp();
  tenant = await createTenant(app);
});
afterAll(() => app?.stop());

describe('PaymentRun fields for the dashboard', () => {
  it('answers which actions each viewer may take, by role and state', async () => {
    const run = await createRun(tenant.creator, [gbpPayable(0), gbpPayable(1)]);
    await app.app.services.jobs.drain();
    const actions = async (who: keyof Tenant) =>
      (await (tenant[who] as Tenant['creator']).client.data(Viewed, { id: run.id })).paymentRun!.viewerActions;
    expect(await actions('creator')).toEqual(['CANCEL', 'UPDATE_PAYABLES', 'CANCEL_PAYABLES']);
    expect(await actions('controller')).toEqual(['CONFIRM', 'CANCEL', 'CANCEL_PAYABLES']);

    await tenant.controller.client.data(ConfirmRun, { id: run.id });
    expect(await actions('controller')).toEqual(['VERIFY_CHALLENGE', 'CANCEL']);
    // The challenge went to the first controller's device: the second may only cancel.
    expect(await actions('controller2')).toEqual(['CANCEL']);
    expect(await actions('creator')).toEqual(['CANCEL']);
  });

  it('counts the run\'s payables by status', async () => {
    const run = await createRun(tenant.creator, [gbpPayable(0), gbpPayable(1), gbpPayable(2)]);
    const { paymentRun } = await tenant.creator.client.data(Viewed, { id: run.id });
    expect(paymentRun!.payableCountsByStatus.reduce((n, c) => n + c.count, 0)).toBe(3);
    expect(paymentRun!.payableCountsByStatus.every((c) => c.status === paymentRun!.status || c.status === 'PENDING_CONFIRMATION')).toBe(true);
  });
});
