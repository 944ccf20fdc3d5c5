import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { startIsolatedApp } from '../helpers/funding.ts';
import { GetRun, createRun, gbpPayable } from '../helpers/payment-runs.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { CreateEndpoint, WebhookReceiver, firstDeliveries } from '../helpers/webhook-receiver.ts';
import { readBuyerLog } from '../helpers/webhooks.ts';

/**
 * Delivery is durable and claimed once across instances: a gateway process SIGKILLed mid-burst loses
 * nothing, and two instances on one database never send to one endpoint at the same time. Short
 * leases (4 s) let a killed instance's claim expire quickly; every instance shares the encryption key.
 */
const WEBHOOK_ENV = {
  WEBHOOK_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
  WEBHOOK_LEASE_MS: '4000',
  WEBHOOK_TIMEOUT_MS: '1500',
  WEBHOOK_RETRY_BASE_MS: '50',
};
let api: TestApp;
let receiver: WebhookReceiver;

beforeAll(async () => {
  api = await startIsolatedApp({ RUN_JOBS: 'false', ...WEBHOOK_ENV });
  // A little latency per request widens the window in which two deliverers could overlap.
  receiver = await WebhookReceiver.start(async () => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    return 200;
  });
});
afterAll(async () => {
  await api?.stop();
  await receiver?.close();
});

const databaseUrl = () => api.app.services.config.databaseUrl!;
const deliveringInstance = (options: Parameters<typeof startTestApp>[2] = {}, env: Record<string, string> = {}) =>
  startTestApp({ RUN_JOBS: 'true', ...WEBHOOK_ENV, ...env }, { databaseUrl: databaseUrl() }, options);

async function endpoint(tenant: Tenant, path: string) {
  await tenant.admin.client.data(CreateEndpoint, { input: { url: receiver.url(path) } });
}

/** A real gateway process (`src/main.ts`) on the test database; resolves once it listens. */
async function startGatewayProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      PATH: process.env.PATH, DATABASE_URL: databaseUrl(), PORT: '0', HOST: '127.0.0.1', SEED_DEMO: 'false',
      JWT_SECRET: randomBytes(32).toString('hex'), POLL_INTERVAL_MS: '50', LOG_LEVEL: 'info', ...WEBHOOK_ENV,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('gateway listening')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}: ${output}`)));
  });
  return child;
}

describe('durable delivery', () => {
  it('delivers every event after a gateway process is SIGKILLed mid-burst', async () => {
    const tenant = await createTenant(api);
    await endpoint(tenant, '/burst');
    const child = await startGatewayProcess();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let restarted: TestApp | undefined;
    try {
      // 1,000 payables: 1,001 creations now, 1,001 more when the child validates the run.
      const run = await createRun(tenant.creator, Array.from({ length: 1000 }, (_, i) => gbpPayable(i)));
      await receiver.waitFor(() => receiver.accepted('/burst').length >= 200, 'the burst to be under way');
      child.kill('SIGKILL');
      await exited;
      const beforeKill = receiver.accepted('/burst').length;

      restarted = await deliveringInstance();
      await vi.waitFor(async () => {
        const { paymentRun } = await tenant.creator.client.data(GetRun, { id: run.id, first: 0 });
        expect(paymentRun?.status).toBe('PENDING_CONFIRMATION');
      }, { timeout: 60_000, interval: 200 });
      const log = await readBuyerLog(tenant.admin);
      expect(log).toHaveLength(2002);
      expect(beforeKill).toBeLessThan(log.length);

      const cursors = log.map((e) => e.cursor);
      await receiver.waitFor(() => new Set(receiver.accepted('/burst').map((r) => r.id)).size >= log.length, 'every event after the restart', 120_000);
      // At least once, and in log order: a receiver keeping the first copy of each id has the log.
      expect(firstDeliveries(receiver.accepted('/burst')).map((r) => r.id)).toEqual(cursors);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await restarted?.stop();
    }
  }, 240_000);

  it('never has two instances deliver to one endpoint at the same time', async () => {
    const tenant = await createTenant(api);
    const paths = ['/shared-a', '/shared-b', '/shared-c'];
    for (const path of paths) await endpoint(tenant, path);
    const outcomes: string[][] = [[], []];
    // Default lease and timeout: this test is about overlap, not about a dead instance's claim.
    const settings = { WEBHOOK_LEASE_MS: '30000', WEBHOOK_TIMEOUT_MS: '10000' };
    const [a, b] = await Promise.all([
      deliveringInstance({ onWebhookDelivery: (o) => void outcomes[0]!.push(o) }, settings),
      deliveringInstance({ onWebhookDelivery: (o) => void outcomes[1]!.push(o) }, settings),
    ]);
    const count = (outcome: string) => outcomes.flat().filter((o) => o === outcome).length;
    try {
      await Promise.all([0, 1, 2, 3].map((r) => createRun(tenant.creator, Array.from({ length: 50 }, (_, i) => gbpPayable(r * 100 + i)))));
      // Both instances validate (and b's poller may hold a run while a drains, which then skips it):
      // wait for the log itself to hold every run's validation.
      const log = await vi.waitFor(async () => {
        const entries = await readBuyerLog(tenant.admin);
        expect(entries).toHaveLength(4 * 102);
        return entries;
      }, { timeout: 60_000, interval: 200 });
      await receiver.waitFor(() => paths.every((p) => receiver.accepted(p).length >= log.length), 'every event at every endpoint', 120_000);
      // The receiver answers before the sender records the outcome: wait for the last ones.
      await vi.waitFor(() => expect(count('success')).toBe(3 * log.length), { timeout: 30_000 });
      let repeats = 0;
      for (const path of paths) {
        // One request at a time per endpoint, however many instances, and the log in order.
        expect(receiver.maxInFlight.get(path), path).toBe(1);
        const requests = receiver.received.filter((r) => r.path === path);
        expect(firstDeliveries(requests).map((r) => r.id), path).toEqual(log.map((e) => e.cursor));
        repeats += requests.length - log.length;
      }
      // Nothing crashed: a request is only repeated after an attempt that failed (e.g. a stalled test process timing it out).
      expect(repeats).toBeLessThanOrEqual(count('failure'));
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 240_000);
});
