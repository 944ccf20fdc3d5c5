import { randomBytes, randomUUID } from 'node:crypto';
import { TOTP, URI } from 'otpauth';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyId, keyRing } from '../../src/crypto/key-ring.ts';
import { sealSecret } from '../../src/providers/totp/secret-box.ts';
import { graphql } from '../generated/index.ts';
import type { OneTimeCodeCheck, OneTimeCodes } from '../../src/domain/ports.ts';
import { SIGNING_SECRET_UNREADABLE } from '../../src/domain/webhook/webhook.delivery.ts';
import { encryptSecret } from '../../src/domain/webhook/webhook.secrets.ts';
import { rekeySecrets } from '../../src/ops/rekey.ts';
import { ResetSca } from '../helpers/access.ts';
import { CreateUser, createTenant, PASSWORD, signIn, VerifySca, type SignedInUser, type Tenant } from '../helpers/factories.ts';
import { createIsolatedDatabase } from '../helpers/isolated-database.ts';
import { sealV1, totpAad } from '../helpers/sealed-values.ts';
import { ConfirmRun, createRun, gbpPayable, VerifyChallenge } from '../helpers/payment-runs.ts';
import { runRekey } from '../helpers/processes.ts';
import { manualClock, startTestApp, TEST_API_KEY, TEST_JWT_SECRET, type TestApp } from '../helpers/test-app.ts';
import { CreateEndpoint, DisableEndpoint, EnableEndpoint, RotateSecret, WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { readBuyerLog } from '../helpers/webhooks.ts';

/**
 * Rotating SCA_ENCRYPTION_KEY and WEBHOOK_ENCRYPTION_KEY (docs/sca.md, docs/webhooks.md "Rotating
 * the key") as an operator does it, on a database of its own so the rekey command's counts are
 * exactly this story's rows: secrets stored under key A; gateways restarted with B current and A
 * previous (controllers keep approving, webhook receivers keep verifying, rows move to B as they are
 * used); B alone refuses what is still under A; `npm run rekey` moves the rest, a second run
 * changes nothing; B alone then serves everyone. SANDBOX=false and a clock the test holds still (a
 * TOTP step begins 10 s before it), as in sca-totp.test.ts.
 */
const STEP_MS = 30_000;
const clock = manualClock(new Date(Math.floor(Date.now() / STEP_MS) * STEP_MS - STEP_MS + 10_000));
const [scaA, scaB, scaLost] = [randomBytes(32), randomBytes(32), randomBytes(32)];
const [hookA, hookB] = [randomBytes(32), randomBytes(32)];

interface Keys { sca: Buffer[]; webhooks: Buffer[] }
const settings = ({ sca: [sca, ...scaPrevious], webhooks: [hook, ...hookPrevious] }: Keys) => ({
  SANDBOX: 'false',
  SCA_ENCRYPTION_KEY: sca!.toString('base64'),
  SCA_ENCRYPTION_KEY_PREVIOUS: scaPrevious.map((key) => key.toString('base64')).join(','),
  WEBHOOK_ENCRYPTION_KEY: hook!.toString('hex'),
  WEBHOOK_ENCRYPTION_KEY_PREVIOUS: hookPrevious.map((key) => key.toString('hex')).join(','),
  WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
});

const StartSca = graphql(`mutation RotationStartSca { startScaEnrolment { otpauthUri } }`);

let database: Awaited<ReturnType<typeof createIsolatedDatabase>>;
let receiver: WebhookReceiver;
const running: TestApp[] = [];

beforeAll(async () => {
  database = await createIsolatedDatabase(`rekey_${randomBytes(3).toString('hex')}`);
  receiver = await WebhookReceiver.start();
});
afterAll(async () => {
  await Promise.all(running.map((app) => app.stop()));
  await receiver?.close();
  await database?.drop();
});

async function gateway(keys: Keys) {
  const app = await startTestApp(settings(keys), { databaseUrl: database.url }, { now: clock.now });
  running.push(app);
  return app;
}
async function stop(app: TestApp) {
  running.splice(running.indexOf(app), 1);
  await app.stop();
}

/** The same signed-in user, talking to another gateway (sessions live in the database). */
const on = (app: TestApp, user: SignedInUser): SignedInUser => ({ ...user, client: app.client(user.token) });
const codeOf = (totp: TOTP, steps = 0) => totp.generate({ timestamp: clock.now().getTime() + steps * STEP_MS });

function sql<T>(app: TestApp, query: string, ...values: unknown[]) {
  return app.app.services.domain.prisma.$queryRawUnsafe<T[]>(query, ...values);
}
const userRow = async (app: TestApp, email: string) =>
  (await sql<{ id: string; sca_secret: string | null; sca_pending_secret: string | null }>(app, 'SELECT id::text, sca_secret, sca_pending_secret FROM users WHERE email = $1', email))[0]!;
const endpointRow = async (app: TestApp, url: string) =>
  (await sql<{ secret_ciphertext: string; previous_secret_ciphertext: string | null }>(app, 'SELECT * FROM webhook_endpoints WHERE url = $1', url))[0]!;

async function controllerStartingEnrolment(app: TestApp, tenant: Tenant) {
  const email = `controller-${randomUUID().slice(0, 8)}@test.example`;
  await tenant.admin.client.data(CreateUser, { input: { email, name: 'controller', password: PASSWORD, roles: ['CONTROLLER'] } });
  const user = await signIn(app, email);
  const totp = URI.parse((await user.client.data(StartSca)).startScaEnrolment.otpauthUri) as TOTP;
  return { user, totp };
}

async function enrolledController(app: TestApp, tenant: Tenant) {
  const controller = await controllerStartingEnrolment(app, tenant);
  expect((await controller.user.client.data(VerifySca, { code: codeOf(controller.totp) })).verifyScaEnrolment.scaEnrolled).toBe(true);
  return controller;
}

async function pendingChallenge(app: TestApp, tenant: Tenant, controller: SignedInUser) {
  const run = await createRun(on(app, tenant.creator), [gbpPayable(0)]);
  await app.app.services.jobs.drain();
  expect((await on(app, controller).client.data(ConfirmRun, { id: run.id })).confirmPaymentRun.status).toBe('PENDING_CHALLENGE');
  return run.id;
}

/** Every status change of the buyer so far reached the receiver at `path`, each verifiable with every secret in `secrets`. */
async function expectDeliveredAndVerifiable(app: TestApp, tenant: Tenant, path: string, secrets: string[]) {
  const log = await readBuyerLog(on(app, tenant.admin));
  await receiver.waitFor(() => new Set(receiver.accepted(path).map((r) => r.id)).size >= log.length, `${log.length} deliveries on ${path}`);
  const requests = receiver.accepted(path);
  expect(requests.length).toBeGreaterThan(0);
  for (const secret of secrets) {
    for (const request of requests) expect(() => new Webhook(secret).verify(request.body, request.headers)).not.toThrow();
  }
}

/** Tables in a database's public schema (rekey must have created none). */
async function countTables(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'`)).rows[0]!.n);
  } finally {
    await client.end();
  }
}

const rekeyEnv = (keys: Keys) => ({ ...settings(keys), DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET, API_KEY: TEST_API_KEY, LOG_LEVEL: 'warn' });

describe('rotating the encryption keys', () => {
  it('A → B with A previous: nobody re-enrols, receivers keep verifying, rows move to B on use and by `npm run rekey`', async () => {
    // 1. Everything stored under A.
    const onA = await gateway({ sca: [scaA], webhooks: [hookA] });
    const tenant = await createTenant(onA, { enrolControllers: false });
    const first = await enrolledController(onA, tenant);
    const legacy = await enrolledController(onA, tenant);
    const pending = await controllerStartingEnrolment(onA, tenant);
    const lost = await enrolledController(onA, tenant);
    expect((await userRow(onA, first.user.email)).sca_secret).toMatch(new RegExp(`^v2:${keyId(scaA)}:`));
    // A row as releases before key ids wrote it (v1, under A), and one sealed under a key nobody has any more.
    const legacyId = (await userRow(onA, legacy.user.email)).id;
    await sql(onA, 'UPDATE users SET sca_secret = $1 WHERE id = $2::uuid', sealV1(scaA, totpAad(legacyId), Buffer.from(legacy.totp.secret.bytes)), legacyId);
    const lostRow = await userRow(onA, lost.user.email);
    const lostSealed = sealSecret(keyRing(scaLost), lostRow.id, Buffer.from(lost.totp.secret.bytes));
    await sql(onA, 'UPDATE users SET sca_secret = $1 WHERE id = $2::uuid', lostSealed, lostRow.id);

    const endpoint = (path: string) => tenant.admin.client.data(CreateEndpoint, { input: { url: receiver.url(path) } }).then((r) => r.createWebhookEndpoint);
    const plain = await endpoint('/plain');
    const rotated = await endpoint('/rotated');
    const rotatedSecret = (await tenant.admin.client.data(RotateSecret, { id: rotated.endpoint.id })).rotateWebhookSecret.secret;
    const parked = await endpoint('/parked');
    await tenant.admin.client.data(DisableEndpoint, { id: parked.endpoint.id });
    await pendingChallenge(onA, tenant, first.user);
    await expectDeliveredAndVerifiable(onA, tenant, '/plain', [plain.secret]);
    await stop(onA);

    // 2. B current, A previous: the same people approve and enrol; what they use moves to B.
    const onBA = await gateway({ sca: [scaB, scaA], webhooks: [hookB, hookA] });
    const runId = await pendingChallenge(onBA, tenant, first.user);
    const approved = await on(onBA, first.user).client.data(VerifyChallenge, { id: runId, code: codeOf(first.totp, 1) });
    expect(approved.verifyPaymentRunChallenge.status).toBe('PENDING_FUNDING');
    expect((await userRow(onBA, first.user.email)).sca_secret).toMatch(new RegExp(`^v2:${keyId(scaB)}:`));
    expect((await on(onBA, pending.user).client.data(VerifySca, { code: codeOf(pending.totp) })).verifyScaEnrolment.scaEnrolled).toBe(true);
    expect((await userRow(onBA, pending.user.email)).sca_secret).toMatch(new RegExp(`^v2:${keyId(scaB)}:`));
    // Deliveries keep their signing secrets (both of them during a secret's 24 h rotation grace).
    await expectDeliveredAndVerifiable(onBA, tenant, '/plain', [plain.secret]);
    await expectDeliveredAndVerifiable(onBA, tenant, '/rotated', [rotated.secret, rotatedSecret]);
    const hookBId = new RegExp(`^v2:${keyId(hookB)}:`);
    expect(await endpointRow(onBA, receiver.url('/plain'))).toMatchObject({ secret_ciphertext: expect.stringMatching(hookBId) });
    expect(await endpointRow(onBA, receiver.url('/rotated')))
      .toMatchObject({ secret_ciphertext: expect.stringMatching(hookBId), previous_secret_ciphertext: expect.stringMatching(hookBId) });
    await stop(onBA);

    // 3. B alone, too early: what is still under A cannot be opened, as with any unreadable secret.
    const onB = await gateway({ sca: [scaB], webhooks: [hookB] });
    const legacyRun = await pendingChallenge(onB, tenant, legacy.user);
    const refused = await on(onB, legacy.user).client.error(VerifyChallenge, { id: legacyRun, code: codeOf(legacy.totp, 1) });
    expect(refused.extensions).toMatchObject({ code: 'SCA_CHALLENGE_INVALID', attemptsRemaining: 2 });
    expect((await userRow(onB, legacy.user.email)).sca_secret).toMatch(/^v1:/);

    // 4. `npm run rekey` with B current and A previous, while the B-only gateway keeps serving.
    // First --dry-run: the same counts, nothing written.
    const dryRun = await runRekey(rekeyEnv({ sca: [scaB, scaA], webhooks: [hookB, hookA] }), ['--dry-run']);
    expect(dryRun.stderr).toBe('');
    expect(dryRun.code).toBe(3); // the lost row is unreadable
    expect(dryRun.stdout).toContain('re-sealed 1, already current 2, unreadable 1, changed meanwhile 0');
    expect((await userRow(onB, legacy.user.email)).sca_secret).toMatch(/^v1:/);
    const firstRun = await runRekey(rekeyEnv({ sca: [scaB, scaA], webhooks: [hookB, hookA] }));
    expect(firstRun.stderr).toBe('');
    // Finished, but not everything is under B: exit 3, and the last line says why.
    expect(firstRun.code).toBe(3);
    expect(firstRun.stdout.trim().split('\n').at(-1)).toBe('incomplete: 1 unreadable, 0 changed meanwhile (exit code 3)');
    expect(firstRun.stdout).toContain(`TOTP secrets (SCA): current key ${keyId(scaB)}, previous keys ${keyId(scaA)}`);
    // legacy moves; first and pending are current; lost is unreadable and left alone.
    expect(firstRun.stdout).toContain('re-sealed 1, already current 2, unreadable 1, changed meanwhile 0');
    expect(firstRun.stdout).toContain(`unreadable: no configured key opens these values; they were left as they are (rows: ${lostRow.id})`);
    // parked moves (it sent nothing since A); plain and both secrets of rotated moved on use.
    expect(firstRun.stdout).toContain(`webhook signing secrets: current key ${keyId(hookB)}, previous keys ${keyId(hookA)}`);
    expect(firstRun.stdout).toContain('re-sealed 1, already current 3, unreadable 0, changed meanwhile 0');
    expect(firstRun.stdout).toContain('WEBHOOK_ENCRYPTION_KEY_PREVIOUS can be removed');
    for (const secret of [scaA, scaB, hookA, hookB]) {
      for (const encoding of ['hex', 'base64'] as const) expect(firstRun.stdout).not.toContain(secret.toString(encoding));
    }
    expect((await userRow(onB, legacy.user.email)).sca_secret).toMatch(new RegExp(`^v2:${keyId(scaB)}:`));
    expect((await userRow(onB, lost.user.email)).sca_secret).toBe(lostSealed);
    expect((await endpointRow(onB, receiver.url('/parked'))).secret_ciphertext).toMatch(new RegExp(`^v2:${keyId(hookB)}:`));

    const secondRun = await runRekey(rekeyEnv({ sca: [scaB, scaA], webhooks: [hookB, hookA] }));
    expect(secondRun.code).toBe(3);
    expect(secondRun.stdout).toContain('re-sealed 0, already current 3, unreadable 1, changed meanwhile 0');
    expect(secondRun.stdout).toContain('re-sealed 0, already current 4, unreadable 0, changed meanwhile 0');

    // 5. B alone serves everyone the rekey moved: the refused code now passes (it was never spent).
    const legacyApproved = await on(onB, legacy.user).client.data(VerifyChallenge, { id: legacyRun, code: codeOf(legacy.totp, 1) });
    expect(legacyApproved.verifyPaymentRunChallenge.status).toBe('PENDING_FUNDING');
    clock.advance(STEP_MS);
    const later = await pendingChallenge(onB, tenant, first.user);
    expect((await on(onB, first.user).client.data(VerifyChallenge, { id: later, code: codeOf(first.totp, 1) })).verifyPaymentRunChallenge.status)
      .toBe('PENDING_FUNDING');
    await on(onB, tenant.admin).client.data(EnableEndpoint, { id: parked.endpoint.id });
    await expectDeliveredAndVerifiable(onB, tenant, '/parked', [parked.secret]);
    await expectDeliveredAndVerifiable(onB, tenant, '/plain', [plain.secret]);
  }, 120_000); // three gateways in turn and two `npm run rekey` child processes (tsx) on a loaded machine

  it('rekey leaves a row alone when a gateway rewrote it between the read and the write (a new enrolment, a secret rotation)', async () => {
    const own = await createIsolatedDatabase(`rekey_race_${randomBytes(3).toString('hex')}`);
    const onA = await startTestApp(settings({ sca: [scaA], webhooks: [hookA] }), { databaseUrl: own.url }, { now: clock.now });
    try {
      const tenant = await createTenant(onA, { enrolControllers: false });
      const controller = await enrolledController(onA, tenant);
      const { createWebhookEndpoint: hook } = await tenant.admin.client.data(CreateEndpoint, { input: { url: receiver.url('/race') } });
      await tenant.admin.client.data(DisableEndpoint, { id: hook.endpoint.id });
      const userId = (await userRow(onA, controller.user.email)).id;
      let rotatedSecret = '';
      const report = await rekeySecrets({
        prisma: onA.app.services.domain.prisma,
        keys: { sca: keyRing(scaB, [scaA]), webhooks: keyRing(hookB, [hookA]) },
        // The gateway (still on A) writes first: an ADMIN resets the user, a secret is rotated.
        beforeWrite: async (kind, column) => {
          if (column === 'sca_secret') await on(onA, tenant.admin).client.data(ResetSca, { userId: controller.user.id });
          if (column === 'secret_ciphertext') rotatedSecret = (await tenant.admin.client.data(RotateSecret, { id: hook.endpoint.id })).rotateWebhookSecret.secret;
          expect(kind).toBe(column === 'sca_secret' ? 'sca' : 'webhooks');
        },
      });
      expect(report.sca).toMatchObject({ resealed: 0, changedMeanwhile: 1, unreadable: 0 });
      expect((await sql<{ sca_secret: string | null }>(onA, 'SELECT sca_secret FROM users WHERE id = $1::uuid', userId))[0]!.sca_secret).toBeNull();
      // The rotation's new secret stands; the old one moved to the previous column, which this pass then re-sealed.
      expect(report.webhooks).toMatchObject({ resealed: 1, changedMeanwhile: 1, unreadable: 0 });
      const row = await endpointRow(onA, receiver.url('/race'));
      expect(row.secret_ciphertext).toMatch(new RegExp(`^v2:${keyId(hookA)}:`));
      expect(row.previous_secret_ciphertext).toMatch(new RegExp(`^v2:${keyId(hookB)}:`));
      expect(rotatedSecret).toMatch(/^whsec_/);
    } finally {
      await onA.stop();
      await own.drop();
    }
  });

  it('rekey upgrades a v1 value under the current key to v2, and skips previous webhook secrets past their grace', async () => {
    const own = await createIsolatedDatabase(`rekey_v1_${randomBytes(3).toString('hex')}`);
    const onA = await startTestApp(settings({ sca: [scaA], webhooks: [hookA] }), { databaseUrl: own.url }, { now: clock.now });
    try {
      const tenant = await createTenant(onA, { enrolControllers: false });
      const controller = await enrolledController(onA, tenant);
      const id = (await userRow(onA, controller.user.email)).id;
      await sql(onA, 'UPDATE users SET sca_secret = $1 WHERE id = $2::uuid', sealV1(scaA, totpAad(id), Buffer.from(controller.totp.secret.bytes)), id);
      const { createWebhookEndpoint: hook } = await tenant.admin.client.data(CreateEndpoint, { input: { url: receiver.url('/expired-grace') } });
      await tenant.admin.client.data(DisableEndpoint, { id: hook.endpoint.id });
      await tenant.admin.client.data(RotateSecret, { id: hook.endpoint.id });
      // Grace over, and the old secret sealed under a key nobody has: never used again, so not rekey's business.
      await sql(onA, `UPDATE webhook_endpoints SET previous_secret_expires_at = now() - interval '1 day', previous_secret_ciphertext = 'v2:00000000:AAAA' WHERE url = $1`, receiver.url('/expired-grace'));
      const report = await rekeySecrets({ prisma: onA.app.services.domain.prisma, keys: { sca: keyRing(scaA), webhooks: keyRing(hookA) } });
      expect(report.sca).toMatchObject({ resealed: 1, alreadyCurrent: 0, unreadable: 0, changedMeanwhile: 0 });
      expect(report.webhooks).toMatchObject({ resealed: 0, alreadyCurrent: 1, unreadable: 0, changedMeanwhile: 0 });
      expect((await userRow(onA, controller.user.email)).sca_secret).toMatch(new RegExp(`^v2:${keyId(scaA)}:`));
      // The upgraded secret still serves.
      const runId = await pendingChallenge(onA, tenant, controller.user);
      expect((await controller.user.client.data(VerifyChallenge, { id: runId, code: codeOf(controller.totp, 1) })).verifyPaymentRunChallenge.status).toBe('PENDING_FUNDING');
    } finally {
      await onA.stop();
      await own.drop();
    }
  });

  it('a correct code passes when its secret is re-sealed between the check and the spend (rekey meanwhile); a new secret still refuses', async () => {
    const own = await createIsolatedDatabase(`rekey_spend_${randomBytes(3).toString('hex')}`);
    const onBA = await startTestApp(settings({ sca: [scaB, scaA], webhooks: [hookB, hookA] }), { databaseUrl: own.url }, { now: clock.now });
    try {
      const prisma = onBA.app.services.domain.prisma;
      const tenant = await createTenant(onBA, { enrolControllers: false });
      const controller = await enrolledController(onBA, tenant);
      const enrolling = await controllerStartingEnrolment(onBA, tenant);
      // A secret as a release on key A left it.
      const underA = async (who: { user: SignedInUser; totp: TOTP }, column: 'sca_secret' | 'sca_pending_secret') => {
        const id = (await userRow(onBA, who.user.email)).id;
        await sql(onBA, `UPDATE users SET ${column} = $1 WHERE id = $2::uuid`, sealSecret(keyRing(scaA), id, Buffer.from(who.totp.secret.bytes)), id);
      };
      // `npm run rekey` re-seals every row right after the gateway checked a code and before it spends it.
      const codes = onBA.app.services.domain.oneTimeCodes;
      const rekeyReports: number[] = [];
      let afterCheck: (() => Promise<void>) | null = null;
      (onBA.app.services.domain as { oneTimeCodes: OneTimeCodes }).oneTimeCodes = {
        ...codes,
        async verify(check: OneTimeCodeCheck) {
          const match = await codes.verify(check);
          const hook = afterCheck;
          afterCheck = null;
          await hook?.();
          return match;
        },
      };
      const rekeyNow = async () => {
        const report = await rekeySecrets({ prisma, keys: { sca: keyRing(scaB, [scaA]), webhooks: keyRing(hookB, [hookA]) } });
        rekeyReports.push(report.sca.resealed);
      };

      await underA(enrolling, 'sca_pending_secret');
      afterCheck = rekeyNow;
      expect((await enrolling.user.client.data(VerifySca, { code: codeOf(enrolling.totp) })).verifyScaEnrolment.scaEnrolled).toBe(true);
      const runId = await pendingChallenge(onBA, tenant, controller.user);
      await underA(controller, 'sca_secret');
      afterCheck = rekeyNow;
      const approved = await controller.user.client.data(VerifyChallenge, { id: runId, code: codeOf(controller.totp, 1) });
      expect(approved.verifyPaymentRunChallenge.status).toBe('PENDING_FUNDING');
      expect(rekeyReports).toEqual([1, 1]); // rekey did move each secret under the gateway's feet
      expect((await userRow(onBA, enrolling.user.email)).sca_secret).toMatch(new RegExp(`^v2:${keyId(scaB)}:`));
      expect((await userRow(onBA, controller.user.email)).sca_secret).toMatch(new RegExp(`^v2:${keyId(scaB)}:`));

      // A real change of secret between check and spend (reset, a new enrolment) still refuses, and counts.
      clock.advance(STEP_MS);
      const again = await pendingChallenge(onBA, tenant, controller.user);
      const controllerId = (await userRow(onBA, controller.user.email)).id;
      afterCheck = async () => {
        await sql(onBA, 'UPDATE users SET sca_secret = $1 WHERE id = $2::uuid', sealSecret(keyRing(scaB), controllerId, randomBytes(20)), controllerId);
      };
      const refused = await controller.user.client.error(VerifyChallenge, { id: again, code: codeOf(controller.totp, 1) });
      expect(refused.extensions).toMatchObject({ code: 'SCA_CHALLENGE_INVALID', attemptsRemaining: 2 });
    } finally {
      await onBA.stop();
      await own.drop();
    }
  });

  it('webhooks: an unreadable previous secret is left out of the signatures; an unreadable secret is a failed attempt, retried, then the endpoint disabled; a failed re-seal does not stop delivery', async () => {
    const own = await createIsolatedDatabase(`rekey_hooks_${randomBytes(3).toString('hex')}`);
    const outcomes: string[] = [];
    const waiters: (() => void)[] = [];
    const onB = await startTestApp(
      // A short retry window, so that the unreadable endpoint is disabled within the test.
      { ...settings({ sca: [scaB], webhooks: [hookB, hookA] }), WEBHOOK_RETRY_BASE_MS: '20', WEBHOOK_RETRY_HOURS: '0.0001' },
      { databaseUrl: own.url },
      { now: clock.now, onWebhookDelivery: (outcome) => (outcomes.push(outcome), waiters.splice(0).forEach((wake) => wake())) },
    );
    const until = async (check: () => boolean) => {
      while (!check()) await new Promise<void>((resolve) => waiters.push(resolve));
    };
    try {
      const tenant = await createTenant(onB, { enrolControllers: false });
      const create = (path: string) => tenant.admin.client.data(CreateEndpoint, { input: { url: receiver.url(path) } }).then((r) => r.createWebhookEndpoint);
      const half = await create('/half-readable');
      const newSecret = (await tenant.admin.client.data(RotateSecret, { id: half.endpoint.id })).rotateWebhookSecret.secret;
      const unreadable = await create('/unreadable');
      const resealFails = await create('/reseal-fails');
      const ids = await sql<{ id: string; url: string }>(onB, 'SELECT id::text, url FROM webhook_endpoints');
      const idOf = (path: string) => ids.find((row) => row.url === receiver.url(path))!.id;
      const lostRing = keyRing(randomBytes(32));
      await sql(onB, 'UPDATE webhook_endpoints SET previous_secret_ciphertext = $1 WHERE id = $2::uuid', encryptSecret(lostRing, idOf('/half-readable'), half.secret), idOf('/half-readable'));
      await sql(onB, 'UPDATE webhook_endpoints SET secret_ciphertext = $1 WHERE id = $2::uuid', encryptSecret(lostRing, idOf('/unreadable'), unreadable.secret), idOf('/unreadable'));
      // A secret under the previous key whose re-seal write fails (a real database error, from a trigger).
      const underA = encryptSecret(keyRing(hookA), idOf('/reseal-fails'), resealFails.secret);
      await sql(onB, 'UPDATE webhook_endpoints SET secret_ciphertext = $1 WHERE id = $2::uuid', underA, idOf('/reseal-fails'));
      await sql(onB, `CREATE FUNCTION refuse_reseal() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'test: re-seal refused'; END $$`);
      await sql(onB, `CREATE TRIGGER refuse_reseal BEFORE UPDATE OF secret_ciphertext ON webhook_endpoints FOR EACH ROW
                        WHEN (OLD.id = '${idOf('/reseal-fails')}'::uuid) EXECUTE FUNCTION refuse_reseal()`);
      await createRun(on(onB, tenant.creator), [gbpPayable(0)]);
      await onB.app.services.jobs.drain();

      // The failed re-seal is logged; the delivery goes on, and the value stays under A for rekey.
      await expectDeliveredAndVerifiable(onB, tenant, '/reseal-fails', [resealFails.secret]);
      expect((await endpointRow(onB, receiver.url('/reseal-fails'))).secret_ciphertext).toBe(underA);
      // Signed with the secret that opens, within the previous one's grace.
      await expectDeliveredAndVerifiable(onB, tenant, '/half-readable', [newSecret]);
      // Nothing sent; failed attempts recorded with the reason, backed off, and finally the endpoint disabled.
      await until(() => outcomes.includes('disabled'));
      expect(receiver.accepted('/unreadable')).toEqual([]);
      const attempts = await sql<{ error: string | null; status_code: number | null; attempt: number }>(
        onB, 'SELECT error, status_code, attempt FROM webhook_deliveries WHERE endpoint_id = $1::uuid ORDER BY attempt', idOf('/unreadable'),
      );
      expect(attempts.length).toBeGreaterThan(0);
      expect(attempts.every((a) => a.error === SIGNING_SECRET_UNREADABLE && a.status_code === null)).toBe(true);
      expect(attempts.map((a) => a.attempt)).toEqual(attempts.map((_, i) => i + 1));
      const [endpoint] = await sql<{ status: string; lease_owner: string | null }>(onB, 'SELECT status::text, lease_owner::text FROM webhook_endpoints WHERE id = $1::uuid', idOf('/unreadable'));
      expect(endpoint).toEqual({ status: 'DISABLED', lease_owner: null });
    } finally {
      await onB.stop();
      await own.drop();
    }
  });

  it('refuses unknown arguments (exit 2), the embedded database without --embedded, and a schema behind this release', async () => {
    const env = rekeyEnv({ sca: [scaB], webhooks: [hookB] });
    for (const args of [['--dryrun'], ['--batch-size', '500'], ['--batch-size=0']]) {
      const refused = await runRekey(env, args);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.stdout).toBe('');
      expect(refused.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(refused.stderr).toContain('usage: rekey [--batch-size=N] [--dry-run] [--embedded]');
    }
    const { DATABASE_URL: _url, ...withoutUrl } = env;
    const embedded = await runRekey({ ...withoutUrl, DATA_DIR: '/nonexistent/rekey-test' });
    expect(embedded.code).toBe(1);
    expect(embedded.stderr.trim()).toBe(
      'Configuration error: DATABASE_URL is not set: this would open the embedded database in /nonexistent/rekey-test; stop the gateway first, then run again with --embedded',
    );
    // A database no gateway of this release has migrated: rekey never migrates, it refuses.
    const empty = await createIsolatedDatabase(`rekey_empty_${randomBytes(3).toString('hex')}`);
    try {
      const behind = await runRekey({ ...env, DATABASE_URL: empty.url });
      expect(behind.code).toBe(1);
      expect(behind.stderr).toMatch(/^rekey failed: the database schema is behind this release \(\d+ migration\(s\) not applied, first \S+\): start a gateway of this release first, which migrates it\n$/);
      const tables = await countTables(empty.url);
      expect(tables).toBe(0);
    } finally {
      await empty.drop();
    }
  }, 60_000); // child processes (tsx)

  it('refuses to start on a malformed previous key, in one line that does not repeat it', async () => {
    const bad = `${scaA.toString('base64')},${scaB.toString('hex')}`;
    const refused = await runRekey({ ...rekeyEnv({ sca: [scaB], webhooks: [hookB] }), SCA_ENCRYPTION_KEY_PREVIOUS: bad });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.trim()).toBe(
      'Configuration error: SCA_ENCRYPTION_KEY_PREVIOUS must list keys of 32 bytes in base64, e.g. the output of `openssl rand -base64 32`, separated by commas (entry 2 is not one)',
    );
  }, 60_000); // a child process (tsx)
});
