import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { startTestApp, TEST_API_KEY, type TestApp } from '../helpers/test-app.ts';

/** HTTP conventions of CONTRACT.md §12 and issue 8 item 10: 429, x-request-id, CORS, CSRF. */
let app: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  app = await startTestApp({ CORS_ORIGINS: 'https://app.example.com,https://ops.example.com' });
  tenant = await createTenant(app);
});
afterAll(() => app?.stop());

const post = (url: string, body: string, headers: Record<string, string>) => fetch(url, { method: 'POST', body, headers });
const json = (token: string, extra: Record<string, string> = {}) => ({
  'content-type': 'application/json', authorization: `Bearer ${token}`, ...extra,
});

describe('RATE_LIMITED over HTTP', () => {
  it('answers 429 with Retry-After', async () => {
    const limited = await startTestApp({ RATE_LIMIT_PER_MINUTE: '3', REDIS_URL: '' });
    try {
      const responses = [];
      for (let i = 0; i < 5; i++) responses.push(await post(limited.url, JSON.stringify({ query: '{ __typename }' }), { 'content-type': 'application/json' }));
      const last = responses.at(-1)!;
      expect(last.status).toBe(429);
      expect(Number(last.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const body = await last.json();
      expect(body.errors[0].extensions.code).toBe('RATE_LIMITED');
      expect(body.errors[0].extensions.http).toBeUndefined();
      expect(responses[0]!.status).toBe(200);
    } finally {
      await limited.stop();
    }
  });
});

describe('x-request-id', () => {
  it('is on every response: a valid incoming id is kept, anything else replaced', async () => {
    const kept = await post(app.url, JSON.stringify({ query: '{ viewer { id } }' }), json(tenant.admin.token, { 'x-request-id': 'client-id-123' }));
    expect(kept.headers.get('x-request-id')).toBe('client-id-123');
    const replaced = await post(app.url, JSON.stringify({ query: '{ viewer { id } }' }), json(tenant.admin.token, { 'x-request-id': 'x'.repeat(300) }));
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const generated = await fetch(app.url.replace('/graphql', '/health'));
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const error = await post(app.url, '{not json', { 'content-type': 'application/json' });
    expect(error.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('is named by every log line written while serving the request', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
    const config = loadConfig({
      DATABASE_URL: inject('databaseUrl'), API_KEY: TEST_API_KEY, JWT_SECRET: 'test-secret-that-is-at-least-32-characters-long',
      PORT: '0', HOST: '127.0.0.1', SEED_DEMO: 'false', RATE_LIMIT_PER_MINUTE: '0', RUN_JOBS: 'false',
    });
    const logged: App = await buildApp(config, { logger: createLogger('debug', sink) });
    const url = await logged.start();
    try {
      const response = await post(url, JSON.stringify({ query: '{ viewer { id } }' }), { 'content-type': 'application/json', 'x-request-id': 'trace-me-42' });
      await response.text();
      const during = lines.filter((line) => line.requestId === 'trace-me-42');
      expect(during.length).toBeGreaterThan(0);
    } finally {
      await logged.stop();
    }
  });
});

describe('CORS allow-list', () => {
  it('answers allowed origins only, without credentials', async () => {
    const preflight = (origin: string) => fetch(app.url, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });
    const allowed = await preflight('https://ops.example.com');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://ops.example.com');
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
    const refused = await preflight('https://evil.example.net');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const read = await post(app.url, JSON.stringify({ query: '{ viewer { id } }' }), json(tenant.admin.token, { origin: 'https://evil.example.net' }));
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('sends no CORS headers by default: same origin only', async () => {
    const plain = await startTestApp({ RUN_JOBS: 'false' });
    try {
      const response = await fetch(plain.url, { method: 'OPTIONS', headers: { origin: 'https://anything.example.com', 'access-control-request-method': 'POST' } });
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await plain.stop();
    }
  });
});

describe('CSRF hygiene', () => {
  const mutation = 'mutation { createUser(input: { email: "csrf@test.example", name: "CSRF", password: "correct-horse-battery" }) { id } }';

  it.each([
    ['form-encoded', 'application/x-www-form-urlencoded', `query=${encodeURIComponent(mutation)}`],
    ['multipart', 'multipart/form-data; boundary=b', `--b\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${JSON.stringify({ query: mutation })}\r\n--b--\r\n`],
    ['text/plain', 'text/plain', JSON.stringify({ query: mutation })],
  ])('refuses a %s post and changes nothing', async (_what, contentType, body) => {
    const response = await post(app.url, body, { 'content-type': contentType, authorization: `Bearer ${tenant.admin.token}` });
    expect(response.status).toBe(415);
    expect((await response.json()).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const { users } = await tenant.admin.client.data('{ users { email } }' as never) as { users: { email: string }[] };
    expect(users.map((u) => u.email)).not.toContain('csrf@test.example');
  });

  it('still takes JSON posts and GET queries', async () => {
    const get = await fetch(`${app.url}?query=${encodeURIComponent('{ viewer { id } }')}`, { headers: { authorization: `Bearer ${tenant.admin.token}` } });
    expect((await get.json()).data.viewer.id).toBe(tenant.admin.id);
  });
});

