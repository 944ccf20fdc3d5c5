import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idOf } from '../../src/graphql/ids.ts';
import { graphql } from '../generated/index.ts';
import { revokedCredentials } from '../../src/auth/credentials.ts';
import { apiKeyOf, ChangePassword, DeactivateUser, Logout, RevokeApiKey, WhoAmI } from '../helpers/access.ts';
import { CreateUser, Login, PASSWORD, createTenant, signIn, type Tenant } from '../helpers/factories.ts';
import { connectWs } from '../helpers/ws-client.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

const SetRoles = graphql(`mutation SessionSetRoles($userId: ID!, $roles: [Role!]!) { setUserRoles(userId: $userId, roles: $roles) { id } }`);
const Users = graphql(`query SessionUsers { users { id deactivatedAt } }`);
const NEW_PASSWORD = 'a-brand-new-passphrase';

let app: TestApp;
let tenant: Tenant;
let other: Tenant;

beforeAll(async () => {
  app = await startTestApp();
  [tenant, other] = await Promise.all([createTenant(app), createTenant(app)]);
});
afterAll(() => app?.stop());

async function newUser(roles: ('ADMIN' | 'CREATOR' | 'CONTROLLER')[] = ['CREATOR']) {
  const email = `session-${Math.random().toString(36).slice(2, 10)}@test.example`;
  const { createUser } = await tenant.admin.client.data(CreateUser, { input: { email, name: 'Session', password: PASSWORD, roles } });
  return { ...(await signIn(app, email)), id: createUser.id };
}

describe('sessions', () => {
  it('changePassword needs the current password, revokes every other session and keeps this one', async () => {
    const user = await newUser();
    const laptop = await signIn(app, user.email);
    const phone = await signIn(app, user.email);
    const wrong = await user.client.error(ChangePassword, { currentPassword: 'not-my-password', newPassword: NEW_PASSWORD });
    expect(wrong.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await laptop.client.data(WhoAmI)).viewer.id).toBe(user.id);
    const weak = await user.client.error(ChangePassword, { currentPassword: PASSWORD, newPassword: 'short' });
    expect(weak.extensions?.code).toBe('BAD_USER_INPUT');

    expect((await user.client.data(ChangePassword, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).changePassword).toBe(true);
    expect((await user.client.data(WhoAmI)).viewer.id).toBe(user.id);
    for (const session of [laptop, phone]) expect((await session.client.error(WhoAmI)).extensions?.code).toBe('UNAUTHENTICATED');
    expect((await app.client().error(Login, { email: user.email, password: PASSWORD })).extensions?.code).toBe('UNAUTHENTICATED');
    expect((await signIn(app, user.email, NEW_PASSWORD)).id).toBe(user.id);
  });

  it('logout revokes the token it was sent with, and no other', async () => {
    const user = await newUser();
    const second = await signIn(app, user.email);
    expect((await user.client.data(Logout)).logout).toBe(true);
    expect((await user.client.error(WhoAmI)).extensions?.code).toBe('UNAUTHENTICATED');
    expect((await user.client.error(Logout)).extensions?.code).toBe('UNAUTHENTICATED');
    expect((await second.client.data(WhoAmI)).viewer.id).toBe(user.id);
    // A revoked token cannot open a WebSocket either.
    const ws = connectWs(app.url, user.token);
    try {
      expect((await ws.closed()).code).toBe(4403);
    } finally {
      await ws.dispose();
    }
  });

  it('deactivateUser stops the user\'s tokens at once and refuses their sign-in', async () => {
    const user = await newUser(['CONTROLLER']);
    const { deactivateUser } = await tenant.admin.client.data(DeactivateUser, { userId: user.id });
    expect(deactivateUser.deactivatedAt).not.toBeNull();
    expect((await user.client.error(WhoAmI)).extensions?.code).toBe('UNAUTHENTICATED');
    expect((await app.client().error(Login, { email: user.email, password: PASSWORD })).extensions?.code).toBe('UNAUTHENTICATED');
    const { users } = await tenant.admin.client.data(Users);
    expect(users.find((u) => u.id === user.id)?.deactivatedAt).not.toBeNull();
  });

  it('deactivateUser is for the buyer\'s ADMINs, and keeps one active ADMIN', async () => {
    const user = await newUser();
    expect((await tenant.creator.client.error(DeactivateUser, { userId: user.id })).extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
    expect((await other.admin.client.error(DeactivateUser, { userId: user.id })).extensions?.code).toBe('NOT_FOUND');
    const last = await other.admin.client.error(DeactivateUser, { userId: other.admin.id });
    expect(last.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await other.admin.client.data(WhoAmI)).viewer.id).toBe(other.admin.id);

    // With a second ADMIN, the first may go; the remaining one cannot then be demoted away.
    const admin2 = await newUser(['ADMIN']);
    await admin2.client.data(DeactivateUser, { userId: (await newUser(['ADMIN'])).id });
    expect((await user.client.data(WhoAmI)).viewer.id).toBe(user.id);
    const solo = await createTenant(app);
    const soloSecond = await (async () => {
      const email = `solo-${Math.random().toString(36).slice(2, 10)}@test.example`;
      const { createUser } = await solo.admin.client.data(CreateUser, { input: { email, name: 'Second', password: PASSWORD, roles: ['ADMIN'] } });
      return { ...(await signIn(app, email)), id: createUser.id };
    })();
    await soloSecond.client.data(DeactivateUser, { userId: solo.admin.id });
    expect((await solo.admin.client.error(WhoAmI)).extensions?.code).toBe('UNAUTHENTICATED');
    expect((await soloSecond.client.error(SetRoles, { userId: soloSecond.id, roles: ['CREATOR'] })).extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses a token that names no session (issued before sessions, or forged without one)', async () => {
    const token = await app.app.services.tokens.issue(idOf('User', tenant.creator.id), idOf('Buyer', tenant.buyerId));
    expect((await app.client(token).error(WhoAmI)).extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('tells a stream re-check, in one batch, which credentials were revoked since the stream opened', async () => {
    const { services } = app.app;
    const user = await newUser(['CREATOR']);
    const other = await signIn(app, user.email);
    const key = await apiKeyOf(app, user, ['CREATOR']);
    const session = async (token: string) => (await services.tokens.verify(token))!;
    const [mine, theirs] = [await session(user.token), await session(other.token)];
    const watched = new Map([
      [1, { userId: mine.userId, buyerId: mine.buyerId, sessionId: mine.sessionId }],
      [2, { userId: theirs.userId, buyerId: theirs.buyerId, sessionId: theirs.sessionId }],
      [3, { userId: mine.userId, buyerId: mine.buyerId, apiKeyId: idOf('ApiKey', key.id) }],
      [4, { userId: idOf('User', tenant.creator.id), buyerId: mine.buyerId, sessionId: (await session(tenant.creator.token)).sessionId }],
    ]);
    const revoked = async () => [...(await revokedCredentials(services.database.prisma, watched)).keys()].sort();
    expect(await revoked()).toEqual([]);
    await user.client.data(Logout);
    expect(await revoked()).toEqual([1]);
    await other.client.data(RevokeApiKey, { id: key.id });
    expect(await revoked()).toEqual([1, 3]);
    await tenant.admin.client.data(DeactivateUser, { userId: user.id });
    expect(await revoked()).toEqual([1, 2, 3]);
  });
});
