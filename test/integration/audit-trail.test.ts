import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/domain/shared/unit-of-work.ts';
import { AuditAction, writeAuditEvent } from '../../src/domain/audit/audit.ts';
import { idOf } from '../../src/graphql/ids.ts';
import { graphql } from '../generated/index.ts';
import {
  apiKeyOf, auditOf, AuditEvents, ChangePassword, CreateApiKey, DeactivateUser, Logout, ResetSca, RevokeApiKey,
} from '../helpers/access.ts';
import {
  CreateUser, EnrolSca, LinkAccount, Login, PASSWORD, VerifySca, createTenant, signIn, type Tenant,
} from '../helpers/factories.ts';
import { createRun, eurPayable, gbpPayable, GetRun, UpdatePayables } from '../helpers/payment-runs.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

const SetRoles = graphql(`mutation AuditSetRoles($userId: ID!, $roles: [Role!]!) { setUserRoles(userId: $userId, roles: $roles) { id } }`);
const Unlink = graphql(`mutation AuditUnlink($id: ID!) { unlinkAccount(id: $id) { id status } }`);
const SupplierChangedAt = graphql(`
  query AuditSupplierChangedAt($id: ID!) { paymentRun(id: $id) { payables(first: 10) { edges { node { id supplierChangedAt } } } } }
`);

const CreateEndpoint = graphql(`
  mutation AuditCreateEndpoint($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id } } }
`);
const DisableEndpoint = graphql(`mutation AuditDisableEndpoint($id: ID!) { disableWebhookEndpoint(id: $id) { id } }`);
const DeleteEndpoint = graphql(`mutation AuditDeleteEndpoint($id: ID!) { deleteWebhookEndpoint(id: $id) }`);

const IBAN = 'GB82WEST12345698765432';
const NEW_IBAN = 'DE89370400440532013000';

let app: TestApp;
let tenant: Tenant;
let other: Tenant;
const drain = () => app.app.services.jobs.drain();

beforeAll(async () => {
  app = await startTestApp();
  [tenant, other] = await Promise.all([createTenant(app), createTenant(app, { currencies: ['GBP', 'EUR'] })]);
});
afterAll(() => app?.stop());

const email = (label: string) => `${label}-${Math.random().toString(36).slice(2, 10)}@test.example`;
const count = async (action: string, admin = tenant.admin) => (await auditOf(admin, action)).length;
const newUser = async (label: string, roles: ('CREATOR' | 'CONTROLLER' | 'ADMIN')[] = ['CREATOR']) => {
  const address = email(label);
  const { createUser } = await tenant.admin.client.data(CreateUser, { input: { email: address, name: label, password: PASSWORD, roles } });
  return { ...(await signIn(app, address)), id: createUser.id };
};

describe('every audited operation writes its event, and a failed one writes none', () => {
  it('LOGIN_SUCCEEDED: a sign-in, by the user, about the user', async () => {
    const before = await count('LOGIN_SUCCEEDED');
    const user = await signIn(app, tenant.creator.email);
    const [event] = await auditOf(tenant.admin, 'LOGIN_SUCCEEDED');
    expect(await count('LOGIN_SUCCEEDED')).toBe(before + 1);
    expect(event).toMatchObject({ actor: { id: user.id }, apiKey: null, targetId: user.id });
    await app.client().error(Login, { email: tenant.creator.email, password: 'wrong-password-here' });
    expect(await count('LOGIN_SUCCEEDED')).toBe(before + 1);
  });

  it('LOGIN_FAILED: a wrong password is recorded (it commits although login answers an error); unknown emails belong to no buyer', async () => {
    const before = await count('LOGIN_FAILED');
    expect((await app.client().error(Login, { email: tenant.controller.email, password: 'wrong-password-here' })).extensions?.code)
      .toBe('UNAUTHENTICATED');
    const [event] = await auditOf(tenant.admin, 'LOGIN_FAILED');
    expect(await count('LOGIN_FAILED')).toBe(before + 1);
    expect(event).toMatchObject({ actor: null, targetId: tenant.controller.id });
    expect(JSON.parse(event!.details!)).toEqual({ reason: 'WRONG_PASSWORD' });
    expect(event!.details).not.toContain('wrong-password-here');
  });

  it('USER_CREATED: createUser by the ADMIN; a refused one (duplicate email) leaves nothing', async () => {
    const before = await count('USER_CREATED');
    const user = await newUser('created');
    const [event] = await auditOf(tenant.admin, 'USER_CREATED');
    expect(event).toMatchObject({ actor: { id: tenant.admin.id }, targetId: user.id });
    expect(JSON.parse(event!.details!)).toMatchObject({ email: user.email, roles: ['CREATOR'] });
    await tenant.admin.client.error(CreateUser, { input: { email: user.email, name: 'dup', password: PASSWORD } });
    expect(await count('USER_CREATED')).toBe(before + 1);
    // The buyer's first admin, created by the operator, is on the trail without an actor.
    const first = (await auditOf(tenant.admin, 'USER_CREATED')).find((e) => e.targetId === tenant.admin.id);
    expect(first).toMatchObject({ actor: null });
  });

  it('USER_ROLES_CHANGED: from and to; refusing to drop the last ADMIN leaves nothing', async () => {
    const user = await newUser('roles');
    const before = await count('USER_ROLES_CHANGED');
    await tenant.admin.client.data(SetRoles, { userId: user.id, roles: ['CONTROLLER'] });
    const [event] = await auditOf(tenant.admin, 'USER_ROLES_CHANGED');
    expect(event).toMatchObject({ actor: { id: tenant.admin.id }, targetId: user.id });
    expect(JSON.parse(event!.details!)).toEqual({ from: ['CREATOR'], to: ['CONTROLLER'] });
    expect((await tenant.admin.client.error(SetRoles, { userId: tenant.admin.id, roles: ['CREATOR'] })).extensions?.code).toBe('BAD_USER_INPUT');
    expect(await count('USER_ROLES_CHANGED')).toBe(before + 1);
  });

  it('SCA_ENROLLED: a verified enrolment; a wrong code leaves nothing', async () => {
    const user = await newUser('sca', ['CONTROLLER']);
    const before = await count('SCA_ENROLLED');
    await user.client.data(EnrolSca);
    await user.client.error(VerifySca, { code: '000000' });
    expect(await count('SCA_ENROLLED')).toBe(before);
    await user.client.data(VerifySca, { code: '123456' });
    const [event] = await auditOf(tenant.admin, 'SCA_ENROLLED');
    expect(event).toMatchObject({ actor: { id: user.id }, targetId: user.id });
  });

  it('SCA_RESET: resetScaEnrolment by an ADMIN; another buyer\'s user answers NOT_FOUND and leaves nothing', async () => {
    const user = await newUser('reset', ['CONTROLLER']);
    await user.client.data(EnrolSca);
    await user.client.data(VerifySca, { code: '123456' });
    const before = await count('SCA_RESET');
    const { resetScaEnrolment } = await tenant.admin.client.data(ResetSca, { userId: user.id });
    expect(resetScaEnrolment.scaEnrolled).toBe(false);
    const [event] = await auditOf(tenant.admin, 'SCA_RESET');
    expect(event).toMatchObject({ actor: { id: tenant.admin.id }, targetId: user.id });
    expect((await other.admin.client.error(ResetSca, { userId: user.id })).extensions?.code).toBe('NOT_FOUND');
    expect((await tenant.creator.client.error(ResetSca, { userId: user.id })).extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
    expect(await count('SCA_RESET')).toBe(before + 1);
  });

  it('API_KEY_CREATED: names the key, never its secret; a refused key leaves nothing', async () => {
    const before = await count('API_KEY_CREATED');
    const key = await apiKeyOf(app, tenant.creator, ['CREATOR'], 'audited key');
    const [event] = await auditOf(tenant.admin, 'API_KEY_CREATED');
    expect(event).toMatchObject({ actor: { id: tenant.creator.id }, targetId: key.id });
    expect(JSON.parse(event!.details!)).toMatchObject({ name: 'audited key', roles: ['CREATOR'] });
    expect(event!.details).not.toContain(key.secret.slice(17));
    await tenant.creator.client.error(CreateApiKey, { input: { name: 'x', roles: ['ADMIN'] } });
    expect(await count('API_KEY_CREATED')).toBe(before + 1);
  });

  it('API_KEY_REVOKED: names the key that acted when a key revokes; a second revoke leaves nothing', async () => {
    const target = await apiKeyOf(app, tenant.controller, ['CONTROLLER']);
    const adminKey = await apiKeyOf(app, tenant.admin, ['ADMIN']);
    const before = await count('API_KEY_REVOKED');
    await adminKey.client.data(RevokeApiKey, { id: target.id });
    const [event] = await auditOf(tenant.admin, 'API_KEY_REVOKED');
    expect(event).toMatchObject({ actor: { id: tenant.admin.id }, apiKey: { id: adminKey.id }, targetId: target.id });
    expect((await adminKey.client.error(RevokeApiKey, { id: target.id })).extensions?.code).toBe('INVALID_STATE');
    expect(await count('API_KEY_REVOKED')).toBe(before + 1);
  });

  it('LINKED_ACCOUNT_LINKED and _UNLINKED: bank details keep their last 4 characters; refusals leave nothing', async () => {
    const linkedBefore = await count('LINKED_ACCOUNT_LINKED');
    const { linkAccount } = await tenant.controller.client.data(LinkAccount, {
      input: { institutionCode: 'SANDBOX_BANK_EU', accountIdentification: { sepa: { iban: IBAN } } },
    });
    const [linked] = await auditOf(tenant.admin, 'LINKED_ACCOUNT_LINKED');
    expect(linked).toMatchObject({ actor: { id: tenant.controller.id }, targetId: linkAccount.id });
    expect(JSON.parse(linked!.details!)).toMatchObject({ iban: '****5432', institutionCode: 'SANDBOX_BANK_EU' });
    await tenant.controller.client.error(LinkAccount, {
      input: { institutionCode: 'SANDBOX_BANK_GB', accountIdentification: { fasterPayments: { accountNumber: '1', sortCode: '2' } } },
    });
    expect(await count('LINKED_ACCOUNT_LINKED')).toBe(linkedBefore + 1);

    const unlinkedBefore = await count('LINKED_ACCOUNT_UNLINKED');
    await tenant.controller.client.data(Unlink, { id: linkAccount.id });
    const [unlinked] = await auditOf(tenant.admin, 'LINKED_ACCOUNT_UNLINKED');
    expect(unlinked).toMatchObject({ targetId: linkAccount.id });
    expect((await tenant.controller.client.error(Unlink, { id: linkAccount.id })).extensions?.code).toBe('INVALID_STATE');
    expect(await count('LINKED_ACCOUNT_UNLINKED')).toBe(unlinkedBefore + 1);
  });

  it('PAYABLE_SUPPLIER_CHANGED: before and after, redacted; supplierChangedAt shows it; a refused change leaves nothing', async () => {
    const run = await createRun(tenant.creator, [gbpPayable(0, { accountNumber: '87654321' }), gbpPayable(1)]);
    await drain();
    const { paymentRun } = await tenant.creator.client.data(GetRun, { id: run.id });
    const [first, second] = paymentRun!.payables.edges.map((e) => e.node.id);
    const before = await count('PAYABLE_SUPPLIER_CHANGED');
    const supplier = (accountNumber: string) => ({
      name: 'New Supplier Ltd', type: 'BUSINESS' as const, bankAccountDetails: { fasterPayments: { accountNumber, sortCode: '201234' } },
    });
    await tenant.creator.client.data(UpdatePayables, { paymentRunId: run.id, payables: [{ payableId: first!, supplier: supplier('11223344') }] });
    const [event] = await auditOf(tenant.admin, 'PAYABLE_SUPPLIER_CHANGED');
    expect(event).toMatchObject({ actor: { id: tenant.creator.id }, targetId: first });
    const details = JSON.parse(event!.details!);
    expect(details.before).toMatchObject({ name: 'Supplier 0 Ltd', accountNumber: '****4321', sortCode: '****0000' });
    expect(details.after).toMatchObject({ name: 'New Supplier Ltd', accountNumber: '****3344', sortCode: '****1234' });
    const changed = (await tenant.controller.client.data(SupplierChangedAt, { id: run.id })).paymentRun!.payables.edges;
    expect(changed.find((e) => e.node.id === first)?.node.supplierChangedAt).toBeTruthy();
    expect(changed.find((e) => e.node.id === second)?.node.supplierChangedAt).toBeNull();

    // 33333333 does not exist (CoP AC01): refused, and neither the change nor its trace is kept.
    await tenant.creator.client.error(UpdatePayables, { paymentRunId: run.id, payables: [{ payableId: second!, supplier: supplier('33333333') }] });
    expect(await count('PAYABLE_SUPPLIER_CHANGED')).toBe(before + 1);
  });

  it('USER_DEACTIVATED, PASSWORD_CHANGED and LOGGED_OUT are written by their operations', async () => {
    const user = await newUser('lifecycle');
    const counts = { pw: await count('PASSWORD_CHANGED'), out: await count('LOGGED_OUT'), off: await count('USER_DEACTIVATED') };
    await user.client.error(ChangePassword, { currentPassword: 'not-the-password', newPassword: 'another-good-password' });
    expect(await count('PASSWORD_CHANGED')).toBe(counts.pw);
    await user.client.data(ChangePassword, { currentPassword: PASSWORD, newPassword: 'another-good-password' });
    expect((await auditOf(tenant.admin, 'PASSWORD_CHANGED'))[0]).toMatchObject({ actor: { id: user.id }, targetId: user.id });
    await user.client.data(Logout);
    expect((await auditOf(tenant.admin, 'LOGGED_OUT'))[0]).toMatchObject({ actor: { id: user.id }, targetId: user.id });
    await tenant.admin.client.data(DeactivateUser, { userId: user.id });
    expect((await tenant.admin.client.error(DeactivateUser, { userId: user.id })).extensions?.code).toBe('INVALID_STATE');
    expect((await auditOf(tenant.admin, 'USER_DEACTIVATED'))[0]).toMatchObject({ actor: { id: tenant.admin.id }, targetId: user.id });
    expect([await count('PASSWORD_CHANGED'), await count('LOGGED_OUT'), await count('USER_DEACTIVATED')])
      .toEqual([counts.pw + 1, counts.out + 1, counts.off + 1]);
  });

  it('WEBHOOK_ENDPOINT_CHANGED: creating, disabling and deleting an endpoint; a refused URL leaves nothing', async () => {
    const before = await count('WEBHOOK_ENDPOINT_CHANGED');
    const { createWebhookEndpoint } = await tenant.admin.client.data(CreateEndpoint, { input: { url: 'http://127.0.0.1:9/audited-hook' } });
    const id = createWebhookEndpoint.endpoint.id;
    await tenant.admin.client.data(DisableEndpoint, { id });
    await tenant.admin.client.data(DeleteEndpoint, { id });
    const events = (await auditOf(tenant.admin, 'WEBHOOK_ENDPOINT_CHANGED')).filter((e) => e.targetId === id);
    expect(events.map((e) => JSON.parse(e.details!).change)).toEqual(['DELETED', 'DISABLED', 'CREATED']);
    expect(events[2]).toMatchObject({ actor: { id: tenant.admin.id }, apiKey: null });
    expect(events[2]!.details).not.toContain(createWebhookEndpoint.secret);
    await tenant.admin.client.error(CreateEndpoint, { input: { url: 'ftp://example.com/hook' } });
    expect(await count('WEBHOOK_ENDPOINT_CHANGED')).toBe(before + 3);
  });

  it('WEBHOOK_ENDPOINT_CHANGED (and any action): the exported helper writes in the caller\'s transaction and rolls back with it', async () => {
    const { domain } = app.app.services;
    const buyerId = idOf('Buyer', tenant.buyerId);
    const adminId = idOf('User', tenant.admin.id);
    const target = { type: 'WebhookEndpoint', id: '01900000-0000-7000-8000-000000000001' };
    const before = await count('WEBHOOK_ENDPOINT_CHANGED');
    await expect(inTransaction(domain, buyerId, adminId, async (uow) => {
      await uow.audit(AuditAction.WEBHOOK_ENDPOINT_CHANGED, target, { change: 'CREATED' });
      throw new Error('the change itself failed');
    })).rejects.toThrow('the change itself failed');
    await expect(domain.tenantDb(buyerId).$transaction(async (tx) => {
      await writeAuditEvent(tx, buyerId, { userId: adminId }, AuditAction.WEBHOOK_ENDPOINT_CHANGED, target, null);
      throw new Error('rolled back');
    })).rejects.toThrow('rolled back');
    expect(await count('WEBHOOK_ENDPOINT_CHANGED')).toBe(before);
    await inTransaction(domain, buyerId, adminId, (uow) => uow.audit(AuditAction.WEBHOOK_ENDPOINT_CHANGED, target, { change: 'CREATED' }));
    expect(await count('WEBHOOK_ENDPOINT_CHANGED')).toBe(before + 1);
  });
});

describe('reading the trail', () => {
  it('never shows a full account number, sort code or IBAN in any event', async () => {
    await tenant.controller.client.data(LinkAccount, {
      input: { institutionCode: 'SANDBOX_BANK_GB', accountIdentification: { fasterPayments: { accountNumber: '24681357', sortCode: '112233' } } },
    });
    const run = await createRun(tenant.creator, [eurPayable(0)]);
    await drain();
    const { paymentRun } = await tenant.creator.client.data(GetRun, { id: run.id });
    await tenant.creator.client.data(UpdatePayables, {
      paymentRunId: run.id,
      payables: [{ payableId: paymentRun!.payables.edges[0]!.node.id, supplier: { name: 'Lieferant', bankAccountDetails: { sepa: { iban: IBAN } } } }],
    });
    const { auditEvents } = await tenant.admin.client.data(AuditEvents, { first: 500 });
    const text = JSON.stringify(auditEvents);
    for (const secret of ['24681357', '112233', IBAN, NEW_IBAN, '12345678', '87654321', '11223344']) expect(text).not.toContain(secret);
    expect(text).toContain('****1357');
  });

  it('is for ADMINs, newest first, paginated and filtered by action', async () => {
    expect((await tenant.creator.client.error(AuditEvents, { first: 5 })).extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
    const page1 = (await tenant.admin.client.data(AuditEvents, { first: 2 })).auditEvents;
    const page2 = (await tenant.admin.client.data(AuditEvents, { first: 2, after: page1.pageInfo.endCursor })).auditEvents;
    const all = (await tenant.admin.client.data(AuditEvents, { first: 4 })).auditEvents;
    expect([...page1.edges, ...page2.edges].map((e) => e.node.id)).toEqual(all.edges.map((e) => e.node.id));
    const times = all.edges.map((e) => Date.parse(e.node.occurredAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const logins = (await tenant.admin.client.data(AuditEvents, { first: 500, actions: ['LOGIN_SUCCEEDED', 'LOGIN_FAILED'] })).auditEvents;
    expect(new Set(logins.edges.map((e) => e.node.action))).toEqual(new Set(['LOGIN_SUCCEEDED', 'LOGIN_FAILED']));
    expect(logins.totalCount).toBe(logins.edges.length);
  });

  it('is append-only: the database refuses to change or delete an event', async () => {
    const prisma = app.app.services.database.prisma;
    const buyerId = idOf('Buyer', tenant.buyerId);
    await expect(prisma.$executeRawUnsafe(`UPDATE audit_events SET action = 'X' WHERE buyer_id = $1::uuid`, buyerId)).rejects.toThrow();
    await expect(prisma.$executeRawUnsafe(`DELETE FROM audit_events WHERE buyer_id = $1::uuid`, buyerId)).rejects.toThrow();
    expect(await count('LOGIN_SUCCEEDED')).toBeGreaterThan(0);
  });

  it('shows another buyer\'s ADMIN none of it', async () => {
    const mine = (await tenant.admin.client.data(AuditEvents, { first: 500 })).auditEvents.edges.map((e) => e.node.id);
    const theirs = (await other.admin.client.data(AuditEvents, { first: 500 })).auditEvents;
    expect(theirs.edges.some((e) => mine.includes(e.node.id))).toBe(false);
    const userIds = [tenant.admin.id, tenant.creator.id, tenant.controller.id];
    expect(theirs.edges.some((e) => userIds.includes(e.node.targetId ?? '') || userIds.includes(e.node.actor?.id ?? ''))).toBe(false);
    expect(mine.length).toBeGreaterThan(0);
  });
});
