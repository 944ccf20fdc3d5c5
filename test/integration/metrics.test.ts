import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { createOwnDatabase } from '../helpers/isolated-database.ts';
import { createRun, gbpPayable } from '../helpers/payment-runs.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { connectWs, StatusChanged } from '../helpers/ws-client.ts';

/** GET /metrics after real operations: every metric of CONTRACT.md §12 is present and moves. */
let db: Awaited<ReturnType<typeof createOwnDatabase>>;
let app: TestApp;
let tenant: Tenant;

type Sample = { name: string; labels: Record<string, string>; value: number };

function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

async function scrape(url = app.url.replace('/graphql', '/metrics')) {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  const text = await response.text();
  const samples = parse(text);
  return {
    text,
    /** Sum of the samples of `name` whose labels include `labels`. */
    value(name: string, labels: Record<string, string> = {}) {
      return samples
        .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        .reduce((sum, s) => sum + s.value, 0);
    },
  };
}

/** Scrapes until `ready` holds (the server applies some changes just after answering); fails after 20 s. */
async function scrapeUntil(ready: (m: Awaited<ReturnType<typeof scrape>>) => boolean, what: string) {
  for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
    const m = await scrape();
    if (ready(m)) return m;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`metrics never showed ${what}`);
}

beforeAll(async () => {
  db = await createOwnDatabase();
  app = await startTestApp({ DATABASE_URL: db.url });
  tenant = await createTenant(app);
});

afterAll(async () => {
  await app?.stop();
  await db?.drop();
});

describe('GET /metrics', () => {
  it('counts operations by type and outcome, with durations and error codes', async () => {
    const before = await scrape();
    expect((await tenant.creator.client.request(`{ viewer { id } }`)).errors).toBeUndefined();
    await tenant.creator.client.request(`{ paymentRun(id: "UGF5bWVudFJ1bjpub3BlLW5vcGU=") { id } }`);
    await tenant.creator.client.request(`{ nope }`);
    const after = await scrape();

    expect(after.value('gateway_graphql_operations_total', { type: 'query', outcome: 'success' })).toBeGreaterThan(
      before.value('gateway_graphql_operations_total', { type: 'query', outcome: 'success' }),
    );
    expect(after.value('gateway_graphql_operations_total', { type: 'query', outcome: 'error' })).toBeGreaterThanOrEqual(
      before.value('gateway_graphql_operations_total', { type: 'query', outcome: 'error' }) + 2,
    );
    expect(after.value('gateway_graphql_operations_total', { type: 'mutation', outcome: 'success' })).toBeGreaterThan(0);
    expect(after.value('gateway_graphql_operation_duration_seconds_count', { type: 'query' })).toBeGreaterThan(
      before.value('gateway_graphql_operation_duration_seconds_count', { type: 'query' }),
    );
    expect(after.text).toMatch(/gateway_graphql_operation_duration_seconds_bucket\{le="0.005",type="query"\}/);
    expect(after.value('gateway_graphql_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED' }) + after.value('gateway_graphql_errors_total', { code: 'NOT_FOUND' }) + after.value('gateway_graphql_errors_total', { code: 'BAD_USER_INPUT' })).toBeGreaterThan(0);
  });

  it('shows open subscriptions while they are open', async () => {
    const ws = connectWs(app.url, tenant.creator.token);
    const subscription = ws.subscribe(StatusChanged, {});
    await scrapeUntil((m) => m.value('gateway_subscriptions_open') === 1, 'one open subscription');
    subscription.dispose();
    await scrapeUntil((m) => m.value('gateway_subscriptions_open') === 0, 'no open subscription');
    await ws.dispose();
    expect((await scrape()).value('gateway_graphql_operations_total', { type: 'subscription', outcome: 'success' })).toBeGreaterThan(0);
  });

  it('reports outbox lag until the relay publishes', async () => {
    await app.app.services.jobs.stop();
    await app.app.services.relay.stop();
    await createRun(tenant.creator, [gbpPayable(1)]);
    expect((await scrape()).value('gateway_outbox_lag_events')).toBeGreaterThan(0);
    await app.app.services.relay.drain();
    expect((await scrape()).value('gateway_outbox_lag_events')).toBe(0);
  });

  it('reports idempotency claims in progress', async () => {
    const { prisma } = app.app.services.domain;
    expect((await scrape()).value('gateway_idempotency_claims_in_progress')).toBe(0);
    // What a request leaves while it runs (or a crash leaves behind until it expires).
    const claim = await prisma.idempotencyRecord.create({
      data: { userId: randomUUID(), ref: 'metrics-test', requestHash: 'x', expiresAt: new Date(Date.now() + 60_000) },
    });
    expect((await scrape()).value('gateway_idempotency_claims_in_progress')).toBe(1);
    await prisma.idempotencyRecord.delete({ where: { id: claim.id } });
    expect((await scrape()).value('gateway_idempotency_claims_in_progress')).toBe(0);
  });

  it('counts failed rounds of background tasks per task', async () => {
    // A real failure: the relay's table disappears from this test's own database for a moment.
    await db.query('ALTER TABLE event_relay_positions RENAME TO event_relay_positions_away');
    try {
      app.app.services.relay.start();
      await scrapeUntil((m) => m.value('gateway_job_failures_total', { task: 'outbox-relay' }) > 0, 'a failed relay round');
    } finally {
      await db.query('ALTER TABLE event_relay_positions_away RENAME TO event_relay_positions');
    }
  });

  it('counts webhook deliveries through the callback webhooks call', async () => {
    expect((await scrape()).value('gateway_webhook_deliveries_total', { outcome: 'success' })).toBe(0);
    app.app.services.metrics.onWebhookDelivery('success');
    app.app.services.metrics.onWebhookDelivery('failure');
    const m = await scrape();
    expect(m.value('gateway_webhook_deliveries_total', { outcome: 'success' })).toBe(1);
    expect(m.value('gateway_webhook_deliveries_total', { outcome: 'failure' })).toBe(1);
  });

  it('exposes the process defaults', async () => {
    const m = await scrape();
    expect(m.value('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(m.value('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(m.text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('moves to its own port with METRICS_PORT', async () => {
    const separate = await startTestApp({ DATABASE_URL: db.url, METRICS_PORT: '0', RUN_JOBS: 'false' });
    try {
      const address = separate.app.metricsServer!.address() as { port: number };
      const text = await (await fetch(`http://127.0.0.1:${address.port}/metrics`)).text();
      expect(text).toContain('gateway_graphql_operations_total');
      const onMain = await fetch(separate.url.replace('/graphql', '/metrics'));
      expect(await onMain.text()).not.toContain('gateway_graphql_operations_total');
    } finally {
      await separate.stop();
    }
  });
});
