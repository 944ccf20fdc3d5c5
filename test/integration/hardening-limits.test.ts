import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CreateUser, createTenant, EnrolSca, PASSWORD, signIn, VerifySca, type Tenant } from '../helpers/factories.ts';
import { CancelRun, ConfirmRun, createRun, gbpPayable, RestartRun, VerifyChallenge } from '../helpers/payment-runs.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { connectWs, StatusChanged, type WsTestClient } from '../helpers/ws-client.ts';

/** Limits CONTRACT §7 and §12 set: subscriptions per socket, restarts per run, enrolment attempts. */
let app: TestApp;
let tenant: Tenant;
const sockets: WsTestClient[] = [];

beforeAll(async () => {
  app = await startTestApp({ MAX_SUBSCRIPTIONS_PER_SOCKET: '3' });
  tenant = await createTenant(app);
});
afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.dispose()));
  await app?.stop();
});

describe('subscriptions per socket', () => {
  it('answers the operation over the cap with RATE_LIMITED, keeps the others, and frees the slot on complete', async () => {
    const live = app.app.services.live;
    const before = live.open;
    const socket = connectWs(app.url, tenant.controller.token);
    sockets.push(socket);
    const streams = [0, 1, 2].map(() => socket.subscribe(StatusChanged, {}));
    await vi.waitFor(() => expect(live.open).toBe(before + 3), { timeout: 10_000 });

    const refused = socket.subscribe(StatusChanged, {});
    await refused.ended();
    expect(refused.errors[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(live.open).toBe(before + 3);

    streams[0]!.dispose();
    await vi.waitFor(() => expect(live.open).toBe(before + 2), { timeout: 10_000 });
    socket.subscribe(StatusChanged, {});
    await vi.waitFor(() => expect(live.open).toBe(before + 3), { timeout: 10_000 });
    // The others still deliver.
    await createRun(tenant.creator, [gbpPayable(0)]);
    await streams[1]!.take(1);
  });
});

describe('restartPaymentRun', () => {
  it('may be called 3 times per run; the 4th answers SCA_ATTEMPTS_EXHAUSTED and only cancelling remains', async () => {
    const run = await createRun(tenant.creator, [gbpPayable(0)]);
    await app.app.services.jobs.drain();
    await tenant.controller.client.data(ConfirmRun, { id: run.id });
    const failChallenge = async () => {
      for (let i = 0; i < 3; i++) await tenant.controller.client.request(VerifyChallenge, { id: run.id, code: '000000' });
    };
    await failChallenge();
    for (let restart = 1; restart <= 3; restart++) {
      const { restartPaymentRun } = await tenant.controller.client.data(RestartRun, { id: run.id });
      expect(restartPaymentRun.status).toBe('PENDING_CHALLENGE');
      await failChallenge();
    }
    const exhausted = await tenant.controller.client.error(RestartRun, { id: run.id });
    expect(exhausted.extensions).toMatchObject({ code: 'SCA_ATTEMPTS_EXHAUSTED', currentStatus: 'SCA_FAILED' });
    const { cancelPaymentRun } = await tenant.controller.client.data(CancelRun, { id: run.id });
    expect(cancelPaymentRun.status).toBe('CANCELLED');
  });
});

describe('verifyScaEnrolment', () => {
  it('discards the enrolment after 5 wrong codes in a row: the right code then answers INVALID_STATE until restarted', async () => {
    const email = `enrol-${Date.now()}@test.example`;
    await tenant.admin.client.data(CreateUser, { input: { email, name: 'Enrolling', password: PASSWORD, roles: ['CONTROLLER'] } });
    const user = await signIn(app, email);
    await user.client.data(EnrolSca);
    for (let i = 1; i <= 5; i++) {
      const error = await user.client.error(VerifySca, { code: '000000' });
      expect(error.extensions?.code).toBe('SCA_CHALLENGE_INVALID');
    }
    const discarded = await user.client.error(VerifySca, { code: '123456' });
    expect(discarded.extensions?.code).toBe('INVALID_STATE');
    // Started again, the count starts again too.
    await user.client.data(EnrolSca);
    for (let i = 1; i <= 4; i++) await user.client.error(VerifySca, { code: '000000' });
    const { verifyScaEnrolment } = await user.client.data(VerifySca, { code: '123456' });
    expect(verifyScaEnrolment.scaEnrolled).toBe(true);
  });
});
