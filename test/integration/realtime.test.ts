import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeLogCursor, appendStatusChanges, type RawSql } from '../../src/events/event-log.ts';
import { idOf } from '../../src/graphql/ids.ts';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { CancelRun, createRun, gbpPayable } from '../helpers/payment-runs.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { connectWs, readLog, StatusChanged, type StatusChangeEvent, type WsTestClient } from '../helpers/ws-client.ts';
import { createIsolatedDatabase } from '../helpers/isolated-database.ts';

/**
 * Live status changes across two gateway instances on one PostgreSQL database and one Redis:
 * delivery crosses instances, resuming with `after` yields exactly what was missed, and concurrent
 * transactions arrive in cursor order with none skipped. Expected events are always read back from
 * the log itself (statusChanges), which background validation also writes to.
 */
let a: TestApp;
let b: TestApp;
const sockets: WsTestClient[] = [];

beforeAll(async () => {
  [a, b] = await Promise.all([startTestApp(), startTestApp()]);
});
afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.dispose()));
  await Promise.all([a?.stop(), b?.stop()]);
});

const ws = (app: TestApp, token: string) => {
  const socket = connectWs(app.url, token);
  sockets.push(socket);
  return socket;
};
/** Validation runs in the background on both instances; this waits until none is left. */
const settle = () => Promise.all([a.app.services.jobs.drain(), b.app.services.jobs.drain()]);
const events = (values: { statusChanged: StatusChangeEvent }[]) => values.map((value) => value.statusChanged);
const seqs = (list: StatusChangeEvent[]) => list.map((event) => decodeLogCursor(event.cursor)!);

function expectStrictlyIncreasing(list: StatusChangeEvent[]) {
  const numbers = seqs(list);
  numbers.forEach((seq, i) => {
    if (i > 0) expect(seq > numbers[i - 1]!, `cursor ${i} (${seq}) after ${numbers[i - 1]}`).toBe(true);
  });
}

/** A first run, settled, so the test has a cursor to subscribe after (a fresh buyer's log is empty). */
async function startingCursor(tenant: Tenant): Promise<string> {
  await createRun(tenant.creator, [gbpPayable(0)]);
  await settle();
  return (await readLog(tenant.admin.client)).at(-1)!.cursor;
}

describe('statusChanged across instances', () => {
  let tenant: Tenant;
  beforeAll(async () => {
    tenant = await createTenant(a);
  });

  it('delivers a change made on one instance to a subscriber on the other, exactly as logged', async () => {
    const after = await startingCursor(tenant);
    const onB = ws(b, tenant.controller.token).subscribe(StatusChanged, { after });
    const onA = ws(a, tenant.controller.token).subscribe(StatusChanged, { after });

    const run = await createRun(tenant.creator, [gbpPayable(1), gbpPayable(2), gbpPayable(3)]);
    await onB.until((values) => values.some((v) => v.statusChanged.paymentRunId === run.id), 'the new run on B');
    await settle();
    const logged = await readLog(tenant.admin.client, { after });
    expect(logged.filter((e) => e.paymentRunId === run.id).map((e) => `${e.entityType}:${e.toStatus}`)).toEqual([
      'PAYMENT_RUN:QUEUED', 'PAYABLE:QUEUED', 'PAYABLE:QUEUED', 'PAYABLE:QUEUED',
      'PAYMENT_RUN:PENDING_CONFIRMATION', 'PAYABLE:PENDING_CONFIRMATION', 'PAYABLE:PENDING_CONFIRMATION', 'PAYABLE:PENDING_CONFIRMATION',
    ]);
    for (const subscription of [onA, onB]) {
      await subscription.take(logged.length);
      expect(events(subscription.values)).toEqual(logged);
    }
  });

  it('resumes after a disconnect with exactly the missed events, then goes live without a gap or a repeat', async () => {
    const start = await startingCursor(tenant);
    const first = ws(b, tenant.controller.token);
    const before = first.subscribe(StatusChanged, { after: start });
    await createRun(tenant.creator, Array.from({ length: 40 }, (_, i) => gbpPayable(i)));
    await before.take(10);
    await first.dispose(); // mid-stream: the run's own 41 events are not all delivered yet
    const seen = events(before.values);
    const lastSeen = seen.at(-1)!.cursor;

    // While away: more changes, some from the other instance.
    const missedRun = await createRun(tenant.creator, [gbpPayable(50), gbpPayable(51)]);
    await a.client(tenant.controller.token).data(CancelRun, { id: missedRun.id });
    await settle();
    const missed = await readLog(tenant.admin.client, { after: lastSeen });
    expect(missed.length).toBeGreaterThan(0);

    const resumed = ws(a, tenant.controller.token).subscribe(StatusChanged, { after: lastSeen });
    await resumed.take(missed.length);
    expect(events(resumed.values)).toEqual(missed);

    // Live again: a new change arrives once, right after the replay.
    const liveRun = await createRun(tenant.creator, [gbpPayable(60)]);
    await settle();
    const all = await readLog(tenant.admin.client, { after: lastSeen });
    await resumed.until((values) => values.length >= all.length && values.at(-1)!.statusChanged.paymentRunId === liveRun.id, 'the live run');
    expect(events(resumed.values)).toEqual(all);
    expect(new Set(seqs(events(resumed.values))).size).toBe(resumed.values.length);
    // Together the two connections saw the log from `start` exactly once.
    expect([...seen, ...events(resumed.values)]).toEqual(await readLog(tenant.admin.client, { after: start }));
  });

  it('delivers events of concurrent transactions on both instances in strictly increasing cursor order, none skipped', async () => {
    const after = await startingCursor(tenant);
    const onA = ws(a, tenant.controller.token).subscribe(StatusChanged, { after });
    const onB = ws(b, tenant.admin.token).subscribe(StatusChanged, { after });

    // Ten runs at once, half through each instance; their validation commits interleave with them.
    const runs = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      createRun({ ...tenant.creator, client: (i % 2 ? a : b).client(tenant.creator.token) },
        Array.from({ length: 5 + i }, (_, j) => gbpPayable(j)))));
    await settle();
    const logged = await readLog(tenant.admin.client, { after });
    expect(new Set(logged.map((e) => e.paymentRunId))).toEqual(new Set(runs.map((run) => run.id)));
    expect(logged).toHaveLength(runs.reduce((n, run) => n + 2 * (1 + run.payableCount), 0));
    expectStrictlyIncreasing(logged);
    // Gapless: the buyer's sequence has no holes between the first and the last event.
    expect(seqs(logged).at(-1)! - seqs(logged)[0]!).toBe(BigInt(logged.length - 1));

    for (const subscription of [onA, onB]) {
      await subscription.take(logged.length);
      expect(events(subscription.values)).toEqual(logged);
      expectStrictlyIncreasing(events(subscription.values));
    }
  });

  it('never skips a row committed late: a later transaction waits for the earlier sequence number to commit', async () => {
    const after = await startingCursor(tenant);
    const runId = (await readLog(tenant.admin.client)).at(-1)!.paymentRunId;
    const subscription = ws(b, tenant.controller.token).subscribe(StatusChanged, { after });

    // An open transaction holds the next sequence number, uncommitted.
    const slow = new pg.Client({ connectionString: inject('databaseUrl') });
    await slow.connect();
    const sql: RawSql = {
      $queryRawUnsafe: async (query, ...values) => (await slow.query(query, values)).rows as never,
      $executeRawUnsafe: async (query, ...values) => (await slow.query(query, values)).rowCount ?? 0,
    };
    try {
      await slow.query('BEGIN');
      const held = await appendStatusChanges(sql, idOf('Buyer', tenant.buyerId), null, [
        { entityType: 'PAYMENT_RUN', entityId: idOf('PaymentRun', runId), paymentRunId: idOf('PaymentRun', runId), fromStatus: 'PENDING_CONFIRMATION', toStatus: 'PENDING_CONFIRMATION' },
      ]);
      // A mutation meanwhile queues behind it (on the buyer's sequence row) for a higher number.
      const cancelled = a.client(tenant.controller.token).data(CancelRun, { id: runId });
      await waitForLockWaiter(slow);
      await slow.query('COMMIT');
      await cancelled;
      await settle();
      const logged = await readLog(tenant.admin.client, { after });
      expect(seqs(logged)[0]).toBe(held);
      expect(logged.slice(1).map((e) => e.toStatus)).toEqual(logged.slice(1).map(() => 'CANCELLED'));
      await subscription.take(logged.length);
      expect(events(subscription.values)).toEqual(logged);
    } finally {
      await slow.end();
    }
  }, 60_000);
});


describe('statusChanged without Redis', () => {
  it('delivers through the in-process bus on a single instance, replay then live', async () => {
    const database = await createIsolatedDatabase('inproc');
    const single = await startTestApp({ REDIS_URL: '', DATABASE_URL: database.url });
    try {
      expect(single.app.services.bus.kind).toBe('in-process');
      const tenant = await createTenant(single);
      await createRun(tenant.creator, [gbpPayable(0)]);
      await single.app.services.jobs.drain();
      const [first] = await readLog(tenant.admin.client);
      const subscription = ws(single, tenant.controller.token).subscribe(StatusChanged, { after: first!.cursor });
      await subscription.take(3); // the rest of the first run, replayed
      await createRun(tenant.creator, [gbpPayable(1)]);
      await single.app.services.jobs.drain();
      const logged = await readLog(tenant.admin.client, { after: first!.cursor });
      await subscription.take(logged.length);
      expect(events(subscription.values)).toEqual(logged);
    } finally {
      await single.stop();
      await database.drop();
    }
  });
});


/** Resolves once another session of this database waits on a lock (the queued mutation). */
async function waitForLockWaiter(client: pg.Client, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    await client.query('SELECT pg_stat_clear_snapshot()'); // activity is otherwise frozen per transaction
    const { rows } = await client.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
          AND query LIKE 'UPDATE buyers SET event_seq%'`,
    );
    if (rows[0].n > 0) return;
    if (Date.now() > deadline) throw new Error('no session ever waited for the held sequence number');
    // PostgreSQL has no event for "a session started waiting": ask again (pg_sleep keeps it server-side).
    await client.query('SELECT pg_sleep(0.02)');
  }
}
