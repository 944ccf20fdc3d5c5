import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { decodeLogCursor } from '../../src/events/event-log.ts';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { createRun, gbpPayable } from '../helpers/payment-runs.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { connectWs, readLog, StatusChanged, type WsTestClient } from '../helpers/ws-client.ts';

/**
 * Messages on a buyer's Redis channel are hints, not content: forged, mis-tagged or out-of-sequence
 * rows published there with a plain Redis client are never shown and never consume a sequence
 * number; the subscriber reads what really happened from the log.
 */
let app: TestApp;
let tenant: Tenant;
let raw: Redis;
const sockets: WsTestClient[] = [];

beforeAll(async () => {
  app = await startTestApp();
  tenant = await createTenant(app);
  raw = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.dispose()));
  raw?.disconnect();
  await app?.stop();
});

const forgedRow = (buyerId: string, seq: bigint, entityId: string) => ({
  entityType: 'PAYMENT_RUN', entityId, paymentRunId: entityId, fromStatus: 'QUEUED', toStatus: 'COMPLETED',
  buyerId, seq: seq.toString(), actorId: null, occurredAt: new Date().toISOString(),
});

describe('forged bus messages', () => {
  it('are never delivered and never skip a real event', async () => {
    await createRun(tenant.creator, [gbpPayable(0)]);
    await app.app.services.jobs.drain();
    const after = (await readLog(tenant.admin.client)).at(-1)!.cursor;
    const head = decodeLogCursor(after)!;
    const buyerId = (decodeJwt(tenant.admin.token) as { buyer: string }).buyer;
    const socket = connectWs(app.url, tenant.controller.token);
    sockets.push(socket);
    const open = app.app.services.live.open;
    const live = socket.subscribe(StatusChanged, { after });
    // Live means subscribed to the channel and head read: forge only then.
    await vi.waitFor(() => expect(app.app.services.live.open).toBe(open + 1), { timeout: 10_000 });
    const channel = `gateway:status-changes:${buyerId}`;
    const forgedIds = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const forge = async () => {
      // The next sequence number, a far-ahead one, one tagged with another buyer, and garbage.
      await raw.publish(channel, JSON.stringify([forgedRow(buyerId, head + 1n, forgedIds[0]!)]));
      await raw.publish(channel, JSON.stringify([forgedRow(buyerId, head + 50n, forgedIds[1]!)]));
      await raw.publish(channel, JSON.stringify([forgedRow(randomUUID(), head + 1n, forgedIds[2]!)]));
      await raw.publish(channel, JSON.stringify([{ ...forgedRow(buyerId, head + 2n, forgedIds[3]!), seq: 'x' }]));
      await raw.publish(channel, 'not json');
    };
    // Forge before any real event exists past `after`, and again after one.
    await forge();
    const run = await createRun(tenant.creator, [gbpPayable(1), gbpPayable(2)]);
    await forge();
    await app.app.services.jobs.drain();

    const logged = await readLog(tenant.admin.client, { after });
    expect(logged.map((e) => e.paymentRunId)).toContain(run.id);
    await live.take(logged.length);
    // Exactly the log, in order: nothing forged, nothing skipped.
    expect(live.values.map((v) => v.statusChanged)).toEqual(logged);
    const shown = JSON.stringify(live.values);
    for (const id of forgedIds) expect(shown).not.toContain(id);
  });
});
