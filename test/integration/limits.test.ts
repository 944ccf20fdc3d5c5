import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

let app: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  // No Redis: the counters stay in this process, untouched by other runs sharing the Redis server.
  app = await startTestApp({ RATE_LIMIT_PER_MINUTE: '40', MAX_REQUEST_BYTES: '20000', REDIS_URL: '' });
  tenant = await createTenant(app);
});
afterAll(() => app?.stop());

describe('request limits', () => {
  it('answers RATE_LIMITED with retryAfterMs once a caller exceeds its requests per minute', async () => {
    const results = await Promise.all(Array.from({ length: 45 }, () => tenant.creator.client.request('{ viewer { id } }')));
    const limited = results.filter((r) => r.errors?.[0]?.extensions?.code === 'RATE_LIMITED');
    // createTenant used some of the creator's budget (sign-in is anonymous, by address).
    expect(limited.length).toBeGreaterThanOrEqual(5);
    expect(limited[0]!.errors![0]!.extensions?.retryAfterMs).toBeGreaterThan(0);
    // Another user of the same buyer has its own budget.
    expect((await tenant.controller.client.request('{ viewer { id } }')).errors).toBeUndefined();
  });

  it('refuses documents nested deeper than the limit before running them', async () => {
    const run = 'paymentRun { payables { edges { node { ';
    const deep = `{ paymentRuns { edges { node { payables { edges { node { ${run.repeat(3)} id ${'} } } } '.repeat(3)} } } } } } } }`;
    const result = await tenant.controller2.client.request(deep);
    expect(result.errors?.[0]?.message).toMatch(/depth/i);
  });

  it('answers 413 for a body over MAX_REQUEST_BYTES', async () => {
    const response = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tenant.admin.token}` },
      body: JSON.stringify({ query: '{ viewer { id } }', variables: { padding: 'x'.repeat(30_000) } }),
    });
    expect(response.status).toBe(413);
    expect((await response.json()).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });
});
