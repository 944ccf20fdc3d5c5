import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { freePort, startRedis, type RedisProcess } from '../helpers/processes.ts';
import { CancelRun, createRun, gbpPayable } from '../helpers/payment-runs.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { connectWs, readLog, StatusChanged, type WsTestClient } from '../helpers/ws-client.ts';
import { createIsolatedDatabase } from '../helpers/isolated-database.ts';

/**
 * Redis goes away mid-stream and comes back. The shared Redis of the test run is left alone: both
 * instances here use a redis-server of their own, started and killed by this file, and a database
 * of their own (see test/helpers/isolated-database.ts).
 */
let redis: RedisProcess;
let database: Awaited<ReturnType<typeof createIsolatedDatabase>>;
let a: TestApp;
let b: TestApp;
let tenant: Tenant;
const sockets: WsTestClient[] = [];

beforeAll(async () => {
  [redis, database] = await Promise.all([freePort().then(startRedis), createIsolatedDatabase('outage')]);
  const env = { REDIS_URL: `redis://127.0.0.1:${redis.port}`, DATABASE_URL: database.url };
  [a, b] = await Promise.all([startTestApp(env), startTestApp(env)]);
  tenant = await createTenant(a);
});
afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.dispose()));
  await Promise.all([a?.stop(), b?.stop()]);
  await Promise.all([redis?.stop(), database?.drop()]);
});

const settle = () => Promise.all([a.app.services.jobs.drain(), b.app.services.jobs.drain()]);
const readiness = async (app: TestApp) => {
  const response = await fetch(new URL('/ready', app.url));
  return { status: response.status, body: (await response.json()) as { database: string; redis: string } };
};

describe('a Redis outage', () => {
  it('keeps queries and mutations working, reports Redis down on /ready, and loses nothing', async () => {
    await createRun(tenant.creator, [gbpPayable(0)]);
    await settle();
    const after = (await readLog(tenant.admin.client)).at(-1)!.cursor;
    const subscribers = [a, b].map((app) => {
      const socket = connectWs(app.url, tenant.controller.token);
      sockets.push(socket);
      return socket.subscribe(StatusChanged, { after });
    });
    const expectEverythingOnce = async () => {
      await settle();
      const logged = await readLog(tenant.admin.client, { after });
      for (const subscription of subscribers) {
        await subscription.take(logged.length);
        expect(subscription.values.map((v) => v.statusChanged)).toEqual(logged);
      }
      return logged;
    };

    const beforeOutage = await createRun(tenant.creator, [gbpPayable(1), gbpPayable(2)]);
    await expectEverythingOnce();

    // Redis dies while a run of 100 payables is being created and validated.
    const [during] = await Promise.all([createRun(tenant.creator, Array.from({ length: 100 }, (_, i) => gbpPayable(i))), redis.stop()]);
    for (const app of [a, b]) {
      await vi.waitFor(async () => expect((await readiness(app)).body.redis).toBe('down'), { timeout: 30_000 });
      expect(await readiness(app)).toEqual({ status: 200, body: expect.objectContaining({ status: 'ready', database: 'up', redis: 'down' }) });
    }
    // Mutations and queries go on, on both instances; live delivery degrades to polling the log.
    const whileDown = await createRun({ ...tenant.creator, client: b.client(tenant.creator.token) }, [gbpPayable(3)]);
    await a.client(tenant.controller.token).data(CancelRun, { id: beforeOutage.id });
    const logged = await expectEverythingOnce();
    expect(logged.map((e) => e.paymentRunId)).toEqual(expect.arrayContaining([during.id, whileDown.id]));

    // Back on the same port: the relay publishes its backlog, subscribers take nothing twice.
    redis = await startRedis(redis.port);
    for (const app of [a, b]) {
      await vi.waitFor(async () => expect((await readiness(app)).body.redis).toBe('up'), { timeout: 30_000 });
    }
    await Promise.all([a.app.services.relay.drain(), b.app.services.relay.drain()]);
    const [position] = await a.app.services.database.prisma.$queryRawUnsafe<{ published: bigint; head: bigint }[]>(
      `SELECT p.published_seq AS published, b.event_seq AS head FROM event_relay_positions p JOIN buyers b ON b.id = p.buyer_id
        WHERE b.id = (SELECT buyer_id FROM users WHERE email = $1)`,
      tenant.admin.email,
    );
    expect(position!.published).toBe(position!.head);

    const afterOutage = await createRun(tenant.creator, [gbpPayable(4)]);
    const final = await expectEverythingOnce();
    expect(final.at(-1)!.paymentRunId).toBe(afterOutage.id);
  }, 120_000); // a redis-server stopped and started again, reconnects with backoff
});
