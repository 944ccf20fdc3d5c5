import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, enrolSca, signIn, CreateUser, PASSWORD, type SignedInUser, type Tenant } from '../helpers/factories.ts';
import {
  CancelPayables, CancelRun, ConfirmRun, GetRun, RestartRun, UpdatePayables, VerifyChallenge, createRun, gbpPayable,
} from '../helpers/payment-runs.ts';
import { manualClock, startTestApp, type TestApp } from '../helpers/test-app.ts';

const clock = manualClock();
let app: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  app = await startTestApp({}, {}, { now: clock.now });
  tenant = await createTenant(app);
});
afterAll(() => app?.stop());

const drain = () => app.app.services.jobs.drain();
const status = async (id: string, t: Tenant = tenant) => (await t.creator.client.data(GetRun, { id, first: 0 })).paymentRun!.status;

async function pendingConfirmation(t: Tenant = tenant, payables = [gbpPayable(0), gbpPayable(1)]) {
  const run = await createRun(t.creator, payables);
  await drain();
  return run.id;
}
async function pendingChallenge(t: Tenant = tenant, by: SignedInUser = t.controller) {
  const id = await pendingConfirmation(t);
  await by.client.data(ConfirmRun, { id });
  return id;
}
async function scaFailed(t: Tenant = tenant) {
  const id = await pendingChallenge(t);
  for (let i = 0; i < 3; i++) await t.controller.client.request(VerifyChallenge, { id, code: '000000' });
  return id;
}
async function payableIds(id: string, user: SignedInUser = tenant.creator) {
  return (await user.client.data(GetRun, { id, first: 10 })).paymentRun!.payables.edges.map((e) => e.node.id);
}
const newSupplier = { name: 'Renamed Supplier', type: 'BUSINESS' as const, bankAccountDetails: { fasterPayments: { accountNumber: '11111111', sortCode: '400000' } } };

describe('who may do what (role × action)', () => {
  type Who = 'creator' | 'controller' | 'admin';
  const actions = {
    updatePayables: async (u: SignedInUser, id: string) => u.client.request(UpdatePayables, { paymentRunId: id, payables: [{ payableId: (await payableIds(id))[0]!, supplier: newSupplier }] }),
    cancelPayables: async (u: SignedInUser, id: string) => u.client.request(CancelPayables, { paymentRunId: id, payableIds: [(await payableIds(id))[0]!] }),
    cancelPaymentRun: (u: SignedInUser, id: string) => u.client.request(CancelRun, { id }),
    confirmPaymentRun: (u: SignedInUser, id: string) => u.client.request(ConfirmRun, { id }),
  };
  const matrix: [keyof typeof actions, Who, boolean][] = [
    ['updatePayables', 'creator', true], ['updatePayables', 'controller', false],
    ['cancelPayables', 'creator', true], ['cancelPayables', 'controller', true],
    ['cancelPaymentRun', 'creator', true], ['cancelPaymentRun', 'controller', true],
    ['confirmPaymentRun', 'creator', false], ['confirmPaymentRun', 'controller', true],
  ];
  it.each(matrix)('%s by %s: allowed=%s; a refusal changes nothing', async (action, who, allowed) => {
    const id = await pendingConfirmation();
    const result = await actions[action](tenant[who], id);
    if (allowed) expect(result.errors).toBeUndefined();
    else {
      expect(result.errors?.[0]?.extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
      expect(await status(id)).toBe('PENDING_CONFIRMATION');
    }
  });

  it('refuses verify and restart to a CREATOR', async () => {
    const id = await pendingChallenge();
    expect((await tenant.creator.client.error(VerifyChallenge, { id, code: '123456' })).extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
    const failed = await scaFailed();
    expect((await tenant.creator.client.error(RestartRun, { id: failed })).extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
  });
});

describe('state rules', () => {
  it('updatePayables replaces the supplier and re-runs CoP', async () => {
    const id = await pendingConfirmation();
    const [first] = await payableIds(id);
    await tenant.creator.client.data(UpdatePayables, { paymentRunId: id, payables: [{ payableId: first!, supplier: newSupplier }] });
    const edge = (await tenant.creator.client.data(GetRun, { id, first: 1 })).paymentRun!.payables.edges[0]!;
    expect(edge.node.supplier.name).toBe('Renamed Supplier');
    expect(edge.node.validationOutcomes[0]).toMatchObject({ match: 'CLOSE_MATCH', reasonCode: 'MBAM' });
  });

  it('cancelPayables cancels only the named payables', async () => {
    const id = await pendingConfirmation();
    const [first] = await payableIds(id);
    await tenant.controller.client.data(CancelPayables, { paymentRunId: id, payableIds: [first!] });
    const statuses = (await tenant.creator.client.data(GetRun, { id, first: 10 })).paymentRun!.payables.edges.map((e) => e.node.status);
    expect(statuses).toEqual(['CANCELLED', 'PENDING_CONFIRMATION']);
  });

  it.each(['QUEUED', 'PENDING_CONFIRMATION', 'PENDING_CHALLENGE', 'SCA_FAILED', 'PENDING_FUNDING'] as const)(
    'cancelPaymentRun is allowed in %s and cancels the payables', async (from) => {
      let id: string;
      if (from === 'QUEUED') id = (await createRun(tenant.creator, [gbpPayable(0)])).id;
      else if (from === 'PENDING_CONFIRMATION') id = await pendingConfirmation();
      else if (from === 'PENDING_CHALLENGE') id = await pendingChallenge();
      else if (from === 'SCA_FAILED') id = await scaFailed();
      else {
        id = await pendingChallenge();
        await tenant.controller.client.data(VerifyChallenge, { id, code: '123456' });
      }
      const { cancelPaymentRun } = await tenant.creator.client.data(CancelRun, { id });
      expect(cancelPaymentRun.status).toBe('CANCELLED');
      const payables = (await tenant.creator.client.data(GetRun, { id, first: 10 })).paymentRun!.payables.edges;
      expect(payables.every((e) => e.node.status === 'CANCELLED')).toBe(true);
    });

  it('refuses to act on a cancelled run with INVALID_STATE and currentStatus, changing nothing', async () => {
    const id = await pendingConfirmation();
    await tenant.creator.client.data(CancelRun, { id });
    const [first] = await payableIds(id);
    for (const error of [
      await tenant.creator.client.error(CancelRun, { id }),
      await tenant.controller.client.error(ConfirmRun, { id }),
      await tenant.creator.client.error(UpdatePayables, { paymentRunId: id, payables: [{ payableId: first!, supplier: newSupplier }] }),
      await tenant.creator.client.error(CancelPayables, { paymentRunId: id, payableIds: [first!] }),
    ]) expect(error.extensions).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'CANCELLED' });
    expect(await status(id)).toBe('CANCELLED');
  });

  it('refuses updatePayables and cancelPayables once confirmed, with currentStatus', async () => {
    const id = await pendingChallenge();
    const [first] = await payableIds(id);
    const update = await tenant.creator.client.error(UpdatePayables, { paymentRunId: id, payables: [{ payableId: first!, supplier: newSupplier }] });
    const cancel = await tenant.creator.client.error(CancelPayables, { paymentRunId: id, payableIds: [first!] });
    for (const error of [update, cancel]) expect(error.extensions).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'PENDING_CHALLENGE' });
  });
});

describe('confirmation with SCA', () => {
  it('issues a 5-minute, 3-attempt challenge; the right code moves to PENDING_FUNDING', async () => {
    const id = await pendingConfirmation();
    const { confirmPaymentRun } = await tenant.controller.client.data(ConfirmRun, { id });
    expect(confirmPaymentRun.status).toBe('PENDING_CHALLENGE');
    expect(confirmPaymentRun.challenge?.attemptsRemaining).toBe(3);
    expect(new Date(confirmPaymentRun.challenge!.expiresAt).getTime() - clock.now().getTime()).toBe(5 * 60_000);
    expect((await tenant.controller.client.error(ConfirmRun, { id })).extensions?.code).toBe('PAYMENT_RUN_ALREADY_CONFIRMED');
    const { verifyPaymentRunChallenge } = await tenant.controller.client.data(VerifyChallenge, { id, code: '123456' });
    expect(verifyPaymentRunChallenge).toMatchObject({ status: 'PENDING_FUNDING', challenge: null });
    const payables = (await tenant.creator.client.data(GetRun, { id, first: 10 })).paymentRun!.payables.edges;
    expect(payables.every((e) => e.node.status === 'PENDING_FUNDING')).toBe(true);
  });

  it('counts wrong codes down and fails the run on the third; restart issues a fresh challenge', async () => {
    const id = await pendingChallenge();
    const first = await tenant.controller.client.error(VerifyChallenge, { id, code: '000000' });
    expect(first.extensions).toMatchObject({ code: 'SCA_CHALLENGE_INVALID', attemptsRemaining: 2 });
    expect((await tenant.controller.client.error(VerifyChallenge, { id, code: '000001' })).extensions?.attemptsRemaining).toBe(1);
    expect((await tenant.controller.client.error(VerifyChallenge, { id, code: '000002' })).extensions?.attemptsRemaining).toBe(0);
    expect(await status(id)).toBe('SCA_FAILED');
    const { restartPaymentRun } = await tenant.controller.client.data(RestartRun, { id });
    expect(restartPaymentRun).toMatchObject({ status: 'PENDING_CHALLENGE', challenge: { attemptsRemaining: 3 } });
  });

  it('expires the challenge after 5 minutes even when nobody calls again', async () => {
    const id = await pendingChallenge();
    clock.advance(5 * 60_000 + 1);
    await drain();
    expect(await status(id)).toBe('SCA_FAILED');
  });

  it('lets only the confirming controller answer the challenge', async () => {
    const id = await pendingChallenge();
    expect((await tenant.controller2.client.error(VerifyChallenge, { id, code: '123456' })).extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
    expect(await status(id)).toBe('PENDING_CHALLENGE');
  });

  it('requires an enrolled SCA device', async () => {
    const email = `unenrolled-${Date.now()}@test.example`;
    await tenant.admin.client.data(CreateUser, { input: { email, name: 'U', password: PASSWORD, roles: ['CONTROLLER'] } });
    const unenrolled = await signIn(app, email);
    const id = await pendingConfirmation();
    expect((await unenrolled.client.error(ConfirmRun, { id })).extensions?.code).toBe('SCA_NOT_ENROLLED');
    await enrolSca(unenrolled);
    expect((await unenrolled.client.data(ConfirmRun, { id })).confirmPaymentRun.status).toBe('PENDING_CHALLENGE');
  });

  it('enforces dual control when the buyer requires it', async () => {
    const dual = await createTenant(app, { requireDualControl: true });
    const id = await pendingConfirmation(dual);
    // The admin holds CREATOR and CONTROLLER; as the run's creator it may not confirm it.
    await enrolSca(dual.admin);
    const own = await createRun(dual.admin, [gbpPayable(0)]);
    await drain();
    expect((await dual.admin.client.error(ConfirmRun, { id: own.id })).extensions?.code).toBe('SELF_APPROVAL_NOT_ALLOWED');
    expect((await dual.admin.client.data(ConfirmRun, { id })).confirmPaymentRun.status).toBe('PENDING_CHALLENGE');
    const single = await createRun(tenant.admin, [gbpPayable(0)]);
    await drain();
    await enrolSca(tenant.admin);
    expect((await tenant.admin.client.data(ConfirmRun, { id: single.id })).confirmPaymentRun.status).toBe('PENDING_CHALLENGE');
  });

  it('serialises 10 parallel confirms: exactly one succeeds', async () => {
    const id = await pendingConfirmation();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? tenant.controller : tenant.controller2).client.request(ConfirmRun, { id })));
    expect(results.filter((r) => !r.errors).length).toBe(1);
    for (const r of results.filter((r) => r.errors)) {
      expect(['PAYMENT_RUN_ALREADY_CONFIRMED', 'INVALID_STATE']).toContain(r.errors![0]!.extensions?.code);
    }
    expect(await status(id)).toBe('PENDING_CHALLENGE');
  });
});
