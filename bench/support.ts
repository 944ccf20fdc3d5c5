import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { buildApp, type App } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';

/** A gateway on its own fresh database (created here, dropped after), with Redis when available. */
export async function benchApp(label: string, env: Record<string, string> = {}): Promise<{ app: App; url: string; databaseUrl: string; close(): Promise<void> }> {
  const server = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
  const name = `bench_${label}_${process.pid}`;
  const admin = new pg.Client({ connectionString: server.href });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(server.href);
  url.pathname = `/${name}`;
  const config = loadConfig({
    DATABASE_URL: url.href,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    JWT_SECRET: 'bench-secret-that-is-at-least-32-characters',
    API_KEY: 'bench-key',
    PORT: '0',
    HOST: '127.0.0.1',
    POLL_INTERVAL_MS: '200',
    SEED_DEMO: 'false',
    LOG_LEVEL: 'error',
    ...env,
  });
  const app = await buildApp(config, { logger: createLogger('error') });
  const graphqlUrl = await app.start();
  return {
    app,
    url: graphqlUrl,
    databaseUrl: url.href,
    async close() {
      await app.stop();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

export async function gql<T = any>(url: string, query: string, variables: unknown = {}, token?: string): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), 'x-api-key': 'bench-key' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}

/** A buyer whose admin holds every role and an enrolled SCA device; returns its token. */
export async function benchBuyer(url: string): Promise<string> {
  const email = `bench-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@bench.example`;
  await gql(url, `mutation($input: CreateBuyerInput!) { createBuyer(input: $input) { id } }`, {
    input: { name: 'Bench Buyer', supportedCurrencies: ['GBP', 'EUR'], admin: { email, name: 'Bench', password: 'bench-password-123' } },
  });
  const { login } = await gql(url, `mutation { login(email: "${email}", password: "bench-password-123") { token } }`);
  await gql(url, `mutation { enrolScaDevice }`, {}, login.token);
  await gql(url, `mutation { verifyScaEnrolment(code: "123456") { id } }`, {}, login.token);
  return login.token;
}

export const gbpPayables = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    amount: { currency: 'GBP', amount: 1000 + (i % 5000) },
    reference: `INV ${i}`,
    supplier: { name: `Supplier ${i}`, type: 'BUSINESS', bankAccountDetails: { fasterPayments: { accountNumber: '12345678', sortCode: '400000' } } },
  }));

export const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

export async function waitForStatus(url: string, token: string, id: string, status: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { paymentRun } = await gql(url, `query($id: ID!) { paymentRun(id: $id) { status } }`, { id }, token);
    if (paymentRun.status === status) return;
    if (Date.now() > deadline) throw new Error(`run ${id} still ${paymentRun.status}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Lets a bench file run on its own (`tsx bench/x.ts`) as well as from bench/run.ts. */
export async function runWhenMain(moduleUrl: string, title: string, run: () => Promise<Record<string, string>>) {
  if (moduleUrl !== pathToFileURL(process.argv[1] ?? '').href) return;
  const figures = await run();
  console.log(`## ${title}`);
  for (const [name, value] of Object.entries(figures)) console.log(`- ${name}: ${value}`);
  process.exit(0);
}
