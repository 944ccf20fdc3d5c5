import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildStages, checkDeploymentFiles, rm, start, tempDir, waitHealthy, type Container, type Stage } from '../../scripts/deploy-check.ts';

/**
 * The production path, exactly as the Dockerfile describes it: a build stage that compiles with
 * every dependency, a runtime stage with `npm ci --omit=dev` (from the local npm cache), then
 * `node dist/main.js` on PostgreSQL and Redis, judged by the Dockerfile's own HEALTHCHECK.
 */
const context = fileURLToPath(new URL('../..', import.meta.url));
let out: string;
let runtime: Stage;
let container: Container | undefined;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function graphql(url: string, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
}

beforeAll(async () => {
  out = await tempDir();
  const stages = await buildStages({ context, out, reuseNodeModules: true, log: (line) => console.log(line) });
  runtime = stages.at(-1)!;
}, 300_000);

afterAll(async () => {
  await container?.stop();
  if (out) await rm(out, { recursive: true, force: true });
});

describe('production build (Dockerfile stages, without Docker)', () => {
  it('runs as plain node with production dependencies only', async () => {
    expect(runtime.cmd).toEqual(['node', 'dist/main.js']);
    expect(runtime.env.NODE_ENV).toBe('production');
    expect(runtime.user).not.toMatch(/^(root|0)\b/);
    // No dev tooling in the runtime stage: tsx and vitest are devDependencies.
    const { exists } = await import('../../scripts/deploy-check.ts');
    expect(await exists(`${runtime.dir}/node_modules/tsx`)).toBe(false);
    expect(await exists(`${runtime.dir}/node_modules/vitest`)).toBe(false);
    expect(await exists(`${runtime.dir}/dist/generated/prisma/client.js`)).toBe(true);
    expect(await exists(`${runtime.dir}/dist/web/index.html`)).toBe(true);
    expect(await exists(`${runtime.dir}/src`)).toBe(false);
  });

  it('starts against PostgreSQL and Redis, is ready and answers queries', async () => {
    const port = await freePort();
    container = start(runtime, {
      DATABASE_URL: inject('databaseUrl'),
      REDIS_URL: inject('redisUrl'),
      PORT: String(port),
      HOST: '127.0.0.1',
      SANDBOX: 'false',
      API_KEY: 'production-check-key',
      JWT_SECRET: 'a-production-secret-of-at-least-32-characters',
      SCA_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
      RUN_JOBS: 'false',
    });
    const started = Date.now();
    await waitHealthy(container);
    console.log(`start:prod ready after ${Date.now() - started} ms`);

    const ready = await fetch(`http://127.0.0.1:${port}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ database: 'up', redis: 'up' });

    const url = `http://127.0.0.1:${port}/graphql`;
    const email = `prod-${Date.now()}@test.example`;
    const created = await graphql(
      url,
      'mutation($input: CreateBuyerInput!) { createBuyer(input: $input) { id name } }',
      { input: { name: 'Prod Check Ltd', supportedCurrencies: ['GBP'], admin: { email, name: 'Admin', password: 'correct-horse-battery' } } },
      { 'x-api-key': 'production-check-key' },
    );
    expect(created.errors).toBeUndefined();
    const login = await graphql(url, 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }', { e: email, p: 'correct-horse-battery' });
    const token = login.data?.login.token as string;
    const viewer = await graphql(url, '{ viewer { email roles } institutions { code } }', {}, { authorization: `Bearer ${token}` });
    expect(viewer.errors).toBeUndefined();
    expect(viewer.data?.viewer).toMatchObject({ email, roles: expect.arrayContaining(['ADMIN']) });
    expect(viewer.data?.institutions.length).toBeGreaterThan(0);

    expect(await container.stop()).toBe(0);
    container = undefined;
  }, 120_000); // node processes started and health-checked (waitHealthy allows 60 s each)

  it('compose.yaml: the files agree, and two instances on one database and one Redis serve the same data', async () => {
    const { problems, gateways } = await checkDeploymentFiles(context, {
      JWT_SECRET: 'compose-check-secret-of-at-least-32-characters',
      API_KEY: 'compose-check-key',
    });
    expect(problems).toEqual([]);
    expect(gateways.length).toBeGreaterThanOrEqual(2);

    // compose's environment for each gateway; only the addresses differ outside the compose network.
    const instances: { url: string; metrics: string; container: Container }[] = [];
    try {
      for (const gateway of gateways) {
        const [port, metricsPort] = [await freePort(), await freePort()];
        const container = start(runtime, {
          ...gateway.environment,
          DATABASE_URL: inject('databaseUrl'),
          REDIS_URL: inject('redisUrl'),
          PORT: String(port),
          METRICS_PORT: String(metricsPort),
          HOST: '127.0.0.1',
        });
        instances.push({ url: `http://127.0.0.1:${port}/graphql`, metrics: `http://127.0.0.1:${metricsPort}/metrics`, container });
      }
      await Promise.all(instances.map(({ container }) => waitHealthy(container)));
      const [first, second] = instances as [(typeof instances)[0], (typeof instances)[0]];

      const email = `compose-${Date.now()}@test.example`;
      const created = await graphql(
        first.url,
        'mutation($input: CreateBuyerInput!) { createBuyer(input: $input) { id } }',
        { input: { name: 'Compose Check Ltd', supportedCurrencies: ['GBP'], admin: { email, name: 'Admin', password: 'correct-horse-battery' } } },
        { 'x-api-key': 'compose-check-key' },
      );
      expect(created.errors).toBeUndefined();
      // Signed in on one instance, served by the other: one database, one JWT secret.
      const login = await graphql(second.url, 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }', { e: email, p: 'correct-horse-battery' });
      const viewer = await graphql(first.url, '{ viewer { email } }', {}, { authorization: `Bearer ${login.data?.login.token}` });
      expect(viewer.data?.viewer.email).toBe(email);
      for (const { metrics } of instances) expect(await (await fetch(metrics)).text()).toContain('gateway_graphql_operations_total');
    } finally {
      await Promise.all(instances.map(({ container }) => container.stop()));
    }
  }, 120_000); // node processes started and health-checked (waitHealthy allows 60 s each)
});
