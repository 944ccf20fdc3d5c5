import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { createRun, gbpPayable } from '../helpers/payment-runs.ts';
import { freePort, startRedis, type RedisProcess } from '../helpers/processes.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { connectWs, readLog, StatusChanged, type WsTestClient } from '../helpers/ws-client.ts';
import { createIsolatedDatabase } from '../helpers/isolated-database.ts';

/**
 * An instance started while Redis is down starts, serves, reports Redis down, and joins Redis once
 * it comes up. The Redis here is this file's own redis-server, started only after the gateway.
 */
let port: number;
let redis: RedisProcess | null = null;
let database: Awaited<ReturnType<typeof createIsolatedDatabase>>;
let app: TestApp | null = null;
let tenant: Tenant;
const sockets: WsTestClient[] = [];

beforeAll(async () => {
  [port, database] = await Promise.all([freePort(), createIsolatedDatabase('redisdown')]);
});
afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.dispose()));
  await app?.stop();
  await redis?.stop();
  await database?.drop();
});

const readiness = async () => {
  const response = await fetch(new URL('/ready', app!.url));
  return { status: response.status, body: (await response.json()) as { status: string; redis: string } };
};

describe('Redis down when the gateway starts', () => {
  it('starts and serves, reports Redis down, then joins Redis and publishes through it', async () => {
    app = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${port}`, DATABASE_URL: database.url });
    expect(await readiness()).toEqual({ status: 200, body: expect.objectContaining({ status: 'ready', redis: 'down' }) });
    tenant = await createTenant(app);
    const run = await createRun(tenant.creator, [gbpPayable(0)]);
    await app.app.services.jobs.drain();
    const subscriber = connectWs(app.url, tenant.controller.token);
    sockets.push(subscriber);
    const after = (await readLog(tenant.admin.client)).at(-1)!.cursor;
    const live = subscriber.subscribe(StatusChanged, { after });

    redis = await startRedis(port);
    await vi.waitFor(async () => expect((await readiness()).body.redis).toBe('up'), { timeout: 30_000, interval: 200 });

    // Listen on the buyer's channel with a plain client: what the relay publishes now goes through Redis.
    const listener = new Redis(redis.url);
    const seen: string[] = [];
    await listener.psubscribe('gateway:status-changes:*');
    listener.on('pmessage', (_pattern, _channel, message: string) => void seen.push(message));
    try {
      const second = await createRun(tenant.creator, [gbpPayable(1)]);
      await app.app.services.jobs.drain();
      await vi.waitFor(() => expect(seen.length).toBeGreaterThan(0), { timeout: 30_000 });
      const logged = await readLog(tenant.admin.client, { after });
      await live.take(logged.length);
      expect(live.values.map((v) => v.statusChanged)).toEqual(logged);
      expect(logged.map((e) => e.paymentRunId)).toContain(second.id);
      expect(run.id).not.toBe(second.id);
    } finally {
      listener.disconnect();
    }
  }, 120_000); // a redis-server started mid-test, reconnects with backoff
});
