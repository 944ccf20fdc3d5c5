// npm run bench:peers — the gateway side by side with its peers, on one fresh database:
//   dashboard read (50 runs x first 20 payables): gateway vs PostGraphile 5 vs the SQL floor;
//   small operation: gateway `{ viewer { id } }` vs a bare graphql-yoga `{ hello }`;
//   scaling: the dashboard read on two gateway instances (same database and Redis) vs one.
// Every server runs in its own process; autocannon (20 connections) runs here, in interleaved rounds
// whose order rotates, so that load from elsewhere on the machine falls on every target alike.
// Knobs: ROUNDS (3), SECONDS per target per round (5), CONNECTIONS (20). Not part of the tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { DASHBOARD_QUERY } from '../payment-runs.ts';
import { benchBuyer, gbpPayables, gql, waitForStatus } from '../support.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SECONDS = Number(process.env.SECONDS ?? 5);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 20);
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

interface Target { name: string; url: string; body: string; headers?: Record<string, string>; pid: number }
interface Figure { rps: number; p50: number; p99: number; errors: number; cpuMs: number }

const children: ChildProcess[] = [];

/**
 * CPU time (user + system, ms) a process has used so far, from /proc (Linux); NaN elsewhere. CPU per
 * request holds steadier than req/s when other work shares the machine.
 */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
  } catch {
    return Number.NaN;
  }
}

/** Starts a server script in its own process and resolves with the URL it prints (and its pid). */
function startServer(args: string[], env: Record<string, string>): Promise<{ url: string; pid: number }> {
  const child = spawn(process.execPath, args, { env: { ...process.env, NODE_ENV: 'production', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /LISTENING (\S+)/.exec(out);
      if (match) resolve({ url: match[1]!, pid: child.pid! });
    });
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
}

async function post(target: Target): Promise<any> {
  const response = await fetch(target.url, { method: 'POST', headers: { 'content-type': 'application/json', ...target.headers }, body: target.body });
  const text = await response.text();
  const body = JSON.parse(text);
  if (!response.ok || body.errors) throw new Error(`${target.name}: ${text.slice(0, 500)}`);
  return Object.assign(body, { bytes: Buffer.byteLength(text) });
}

/** autocannon POSTing the target's body for some seconds over some connections. */
const load = (target: Target, connections = CONNECTIONS, duration = SECONDS) => autocannon({
  url: target.url, method: 'POST', connections, duration,
  headers: { 'content-type': 'application/json', ...target.headers }, body: target.body,
});

async function measure(target: Target): Promise<Figure> {
  const cpuBefore = cpuMs(target.pid);
  const result = await load(target);
  const cpu = (cpuMs(target.pid) - cpuBefore) / result.requests.total;
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx, cpuMs: cpu };
}

/** ROUNDS rounds; each round visits every target once, starting one further along each time. */
async function interleaved(targets: Target[]): Promise<Figure[][]> {
  const figures = targets.map(() => [] as Figure[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < targets.length; k++) {
      const i = (round + k) % targets.length;
      figures[i]!.push(await measure(targets[i]!));
    }
  }
  return figures;
}

/**
 * Two instances against one: each round measures the read on one instance with CONNECTIONS
 * connections, then on two at once with half the connections each (their req/s summed), so both
 * sides offer the same load. Returns per round [one, two] req/s.
 */
async function scaling(one: Target, other: Target): Promise<[number, number][]> {
  const rounds: [number, number][] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const single = await load(one);
    const pair = await Promise.all([load(one, Math.ceil(CONNECTIONS / 2)), load(other, Math.floor(CONNECTIONS / 2))]);
    rounds.push([single.requests.average, pair[0].requests.average + pair[1].requests.average]);
  }
  return rounds;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

function report(title: string, targets: Target[], figures: Figure[][]): void {
  console.log(`\n## ${title} (${ROUNDS} rounds x ${SECONDS} s, ${CONNECTIONS} connections)`);
  console.log('| target | req/s (mean of rounds) | per round | p50 ms | p99 ms | server CPU ms per request | errors |');
  console.log('|---|---|---|---|---|---|---|');
  targets.forEach((target, i) => {
    const f = figures[i]!;
    console.log(`| ${target.name} | ${mean(f.map((x) => x.rps)).toFixed(0)} | ${f.map((x) => x.rps.toFixed(0)).join(' / ')} | ` +
      `${median(f.map((x) => x.p50))} | ${median(f.map((x) => x.p99))} | ${median(f.map((x) => x.cpuMs)).toFixed(2)} | ${f.reduce((a, x) => a + x.errors, 0)} |`);
  });
  for (let i = 1; i < targets.length; i++) {
    const ratios = figures[0]!.map((g, round) => g.rps / figures[i]![round]!.rps);
    const cpuRatio = median(figures[i]!.map((x) => x.cpuMs)) / median(figures[0]!.map((x) => x.cpuMs));
    console.log(`- ${targets[0]!.name} / ${targets[i]!.name}: ${median(ratios).toFixed(2)}x req/s (median of paired rounds; rounds ${ratios.map((r) => r.toFixed(2)).join(', ')}); ` +
      `by server CPU per request ${cpuRatio.toFixed(2)}x`);
  }
}

const server = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
const dbName = `bench_peers_${process.pid}`;
const admin = new pg.Client({ connectionString: server.href });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
const databaseUrl = new URL(server.href);
databaseUrl.pathname = `/${dbName}`;

try {
  console.log(`# bench:peers on ${cpus().length} cores (${cpus()[0]?.model}), node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const gatewayEnv = {
    DATABASE_URL: databaseUrl.href, REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    JWT_SECRET: 'bench-secret-that-is-at-least-32-characters', API_KEY: 'bench-key', PORT: '0', HOST: '127.0.0.1',
    SEED_DEMO: 'false', LOG_LEVEL: 'error',
    // The limiter still runs on every request (its cost is measured), but never refuses one here.
    RATE_LIMIT_PER_MINUTE: '1000000000',
  };
  const gateway = await startServer(['--import', 'tsx', here('./gateway-server.ts')], gatewayEnv);

  const gatewayUrl = gateway.url;
  // Seed through the gateway's own API: 50 runs of 25 payables, each validated before measuring.
  const token = await benchBuyer(gatewayUrl);
  const ids: string[] = [];
  for (let i = 0; i < 50; i++) {
    const { createPaymentRun } = await gql(gatewayUrl, `mutation($input: CreatePaymentRunInput!) { createPaymentRun(input: $input) { id } }`, { input: { payables: gbpPayables(25) } }, token);
    ids.push(createPaymentRun.id);
  }
  for (const id of ids) await waitForStatus(gatewayUrl, token, id, 'PENDING_CONFIRMATION');
  const db = new pg.Client({ connectionString: databaseUrl.href });
  await db.connect();
  const { rows: [buyer] } = await db.query<{ id: string }>('SELECT id FROM buyers');
  await db.end();

  const [postgraphile, floor, hello, secondGateway] = await Promise.all([
    startServer([here('./postgraphile-server.mjs')], { DATABASE_URL: databaseUrl.href, NODE_ENV: process.env.PEER_NODE_ENV ?? 'production' }),
    startServer([here('./floor-server.mjs')], { DATABASE_URL: databaseUrl.href, BUYER_ID: buyer!.id }),
    startServer([here('./hello-server.mjs')], {}),
    startServer(['--import', 'tsx', here('./gateway-server.ts')], gatewayEnv),
  ]);

  // PostGraphile's spelling of the same read: one buyer in this database, so its filter is that buyer.
  const postgraphileQuery = `{ allPaymentRuns(first: 50, orderBy: ROW_ID_DESC, condition: { buyerId: "${buyer!.id}" }) { totalCount edges { node {
    id status payableCount totalAmount currency
    payablesByPaymentRunId(first: 20, orderBy: POSITION_ASC) { totalCount edges { node { id status reference amount currency supplierName } } } } } } }`;
  const auth = { authorization: `Bearer ${token}` };
  const read: Target[] = [
    { name: 'gateway', url: gatewayUrl, pid: gateway.pid, body: JSON.stringify({ query: DASHBOARD_QUERY }), headers: auth },
    { name: 'PostGraphile 5.1.5', ...postgraphile, body: JSON.stringify({ query: postgraphileQuery }) },
    { name: 'SQL floor', ...floor, body: JSON.stringify({ query: DASHBOARD_QUERY }) },
  ];
  const small: Target[] = [
    { name: 'gateway { viewer { id } }', url: gatewayUrl, pid: gateway.pid, body: JSON.stringify({ query: '{ viewer { id } }' }), headers: auth },
    { name: 'graphql-yoga { hello }', ...hello, body: JSON.stringify({ query: '{ hello }' }) },
  ];

  // Same answer from every target before any timing: the floor's body must equal the gateway's.
  const [gatewayBody, postgraphileBody, floorBody] = await Promise.all(read.map(post));
  const { bytes: _g, ...gatewayData } = gatewayBody;
  const { bytes: _f, ...floorData } = floorBody;
  if (JSON.stringify(gatewayData) !== JSON.stringify(floorData)) throw new Error('the SQL floor answers differently from the gateway');
  const pgRuns = postgraphileBody.data.allPaymentRuns.edges;
  if (pgRuns.length !== 50 || pgRuns.some((e: any) => e.node.payablesByPaymentRunId.edges.length !== 20)) throw new Error('PostGraphile answers another shape');
  console.log(`response bodies: gateway ${(gatewayBody.bytes / 1024).toFixed(0)} KB, PostGraphile ${(postgraphileBody.bytes / 1024).toFixed(0)} KB, floor ${(floorBody.bytes / 1024).toFixed(0)} KB`);
  await Promise.all(small.map(post));

  // Warm-up (JIT, query plans, pools) outside the figures.
  for (const target of [...read, ...small]) await load(target, CONNECTIONS, 2);

  report('dashboard read: 50 runs x first 20 payables', read, await interleaved(read));
  report('small operation', small, await interleaved(small));

  const second: Target = { ...read[0]!, name: 'gateway, second instance', url: secondGateway.url, pid: secondGateway.pid };
  await post(second);
  await load(second, CONNECTIONS, 2);
  const pairs = await scaling(read[0]!, second);
  const ratios = pairs.map(([one, two]) => two / one);
  console.log(`\n## two gateway instances vs one on the dashboard read (${ROUNDS} rounds x ${SECONDS} s, ${CONNECTIONS} connections in all)`);
  console.log(`- one instance: ${pairs.map(([one]) => one.toFixed(0)).join(' / ')} req/s; two instances: ${pairs.map(([, two]) => two.toFixed(0)).join(' / ')} req/s`);
  console.log(`- two / one: ${median(ratios).toFixed(2)}x req/s (median of paired rounds; rounds ${ratios.map((r) => r.toFixed(2)).join(', ')})`);
  console.log(`
load average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
} finally {
  await Promise.all(children.map((child) => new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(null);
    child.removeAllListeners('exit');
    child.once('exit', resolve);
    child.kill('SIGTERM');
  })));
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
}
process.exit(0);
