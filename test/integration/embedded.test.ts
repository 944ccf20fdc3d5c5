import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { DEMO, seedDemo } from '../../src/sandbox/demo-seed.ts';
import { graphql } from '../generated/index.ts';
import { Login } from '../helpers/factories.ts';
import { GraphQLTestClient } from '../helpers/graphql-client.ts';

const DemoView = graphql(`query DemoView { viewer { email roles scaEnrolled } linkedAccounts { status institution { code } } institutions { code } }`);

/** The newcomer's path: no DATABASE_URL, no REDIS_URL → PGlite on disk, in-process pub/sub, demo data. */
describe('embedded mode', () => {
  let dataDir: string;
  let app: App;
  let url: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gateway-embedded-'));
    const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' });
    expect(config).toMatchObject({ databaseUrl: null, redisUrl: null, seedDemo: true, sandbox: true });
    app = await buildApp(config, { logger: createLogger('silent') });
    url = await app.start();
    await seedDemo(app.services, url, false);
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('migrates, seeds the demo buyer, signs in and answers queries', async () => {
    expect(app.services.database.kind).toBe('embedded');
    expect(app.services.bus.kind).toBe('in-process');
    const ready = await fetch(url.replace('/graphql', '/ready'));
    expect(await ready.json()).toEqual({ status: 'ready', database: 'up', redis: 'not-configured' });

    const { login } = await new GraphQLTestClient(url).data(Login, { email: DEMO.controller, password: DEMO.password });
    const view = await new GraphQLTestClient(url, { authorization: `Bearer ${login.token}` }).data(DemoView);
    expect(view.viewer).toEqual({ email: DEMO.controller, roles: ['CONTROLLER'], scaEnrolled: true });
    expect(view.linkedAccounts).toEqual([{ status: 'LINKED', institution: { code: 'SANDBOX_BANK_GB' } }]);
    expect(view.institutions).toHaveLength(4);
  });

  it('seeds only once', async () => {
    await seedDemo(app.services, url, false);
    expect(await app.services.database.prisma.buyer.count()).toBe(1);
  });
});
