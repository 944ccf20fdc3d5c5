import { randomUUID } from 'node:crypto';
import { print } from 'graphql';
import { decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiKeyOf, DeactivateUser, Logout, RevokeApiKey } from '../helpers/access.ts';
import { CreateUser, createTenant, PASSWORD, signIn, type SignedInUser, type Tenant } from '../helpers/factories.ts';
import { createRun, gbpPayable } from '../helpers/payment-runs.ts';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../helpers/test-app.ts';
import { connectWs, StatusChanged, type WsTestClient } from '../helpers/ws-client.ts';

/**
 * Open streams end once their authority is gone (CONTRACT §10): a token that expires, a user
 * removed, a user without roles. WS: an UNAUTHENTICATED error, then complete; SSE: the stream closes.
 */
let app: TestApp;
let tenant: Tenant;
const sockets: WsTestClient[] = [];
/**
 * The gateway's clock: real time, moved ahead by the expiry test only (a token that really expired
 * within seconds would race the set-up — connect, subscribe, first event — on a loaded machine).
 * No background jobs: the moved clock must not expire anything of other suites in the shared
 * database, and a run's first event (QUEUED) is all the streams here need.
 */
let clockAheadMs = 0;
const gatewayNow = () => new Date(Date.now() + clockAheadMs);

beforeAll(async () => {
  app = await startTestApp({ STREAM_AUTH_CHECK_MS: '200', RUN_JOBS: 'false' }, {}, { now: gatewayNow });
  tenant = await createTenant(app);
});
afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.dispose()));
  await app?.stop();
});

const SetRoles = `mutation SetRoles($userId: ID!, $roles: [Role!]!) { setUserRoles(userId: $userId, roles: $roles) { id roles } }`;

async function newUser(): Promise<SignedInUser> {
  const email = `stream-${randomUUID().slice(0, 8)}@test.example`;
  await tenant.admin.client.data(CreateUser, { input: { email, name: 'Streamer', password: PASSWORD, roles: ['CREATOR'] } });
  return signIn(app, email);
}

/** A token for the user that expires in `seconds` (the gateway's own tokens live at least 60 s). */
async function shortToken(user: SignedInUser, seconds: number) {
  // Same user and session (jti): only the expiry differs.
  const { sub, buyer, jti } = decodeJwt(user.token) as { sub: string; buyer: string; jti: string };
  return new SignJWT({ buyer }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuer('payment-run-gateway').setJti(jti)
    .setIssuedAt().setExpirationTime(Math.floor(Date.now() / 1000) + seconds).sign(new TextEncoder().encode(TEST_JWT_SECRET));
}

/** Opens an SSE subscription and reads it to its end; resolves with the results it carried. */
function sseUntilClosed(token: string) {
  return (async () => {
    const response = await fetch(app.url, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: print(StatusChanged), variables: {} }),
    });
    expect(response.status).toBe(200);
    let text = '';
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    return text;
  })();
}

async function expectEnded(token: string, revoke: () => Promise<void>) {
  const socket = connectWs(app.url, token);
  sockets.push(socket);
  const open = app.app.services.live.open;
  const ws = socket.subscribe(StatusChanged, {});
  const sse = sseUntilClosed(token);
  // Both streams are open and deliver before the revocation. Watched is not yet live: a stream
  // started without a cursor only sees what commits after it read the log's head.
  await vi.waitFor(() => {
    expect(app.app.services.streamAuthority.watched).toBe(2);
    expect(app.app.services.live.open).toBe(open + 2);
  }, { timeout: 30_000 });
  await createRun(tenant.creator, [gbpPayable(0)]);
  await ws.take(1);
  await revoke();
  await ws.ended(30_000);
  expect(ws.errors[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  const text = await sse;
  expect(text).toContain('"code":"UNAUTHENTICATED"');
  expect(text).toContain('event: complete');
  // Both streams let go of their watch (and their bus listener).
  expect(app.app.services.streamAuthority.watched).toBe(0);
}

describe('open streams and their authority', () => {
  it('end after the token expires', async () => {
    const user = await newUser();
    const token = await shortToken(user, 60);
    try {
      // The gateway's clock passes the token's expiry once both streams have delivered.
      await expectEnded(token, async () => {
        clockAheadMs = 61_000;
      });
    } finally {
      clockAheadMs = 0;
    }
  });

  it('end after the user lost every role', async () => {
    const user = await newUser();
    await expectEnded(user.token, async () => {
      await tenant.admin.client.data(SetRoles, { userId: user.id, roles: [] });
    });
  });

  it('end after the user was removed', async () => {
    const user = await newUser();
    await expectEnded(user.token, async () => {
      // A user who signed in is on the (append-only) audit trail and cannot be deleted; an ADMIN
      // removes them from the buyer by deactivating them.
      await tenant.admin.client.data(DeactivateUser, { userId: user.id });
    });
  });

  it('end after the API key they were opened with is revoked', async () => {
    const user = await newUser();
    const key = await apiKeyOf(app, user, ['CREATOR']);
    await expectEnded(key.secret, async () => {
      await user.client.data(RevokeApiKey, { id: key.id });
    });
  });

  it('end after the session they were opened with signs out', async () => {
    const user = await newUser();
    await expectEnded(user.token, async () => {
      await user.client.data(Logout, {});
    });
  });
});
