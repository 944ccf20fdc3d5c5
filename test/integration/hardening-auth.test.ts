import { randomUUID } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../helpers/test-app.ts';

/** Tokens and connection_init payloads a hostile client sends: each answers a contract code, never a crash. */
let app: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  app = await startTestApp();
  tenant = await createTenant(app);
});
afterAll(() => app?.stop());

const key = new TextEncoder().encode(TEST_JWT_SECRET);
const Me = '{ viewer { id } }';

async function sign(claims: { sub: string; buyer: string; jti?: string }, exp: number | null) {
  const jwt = new SignJWT({ buyer: claims.buyer }).setProtectedHeader({ alg: 'HS256' }).setSubject(claims.sub)
    .setIssuer('payment-run-gateway').setIssuedAt();
  if (claims.jti) jwt.setJti(claims.jti);
  if (exp !== null) jwt.setExpirationTime(exp);
  return jwt.sign(key);
}

describe('tokens', () => {
  it('refuses a correctly signed token without exp (UNAUTHENTICATED)', async () => {
    // The admin's own session (jti), so only the missing exp differs from a token that works.
    const { sub, buyer, jti } = decodeJwt(tenant.admin.token) as { sub: string; buyer: string; jti: string };
    const token = await sign({ sub, buyer, jti }, null);
    const error = await app.client(token).error(Me);
    expect(error!.extensions?.code).toBe('UNAUTHENTICATED');
    // The same claims with an expiry work: only the missing exp is refused.
    const valid = await sign({ sub, buyer, jti }, Math.floor(Date.now() / 1000) + 60);
    expect(await app.client(valid).data(Me)).toEqual({ viewer: { id: expect.any(String) } });
  });

  it.each([
    ['a non-UUID sub', { sub: 'not-a-uuid', buyer: randomUUID() }],
    ['a non-UUID buyer', { sub: randomUUID(), buyer: 'nope' }],
  ])('answers UNAUTHENTICATED for %s, not INTERNAL_SERVER_ERROR', async (_label, claims) => {
    const token = await sign(claims, Math.floor(Date.now() / 1000) + 60);
    const error = await app.client(token).error(Me);
    expect(error!.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('connection_init', () => {
  it.each([
    ['an object', { toString: 1 }],
    ['a number', 42],
    ['an array', ['Bearer x']],
  ])('closes with 4403 when authorization is %s', async (_label, authorization) => {
    const socket = new WebSocket(app.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization } }));
    expect(await closed).toBe(4403);
  });
});
