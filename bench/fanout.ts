// Fan-out: 2,000, 5,000 and 10,000 concurrent WebSocket subscribers on one gateway instance (Redis
// pub/sub, fresh PostgreSQL database per size), EVENTS status changes made by mutations, latency to
// the first and the LAST subscriber of each, CPU and heap per subscriber. Beside it a floor: a bare
// `ws` server sending one serialised frame to N sockets. Each server runs in a child process so its
// memory and CPU are its own and the clients do not share its event loop. Standalone:
// `npx tsx bench/fanout.ts` (SUBSCRIBERS=2000,5000 and EVENTS to change the sizes, FLOOR=0 to skip the
// floor, FANOUT_PROGRESS=1 to log phases).
import { execFileSync, fork, spawnSync, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { benchApp, benchBuyer, gbpPayables, gql, waitForStatus } from './support.ts';

export const title = 'live fan-out (graphql-ws)';

const SIZES = (process.env.SUBSCRIBERS ?? '2000,5000,10000').split(',').map(Number).filter((n) => n > 0);
const EVENTS = Number(process.env.EVENTS ?? 10);
const FLOOR = process.env.FLOOR !== '0';
const WARM_UP = 3;
const CONNECT_IN_PARALLEL = 40; // 100 at once overran the pool (10 connections, 5 s wait) on a loaded machine
const deadlineMs = (size: number) => 600_000 + 120 * size; // each size stops by itself, whatever happens
const progress = (what: string) => { if (process.env.FANOUT_PROGRESS) console.error(`${new Date().toISOString()} fan-out bench: ${what}`); };

const SUBSCRIPTION = `subscription { statusChanged(entityTypes: [PAYMENT_RUN]) {
  cursor entityType entityId paymentRunId fromStatus toStatus occurredAt } }`;

interface Stats { rss: number; heapUsed: number; open: number }
type FromServer = { url: string } | { stats: Stats } | { cpuMs: number } | { sent: number };

/** 10,000 sockets on each side need more descriptors than a default shell grants (1,024). */
function raiseDescriptorLimit(needed: number) {
  try {
    const soft = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
    if (soft >= needed) return;
    console.error(`fan-out bench: ulimit -n is ${soft}; ${needed} sockets need more (run \`ulimit -n ${needed}\` first, or run bench/fanout.ts alone)`);
  } catch {
    // No shell: try anyway.
  }
}

/** `onFigures` sees each size's figures as soon as they are measured (a standalone run prints them). */
export async function run(onFigures?: (figures: Record<string, string>) => void): Promise<Record<string, string>> {
  const figures: Record<string, string> = {};
  raiseDescriptorLimit(Math.max(...SIZES) + 1_000);
  const add = (prefix: string, measured: Record<string, string>) => {
    const named = Object.fromEntries(Object.entries(measured).map(([name, value]) => [`${prefix}: ${name}`, value]));
    Object.assign(figures, named);
    onFigures?.(named);
  };
  for (const size of SIZES) {
    add(`${size} subscribers`, await runGateway(size));
    if (FLOOR) add(`${size} sockets, floor (bare ws)`, await runFloor(size));
  }
  figures['machine load (1-min average, after the run)'] = loadavg()[0]!.toFixed(2);
  return figures;
}

function guard(server: { child: ChildProcess }, size: number) {
  const deadline = setTimeout(() => {
    console.error(`fan-out bench: ${size} subscribers took over ${deadlineMs(size) / 1000} s, giving up`);
    server.child.kill('SIGKILL');
    process.exit(1);
  }, deadlineMs(size));
  deadline.unref();
  return deadline;
}

async function connectAll(url: string, size: number, token: string | null): Promise<Subscriber[]> {
  const clients: Subscriber[] = [];
  for (let i = 0; i < size; i += CONNECT_IN_PARALLEL) {
    const batch = Array.from({ length: Math.min(CONNECT_IN_PARALLEL, size - i) }, () => subscribe(url, token));
    clients.push(...(await Promise.all(batch)));
  }
  return clients;
}

async function runGateway(size: number): Promise<Record<string, string>> {
  const server = startServer('--serve');
  const deadline = guard(server, size);
  let clients: Subscriber[] = [];
  try {
    const { url } = await server.ready;
    progress(`gateway up for ${size}`);
    const token = await benchBuyer(url);
    // One PENDING_CONFIRMATION run per event: confirming it is the measured transition.
    const runs: string[] = [];
    for (let i = 0; i < WARM_UP + EVENTS; i++) {
      const { createPaymentRun } = await gql(url, `mutation($input: CreatePaymentRunInput!) { createPaymentRun(input: $input) { id } }`, { input: { payables: gbpPayables(1) } }, token);
      runs.push(createPaymentRun.id);
    }
    for (const id of runs) await waitForStatus(url, token, id, 'PENDING_CONFIRMATION');

    progress('runs ready');
    const idle = await server.stats();
    clients = await connectAll(url, size, token);
    progress(`${size} subscribers connected`);
    let loaded = await server.stats();
    while (loaded.open < size) loaded = await server.stats(); // acks precede the streams going live
    const perConnection = (key: 'rss' | 'heapUsed') => (loaded[key] - idle[key]) / size / 1024;

    const commitToLast: number[] = [];
    const responseToLast: number[] = [];
    const commitToFirst: number[] = [];
    let cpuBefore = 0;
    for (const [i, id] of runs.entries()) {
      if (i === WARM_UP) cpuBefore = await server.cpuMs();
      const counted = clients.map((client) => client.received.length);
      await gql(url, `mutation($id: ID!) { confirmPaymentRun(id: $id) { id } }`, { id }, token);
      const responded = Date.now();
      // The confirmation of this run, wherever it sits among what arrived since (under load a late
      // event of an earlier run may come first).
      const confirmation = async (client: Subscriber, from: number) => {
        for (let n = from + 1; ; n++) {
          await client.waitFor(n);
          const arrival = client.received[n - 1]!;
          if (arrival.data.includes(`"paymentRunId":"${id}"`)) return arrival;
        }
      };
      const arrivals = await Promise.all(clients.map((client, c) => confirmation(client, counted[c]!)));
      if (i < WARM_UP) continue;
      const event = JSON.parse(arrivals[0]!.data).payload.data.statusChanged;
      if (event.paymentRunId !== id || arrivals.some((a) => a.data !== arrivals[0]!.data)) throw new Error('a subscriber got another event');
      const occurred = Date.parse(event.occurredAt);
      const last = Math.max(...arrivals.map((a) => a.at));
      commitToLast.push(last - occurred);
      responseToLast.push(last - responded);
      commitToFirst.push(Math.min(...arrivals.map((a) => a.at)) - occurred);
    }

    const cpuPerEvent = ((await server.cpuMs()) - cpuBefore) / EVENTS;
    progress('events measured');
    await Promise.all(clients.map((client) => client.close()));
    let released = await server.stats();
    for (let i = 0; released.open > 0 && i < 200; i++) released = await server.stats();

    return {
      setup: `${size} subscribers on one instance (Redis pub/sub), ${EVENTS} confirmPaymentRun mutations one after another, each awaited until every subscriber had its event`,
      'commit → last subscriber (from occurredAt, the transaction start)': `p50 ${pct(commitToLast, 50)} ms, p99 ${pct(commitToLast, 99)} ms, max ${Math.max(...commitToLast)} ms`,
      'mutation response → last subscriber': `p50 ${pct(responseToLast, 50)} ms, p99 ${pct(responseToLast, 99)} ms`,
      'commit → first subscriber': `p50 ${pct(commitToFirst, 50)} ms, p99 ${pct(commitToFirst, 99)} ms`,
      'gateway CPU per event, all threads (mutation, relay, fan-out to every subscriber)': `${cpuPerEvent.toFixed(0)} ms = ${((cpuPerEvent * 1000) / size).toFixed(1)} µs per subscriber`,
      'server memory per subscriber (after GC)': `JS heap ${perConnection('heapUsed').toFixed(1)} KiB, RSS ${perConnection('rss').toFixed(1)} KiB (RSS ${mib(idle.rss)} → ${mib(loaded.rss)} MiB)`,
      'streams left open after every client closed': String(released.open),
    };
  } finally {
    clearTimeout(deadline);
    for (const client of clients) client.socket.terminate();
    await server.stop();
  }
}

/**
 * The floor: a bare ws server (no GraphQL, no database) that, when told, sends one frame string
 * serialised once to every socket. Timed from the moment the send loop starts, like a commit.
 */
async function runFloor(size: number): Promise<Record<string, string>> {
  const server = startServer('--floor');
  const deadline = guard(server, size);
  let clients: Subscriber[] = [];
  try {
    const { url } = await server.ready;
    const idle = await server.stats();
    clients = await connectAll(url, size, null);
    let loaded = await server.stats();
    while (loaded.open < size) loaded = await server.stats();
    const toLast: number[] = [];
    const toFirst: number[] = [];
    let cpuBefore = 0;
    for (let i = 0; i < WARM_UP + EVENTS; i++) {
      if (i === WARM_UP) cpuBefore = await server.cpuMs();
      const counted = clients.map((client) => client.received.length);
      const { sent } = await server.send();
      await Promise.all(clients.map((client, c) => client.waitFor(counted[c]! + 1)));
      if (i < WARM_UP) continue;
      const arrivals = clients.map((client, c) => client.received[counted[c]!]!.at);
      toLast.push(Math.max(...arrivals) - sent);
      toFirst.push(Math.min(...arrivals) - sent);
    }
    const cpuPerEvent = ((await server.cpuMs()) - cpuBefore) / EVENTS;
    return {
      'send → last socket': `p50 ${pct(toLast, 50)} ms, p99 ${pct(toLast, 99)} ms; first p50 ${pct(toFirst, 50)} ms`,
      'CPU per event': `${cpuPerEvent.toFixed(0)} ms = ${((cpuPerEvent * 1000) / size).toFixed(1)} µs per socket`,
      'memory per socket': `JS heap ${((loaded.heapUsed - idle.heapUsed) / size / 1024).toFixed(1)} KiB, RSS ${((loaded.rss - idle.rss) / size / 1024).toFixed(1)} KiB`,
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
 * so the client side adds as little as possible to the measured latency. Without a token: a plain
 * socket of the floor, every message counts.
 */
async function subscribe(url: string, token: string | null): Promise<Subscriber> {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), token === null ? undefined : 'graphql-transport-ws');
  const received: { at: number; data: string }[] = [];
  let waiting: { n: number; resolve: () => void } | null = null;
  let acknowledged!: () => void;
  const ack = new Promise<void>((resolve) => (acknowledged = resolve));
  socket.on('message', (raw) => {
    const at = Date.now();
    const data = raw.toString();
    if (token === null) {
      received.push({ at, data });
      if (waiting && received.length >= waiting.n) {
        waiting.resolve();
        waiting = null;
      }
      return;
    }
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
  if (token !== null) {
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    await ack;
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: SUBSCRIPTION } }));
  }
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

/** The gateway (--serve) or the floor (--floor) in a child process: url over IPC, stats on request. */
function startServer(mode: '--serve' | '--floor') {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [mode], {
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
    async send(): Promise<{ sent: number }> {
      const reply = next('sent');
      child.send('send');
      return reply;
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

/** The floor: ws's own server, one frame built once per event and sent to every socket. */
async function serveFloor() {
  const sockets = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => sockets.once('listening', resolve));
  const { port } = sockets.address() as { port: number };
  const send = (message: FromServer) => process.send!(message);
  let seq = 0;
  process.on('message', (message) => {
    if (message === 'stats') {
      globalThis.gc?.();
      const { rss, heapUsed } = process.memoryUsage();
      send({ stats: { rss, heapUsed, open: sockets.clients.size } });
    } else if (message === 'cpu') {
      const { user, system } = process.cpuUsage();
      send({ cpuMs: (user + system) / 1000 });
    } else if (message === 'send') {
      const sent = Date.now();
      seq += 1;
      // The size of a gateway frame: one serialisation, N sends.
      const frame = JSON.stringify({ id: '1', type: 'next', payload: { data: { statusChanged: {
        cursor: `c${seq}`, entityType: 'PAYMENT_RUN', entityId: 'UGF5bWVudFJ1bjowMTkzYjQ1Ni03ODlhLTdiY2QtOGVmMC0xMjM0NTY3ODlhYmM=',
        paymentRunId: 'UGF5bWVudFJ1bjowMTkzYjQ1Ni03ODlhLTdiY2QtOGVmMC0xMjM0NTY3ODlhYmM=', fromStatus: 'PENDING_CONFIRMATION',
        toStatus: 'CONFIRMED', occurredAt: new Date(sent).toISOString() } } } });
      for (const socket of sockets.clients) socket.send(frame);
      send({ sent });
    } else if (message === 'stop') {
      for (const socket of sockets.clients) socket.terminate();
      sockets.close(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(1));
  send({ url: `http://127.0.0.1:${port}/` });
}

/**
 * Run standalone with too few file descriptors for the largest size: start again under a shell
 * that raises the soft limit (up to the hard one), which the server children inherit.
 */
function relaunchWithMoreDescriptors(): boolean {
  if (process.env.FANOUT_ULIMIT_RAISED) return false;
  const needed = Math.max(...SIZES) + 1_000;
  try {
    const soft = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
    if (soft >= needed) return false;
  } catch {
    return false;
  }
  const result = spawnSync('sh', ['-c', `ulimit -n ${needed} && exec "$@"`, 'sh', process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, FANOUT_ULIMIT_RAISED: '1' },
  });
  process.exit(result.status ?? 1);
}

if (process.argv.includes('--serve')) {
  await serve();
} else if (process.argv.includes('--floor')) {
  await serveFloor();
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  relaunchWithMoreDescriptors();
  const print = (figures: Record<string, string>) => {
    for (const [name, value] of Object.entries(figures)) console.log(`- ${name}: ${value}`);
  };
  await run(print);
  console.log(`- machine load (1-min average, after the run): ${loadavg()[0]!.toFixed(2)}`);
  process.exit(0);
}
