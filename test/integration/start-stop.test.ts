import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/sandbox/demo-seed.ts';
import { CreateBuyer, createTenant, Login, PASSWORD, type Tenant } from '../helpers/factories.ts';
import { GraphQLTestClient } from '../helpers/graphql-client.ts';
import { startGateway, type GatewayProcess } from '../helpers/processes.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { StatusChanged } from '../helpers/ws-client.ts';
import { createIsolatedDatabase } from '../helpers/isolated-database.ts';

/** Starting and stopping a real gateway process: ready means ready, SIGTERM ends streams, bad config is one line. */
const children: GatewayProcess[] = [];
const databases: Awaited<ReturnType<typeof createIsolatedDatabase>>[] = [];
afterAll(async () => {
  await Promise.all(children.map((child) => child.kill()));
  await Promise.all(databases.map((database) => database.drop()));
});

/** A child gateway compiles under tsx, migrates a fresh database and seeds it: seconds, many more on a loaded machine. */
const CHILD_TIMEOUT = 120_000;

const gateway = (env: Record<string, string>) => {
  const child = startGateway({ JWT_SECRET: 'start-stop-secret-that-is-at-least-32-chars', API_KEY: 'start-stop-key', ...env });
  children.push(child);
  return child;
};

/** Polls /ready until it answers 200; `notYet` sees every other status. */
async function untilReady(url: string, notYet: (status: number) => void = () => {}) {
  for (;;) {
    const response = await fetch(new URL('/ready', url));
    await response.body?.cancel();
    if (response.status === 200) return;
    notYet(response.status);
  }
}

describe('start', () => {
  it('answers /ready 200 only once the demo users can sign in', async () => {
    const database = await createIsolatedDatabase('seed');
    databases.push(database);
    const child = gateway({ DATABASE_URL: database.url, SEED_DEMO: 'true', SANDBOX: 'true' });
    const url = await child.url;
    // Poll as fast as a load balancer might; the first 200 must mean the demo users exist.
    await untilReady(url, (status) => expect(status).toBe(503));
    const { login } = await new GraphQLTestClient(url).data(Login, { email: DEMO.creator, password: DEMO.password });
    expect(login.token).toEqual(expect.any(String));
  }, CHILD_TIMEOUT);

  it('refuses a bad DATABASE_URL with one configuration line and a non-zero exit, no stack', async () => {
    const child = gateway({ DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/nothing' });
    const { code } = await child.exited;
    expect(code).not.toBe(0);
    const lines = child.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Configuration error: .*DATABASE_URL/);
    expect(child.stderr() + child.stdout()).not.toMatch(/\n\s+at /);
  }, CHILD_TIMEOUT);
});

describe('stop', () => {
  it('ends an open SSE stream on SIGTERM instead of cutting it at the grace timeout', async () => {
    const database = await createIsolatedDatabase('sigterm');
    databases.push(database);
    const child = gateway({ DATABASE_URL: database.url, SEED_DEMO: 'true', SANDBOX: 'true' });
    const url = await child.url;
    await untilReady(url);
    const { login } = await new GraphQLTestClient(url).data(Login, { email: DEMO.admin, password: DEMO.password });
    const response = await fetch(url, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: `Bearer ${login.token}` },
      body: JSON.stringify({ query: print(StatusChanged), variables: {} }),
    });
    const reader = response.body!.getReader();
    // The stream is open once the server flushed its headers; now stop the gateway.
    expect(response.status).toBe(200);
    child.child.kill('SIGTERM');
    // A stream the server ends reads to `done`; one cut by closeAllConnections fails ("terminated").
    let ended: 'done' | string;
    try {
      for (;;) {
        const { done } = await reader.read();
        if (done) {
          ended = 'done';
          break;
        }
      }
    } catch (error) {
      ended = String((error as Error).cause ?? error);
    }
    expect(ended).toBe('done');
    expect((await child.exited).code).toBe(0);
    expect(child.stdout()).toMatch(/"msg":"event streams ended"/);
  }, CHILD_TIMEOUT);
});

describe('createBuyer without the operator key', () => {
  let app: TestApp;
  let tenant: Tenant;
  beforeAll(async () => {
    app = await startTestApp();
    tenant = await createTenant(app);
  });
  afterAll(() => app?.stop());
  const input = { name: 'X Ltd', supportedCurrencies: ['GBP' as const], admin: { email: 'x@x.example', name: 'X', password: PASSWORD } };

  it('says the operator key is missing (UNAUTHENTICATED)', async () => {
    const error = await app.client().error(CreateBuyer, { input });
    expect(error.extensions?.code).toBe('UNAUTHENTICATED');
    expect(error.message).toMatch(/x-api-key/);
  });

  it('says the operator key is wrong (UNAUTHENTICATED), or missing for a signed-in user (INSUFFICIENT_PERMISSIONS)', async () => {
    for (const client of [app.client().with({ 'x-api-key': 'wrong' }), tenant.admin.client.with({ 'x-api-key': 'wrong' })]) {
      const error = await client.error(CreateBuyer, { input });
      expect(error.extensions?.code).toBe('UNAUTHENTICATED');
      expect(error.message).toMatch(/not the operator key/);
    }
    const signedIn = await tenant.admin.client.error(CreateBuyer, { input });
    expect(signedIn.extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
    expect(signedIn.message).toMatch(/operator key \(header x-api-key\)/);
  });
});
