// Fan-out: 2,000 concurrent WebSocket subscribers on one gateway instance (Redis pub/sub, fresh
// PostgreSQL database), 100 status changes made by mutations, latency to the LAST subscriber of each.
// The gateway runs in a child process so its memory is its own and the clients do not share its
// event loop. Standalone: `npx tsx bench/fanout.ts` (SUBSCRIBERS, EVENTS to change the sizes).
import { fork, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';
import { benchApp, benchBuyer, gbpPayables, gql, waitForStatus } from './support.ts';

export const title = 'live fan-out (graphql-ws)';

const SUBSCRIBERS = Number(process.env.SUBSCRIBERS ?? 2_000);
const EVENTS = Number(process.env.EVENTS ?? 100);
const WARM_UP = 3;
const CONNECT_IN_PARALLEL = 100;
const DEADLINE_MS = 240_000; // the whole bench stops by itself, whatever happens

const SUBSCRIPTION = `subscription { statusChanged(entityTypes: [PAYMENT_RUN]) {
  cursor entityType entityId paymentRunId fromStatus toStatus occurredAt } }`;

interface Stats { rss: number; heapUsed: number; open: number }
type FromServer = { url: string } | { stats: Stats } | { cpuMs: number };

export async function run(): Promise<Record<string, string>> {
  const server = startServer();
  const deadline = setTimeout(() => {
    console.error(`fan-out bench: over ${DEADLINE_MS / 1000} s, giving up`);
    server.child.kill('SIGKILL');
    process.exit(1);
  }, DEADLINE_MS);
  deadline.unref();
  const clients: Subscriber[] = [];
  try {
    const { url } = await server.ready;
    const token = await benchBuyer(url);
    // One PENDING_CONFIRMATION run per event: confirming it is the measured transition.
    const runs: string[] = [];
    for (let i = 0; i < WARM_UP + EVENTS; i++) {
      const { createPaymentRun } = await gql(url, `mutation($input: CreatePaymentRunInput!) { createPaymentRun(input: $input) { id } }`, { input: { payables: gbpPayables(1) } }, token);
      runs.push(createPaymentRun.id);
    }
    for (const id of runs) await waitForStatus(url, token, id, 'PENDING_CONFIRMATION');

    const idle = await server.stats();
    for (let i = 0; i < SUBSCRIBERS; i += CONNECT_IN_PARALLEL) {
      const batch = Array.from({ length: Math.min(CONNECT_IN_PARALLEL, SUBSCRIBERS - i) }, () => subscribe(url, token));
      clients.push(...(await Promise.all(batch)));
    }
    let loaded = await server.stats();
    while (loaded.open < SUBSCRIBERS) loaded = await server.stats(); // acks precede the streams going live
    const perConnection = (key: 'rss' | 'heapUsed') => (loaded[key] - idle[key]) / SUBSCRIBERS / 1024;

    const commitToLast: number[] = [];
    const responseToLast: number[] = [];
    const commitToFirst: number[] = [];
    let cpuBefore = 0;
    for (const [i, id] of runs.entries()) {
      if (i === WARM_UP) cpuBefore = await server.cpuMs();
      const counted = clients.map((client) => client.received.length);
      await gql(url, `mutation($id: ID!) { confirmPaymentRun(id: $id) { id } }`, { id }, token);
      const responded = Date.now();
      await Promise.all(clients.map((client, c) => client.waitFor(counted[c]! + 1)));
      if (i < WARM_UP) continue;
      const arrivals = clients.map((client, c) => client.received[counted[c]!]!);
      const event = JSON.parse(arrivals[0]!.data).payload.data.statusChanged;
      if (event.paymentRunId !== id || arrivals.some((a) => !a.data.includes(event.cursor))) throw new Error('a subscriber got another event');
      const occurred = Date.parse(event.occurredAt);
      const last = Math.max(...arrivals.map((a) => a.at));
      commitToLast.push(last - occurred);
      responseToLast.push(last - responded);
      commitToFirst.push(Math.min(...arrivals.map((a) => a.at)) - occurred);
    }

    const cpuPerEvent = ((await server.cpuMs()) - cpuBefore) / EVENTS;
    await Promise.all(clients.map((client) => client.close()));
    let released = await server.stats();
    for (let i = 0; released.open > 0 && i < 200; i++) released = await server.stats();

    return {
      setup: `${SUBSCRIBERS} subscribers on one instance (Redis pub/sub, ${process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'}), ${EVENTS} confirmPaymentRun mutations one after another, each awaited until every subscriber had its event`,
      'commit → last subscriber (from occurredAt, the transaction start)': `p50 ${pct(commitToLast, 50)} ms, p99 ${pct(commitToLast, 99)} ms, max ${Math.max(...commitToLast)} ms`,
      'mutation response → last subscriber': `p50 ${pct(responseToLast, 50)} ms, p99 ${pct(responseToLast, 99)} ms`,
      'commit → first subscriber': `p50 ${pct(commitToFirst, 50)} ms, p99 ${pct(commitToFirst, 99)} ms`,
      'gateway CPU per event, all threads (mutation, relay, fan-out to every subscriber)': `${cpuPerEvent.toFixed(0)} ms`,
      'server memory per connection (after GC)': `RSS ${perConnection('rss').toFixed(1)} KiB, JS heap ${perConnection('heapUsed').toFixed(1)} KiB (RSS ${mib(idle.rss)} → ${mib(loaded.rss)} MiB)`,
      'streams left open after every client closed': String(released.open),
      'machine load (1-min average, after the run)': loadavg()[0]!.toFixed(2),
    };
  } finally {
    clearTimeout(deadline);
    for (const client of clients) client.socket.terminate();
    await server.stop();
  }
}

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

interface Subscriber {
  socket: WebSocket;
  received: { at: number; data: string }[];
  waitFor(n: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A bare graphql-transport-ws subscriber: the message handler only timestamps and keeps the text,
 * so the client side adds as little as possible to the measured latency.
 */
async function subscribe(url: string, token: string): Promise<Subscriber> {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const received: { at: number; data: string }[] = [];
  let waiting: { n: number; resolve: () => void } | null = null;
  let acknowledged!: () => void;
  const ack = new Promise<void>((resolve) => (acknowledged = resolve));
  socket.on('message', (raw) => {
    const at = Date.now();
    const data = raw.toString();
    if (data.startsWith('{"type":"connection_ack"')) return acknowledged();
    if (data.startsWith('{"type":"ping"')) return socket.send('{"type":"pong"}');
    if (!data.includes('"type":"next"')) throw new Error(`unexpected message: ${data}`);
    received.push({ at, data });
    if (waiting && received.length >= waiting.n) {
      waiting.resolve();
      waiting = null;
    }
  });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await ack;
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: SUBSCRIPTION } }));
  return {
    socket,
    received,
    waitFor: (n) => (received.length >= n ? Promise.resolve() : new Promise((resolve) => (waiting = { n, resolve }))),
    close: () => new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.close(1000);
    }),
  };
}

/** The gateway in a child process (same file, --serve): url over IPC, memory stats on request. */
function startServer() {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--serve'], {
    // GATEWAY_NODE_ARGS: extra flags for the gateway, e.g. --max-semi-space-size=64 (fewer scavenges).
    execArgv: ['--import', 'tsx', '--expose-gc', ...(process.env.GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Set<{ key: string; resolve: (message: FromServer) => void; reject: (error: Error) => void }>();
  child.on('message', (message: FromServer) => {
    for (const waiter of waiting) {
      if (!(waiter.key in message)) continue;
      waiting.delete(waiter);
      waiter.resolve(message);
    }
  });
  child.once('exit', (code) => {
    for (const waiter of waiting) waiter.reject(new Error(`gateway child exited (${code})`));
    waiting.clear();
  });
  const next = <K extends string>(key: K) => new Promise<Extract<FromServer, Record<K, unknown>>>((resolve, reject) => {
    if (child.exitCode !== null) return reject(new Error(`gateway child exited (${child.exitCode})`));
    waiting.add({ key, resolve: resolve as (message: FromServer) => void, reject });
  });
  return {
    child,
    ready: next('url'),
    async stats(): Promise<Stats> {
      const reply = next('stats');
      child.send('stats');
      return (await reply).stats;
    },
    async cpuMs(): Promise<number> {
      const reply = next('cpuMs');
      child.send('cpu');
      return (await reply).cpuMs;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send('stop');
      await exited;
    },
  };
}

async function serve() {
  const { app, url, close } = await benchApp('fanout', { RATE_LIMIT_PER_MINUTE: '0' });
  const send = (message: FromServer) => process.send!(message);
  let stopping: Promise<void> | null = null;
  const stop = (code: number) => {
    stopping ??= close().finally(() => process.exit(code)); // drops the bench database too
  };
  process.on('message', (message) => {
    if (message === 'stats') {
      globalThis.gc?.();
      const { rss, heapUsed } = process.memoryUsage();
      send({ stats: { rss, heapUsed, open: app.services.live.open } });
    } else if (message === 'cpu') {
      const { user, system } = process.cpuUsage(); // every thread of the process, GC helpers included
      send({ cpuMs: (user + system) / 1000 });
    } else if (message === 'stop') {
      stop(0);
    }
  });
  process.on('disconnect', () => stop(1)); // the bench died: clean up, do not linger
  send({ url });
}

if (process.argv.includes('--serve')) {
  await serve();
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await run();
  for (const [name, value] of Object.entries(figures)) console.log(`- ${name}: ${value}`);
  process.exit(0);
}
