import { randomUUID } from 'node:crypto';
import { TOTP, URI } from 'otpauth';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { keyId } from '../../src/crypto/key-ring.ts';
import { graphql } from '../generated/index.ts';
import { apiKeyOf, ResetSca } from '../helpers/access.ts';
import { CreateUser, createTenant, EnrolSca, PASSWORD, signIn, VerifySca, type SignedInUser, type Tenant } from '../helpers/factories.ts';
import { ConfirmRun, createRun, GetRun, RestartRun, VerifyChallenge, gbpPayable } from '../helpers/payment-runs.ts';
import { startGateway, type GatewayProcess } from '../helpers/processes.ts';
import { manualClock, startTestApp, TEST_SCA_ENCRYPTION_KEY, type TestApp } from '../helpers/test-app.ts';

/**
 * Strong customer authentication that is real (CONTRACT.md §7), with SANDBOX=false: TOTP codes
 * computed here from the otpauth URI the gateway answered once, on a clock the test holds still (a
 * step begins 10 s before it), so "the current step", "one step on" and "two steps old" are exact.
 */
const STEP_MS = 30_000;
const clock = manualClock(new Date(Math.floor(Date.now() / STEP_MS) * STEP_MS - STEP_MS + 10_000));
let app: TestApp;
let tenant: Tenant;
let other: Tenant;

/** Sealed values name their key (docs/sca.md "Rotating the key"): v2:<key id>:… */
const SEALED_UNDER_TEST_KEY = new RegExp(`^v2:${keyId(Buffer.from(TEST_SCA_ENCRYPTION_KEY, 'base64'))}:`);

const StartSca = graphql(`mutation StartSca { startScaEnrolment { otpauthUri qrCodeSvg } }`);
const Viewer = graphql(`query ScaViewer { viewer { id scaEnrolled } }`);

beforeAll(async () => {
  app = await startTestApp({ SANDBOX: 'false' }, {}, { now: clock.now });
  [tenant, other] = await Promise.all([createTenant(app, { enrolControllers: false }), createTenant(app, { enrolControllers: false })]);
});
afterAll(() => app?.stop());

const drain = () => app.app.services.jobs.drain();
const sql = <T>(query: string, ...values: unknown[]) => app.app.services.domain.prisma.$queryRawUnsafe<T[]>(query, ...values);
const userRow = async (email: string) =>
  (await sql<{ sca_enrolled: boolean; sca_secret: string | null; sca_pending_secret: string | null; sca_last_used_step: number | null }>(
    'SELECT * FROM users WHERE email = $1', email))[0]!;

/** The code the device shows `steps` steps from the test's clock. */
const codeOf = (totp: TOTP, steps = 0) => totp.generate({ timestamp: clock.now().getTime() + steps * STEP_MS });
/** Every code the gateway would take now (its step ± 1): a "wrong" code must be none of them. */
const acceptable = (totp: TOTP) => [-1, 0, 1].map((steps) => codeOf(totp, steps));

async function newUser(t: Tenant, label: string, roles: ('CREATOR' | 'CONTROLLER')[] = ['CONTROLLER']) {
  const email = `${label}-${randomUUID().slice(0, 8)}@test.example`;
  await t.admin.client.data(CreateUser, { input: { email, name: label, password: PASSWORD, roles } });
  return signIn(app, email);
}

async function startEnrolment(user: SignedInUser) {
  const { startScaEnrolment } = await user.client.data(StartSca);
  const totp = URI.parse(startScaEnrolment.otpauthUri);
  if (!(totp instanceof TOTP)) throw new Error(`not a TOTP URI: ${startScaEnrolment.otpauthUri}`);
  return { ...startScaEnrolment, totp };
}

/** A CONTROLLER enrolled with a real code of the current step. */
async function enrolledController(t: Tenant = tenant) {
  const user = await newUser(t, 'controller');
  const { totp } = await startEnrolment(user);
  const { verifyScaEnrolment } = await user.client.data(VerifySca, { code: codeOf(totp) });
  expect(verifyScaEnrolment.scaEnrolled).toBe(true);
  return { user, totp };
}

async function pendingChallenge(controller: SignedInUser, t: Tenant = tenant) {
  const run = await createRun(t.creator, [gbpPayable(0), gbpPayable(1)]);
  await drain();
  const { confirmPaymentRun } = await controller.client.data(ConfirmRun, { id: run.id });
  expect(confirmPaymentRun.status).toBe('PENDING_CHALLENGE');
  return run.id;
}
const runStatus = async (id: string) => (await tenant.creator.client.data(GetRun, { id, first: 0 })).paymentRun!.status;

describe('enrolment (SANDBOX=false)', () => {
  it('answers an RFC 6238 otpauth URI and its QR code as SVG once; the secret is stored only encrypted', async () => {
    const user = await newUser(tenant, 'fresh');
    const { otpauthUri, qrCodeSvg, totp } = await startEnrolment(user);
    expect(totp).toMatchObject({ algorithm: 'SHA1', digits: 6, period: 30, issuer: 'Payment-run gateway', label: user.email });
    expect(totp.secret.bytes.length).toBe(20);
    expect(qrCodeSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);

    const row = await userRow(user.email);
    expect(row.sca_pending_secret).toMatch(SEALED_UNDER_TEST_KEY);
    const stored = JSON.stringify(row);
    for (const clear of [totp.secret.base32, totp.secret.hex, Buffer.from(totp.secret.bytes).toString('base64'), otpauthUri]) {
      expect(stored).not.toContain(clear);
    }
    // Nothing in the database holds it in clear: not the users table, not a stored response.
    const [anywhere] = await sql<{ n: bigint }>(
      `SELECT count(*) AS n FROM idempotency_records WHERE response::text LIKE '%' || $1 || '%'`, totp.secret.base32);
    expect(Number(anywhere!.n)).toBe(0);

    await user.client.data(VerifySca, { code: codeOf(totp) });
    const enrolled = await userRow(user.email);
    expect(enrolled).toMatchObject({ sca_enrolled: true, sca_pending_secret: null });
    expect(enrolled.sca_secret).toMatch(SEALED_UNDER_TEST_KEY);
    expect(JSON.stringify(enrolled)).not.toContain(totp.secret.base32);
  });

  it('refuses 123456, a code two steps old or ahead; a current code enrols', async () => {
    const user = await newUser(tenant, 'strict');
    const { totp } = await startEnrolment(user);
    expect(acceptable(totp)).not.toContain('123456');
    for (const code of ['123456', codeOf(totp, -2), codeOf(totp, 2)]) {
      expect((await user.client.error(VerifySca, { code })).extensions?.code, code).toBe('SCA_CHALLENGE_INVALID');
    }
    expect((await user.client.data(Viewer)).viewer.scaEnrolled).toBe(false);
    const { verifyScaEnrolment } = await user.client.data(VerifySca, { code: codeOf(totp, -1) });
    expect(verifyScaEnrolment.scaEnrolled).toBe(true);
  });

  it('discards the enrolment after 5 wrong codes in a row; a new one works', async () => {
    const user = await newUser(tenant, 'guesser');
    const { totp } = await startEnrolment(user);
    const wrong = ['123456', '000000', '111111', '222222', '333333'].filter((code) => !acceptable(totp).includes(code));
    expect(wrong).toHaveLength(5);
    const remaining: unknown[] = [];
    for (const code of wrong) {
      const error = await user.client.error(VerifySca, { code });
      expect(error.extensions?.code).toBe('SCA_CHALLENGE_INVALID');
      remaining.push(error.extensions?.attemptsRemaining);
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0]);
    expect((await userRow(user.email)).sca_pending_secret).toBeNull();
    // The discarded secret's current code no longer enrols.
    expect((await user.client.error(VerifySca, { code: codeOf(totp) })).extensions?.code).toBe('INVALID_STATE');
    const again = await startEnrolment(user);
    expect(again.totp.secret.base32).not.toBe(totp.secret.base32);
    expect((await user.client.data(VerifySca, { code: codeOf(again.totp) })).verifyScaEnrolment.scaEnrolled).toBe(true);
  });

  it('refuses a second enrolment while enrolled (startScaEnrolment and enrolScaDevice) until an ADMIN resets it', async () => {
    const { user, totp } = await enrolledController();
    const before = await userRow(user.email);
    for (const document of [StartSca, EnrolSca]) {
      const error = await user.client.error(document);
      expect(error.extensions).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'ENROLLED' });
    }
    expect(await userRow(user.email)).toEqual(before);

    expect((await tenant.admin.client.data(ResetSca, { userId: user.id })).resetScaEnrolment.scaEnrolled).toBe(false);
    expect(await userRow(user.email)).toMatchObject({ sca_enrolled: false, sca_secret: null, sca_pending_secret: null, sca_last_used_step: null });
    const fresh = await startEnrolment(user);
    // The old device's codes are worthless now; the new secret's current code enrols.
    expect((await user.client.error(VerifySca, { code: codeOf(totp, 1) })).extensions?.code).toBe('SCA_CHALLENGE_INVALID');
    expect((await user.client.data(VerifySca, { code: codeOf(fresh.totp) })).verifyScaEnrolment.scaEnrolled).toBe(true);
  });

  it('resetScaEnrolment: ADMIN only, and another buyer\'s user answers NOT_FOUND; refusals change nothing', async () => {
    const { user } = await enrolledController();
    const before = await userRow(user.email);
    expect((await tenant.creator.client.error(ResetSca, { userId: user.id })).extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
    expect((await tenant.controller.client.error(ResetSca, { userId: user.id })).extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
    expect((await other.admin.client.error(ResetSca, { userId: user.id })).extensions?.code).toBe('NOT_FOUND');
    expect(await userRow(user.email)).toEqual(before);
  });

  it('is for people: an API key cannot start one', async () => {
    const key = await apiKeyOf(app, tenant.admin, ['CONTROLLER']);
    expect((await key.client.error(StartSca)).extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
  });

  it('enrolScaDevice (deprecated) starts an enrolment nobody can complete outside the sandbox', async () => {
    const user = await newUser(tenant, 'legacy');
    expect((await user.client.data(EnrolSca)).enrolScaDevice).toBe(true);
    expect((await userRow(user.email)).sca_pending_secret).toMatch(SEALED_UNDER_TEST_KEY);
    expect((await user.client.error(VerifySca, { code: '123456' })).extensions?.code).toBe('SCA_CHALLENGE_INVALID');
    expect((await user.client.data(Viewer)).viewer.scaEnrolled).toBe(false);
  });

  it('keeps no copy of the answer under an idempotency-ref (it holds the secret)', async () => {
    const user = await newUser(tenant, 'idempotent');
    const ref = `sca-${randomUUID()}`;
    const first = await user.client.data(StartSca, undefined, { 'idempotency-ref': ref });
    const [records] = await sql<{ n: bigint }>('SELECT count(*) AS n FROM idempotency_records WHERE ref = $1', ref);
    expect(Number(records!.n)).toBe(0);
    // Repeating it starts afresh: a new secret replaces the pending one.
    const second = await user.client.data(StartSca, undefined, { 'idempotency-ref': ref });
    expect(second.startScaEnrolment.otpauthUri).not.toBe(first.startScaEnrolment.otpauthUri);
  });
});

describe('payment-run challenge (SANDBOX=false)', () => {
  it('approves with a code of the device; 123456 and a reused code are refused', async () => {
    const { user, totp } = await enrolledController();
    const runId = await pendingChallenge(user);
    expect(acceptable(totp)).not.toContain('123456');

    const sandboxCode = await user.client.error(VerifyChallenge, { id: runId, code: '123456' });
    expect(sandboxCode.extensions).toMatchObject({ code: 'SCA_CHALLENGE_INVALID', attemptsRemaining: 2 });
    // The enrolment spent this step's code: the same code again is refused.
    const reused = await user.client.error(VerifyChallenge, { id: runId, code: codeOf(totp) });
    expect(reused.extensions).toMatchObject({ code: 'SCA_CHALLENGE_INVALID', attemptsRemaining: 1 });
    expect(await runStatus(runId)).toBe('PENDING_CHALLENGE');

    const next = codeOf(totp, 1);
    const { verifyPaymentRunChallenge } = await user.client.data(VerifyChallenge, { id: runId, code: next });
    expect(verifyPaymentRunChallenge.status).toBe('PENDING_FUNDING');
    expect((await userRow(user.email)).sca_last_used_step).toBe(Math.floor(clock.now().getTime() / STEP_MS) + 1);

    // On another run, once the clock reached that step, the spent code is still refused.
    const second = await pendingChallenge(user);
    clock.advance(STEP_MS);
    try {
      expect((await user.client.error(VerifyChallenge, { id: second, code: next })).extensions?.code).toBe('SCA_CHALLENGE_INVALID');
      expect((await user.client.data(VerifyChallenge, { id: second, code: codeOf(totp, 1) })).verifyPaymentRunChallenge.status).toBe('PENDING_FUNDING');
    } finally {
      clock.advance(-STEP_MS);
    }
  });

  it('spends a code once even when two runs are answered with it at the same moment', async () => {
    const { user, totp } = await enrolledController();
    const [a, b] = [await pendingChallenge(user), await pendingChallenge(user)];
    const code = codeOf(totp, 1);
    const answers = await Promise.all([a, b].map((id) => user.client.request(VerifyChallenge, { id, code })));
    expect(answers.filter((answer) => answer.data?.verifyPaymentRunChallenge?.status === 'PENDING_FUNDING')).toHaveLength(1);
    expect(answers.flatMap((answer) => answer.errors ?? []).map((error) => error.extensions?.code)).toEqual(['SCA_CHALLENGE_INVALID']);
    expect((await Promise.all([a, b].map(runStatus))).sort()).toEqual(['PENDING_CHALLENGE', 'PENDING_FUNDING']);
  });

  it('allows 3 restarts per run; the 4th answers SCA_ATTEMPTS_EXHAUSTED', async () => {
    const { user, totp } = await enrolledController();
    const runId = await pendingChallenge(user);
    const wrong = acceptable(totp).includes('123456') ? '000000' : '123456';
    const failChallenge = async () => {
      for (let i = 0; i < 3; i++) await user.client.error(VerifyChallenge, { id: runId, code: wrong });
      expect(await runStatus(runId)).toBe('SCA_FAILED');
    };
    await failChallenge();
    for (let restart = 1; restart <= 3; restart++) {
      expect((await user.client.data(RestartRun, { id: runId })).restartPaymentRun.status).toBe('PENDING_CHALLENGE');
      await failChallenge();
    }
    const exhausted = await user.client.error(RestartRun, { id: runId });
    expect(exhausted.extensions).toMatchObject({ code: 'SCA_ATTEMPTS_EXHAUSTED', currentStatus: 'SCA_FAILED' });
    expect(await runStatus(runId)).toBe('SCA_FAILED');
  });

  it('refuses a user whose secret belongs to someone else (sealed with the user id)', async () => {
    const first = await enrolledController();
    const second = await enrolledController();
    // Copy the first user's sealed secret onto the second's row: it does not open there.
    await sql(`UPDATE users SET sca_secret = (SELECT sca_secret FROM users WHERE email = $1), sca_last_used_step = NULL WHERE email = $2`,
      first.user.email, second.user.email);
    const runId = await pendingChallenge(second.user);
    expect((await second.user.client.error(VerifyChallenge, { id: runId, code: codeOf(first.totp, 1) })).extensions?.code)
      .toBe('SCA_CHALLENGE_INVALID');
  });
});

describe('SANDBOX=true', () => {
  let sandbox: TestApp;
  beforeAll(async () => {
    sandbox = await startTestApp({ SANDBOX: 'true' }, { databaseUrl: app.app.services.config.databaseUrl });
  });
  afterAll(() => sandbox?.stop());

  it('accepts 123456 as often as asked, and the device\'s codes once each', async () => {
    const t = await createTenant(sandbox);
    const user = t.controller2;
    // createTenant enrolled the controllers with 123456; after a reset a real enrolment works as well.
    await t.admin.client.data(ResetSca, { userId: user.id });
    const { startScaEnrolment } = await user.client.data(StartSca);
    const totp = URI.parse(startScaEnrolment.otpauthUri) as TOTP;
    const code = totp.generate();
    expect((await user.client.data(VerifySca, { code })).verifyScaEnrolment.scaEnrolled).toBe(true);
    for (let i = 0; i < 2; i++) {
      const run = await createRun(t.creator, [gbpPayable(i)]);
      // Both instances poll this database: the other one may be validating the run while this one drains.
      await Promise.all([sandbox.app.services.jobs.drain(), app.app.services.jobs.drain()]);
      await user.client.data(ConfirmRun, { id: run.id });
      expect((await user.client.error(VerifyChallenge, { id: run.id, code })).extensions?.code).toBe('SCA_CHALLENGE_INVALID');
      expect((await user.client.data(VerifyChallenge, { id: run.id, code: '123456' })).verifyPaymentRunChallenge.status).toBe('PENDING_FUNDING');
    }
  });
});

describe('starting without SCA_ENCRYPTION_KEY', () => {
  const children: GatewayProcess[] = [];
  afterAll(async () => {
    await Promise.all(children.map((child) => child.kill()));
  });
  const production = { SANDBOX: 'false', JWT_SECRET: 'sca-startup-secret-that-is-at-least-32-chars', API_KEY: 'sca-startup-key' };

  it.each([
    ['missing', {}, /^Configuration error: SCA_ENCRYPTION_KEY is required when SANDBOX=false/],
    ['16 bytes', { SCA_ENCRYPTION_KEY: Buffer.alloc(16, 1).toString('base64') }, /^Configuration error: SCA_ENCRYPTION_KEY must be 32 bytes in base64/],
    ['not base64', { SCA_ENCRYPTION_KEY: 'not a key!' }, /^Configuration error: SCA_ENCRYPTION_KEY must be 32 bytes in base64/],
    ['a malformed previous key', { SCA_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'), SCA_ENCRYPTION_KEY_PREVIOUS: 'not a key!' },
      /^Configuration error: SCA_ENCRYPTION_KEY_PREVIOUS must list keys of 32 bytes in base64.* \(entry 1 is not one\)$/],
  ])('SANDBOX=false refuses to start (%s) with one configuration line and a non-zero exit', async (_label, env, line) => {
    const child = startGateway({ ...production, ...env, DATABASE_URL: inject('databaseUrl') });
    children.push(child);
    const { code } = await child.exited;
    expect(code).not.toBe(0);
    const lines = child.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(child.stdout()).not.toMatch(/gateway listening/);
  }, 120_000); // a child process (tsx compiling the gateway) on a loaded machine
});
