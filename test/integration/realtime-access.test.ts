import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { encodeLogCursor } from '../../src/events/event-log.ts';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { ConfirmRun, createRun, gbpPayable, VerifyChallenge } from '../helpers/payment-runs.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { connectWs, readLog, StatusChanged, type WsTestClient } from '../helpers/ws-client.ts';

/** Who receives what: authentication, tenancy, filters, SSE, and a stalled client beside others. */
let a: TestApp;
let b: TestApp;
let tenant: Tenant;
let other: Tenant;
const sockets: WsTestClient[] = [];

beforeAll(async () => {
  [a, b] = await Promise.all([startTestApp(), startTestApp()]);
  [tenant, other] = await Promise.all([createTenant(a), createTenant(b)]);
});
afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.dispose()));
  await Promise.all([a?.stop(), b?.stop()]);
});

const ws = (app: TestApp, token?: string) => {
  const socket = connectWs(app.url, token);
  sockets.push(socket);
  return socket;
};
const settle = () => Promise.all([a.app.services.jobs.drain(), b.app.services.jobs.drain()]);
const lastCursor = async (t: Tenant) => (await readLog(t.admin.client)).at(-1)?.cursor;

describe('authentication and tenancy', () => {
  it.each([
    ['no token', undefined],
    ['a forged token', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'],
  ])('closes a socket with %s at connection_init (4403)', async (_label, token) => {
    const socket = ws(a, token);
    expect((await socket.closed()).code).toBe(4403);
  });

  it('accepts the same Bearer token as HTTP in connectionParams.authorization', async () => {
    const socket = ws(b, tenant.creator.token);
    await socket.connected();
  });

  it('gives a subscriber only its own buyer\'s events, never another buyer\'s', async () => {
    await createRun(other.creator, [gbpPayable(0)]);
    await settle();
    const after = await lastCursor(other);
    const watching = ws(b, other.controller.token).subscribe(StatusChanged, { after });
    // The subscriber is live once it has seen a change of its own…
    const own1 = await createRun(other.creator, [gbpPayable(1)]);
    await watching.until((v) => v.some((e) => e.statusChanged.paymentRunId === own1.id), 'its own first run');
    // …then the other buyer works on both instances…
    const foreign = await Promise.all([createRun(tenant.creator, [gbpPayable(2)]), createRun({ ...tenant.creator, client: b.client(tenant.creator.token) }, [gbpPayable(3)])]);
    await settle();
    // …and a later change of its own arrives, with nothing foreign in between.
    const own2 = await createRun(other.creator, [gbpPayable(4)]);
    await settle();
    await watching.until((v) => v.filter((e) => e.statusChanged.paymentRunId === own2.id).length === 4, 'its own second run, validated');
    const runs = new Set(watching.values.map((v) => v.statusChanged.paymentRunId));
    expect(runs).toEqual(new Set([own1.id, own2.id]));
    for (const run of foreign) expect(runs.has(run.id)).toBe(false);
    expect(watching.values.map((v) => v.statusChanged)).toEqual(await readLog(other.admin.client, { after }));
  });

  it('answers NOT_FOUND for another buyer\'s run, exactly as for an unknown one, and BAD_USER_INPUT for a bad or foreign cursor', async () => {
    const foreignRun = await createRun(other.creator, [gbpPayable(0)]);
    const socket = ws(a, tenant.controller.token);
    const foreign = socket.subscribe(StatusChanged, { paymentRunId: foreignRun.id });
    const unknown = socket.subscribe(StatusChanged, { paymentRunId: 'UGF5bWVudFJ1bjowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA' });
    const badCursor = socket.subscribe(StatusChanged, { after: 'not-a-cursor' });
    const aheadOfLog = socket.subscribe(StatusChanged, { after: encodeLogCursor(10n ** 15n) });
    await Promise.all([foreign.ended(), unknown.ended(), badCursor.ended(), aheadOfLog.ended()]);
    expect(foreign.errors.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(unknown.errors.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(foreign.errors[0]!.message).toBe(unknown.errors[0]!.message);
    expect(badCursor.errors.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    // A well-formed cursor this buyer's log never reached (e.g. another buyer's) is refused too,
    // rather than silently skipping everything up to it.
    expect(aheadOfLog.errors.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(foreign.values).toEqual([]);
  });
});

describe('errors answer the operation, not the socket', () => {
  it('refuses a malformed document and a rate-limited subscribe alone; the socket and its other streams go on', async () => {
    const limited = await startTestApp({ RATE_LIMIT_PER_MINUTE: '2' });
    try {
      const socket = ws(limited, tenant.controller.token);
      const broken = socket.subscribeText('subscription {');
      // Two per minute are allowed; a few more, because the limiter may count its first calls in
      // memory while its own Redis connection starts, then in Redis (limits.ts's insurance).
      // From a cursor, so a stream that goes live after the change below still replays it.
      const after = await lastCursor(tenant);
      const streams = Array.from({ length: 6 }, () => socket.subscribe(StatusChanged, { after }));
      await broken.ended();
      expect(broken.errors.map((e) => e.message)).toEqual([expect.stringMatching(/Syntax Error/)]);
      // The socket is still open: a change made now reaches every subscription the limiter let
      // through. Each stream answers one of two ways, refused or live; which is which is only known
      // once it has answered (a refusal may arrive after another stream has gone live).
      const run = await createRun(tenant.creator, [gbpPayable(0)]);
      const seesRun = (values: { statusChanged: { paymentRunId: string } }[]) => values.some((e) => e.statusChanged.paymentRunId === run.id);
      for (const stream of streams) {
        await stream.until((values) => stream.errors.length > 0 || seesRun(values), 'a refusal or the new run');
      }
      const refused = streams.filter((stream) => stream.errors.length > 0);
      const live = streams.filter((stream) => stream.errors.length === 0);
      expect(refused.map((stream) => stream.errors.map((e) => e.extensions?.code))).toEqual(refused.map(() => ['RATE_LIMITED']));
      expect(refused.every((stream) => stream.values.length === 0)).toBe(true);
      expect(refused.length).toBeGreaterThanOrEqual(1);
      expect(live.length).toBeGreaterThanOrEqual(2);
      expect(live.every((stream) => !stream.completed && seesRun(stream.values))).toBe(true);
    } finally {
      await limited.stop();
    }
  });
});

describe('filters', () => {
  it('sends one run\'s PAYMENT_RUN changes only, replayed and live', async () => {
    await createRun(tenant.creator, [gbpPayable(0)]);
    await settle();
    const after = await lastCursor(tenant);
    const run = await createRun(tenant.creator, [gbpPayable(1), gbpPayable(2)]);
    const noise = await createRun(tenant.creator, [gbpPayable(3)]);
    await settle();
    const runOnly = ws(b, tenant.controller.token).subscribe(StatusChanged, { after, paymentRunId: run.id, entityTypes: ['PAYMENT_RUN'] });
    await runOnly.take(2); // replayed from the log: QUEUED, PENDING_CONFIRMATION
    await a.client(tenant.controller.token).data(ConfirmRun, { id: run.id });
    await a.client(tenant.controller.token).data(ConfirmRun, { id: noise.id }).catch(() => {});
    await a.client(tenant.controller.token).data(VerifyChallenge, { id: run.id, code: '123456' });
    await runOnly.take(4);
    expect(runOnly.values.map((v) => [v.statusChanged.paymentRunId, v.statusChanged.entityType, v.statusChanged.fromStatus, v.statusChanged.toStatus])).toEqual([
      [run.id, 'PAYMENT_RUN', null, 'QUEUED'],
      [run.id, 'PAYMENT_RUN', 'QUEUED', 'PENDING_CONFIRMATION'],
      [run.id, 'PAYMENT_RUN', 'PENDING_CONFIRMATION', 'PENDING_CHALLENGE'],
      [run.id, 'PAYMENT_RUN', 'PENDING_CHALLENGE', 'PENDING_FUNDING'],
    ]);
  });
});

describe('Server-Sent Events', () => {
  it('streams statusChanged at /graphql with Accept: text/event-stream and the Bearer token', async () => {
    await createRun(tenant.creator, [gbpPayable(0)]);
    await settle();
    const after = await lastCursor(tenant);
    const stream = await openSse(b.url, tenant.controller.token, { after });
    try {
      expect(stream.response.status).toBe(200);
      expect(stream.response.headers.get('content-type')).toContain('text/event-stream');
      const run = await createRun(tenant.creator, [gbpPayable(1)]);
      await settle();
      const logged = await readLog(tenant.admin.client, { after });
      const received = await stream.take(logged.length);
      expect(received.map((r) => r.data?.statusChanged)).toEqual(logged);
      expect(logged.map((e) => e.paymentRunId)).toContain(run.id);
    } finally {
      stream.close();
    }
  });

  it('refuses an SSE subscription without a token: one error, no data, nothing internal leaked', async () => {
    const stream = await openSse(a.url, undefined, {});
    const [result] = await stream.take(1);
    expect(result!.data ?? null).toBeNull();
    expect(result!.errors).toHaveLength(1);
    expect(result!.errors![0]!.extensions?.code).toBe('UNAUTHENTICATED');
    expect(JSON.stringify(result)).not.toMatch(/buyerId|at .*\.ts|SELECT/);
    stream.close();
  });
});

describe('slow subscribers', () => {
  it('does not hold back other subscribers while one client stops reading', async () => {
    await createRun(tenant.creator, [gbpPayable(0)]);
    await settle();
    const after = await lastCursor(tenant);
    const stalled = await stalledSubscriber(b.url, tenant.controller.token, after!);
    try {
      const healthy = ws(b, tenant.controller.token).subscribe(StatusChanged, { after });
      await createRun(tenant.creator, Array.from({ length: 200 }, (_, i) => gbpPayable(i)));
      await settle();
      const logged = await readLog(tenant.admin.client, { after });
      await healthy.take(logged.length);
      expect(healthy.values.map((v) => v.statusChanged)).toEqual(logged);
    } finally {
      stalled.terminate();
    }
  });

  it('releases the stream of a subscriber that leaves while no event comes', async () => {
    const live = a.app.services.live; // no other test leaves streams on this instance
    const before = live.open;
    const socket = ws(a, tenant.controller.token);
    const idle = socket.subscribe(StatusChanged, {});
    await vi.waitFor(() => expect(live.open).toBe(before + 1), { timeout: 10_000 });
    idle.dispose();
    await vi.waitFor(() => expect(live.open).toBe(before), { timeout: 10_000 });
  });
});

/** A raw graphql-transport-ws client that subscribes, then stops reading its socket. */
async function stalledSubscriber(httpUrl: string, token: string, after: string) {
  const socket = new WebSocket(httpUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await new Promise((resolve) => socket.once('message', resolve)); // connection_ack
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: print(StatusChanged), variables: { after } } }));
  (socket as unknown as { _socket: { pause(): void } })._socket.pause();
  return socket;
}

interface SseResult {
  data?: { statusChanged: Record<string, unknown> } | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** Subscribes over SSE (graphql-sse "distinct connections" mode, which yoga serves at /graphql). */
async function openSse(url: string, token: string | undefined, variables: Record<string, unknown>) {
  const controller = new AbortController();
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      accept: 'text/event-stream',
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query: print(StatusChanged), variables }),
    signal: controller.signal,
  });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const results: SseResult[] = [];
  let buffer = '';
  return {
    response,
    /** Reads events until `n` `next` results arrived (the stream's own reads are the events). */
    async take(n: number, ms = 20_000): Promise<SseResult[]> {
      const deadline = setTimeout(() => controller.abort(), ms);
      try {
        while (results.length < n) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const lines = frame.split('\n');
            if (!lines.includes('event: next')) continue;
            const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
            results.push(JSON.parse(data) as SseResult);
          }
        }
      } catch (error) {
        if (!controller.signal.aborted) throw error;
      } finally {
        clearTimeout(deadline);
      }
      if (results.length < n) throw new Error(`SSE: expected ${n} events, got ${results.length}`);
      return results.slice(0, n);
    },
    close: () => controller.abort(),
  };
}
