import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../generated/index.ts';
import {
  CreateBuyer, CreateUser, EnrolSca, LinkAccount, Login, PASSWORD, VerifySca, createTenant, linkGbAccount, signIn,
  type Tenant,
} from '../helpers/factories.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

const Viewer = graphql(`query Viewer { viewer { id email roles scaEnrolled buyer { id name } } }`);
const Users = graphql(`query Users { users { id email roles } }`);
const SetRoles = graphql(`mutation SetRoles($userId: ID!, $roles: [Role!]!) { setUserRoles(userId: $userId, roles: $roles) { id roles } }`);
const NodeById = graphql(`query NodeById($id: ID!) { node(id: $id) { id __typename } }`);
const Unlink = graphql(`mutation Unlink($id: ID!) { unlinkAccount(id: $id) { id status } }`);
const Accounts = graphql(`query Accounts { linkedAccounts { id status } institutions { code currency maxFundingAmount maxBatchSize requiresMultiAuth } }`);

let app: TestApp;
let tenant: Tenant;
let other: Tenant;

beforeAll(async () => {
  app = await startTestApp();
  [tenant, other] = await Promise.all([createTenant(app), createTenant(app)]);
});
afterAll(() => app?.stop());

describe('operator and sign-in', () => {
  it('refuses createBuyer without the operator key, or with a wrong one', async () => {
    const input = { name: 'X', supportedCurrencies: ['GBP' as const], admin: { email: 'x@test.example', name: 'X', password: PASSWORD } };
    expect((await app.client().error(CreateBuyer, { input })).extensions?.code).toBe('UNAUTHENTICATED');
    expect((await app.client().with({ 'x-api-key': 'wrong' }).error(CreateBuyer, { input })).extensions?.code).toBe('UNAUTHENTICATED');
    expect((await tenant.admin.client.error(CreateBuyer, { input })).extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
  });

  it('reports every invalid createBuyer field at once and stores nothing', async () => {
    const error = await app.operator().error(CreateBuyer, {
      input: { name: '', supportedCurrencies: [], admin: { email: 'not-an-email', name: 'A', password: 'short' } },
    });
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect((error.extensions?.invalidFields as { fieldName: string }[]).map((f) => f.fieldName).sort()).toEqual([
      'admin.email', 'admin.password', 'name', 'supportedCurrencies',
    ]);
    expect((await app.client().error(Login, { email: 'not-an-email', password: 'short' })).extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a second account with the same email', async () => {
    const error = await tenant.admin.client.error(CreateUser, { input: { email: tenant.creator.email.toUpperCase(), name: 'Dup', password: PASSWORD } });
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.extensions?.invalidFields).toEqual([{ fieldName: 'email', error: 'IN', params: { reason: 'ALREADY_REGISTERED' } }]);
  });

  it('answers a wrong password and an unknown email alike', async () => {
    const wrong = await app.client().error(Login, { email: tenant.admin.email, password: 'not-the-password' });
    const unknown = await app.client().error(Login, { email: 'nobody@test.example', password: PASSWORD });
    expect([wrong.extensions?.code, unknown.extensions?.code]).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED']);
    expect(wrong.message).toBe(unknown.message);
  });

  it('gives the first user every role and reads the viewer with a token', async () => {
    const { viewer } = await tenant.admin.client.data(Viewer);
    expect(viewer).toMatchObject({ email: tenant.admin.email, roles: ['ADMIN', 'CREATOR', 'CONTROLLER'], buyer: { id: tenant.buyerId } });
  });

  it.each([
    ['missing', undefined],
    ['forged', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'],
    ['garbage', 'not-a-token'],
  ])('answers UNAUTHENTICATED for a %s token', async (_label, token) => {
    expect((await app.client(token).error(Viewer)).extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('answers UNAUTHENTICATED for an expired token and one signed with another secret', async () => {
    const sign = (secret: string, exp: number) =>
      new SignJWT({ buyer: tenant.buyerId }).setProtectedHeader({ alg: 'HS256' }).setSubject(tenant.admin.id)
        .setIssuer('payment-run-gateway').setExpirationTime(exp).sign(new TextEncoder().encode(secret));
    const expired = await sign('test-secret-that-is-at-least-32-characters-long', Math.floor(Date.now() / 1000) - 60);
    const foreign = await sign('another-secret-that-is-at-least-32-characters', Math.floor(Date.now() / 1000) + 600);
    expect((await app.client(expired).error(Viewer)).extensions?.code).toBe('UNAUTHENTICATED');
    expect((await app.client(foreign).error(Viewer)).extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('roles', () => {
  it.each([
    ['creator', 'createUser'],
    ['controller', 'createUser'],
    ['creator', 'linkAccount'],
  ] as const)('refuses %s calling %s with INSUFFICIENT_PERMISSIONS and changes nothing', async (who, action) => {
    const user = tenant[who];
    const before = (await tenant.admin.client.data(Users)).users.length;
    const error =
      action === 'createUser'
        ? await user.client.error(CreateUser, { input: { email: 'nope@test.example', name: 'N', password: PASSWORD } })
        : await user.client.error(LinkAccount, {
            input: { institutionCode: 'SANDBOX_BANK_GB', accountIdentification: { fasterPayments: { accountNumber: '12345678', sortCode: '400000' } } },
          });
    expect(error.extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
    expect((await tenant.admin.client.data(Users)).users.length).toBe(before);
  });

  it('reads roles fresh on every operation: a removed role stops working with the same token', async () => {
    const t = await createTenant(app);
    await linkGbAccount(t.controller);
    await t.admin.client.data(SetRoles, { userId: t.controller.id, roles: ['CREATOR'] });
    const error = await t.controller.client.error(LinkAccount, {
      input: { institutionCode: 'SANDBOX_BANK_GB', accountIdentification: { fasterPayments: { accountNumber: '12345678', sortCode: '400000' } } },
    });
    expect(error.extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
  });

  it('keeps at least one ADMIN', async () => {
    const t = await createTenant(app);
    const error = await t.admin.client.error(SetRoles, { userId: t.admin.id, roles: ['CREATOR'] });
    expect(error.extensions?.invalidFields).toEqual([{ fieldName: 'roles', error: 'IN', params: { reason: 'LAST_ADMIN' } }]);
  });
});

describe('SCA enrolment', () => {
  it('needs a started enrolment and the right code', async () => {
    const t = await createTenant(app);
    const fresh = await signIn(app, t.creator.email);
    expect((await fresh.client.error(VerifySca, { code: '123456' })).extensions?.code).toBe('INVALID_STATE');
    await fresh.client.data(EnrolSca);
    expect((await fresh.client.error(VerifySca, { code: '000000' })).extensions?.code).toBe('SCA_CHALLENGE_INVALID');
    expect((await fresh.client.data(VerifySca, { code: '123456' })).verifyScaEnrolment.scaEnrolled).toBe(true);
  });
});

describe('linked accounts and reference data', () => {
  it('serves the contract\'s institutions', async () => {
    const { institutions } = await tenant.controller.client.data(Accounts);
    expect(institutions).toEqual(expect.arrayContaining([
      { code: 'SANDBOX_BANK_GB', currency: 'GBP', maxFundingAmount: 100000000, maxBatchSize: 100, requiresMultiAuth: false },
      { code: 'LIMITED_BANK_GB', currency: 'GBP', maxFundingAmount: 2500000, maxBatchSize: 10, requiresMultiAuth: false },
      { code: 'MULTI_AUTH_BANK_GB', currency: 'GBP', maxFundingAmount: 100000000, maxBatchSize: 50, requiresMultiAuth: true },
      { code: 'SANDBOX_BANK_EU', currency: 'EUR', maxFundingAmount: 100000000, maxBatchSize: 100, requiresMultiAuth: false },
    ]));
  });

  it('links and unlinks; a second unlink is INVALID_STATE', async () => {
    const account = await linkGbAccount(tenant.controller);
    expect(account).toMatchObject({ status: 'LINKED', currency: 'GBP', institution: { code: 'SANDBOX_BANK_GB' } });
    expect((await tenant.controller.client.data(Unlink, { id: account.id })).unlinkAccount.status).toBe('UNLINKED');
    const again = await tenant.controller.client.error(Unlink, { id: account.id });
    expect(again.extensions).toMatchObject({ code: 'INVALID_STATE', currentStatus: 'UNLINKED' });
  });

  it('checks account details against the institution\'s scheme', async () => {
    const error = await tenant.controller.client.error(LinkAccount, {
      input: { institutionCode: 'SANDBOX_BANK_EU', accountIdentification: { sepa: { iban: 'DE89370400440532013001' } } },
    });
    expect(error.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      invalidFields: [{ fieldName: 'accountIdentification.sepa.iban', error: 'CHECKSUM' }],
    });
  });
});

describe('tenant isolation', () => {
  it('answers another buyer\'s ids exactly like ids that never existed', async () => {
    const foreign = await linkGbAccount(other.controller);
    const mine = await linkGbAccount(tenant.controller);
    const neverExisted = Buffer.from('LinkedAccount:01937a00-0000-7000-8000-00000000ffff').toString('base64url');
    for (const id of [foreign.id, neverExisted]) {
      const error = await tenant.controller.client.error(Unlink, { id });
      expect(error).toMatchObject({ message: 'Linked account not found', extensions: { code: 'NOT_FOUND' } });
      expect((await tenant.controller.client.request(NodeById, { id })).data?.node).toBeNull();
    }
    expect((await tenant.controller.client.data(NodeById, { id: mine.id })).node).toEqual({ id: mine.id, __typename: 'LinkedAccount' });
    const { linkedAccounts } = await tenant.controller.client.data(Accounts);
    expect(linkedAccounts.map((a) => a.id)).not.toContain(foreign.id);
    const { users } = await tenant.admin.client.data(Users);
    expect(users.map((u) => u.email)).not.toContain(other.admin.email);
  });

  it('answers malformed ids with NOT_FOUND', async () => {
    for (const id of ['abc', '', 'VXNlcjpub3QtYS11dWlk', Buffer.from('User:' + tenant.admin.id.slice(0, 8)).toString('base64url')]) {
      expect((await tenant.admin.client.error(NodeById, { id })).extensions?.code).toBe('NOT_FOUND');
    }
    expect((await tenant.admin.client.error(SetRoles, { userId: 'abc', roles: [] })).extensions?.code).toBe('NOT_FOUND');
  });
});

describe('health and readiness', () => {
  it('serves /health and /ready with Redis reported', async () => {
    const base = app.url.replace('/graphql', '');
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', database: 'up', redis: 'up' });
  });

  it('masks unexpected failures without stack traces or SQL', async () => {
    const response = await tenant.admin.client.request('{ viewer { id } __typename }');
    expect(response.errors).toBeUndefined();
    const bad = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": "{ nope }"}' });
    const body = JSON.stringify(await bad.json());
    expect(body).not.toMatch(/at .*\.ts:\d+|SELECT|prisma/i);
  });
});
