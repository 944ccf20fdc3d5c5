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

const DemoView = graphql(`query DemoView { viewer { email roles scaEnrolled } linkedAccounts { status currency institution { code } } institutions { code } }`);
const DemoRuns = graphql(`
  query DemoRuns {
    paymentRuns(first: 10) { edges { node { paymentRunRef status payables(first: 10) { edges { node { status validationOutcomes { match } } } } } } }
  }
`);

/** The newcomer's path: no DATABASE_URL, no REDIS_URL → PGlite on disk, in-process pub/sub, demo data. */
describe('embedded mode', () => {
  let dataDir: string;
  let app: App;
  let url: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gateway-embedded-'));
    // The autopilot would settle the demo's executing run a few seconds later; here it holds still.
    const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', AUTOPILOT: 'false' });
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
    expect(view.linkedAccounts).toEqual(expect.arrayContaining([
      { status: 'LINKED', currency: 'GBP', institution: { code: 'SANDBOX_BANK_GB' } },
      { status: 'LINKED', currency: 'EUR', institution: { code: 'SANDBOX_BANK_EU' } },
    ]));
    expect(view.institutions).toHaveLength(4);
  });

  it('seeds runs in several states, so the first screen is not empty', async () => {
    const { login } = await new GraphQLTestClient(url).data(Login, { email: DEMO.creator, password: DEMO.password });
    const { paymentRuns } = await new GraphQLTestClient(url, { authorization: `Bearer ${login.token}` }).data(DemoRuns);
    const runs = new Map(paymentRuns.edges.map(({ node }) => [node.paymentRunRef, node] as const));
    expect(runs.get('DEMO-OCT')!.status).toBe('COMPLETED');
    expect(runs.get('DEMO-NOV')!.status).toBe('EXECUTING');
    expect(runs.get('DEMO-NOV')!.payables.edges.map(({ node }) => node.status).sort()).toEqual(['COMPLETED', 'EXECUTING', 'EXECUTING']);
    expect(runs.get('DEMO-DEC')!.status).toBe('PENDING_CONFIRMATION');
    expect(runs.get('DEMO-DEC')!.payables.edges.map(({ node }) => node.validationOutcomes[0]?.match)).toEqual(['EXACT_MATCH', 'CLOSE_MATCH', 'NO_MATCH']);
  });

  it('seeds only once', async () => {
    await seedDemo(app.services, url, false);
    expect(await app.services.database.prisma.buyer.count()).toBe(1);
  });
});
