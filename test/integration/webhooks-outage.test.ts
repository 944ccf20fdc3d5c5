import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTenant } from '../helpers/factories.ts';
import { startIsolatedApp } from '../helpers/funding.ts';
import { CancelRun, createRun, gbpPayable } from '../helpers/payment-runs.ts';
import type { TestApp } from '../helpers/test-app.ts';
import { CreateEndpoint, EnableEndpoint, EndpointDeliveries, WebhookReceiver, firstDeliveries } from '../helpers/webhook-receiver.ts';
import { expectBodiesMatchLog, readBuyerLog } from '../helpers/webhooks.ts';

/**
 * A receiver down for longer than the retry window. The window is shrunk to a couple of seconds
 * (WEBHOOK_RETRY_HOURS accepts fractions) and retries start after 50 ms; nothing here sleeps: the
 * test waits for the endpoint to report DISABLED and for the receiver to get what it missed.
 */
let app: TestApp;
let receiver: WebhookReceiver;
let down = true;
const outcomes: string[] = [];

beforeAll(async () => {
  app = await startIsolatedApp(
    { RUN_JOBS: 'true', WEBHOOK_RETRY_BASE_MS: '50', WEBHOOK_RETRY_HOURS: String(2 / 3600) },
    {},
    { onWebhookDelivery: (outcome) => outcomes.push(outcome) },
  );
  receiver = await WebhookReceiver.start(() => (down ? 503 : 200));
});
afterAll(async () => {
  await app?.stop();
  await receiver?.close();
});

describe('a receiver down past the retry window', () => {
  it('disables the endpoint; enabling it delivers everything missed, in order', async () => {
    const tenant = await createTenant(app);
    const { createWebhookEndpoint } = await tenant.admin.client.data(CreateEndpoint, { input: { url: receiver.url('/down') } });
    const id = createWebhookEndpoint.endpoint.id;
    const run = await createRun(tenant.creator, [gbpPayable(0), gbpPayable(1)]);

    await vi.waitFor(async () => {
      const { node } = await tenant.admin.client.data(EndpointDeliveries, { id, first: 1 });
      expect(node?.__typename === 'WebhookEndpoint' && node.status).toBe('DISABLED');
    }, { timeout: 60_000, interval: 100 });
    expect(outcomes.filter((o) => o === 'disabled')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'failure').length).toBeGreaterThanOrEqual(2);
    const failed = receiver.received.filter((r) => r.path === '/down');
    // Every attempt was at the first event: nothing after it was sent out of order.
    expect(new Set(failed.map((r) => r.id)).size).toBe(1);

    // More happens while the endpoint is disabled.
    await tenant.creator.client.data(CancelRun, { id: run.id });
    const log = await readBuyerLog(tenant.admin);
    expect(log.length).toBeGreaterThan(6);

    down = false;
    const { enableWebhookEndpoint } = await tenant.admin.client.data(EnableEndpoint, { id });
    expect(enableWebhookEndpoint.status).toBe('ENABLED');
    await receiver.waitFor(() => receiver.accepted('/down').length >= log.length, 'every missed event');
    const delivered = receiver.accepted('/down');
    expect(firstDeliveries(delivered)).toHaveLength(delivered.length);
    expectBodiesMatchLog(delivered, log);

    // The receiver answers before the deliverer records the attempt: wait for the records.
    const attempts = await vi.waitFor(async () => {
      const { node } = await tenant.admin.client.data(EndpointDeliveries, { id, first: 500 });
      if (node?.__typename !== 'WebhookEndpoint') throw new Error('endpoint not found');
      const recorded = node.deliveries.edges.map((e) => e.node);
      expect(recorded.filter((a) => a.statusCode === 200)).toHaveLength(log.length);
      return recorded;
    }, { timeout: 30_000, interval: 100 });
    expect(attempts.filter((a) => a.statusCode === 503)).toHaveLength(failed.length);
    expect(attempts.filter((a) => a.statusCode === 200)).toHaveLength(log.length);
    // Enabling starts a fresh series of attempts (and a fresh retry window) at the first undelivered event.
    expect(attempts.filter((a) => a.eventCursor === log[0]!.cursor).map((a) => a.attempt)).toEqual([1, ...failed.map((_, i) => failed.length - i)]);
  });
});
