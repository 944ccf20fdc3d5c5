import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { guardSlowSubscriber, SLOW_SUBSCRIBER, type SlowSubscriberLimits } from './slow-subscriber.ts';

/**
 * Real ws sockets on loopback: the server sends the way graphql-ws does (each send awaited), the
 * client either reads or pauses its TCP socket, so the kernel buffers fill and sends stop flushing.
 */
const open: { server: WebSocketServer; client: WebSocket }[] = [];
afterEach(async () => {
  for (const { server, client } of open.splice(0)) {
    client.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function pair(limits: SlowSubscriberLimits) {
  let tooSlow!: (why: string) => void;
  const judged = new Promise<string>((resolve) => (tooSlow = resolve));
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const serverSide = new Promise<WebSocket>((resolve) => server.once('connection', (socket) => {
    guardSlowSubscriber(socket, { ...limits, onTooSlow: tooSlow });
    resolve(socket);
  }));
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  open.push({ server, client });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    client.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const received = { count: 0 };
  client.on('message', () => void (received.count += 1));
  await new Promise((resolve) => client.once('open', resolve));
  return { socket: await serverSide, client, closed, received, judged };
}

/** Sends like graphql-ws: one frame at a time, each awaited; stops when the socket is closing. */
async function pump(socket: WebSocket, frame: Buffer, max: number): Promise<number> {
  let sent = 0;
  while (sent < max && socket.readyState === socket.OPEN) {
    await new Promise<void>((resolve, reject) => socket.send(frame, (error) => (error ? reject(error) : resolve())));
    sent += 1;
  }
  return sent;
}

const frame = Buffer.alloc(64 * 1024, 'x');
/** The client's TCP socket: pausing it stops reading, so the server's sends stop flushing. */
const paused = (client: WebSocket) => (client as unknown as { _socket: { pause(): void; resume(): void } })._socket;

describe('guardSlowSubscriber', () => {
  it('closes a socket whose client stopped reading with 4008 and a reason naming the cure', async () => {
    const { socket, client, closed, received, judged } = await pair({ stallMs: 200, maxBufferedBytes: 8 * 1024 * 1024, terminateMs: 5_000 });
    paused(client).pause();
    const sending = pump(socket, frame, 10_000); // ≈ 640 MB if never stopped
    expect(await judged).toBe('stalled');
    expect(socket.readyState).toBe(socket.CLOSING);
    // Once the client reads again it gets what was sent before the close, then the close itself.
    paused(client).resume();
    expect(await closed).toEqual({ code: SLOW_SUBSCRIBER.code, reason: SLOW_SUBSCRIBER.reason });
    const sent = await sending;
    expect(sent).toBeLessThan(10_000);
    expect(received.count).toBe(sent);
  });

  it('closes on too many bytes waiting in user space, before the stall timer', async () => {
    const { socket, client, closed, judged } = await pair({ stallMs: 60_000, maxBufferedBytes: 256 * 1024, terminateMs: 5_000 });
    paused(client).pause();
    // Not awaited: a writer that ignores backpressure; the guard must stop it on bufferedAmount.
    for (let i = 0; i < 2_000 && socket.readyState === socket.OPEN; i += 1) socket.send(frame);
    expect(await judged).toBe('buffered');
    paused(client).resume();
    expect((await closed).code).toBe(SLOW_SUBSCRIBER.code);
  });

  it('leaves a client that keeps reading alone, however much it receives', async () => {
    // A stall limit a loaded machine cannot hit between two flushes of a reading client (the process
    // itself may get no CPU for a few hundred ms, and the timer then fires before the flush is seen).
    const { socket, client, received } = await pair({ stallMs: 2_000, maxBufferedBytes: 1024 * 1024, terminateMs: 5_000 });
    const sent = await pump(socket, frame, 500); // 32 MB, read as fast as it comes
    expect(sent).toBe(500);
    expect(socket.readyState).toBe(socket.OPEN);
    await new Promise<void>((resolve) => {
      const check = () => (received.count === 500 ? resolve() : client.once('message', check));
      check();
    });
  });
});
