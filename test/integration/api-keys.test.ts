import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../generated/index.ts';
import { ApiKeys, apiKeyOf, CreateApiKey, DeactivateUser, Logout, RevokeApiKey, WhoAmI } from '../helpers/access.ts';
import { connectWs, readLog } from '../helpers/ws-client.ts';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { AuthoriseBatch, fundedRun, readFunding } from '../helpers/funding.ts';
import { ConfirmRun, createRun, gbpPayable, GetRun, RestartRun, VerifyChallenge } from '../helpers/payment-runs.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

const SetRoles = graphql(`mutation KeyOwnerRoles($userId: ID!, $roles: [Role!]!) { setUserRoles(userId: $userId, roles: $roles) { id roles } }`);
const Runs = graphql(`query KeyRuns { paymentRuns(first: 10) { totalCount edges { node { id status } } } }`);
const CreateRunAsKey = graphql(`mutation KeyCreateRun($input: CreatePaymentRunInput!) { createPaymentRun(input: $input) { id } }`);
const FundAsKey = graphql(`mutation KeyFund($id: ID!, $accounts: [ID!]!) { fundPaymentRun(id: $id, linkedAccountIds: $accounts) { id } }`);
const NodeOf = graphql(`query KeyNode($id: ID!) { node(id: $id) { id __typename } }`);

let app: TestApp;
let tenant: Tenant;
let other: Tenant;

beforeAll(async () => {
  app = await startTestApp();
  [tenant, other] = await Promise.all([createTenant(app), createTenant(app)]);
});
afterAll(() => app?.stop());

describe('API keys', () => {
  it('shows the prk_ secret once, stores only a hash, and lets the key create and read runs', async () => {
    const key = await apiKeyOf(app, tenant.creator, ['CREATOR']);
    expect(key.secret).toMatch(/^prk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const stored = await app.app.services.database.prisma.apiKey.findUniqueOrThrow({ where: { prefix: key.secret.slice(4, 16) } });
    expect(stored.secretHash).not.toContain(key.secret.slice(17));
    expect(JSON.stringify(stored)).not.toContain(key.secret);

    const run = await createRun({ ...tenant.creator, client: key.client }, [gbpPayable(0)]);
    const { paymentRun } = await key.client.data(GetRun, { id: run.id });
    expect(paymentRun?.id).toBe(run.id);
    const { paymentRuns } = await key.client.data(Runs);
    expect(paymentRuns.edges.map((e) => e.node.id)).toContain(run.id);
    const lastUsed = async () => (await tenant.creator.client.data(ApiKeys)).apiKeys.find((k) => k.id === key.id)?.lastUsedAt;
    const first = await lastUsed();
    expect(first).not.toBeNull();
    // Coarse: more requests within the minute write nothing.
    await key.client.data(Runs);
    await key.client.data(Runs);
    expect(await lastUsed()).toBe(first);
  });

  it('refuses roles the owner lacks with INSUFFICIENT_PERMISSIONS, and an empty role list with BAD_USER_INPUT', async () => {
    const lacking = await tenant.creator.client.error(CreateApiKey, { input: { name: 'too much', roles: ['CREATOR', 'CONTROLLER'] } });
    expect(lacking.extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
    const empty = await tenant.creator.client.error(CreateApiKey, { input: { name: 'none', roles: [] } });
    expect(empty.extensions?.code).toBe('BAD_USER_INPUT');
    const { apiKeys } = await tenant.creator.client.data(ApiKeys);
    expect(apiKeys.map((k) => k.name)).not.toContain('too much');
  });

  it('never passes SCA: a CONTROLLER\'s key cannot confirm, answer a challenge, restart or authorise', async () => {
    const key = await apiKeyOf(app, tenant.controller, ['CONTROLLER']);
    const run = await createRun(tenant.creator, [gbpPayable(0)]);
    await app.app.services.jobs.drain();
    expect((await key.client.error(ConfirmRun, { id: run.id })).extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
    await tenant.controller.client.data(ConfirmRun, { id: run.id });
    expect((await key.client.error(VerifyChallenge, { id: run.id, code: '123456' })).extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
    expect((await key.client.error(RestartRun, { id: run.id })).extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
    const { paymentRun } = await tenant.controller.client.data(GetRun, { id: run.id });
    expect(paymentRun?.status).toBe('PENDING_CHALLENGE');
    expect(paymentRun?.challenge?.attemptsRemaining).toBe(3);

    const { runId, groups } = await fundedRun(app, tenant);
    const batchId = groups[0]!.batches[0]!.id;
    expect((await key.client.error(AuthoriseBatch, { batchId })).extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
    const funding = await readFunding(tenant.controller, runId);
    expect(JSON.stringify(funding)).not.toContain('USER_AUTHORISING');
  });

  it('counts rate limits per key, apart from its owner\'s own requests', async () => {
    const key = await apiKeyOf(app, tenant.creator, ['CREATOR']);
    const limited = await startTestApp({ RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const viaKey = limited.client(key.secret);
      for (let i = 0; i < 3; i++) await viaKey.data(WhoAmI);
      const refused = await viaKey.error(WhoAmI);
      expect(refused.extensions?.code).toBe('RATE_LIMITED');
      // The owner's session has its own budget.
      expect((await limited.client(tenant.creator.token).data(WhoAmI)).viewer.id).toBe(tenant.creator.id);
    } finally {
      await limited.stop();
    }
  });

  it('acts with the roles both the key and its owner hold, read fresh on every operation', async () => {
    const { admin } = tenant;
    const key = await apiKeyOf(app, admin, ['ADMIN', 'CREATOR']);
    const keyCreator = { ...admin, client: key.client };
    const run = await createRun(keyCreator, [gbpPayable(1)]);
    await app.app.services.jobs.drain();
    // Not CONTROLLER although the owner is one: the key was not given it.
    expect((await key.client.error(FundAsKey, { id: run.id, accounts: [] })).extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
    // The owner loses CREATOR (changed by another admin's key): the same key loses it at once.
    const admin2 = await apiKeyOf(app, admin, ['ADMIN']);
    await admin2.client.data(SetRoles, { userId: admin.id, roles: ['ADMIN', 'CONTROLLER'] });
    expect((await key.client.error(CreateRunAsKey, { input: { payables: [gbpPayable(2)] } })).extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
    // The owner gets CREATOR back: so does the key, with no new secret.
    await admin2.client.data(SetRoles, { userId: admin.id, roles: ['ADMIN', 'CREATOR', 'CONTROLLER'] });
    expect((await key.client.data(CreateRunAsKey, { input: { payables: [gbpPayable(2)] } })).createPaymentRun.id).toBeTruthy();
    // An ADMIN key whose owner is no longer ADMIN cannot manage users.
    await admin2.client.data(SetRoles, { userId: tenant.controller.id, roles: ['CONTROLLER', 'ADMIN'] });
    await tenant.controller.client.data(SetRoles, { userId: admin.id, roles: ['CREATOR', 'CONTROLLER'] });
    expect((await admin2.client.error(SetRoles, { userId: admin.id, roles: ['ADMIN'] })).extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
    await tenant.controller.client.data(SetRoles, { userId: admin.id, roles: ['ADMIN', 'CREATOR', 'CONTROLLER'] });
    await tenant.controller.client.data(SetRoles, { userId: tenant.controller.id, roles: ['CONTROLLER'] });
  });

  it('stops a revoked key at once, over HTTP and at WebSocket connection', async () => {
    const key = await apiKeyOf(app, tenant.creator, ['CREATOR']);
    await key.client.data(WhoAmI);
    const { revokeApiKey } = await tenant.creator.client.data(RevokeApiKey, { id: key.id });
    expect(revokeApiKey.revokedAt).not.toBeNull();
    expect((await key.client.error(WhoAmI)).extensions?.code).toBe('UNAUTHENTICATED');
    const ws = connectWs(app.url, key.secret);
    try {
      expect((await ws.closed()).code).toBe(4403);
    } finally {
      await ws.dispose();
    }
  });

  it('is accepted as graphql-ws connectionParams.authorization and streams the owner\'s buyer\'s events', async () => {
    const key = await apiKeyOf(app, tenant.creator, ['CREATOR']);
    const ws = connectWs(app.url, key.secret);
    try {
      await ws.connected();
      const run = await createRun(tenant.creator, [gbpPayable(3)]);
      const [created] = await readLog(key.client, { paymentRunId: run.id });
      await app.app.services.jobs.drain();
      // Resuming after the run's first event replays the validation that followed: no race with the job.
      const stream = ws.subscribe(graphql(`
        subscription KeyStream($id: ID, $after: String) { statusChanged(paymentRunId: $id, after: $after) { entityType toStatus } }
      `), { id: run.id, after: created!.cursor });
      await stream.until((values) => values.some((v) => v.statusChanged.toStatus === 'PENDING_CONFIRMATION'), 'the run validated');
      stream.dispose();
    } finally {
      await ws.dispose();
    }
  });

  it('stops the keys of a deactivated user at once', async () => {
    const tenant2 = await createTenant(app);
    const key = await apiKeyOf(app, tenant2.creator, ['CREATOR']);
    await key.client.data(WhoAmI);
    await tenant2.admin.client.data(DeactivateUser, { userId: tenant2.creator.id });
    expect((await key.client.error(WhoAmI)).extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('lists own keys; an ADMIN lists and revokes the buyer\'s; other users\' and buyers\' keys answer NOT_FOUND', async () => {
    const creatorKey = await apiKeyOf(app, tenant.creator, ['CREATOR'], 'creator key');
    const controllerKey = await apiKeyOf(app, tenant.controller, ['CONTROLLER'], 'controller key');
    const own = (await tenant.creator.client.data(ApiKeys)).apiKeys.map((k) => k.id);
    expect(own).toContain(creatorKey.id);
    expect(own).not.toContain(controllerKey.id);
    const all = (await tenant.admin.client.data(ApiKeys)).apiKeys.map((k) => k.id);
    expect(all).toEqual(expect.arrayContaining([creatorKey.id, controllerKey.id]));
    expect((await other.admin.client.data(ApiKeys)).apiKeys.map((k) => k.id)).not.toContain(creatorKey.id);

    expect((await tenant.creator.client.error(RevokeApiKey, { id: controllerKey.id })).extensions?.code).toBe('NOT_FOUND');
    expect((await other.admin.client.error(RevokeApiKey, { id: controllerKey.id })).extensions?.code).toBe('NOT_FOUND');
    // node(id:) answers a key the viewer may not see exactly as it answers any foreign id.
    for (const viewer of [other.admin, tenant.creator]) {
      const answer = await viewer.client.request(NodeOf, { id: controllerKey.id });
      expect(answer.data?.node ?? null).toBeNull();
      expect(answer.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    }
    expect((await tenant.admin.client.data(NodeOf, { id: controllerKey.id })).node?.__typename).toBe('ApiKey');
    await tenant.admin.client.data(RevokeApiKey, { id: controllerKey.id });
    expect((await controllerKey.client.error(WhoAmI)).extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses what a key must not do: mint keys, sign out, enrol SCA', async () => {
    const key = await apiKeyOf(app, tenant.admin, ['ADMIN', 'CREATOR', 'CONTROLLER']);
    expect((await key.client.error(CreateApiKey, { input: { name: 'child', roles: ['CREATOR'] } })).extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
    expect((await key.client.error(Logout)).extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
    expect((await key.client.error(graphql(`mutation KeyEnrol { enrolScaDevice }`))).extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
  });

  it('answers UNAUTHENTICATED for a forged or malformed key', async () => {
    const key = await apiKeyOf(app, tenant.creator, ['CREATOR']);
    const forged = `${key.secret.slice(0, 17)}${'A'.repeat(43)}`;
    expect((await app.client(forged).error(WhoAmI)).extensions?.code).toBe('UNAUTHENTICATED');
    expect((await app.client('prk_nonsense').error(WhoAmI)).extensions?.code).toBe('UNAUTHENTICATED');
  });
});
