import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pruneDeliveries } from '../../src/domain/webhook/webhook.store.ts';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { SimulateFunds, SimulatePayable, TransfersOfRun, authoriseAll, fundedRun, readFunding, startIsolatedApp } from '../helpers/funding.ts';
import { CancelRun, createRun, gbpPayable } from '../helpers/payment-runs.ts';
import type { TestApp } from '../helpers/test-app.ts';
import {
  CreateEndpoint, DeleteEndpoint, DisableEndpoint, EnableEndpoint, EndpointDeliveries, ListEndpoints, RotateSecret,
  WebhookReceiver, firstDeliveries,
} from '../helpers/webhook-receiver.ts';
import { expectBodiesMatchLog, readBuyerLog } from '../helpers/webhooks.ts';

/**
 * Webhooks to real local receivers (CONTRACT.md §9). The app has a database of its own: the
 * deliverer serves every buyer of its database, and other suites' gateways (with other retry
 * settings) must not pick up these endpoints.
 */
let app: TestApp;
let receiver: WebhookReceiver;

beforeAll(async () => {
  app = await startIsolatedApp({ RUN_JOBS: 'true', WEBHOOK_RETRY_BASE_MS: '20' });
  receiver = await WebhookReceiver.start();
});
afterAll(async () => {
  await app?.stop();
  await receiver?.close();
});

async function endpointFor(tenant: Tenant, path: string, input: { entityTypes?: ('PAYMENT_RUN' | 'PAYABLE' | 'PAYABLE_GROUP')[]; paymentRunId?: string } = {}) {
  const { createWebhookEndpoint } = await tenant.admin.client.data(CreateEndpoint, { input: { url: receiver.url(path), description: path, ...input } });
  return createWebhookEndpoint;
}

describe('delivery', () => {
  it('delivers a run\'s whole lifecycle, signed, in log order, equal to statusChanges', async () => {
    const tenant = await createTenant(app);
    const { endpoint, secret } = await endpointFor(tenant, '/lifecycle');
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(endpoint).toMatchObject({ url: receiver.url('/lifecycle'), status: 'ENABLED', entityTypes: null, description: '/lifecycle' });

    const { runId, groups } = await fundedRun(app, tenant, 'SANDBOX_BANK_GB', [gbpPayable(0), gbpPayable(1), gbpPayable(2)]);
    await authoriseAll(tenant.controller, groups);
    await tenant.controller.client.data(SimulateFunds, { fundingGroupId: groups[0]!.id });
    const run = await readFunding(tenant.controller, runId);
    for (const payable of run.payables.edges) await tenant.controller.client.data(SimulatePayable, { id: payable.node.id, outcome: 'COMPLETE' });
    expect((await readFunding(tenant.controller, runId)).status).toBe('COMPLETED');

    const log = await readBuyerLog(tenant.admin);
    expect(log.length).toBeGreaterThan(20);
    await receiver.waitFor(() => receiver.accepted('/lifecycle').length >= log.length, 'the whole lifecycle');
    const requests = receiver.accepted('/lifecycle');
    // Every receiver answered 200 at once: nothing was sent twice.
    expect(requests).toHaveLength(log.length);
    expectBodiesMatchLog(requests, log);
    const verifier = new Webhook(secret);
    for (const request of requests) {
      expect(request.signature.split(' ')).toHaveLength(1);
      expect(() => verifier.verify(request.body, request.headers)).not.toThrow();
      expect(request.headers['content-type']).toBe('application/json');
    }
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(requests[0]!.body, requests[0]!.headers)).toThrow();
  });

  it('retries a failing receiver with backoff: the 4th attempt succeeds and every attempt is readable', async () => {
    const tenant = await createTenant(app);
    let failuresLeft = 3;
    receiver.respond = (request) => (request.path === '/flaky' && failuresLeft-- > 0 ? 500 : 200);
    const { endpoint } = await endpointFor(tenant, '/flaky', { entityTypes: ['PAYMENT_RUN'] });
    await createRun(tenant.creator, [gbpPayable(0)]);
    await receiver.waitFor(() => receiver.accepted('/flaky').length >= 2, 'both run events');

    const requests = receiver.received.filter((r) => r.path === '/flaky');
    const [first, second] = receiver.accepted('/flaky');
    expect(requests.map((r) => [r.id, r.status])).toEqual([
      [first!.id, 500], [first!.id, 500], [first!.id, 500], [first!.id, 200], [second!.id, 200],
    ]);
    // The same body each time; only the timestamp header and signature are per attempt.
    expect(new Set(requests.slice(0, 4).map((r) => r.body)).size).toBe(1);

    // The receiver answers before the deliverer records the attempts (at the end of its claim): wait for the records.
    const attempts = await vi.waitFor(async () => {
      const { node } = await tenant.admin.client.data(EndpointDeliveries, { id: endpoint.id, first: 10 });
      if (node?.__typename !== 'WebhookEndpoint') throw new Error('endpoint not found');
      const recorded = node.deliveries.edges.map((e) => e.node);
      expect(recorded).toHaveLength(requests.length);
      return recorded;
    }, { timeout: 30_000, interval: 100 });
    expect(attempts.map((a) => [a.eventCursor, a.attempt, a.statusCode])).toEqual([
      [second!.id, 1, 200], [first!.id, 4, 200], [first!.id, 3, 500], [first!.id, 2, 500], [first!.id, 1, 500],
    ]);
    expect(attempts.filter((a) => a.statusCode === 500).every((a) => /500/.test(a.error ?? ''))).toBe(true);
    expect(attempts.filter((a) => a.statusCode === 200).every((a) => a.error === null)).toBe(true);
    expect(attempts.every((a) => a.durationMs >= 0 && Number.isInteger(a.durationMs))).toBe(true);

    const page = await tenant.admin.client.data(EndpointDeliveries, { id: endpoint.id, first: 2 });
    if (page.node?.__typename !== 'WebhookEndpoint') throw new Error('endpoint not found');
    expect(page.node.deliveries.pageInfo.hasNextPage).toBe(true);
    const rest = await tenant.admin.client.data(EndpointDeliveries, { id: endpoint.id, first: 10, after: page.node.deliveries.pageInfo.endCursor });
    if (rest.node?.__typename !== 'WebhookEndpoint') throw new Error('endpoint not found');
    expect(rest.node.deliveries.edges.map((e) => e.node.id)).toEqual(attempts.slice(2).map((a) => a.id));
  });

  it('signs with both secrets for a while after rotation', async () => {
    const tenant = await createTenant(app);
    const { endpoint, secret: oldSecret } = await endpointFor(tenant, '/rotate', { entityTypes: ['PAYMENT_RUN'] });
    await createRun(tenant.creator, [gbpPayable(0)]);
    await receiver.waitFor(() => receiver.accepted('/rotate').length >= 2, 'the first run\'s events');

    const { rotateWebhookSecret } = await tenant.admin.client.data(RotateSecret, { id: endpoint.id });
    const newSecret = rotateWebhookSecret.secret;
    expect(newSecret).not.toBe(oldSecret);
    await createRun(tenant.creator, [gbpPayable(1)]);
    await receiver.waitFor(() => receiver.accepted('/rotate').length >= 4, 'the second run\'s events');

    const requests = receiver.accepted('/rotate');
    for (const before of requests.slice(0, 2)) expect(before.signature.split(' ')).toHaveLength(1);
    for (const after of requests.slice(2)) {
      expect(after.signature.split(' ')).toHaveLength(2);
      expect(() => new Webhook(oldSecret).verify(after.body, after.headers)).not.toThrow();
      expect(() => new Webhook(newSecret).verify(after.body, after.headers)).not.toThrow();
    }
  });

  it('sends only the entity types and run an endpoint asks for', async () => {
    const tenant = await createTenant(app);
    const watched = await createRun(tenant.creator, [gbpPayable(0), gbpPayable(1)]);
    await app.app.services.jobs.drain();
    await endpointFor(tenant, '/filtered', { entityTypes: ['PAYABLE'], paymentRunId: watched.id });
    const marker = await endpointFor(tenant, '/marker', { entityTypes: ['PAYMENT_RUN'] });
    await createRun(tenant.creator, [gbpPayable(2)]);
    const { cancelPaymentRun } = await tenant.creator.client.data(CancelRun, { id: watched.id });
    expect(cancelPaymentRun.status).toBe('CANCELLED');
    // The marker sees the later run's events and the cancellation: by then the filtered endpoint had its turn.
    await receiver.waitFor(() => receiver.accepted('/marker').length >= 3 && receiver.accepted('/filtered').length >= 2, 'both endpoints');
    const log = await readBuyerLog(tenant.admin);
    const expected = log.filter((e) => e.entityType === 'PAYABLE' && e.paymentRunId === watched.id && e.toStatus === 'CANCELLED');
    expect(receiver.accepted('/filtered').map((r) => r.id)).toEqual(expected.map((e) => e.cursor));
    expect(marker.endpoint.entityTypes).toEqual(['PAYMENT_RUN']);
  });
});

describe('managing endpoints', () => {
  it('disables, enables and deletes; another buyer\'s ADMIN can neither see nor touch the endpoint', async () => {
    const [tenant, other] = await Promise.all([createTenant(app), createTenant(app)]);
    const { endpoint } = await endpointFor(tenant, '/managed');

    const { disableWebhookEndpoint } = await tenant.admin.client.data(DisableEndpoint, { id: endpoint.id });
    expect(disableWebhookEndpoint.status).toBe('DISABLED');
    expect((await tenant.admin.client.data(DisableEndpoint, { id: endpoint.id })).disableWebhookEndpoint.status).toBe('DISABLED');
    const { enableWebhookEndpoint } = await tenant.admin.client.data(EnableEndpoint, { id: endpoint.id });
    expect(enableWebhookEndpoint.status).toBe('ENABLED');
    expect((await tenant.admin.client.data(ListEndpoints)).webhookEndpoints.map((e) => e.id)).toEqual([endpoint.id]);

    expect((await other.admin.client.data(ListEndpoints)).webhookEndpoints).toEqual([]);
    const foreign = await other.admin.client.request(EndpointDeliveries, { id: endpoint.id });
    expect(foreign.data?.node ?? null).toBeNull();
    for (const mutation of [RotateSecret, DisableEndpoint, EnableEndpoint, DeleteEndpoint]) {
      const error = await other.admin.client.error(mutation, { id: endpoint.id });
      expect(error.extensions?.code).toBe('NOT_FOUND');
    }
    const theirRun = await createRun(other.creator, [gbpPayable(0)]);
    const foreignRun = await tenant.admin.client.error(CreateEndpoint, { input: { url: receiver.url('/x'), paymentRunId: theirRun.id } });
    expect(foreignRun.extensions?.code).toBe('NOT_FOUND');

    // Only ADMINs manage endpoints.
    for (const user of [tenant.creator, tenant.controller]) {
      expect((await user.client.error(ListEndpoints)).extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
      expect((await user.client.error(CreateEndpoint, { input: { url: receiver.url('/x') } })).extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
      expect((await user.client.error(DisableEndpoint, { id: endpoint.id })).extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');
    }
    const viaNode = await tenant.creator.client.request(EndpointDeliveries, { id: endpoint.id });
    expect(viaNode.errors?.[0]?.extensions?.code).toBe('INSUFFICIENT_PERMISSIONS');

    expect((await tenant.admin.client.data(DeleteEndpoint, { id: endpoint.id })).deleteWebhookEndpoint).toBe(true);
    expect((await tenant.admin.client.error(DeleteEndpoint, { id: endpoint.id })).extensions?.code).toBe('NOT_FOUND');
    expect((await tenant.admin.client.data(ListEndpoints)).webhookEndpoints).toEqual([]);
  });

  it('prunes attempt records older than the retention', async () => {
    const tenant = await createTenant(app);
    const { endpoint } = await endpointFor(tenant, '/pruned', { entityTypes: ['PAYMENT_RUN'] });
    await createRun(tenant.creator, [gbpPayable(0)]);
    await receiver.waitFor(() => receiver.accepted('/pruned').length >= 2, 'both run events');
    const prisma = app.app.services.database.prisma;
    const endpointId = Buffer.from(endpoint.id, 'base64url').toString().split(':')[1]!;
    // The receiver answers before the deliverer records the attempts: wait for both records.
    await vi.waitFor(async () => expect(await prisma.webhookDelivery.count({ where: { endpointId } })).toBe(2), { timeout: 30_000, interval: 100 });
    const [oldest] = await prisma.webhookDelivery.findMany({ where: { endpointId }, orderBy: { id: 'asc' }, take: 1 });
    await prisma.webhookDelivery.update({ where: { id: oldest!.id }, data: { createdAt: new Date(Date.now() - 31 * 86_400_000) } });
    expect(await pruneDeliveries(prisma, 30)).toBeGreaterThanOrEqual(1);
    expect(await prisma.webhookDelivery.count({ where: { endpointId } })).toBe(1);
    expect(await pruneDeliveries(prisma, 30)).toBe(0);
  });

  it('refuses malformed input with BAD_USER_INPUT', async () => {
    const tenant = await createTenant(app);
    for (const url of ['not a url', 'ftp://example.com/hook', `https://example.com/${'a'.repeat(2100)}`, 'https://user:pw@example.com/']) {
      const error = await tenant.admin.client.error(CreateEndpoint, { input: { url } });
      expect(error.extensions?.code, url).toBe('BAD_USER_INPUT');
    }
    expect((await tenant.admin.client.data(ListEndpoints)).webhookEndpoints).toEqual([]);
  });
});

describe('payable groups', () => {
  it('delivers PAYABLE_GROUP changes to an endpoint that asks for them, with the group\'s global id', async () => {
    const tenant = await createTenant(app);
    await endpointFor(tenant, '/transfers', { entityTypes: ['PAYABLE_GROUP'] });
    const invoices = [gbpPayable(0), { ...gbpPayable(0), reference: 'INV 0B' }];
    const { runId, groups } = await fundedRun(app, tenant, 'SANDBOX_BANK_GB', invoices, { bundleBySupplier: true });
    await authoriseAll(tenant.controller, groups);
    const { paymentRun } = await tenant.controller.client.data(TransfersOfRun, { id: runId });
    const [transfer] = paymentRun!.fundingGroups[0]!.batches[0]!.payableGroups;
    expect(transfer!.status).toBe('PROCESSING');

    const log = (await readBuyerLog(tenant.admin)).filter((e) => e.entityType === 'PAYABLE_GROUP');
    expect(log.map((e) => [e.entityId, e.fromStatus ?? null, e.toStatus])).toEqual([
      [transfer!.id, null, 'OPEN'], [transfer!.id, 'OPEN', 'USER_INITIATION_IN_PROGRESS'], [transfer!.id, 'USER_INITIATION_IN_PROGRESS', 'PROCESSING'],
    ]);
    await receiver.waitFor(() => receiver.accepted('/transfers').length >= log.length, 'the group\'s changes');
    expectBodiesMatchLog(receiver.accepted('/transfers'), log);
  });
});
