import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashingStats, MAX_CONCURRENT_HASHES } from '../../src/auth/password.ts';
import { CreateUser, createTenant, Login, PASSWORD, type Tenant } from '../helpers/factories.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

/** `login` as a lever: per-email lockout across instances, every aliased login counted, hashing bounded. */
let a: TestApp;
let b: TestApp;
let limited: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  [a, b, limited] = await Promise.all([startTestApp(), startTestApp(), startTestApp({ RATE_LIMIT_PER_MINUTE: '5', REDIS_URL: '' })]);
  tenant = await createTenant(a);
});
afterAll(() => Promise.all([a?.stop(), b?.stop(), limited?.stop()]));

async function newUser() {
  const email = `lock-${randomUUID().slice(0, 8)}@test.example`;
  await tenant.admin.client.data(CreateUser, { input: { email, name: 'Locked', password: PASSWORD, roles: ['CREATOR'] } });
  return email;
}

describe('per-email lockout', () => {
  it('after 5 failed logins answers RATE_LIMITED with retryAfterMs for that email, whatever the password, on every instance', async () => {
    const email = await newUser();
    const other = await newUser();
    for (let i = 0; i < 5; i++) {
      const error = await a.client().error(Login, { email, password: 'wrong-password' });
      expect(error.extensions?.code).toBe('UNAUTHENTICATED');
    }
    for (const app of [a, b]) {
      const error = await app.client().error(Login, { email: email.toUpperCase(), password: PASSWORD });
      expect(error.extensions?.code).toBe('RATE_LIMITED');
      expect(error.extensions?.retryAfterMs).toBeGreaterThan(14 * 60 * 1000);
      expect(error.extensions?.retryAfterMs).toBeLessThanOrEqual(15 * 60 * 1000);
    }
    // Another email is not affected.
    expect((await b.client().data(Login, { email: other, password: PASSWORD })).login.token).toEqual(expect.any(String));
  });

  it('locks unknown emails alike, so the lockout tells nothing about who exists', async () => {
    const email = `nobody-${randomUUID().slice(0, 8)}@test.example`;
    for (let i = 0; i < 5; i++) await a.client().error(Login, { email, password: 'x' });
    expect((await a.client().error(Login, { email, password: 'x' })).extensions?.code).toBe('RATE_LIMITED');
  });
});

describe('aliased logins', () => {
  it('count each login field against the rate limit, not the request once', async () => {
    // Correct passwords, so every field would run (a failed non-null mutation field stops the rest).
    const email = await newUser();
    const fields = Array.from({ length: 12 }, (_, i) => `l${i}: login(email: "${email}", password: "${PASSWORD}") { token }`);
    const result = await limited.client().request(`mutation { ${fields.join(' ')} }`);
    // 5 points a minute: the request's own point covers the first login, 4 more the next 4, the 6th is refused.
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]!.extensions?.code).toBe('RATE_LIMITED');
    expect(result.errors![0]!.path).toEqual(['l5']);
  });
});

describe('password hashing', () => {
  it('runs at most MAX_CONCURRENT_HASHES at once however many logins arrive together', async () => {
    // This process hosts the gateways, so their hashing is observable here.
    const logins = Array.from({ length: 20 }, (_, i) =>
      a.client().request(Login, { email: `flood-${i}-${randomUUID().slice(0, 6)}@test.example`, password: 'x' }));
    const results = await Promise.all(logins);
    expect(results.every((r) => r.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED')).toBe(true);
    expect(hashingStats().highWater).toBeLessThanOrEqual(MAX_CONCURRENT_HASHES);
    expect(hashingStats().active).toBe(0);
  });
});
