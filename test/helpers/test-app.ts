import { inject } from 'vitest';
import { buildApp, type App, type BuildAppOptions } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { GraphQLTestClient } from './graphql-client.ts';

export const TEST_API_KEY = 'test-operator-key';
export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';
/** 32 bytes in base64, as SCA_ENCRYPTION_KEY wants (required when SANDBOX=false). */
export const TEST_SCA_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

export interface TestApp {
  app: App;
  url: string;
  client(token?: string): GraphQLTestClient;
  operator(): GraphQLTestClient;
  stop(): Promise<void>;
}

/**
 * A real gateway on a free port, on the run's PostgreSQL database and real Redis. `options.now`
 * injects a clock (timers are then driven by advancing it and draining the jobs), `options.onQuery`
 * sees every SQL statement.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  overrides: Partial<Config> = {},
  options: Omit<BuildAppOptions, 'logger'> = {},
): Promise<TestApp> {
  const config = {
    ...loadConfig({
      DATABASE_URL: inject('databaseUrl'),
      REDIS_URL: inject('redisUrl'),
      API_KEY: TEST_API_KEY,
      JWT_SECRET: TEST_JWT_SECRET,
      SCA_ENCRYPTION_KEY: TEST_SCA_ENCRYPTION_KEY,
      PORT: '0',
      HOST: '127.0.0.1',
      POLL_INTERVAL_MS: '50',
      SEED_DEMO: 'false',
      // Every test signs in from 127.0.0.1: limits are tested on their own (limits.test.ts).
      RATE_LIMIT_PER_MINUTE: '0',
      ...env,
    }),
    ...overrides,
  };
  const app = await buildApp(config, { ...options, logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent') });
  const url = await app.start();
  return {
    app,
    url,
    client: (token) => new GraphQLTestClient(url, token ? { authorization: `Bearer ${token}` } : {}),
    operator: () => new GraphQLTestClient(url, { 'x-api-key': TEST_API_KEY }),
    stop: () => app.stop(),
  };
}

/** A clock tests move by hand: timers fire when the test advances it and drains the jobs. */
export function manualClock(start = new Date()) {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance(ms: number) {
      current += ms;
    },
  };
}
