import { print } from 'graphql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { GraphQLTestClient, type GraphQLResponse } from '../helpers/graphql-client.ts';
import { CreateRun, gbpPayable } from '../helpers/payment-runs.ts';
import { startGateway, type GatewayProcess } from '../helpers/processes.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { createIsolatedDatabase } from '../helpers/isolated-database.ts';

/**
 * SIGKILL a real gateway process while it creates a large payment run under an idempotency-ref,
 * at several points; restart it; the same request with the same ref must then yield exactly one
 * run (the committed one replayed, or the request run once), never a ref stuck IN_PROGRESS.
 */
const API_KEY = 'crash-test-operator-key';
const env = (databaseUrl: string) => ({
  DATABASE_URL: databaseUrl,
  JWT_SECRET: 'crash-test-secret-that-is-at-least-32-characters',
  API_KEY,
  SEED_DEMO: 'false',
  RUN_JOBS: 'false',
  IDEMPOTENCY_LEASE_MS: '1500',
});

let database: Awaited<ReturnType<typeof createIsolatedDatabase>>;
let sql: pg.Client;
let gateway: GatewayProcess;
let tenant: Tenant;

/** Enough of TestApp for the factories, pointed at whichever gateway process is current. */
const viaProcess = (url: string) => ({
  url,
  client: (token?: string) => new GraphQLTestClient(url, token ? { authorization: `Bearer ${token}` } : {}),
  operator: () => new GraphQLTestClient(url, { 'x-api-key': API_KEY }),
}) as unknown as TestApp;

async function restart() {
  gateway = startGateway(env(database.url));
  return gateway.url;
}

beforeAll(async () => {
  database = await createIsolatedDatabase('crash');
  const url = await restart();
  sql = new pg.Client({ connectionString: database.url });
  await sql.connect();
  tenant = await createTenant(viaProcess(url));
}, 120_000); // a child gateway compiles under tsx and migrates a fresh database first
afterAll(async () => {
  await gateway?.kill();
  await sql?.end();
  await database?.drop();
});

const PAYABLES = Array.from({ length: 4_000 }, (_, i) => gbpPayable(i));

async function send(url: string, ref: string, tag: string): Promise<GraphQLResponse<{ createPaymentRun: { id: string; tag: string | null; payableCount: number } }>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tenant.creator.token}`, 'idempotency-ref': ref },
    body: JSON.stringify({ query: print(CreateRun), variables: { input: { tag, payables: PAYABLES } } }),
  });
  return (await response.json()) as never;
}

const poll = async (check: () => Promise<boolean>) => {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 5));
};
const count = async (query: string, value: string) => Number((await sql.query(query, [value])).rows[0].count);

const points: [string, (ref: string, tag: string) => Promise<void>][] = [
  ['right after the request was sent', async () => new Promise((resolve) => setTimeout(resolve, 30))],
  ['while it runs (ref claimed)', (ref) => poll(async () => (await count(`SELECT count(*) FROM idempotency_records WHERE ref = $1`, ref)) > 0)],
  ['just after the run committed', (_ref, tag) => poll(async () => (await count(`SELECT count(*) FROM payment_runs WHERE tag = $1`, tag)) > 0)],
  ['after it answered', async () => {}],
];

describe('a crash under an idempotency-ref', () => {
  it.each(points)('killed %s: the same request after a restart yields exactly one run', async (_label, killPoint) => {
    const ref = `crash-${Math.random().toString(36).slice(2)}`;
    const tag = `tag-${ref}`;
    const url = await gateway.url;
    const first = send(url, ref, tag).catch(() => null);
    if (_label === 'after it answered') await first;
    else await killPoint(ref, tag);
    await gateway.kill('SIGKILL');
    await first;

    const again = await restart();
    let answer!: Awaited<ReturnType<typeof send>>;
    await vi.waitFor(async () => {
      answer = await send(again, ref, tag);
      expect(answer.errors?.[0]?.extensions?.code).not.toBe('IDEMPOTENT_REQUEST_IN_PROGRESS');
    }, { timeout: 60_000, interval: 250 });
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.createPaymentRun).toMatchObject({ tag, payableCount: PAYABLES.length });
    const runs = await sql.query<{ id: string }>(`SELECT id FROM payment_runs WHERE tag = $1`, [tag]);
    expect(runs.rows).toHaveLength(1);
    // And again: the completed response replays, still one run.
    const replay = await send(again, ref, tag);
    expect(replay.data!.createPaymentRun.id).toBe(answer.data!.createPaymentRun.id);
    expect(await count(`SELECT count(*) FROM payment_runs WHERE tag = $1`, tag)).toBe(1);
  }, 120_000);
});

describe('the effect journal', () => {
  it('replays a committed effect whose response was never recorded (the crash window after commit)', async () => {
    const app = await startTestApp({ IDEMPOTENCY_LEASE_MS: '500' });
    try {
      const local = await createTenant(app);
      const ref = `journal-${Math.random().toString(36).slice(2)}`;
      const input = { input: { tag: `tag-${ref}`, payables: [gbpPayable(0), gbpPayable(1)] } };
      const first = await local.creator.client.data(CreateRun, input, { 'idempotency-ref': ref });
      // The validation the commit kicked is background work, not part of the request: it must not be journalled.
      await app.app.services.jobs.drain();
      // As if the process died between the commit and recording the response: the effect and its
      // journal entry are there, the response is not, the lease has lapsed.
      const prisma = app.app.services.database.prisma;
      const [record] = await prisma.$queryRawUnsafe<{ effects: unknown }[]>(
        `UPDATE idempotency_records SET state = 'IN_PROGRESS', response = NULL, lease_until = now() - interval '1 second'
          WHERE ref = $1 RETURNING effects`, ref);
      expect(record!.effects).toEqual([{ id: expect.any(String) }]);
      const again = await local.creator.client.data(CreateRun, input, { 'idempotency-ref': ref });
      expect(again.createPaymentRun.id).toBe(first.createPaymentRun.id);
      const runs = await prisma.$queryRawUnsafe<{ count: bigint }[]>(`SELECT count(*) FROM payment_runs WHERE tag = $1`, `tag-${ref}`);
      expect(Number(runs[0]!.count)).toBe(1);
    } finally {
      await app.stop();
    }
  });
});
