import { getOperationAST, type DocumentNode, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics of one gateway instance (CONTRACT.md §12). One registry per app, not the
 * library's global one: tests build several apps in one process and each must count for itself.
 * Gauges that describe the database (outbox lag, idempotency claims) are read when scraped, so
 * they cost nothing between scrapes and agree across instances.
 */
export interface Metrics {
  readonly registry: Registry;
  /** Text exposition for GET /metrics. */
  render(): Promise<{ contentType: string; body: string }>;
  /** The yoga/envelop plugin counting operations, their durations and open subscriptions. */
  plugin(): Plugin;
  onJobFailure(task: string): void;
  /** For webhook delivery: call once per attempt with its outcome (success, failure, disabled). */
  onWebhookDelivery(outcome: string): void;
}

export interface MetricsSources {
  /** Committed log rows not yet published to the bus, over every buyer. */
  outboxLag(): Promise<number>;
  /** idempotency-refs claimed by a request that has not finished (or crashed before finishing). */
  idempotencyClaimsInProgress(): Promise<number>;
  /** Subscription events executed, and results delivered, by the shared fan-out (running totals). */
  subscriptionFanout?(): { executions: number; deliveries: number };
}

type OperationType = 'query' | 'mutation' | 'subscription' | 'unknown';
type Outcome = 'success' | 'error';

const operationType = (document: DocumentNode | undefined, operationName?: string | null): OperationType => {
  if (!document) return 'unknown';
  try {
    return getOperationAST(document, operationName ?? undefined)?.operation ?? 'unknown';
  } catch {
    return 'unknown';
  }
};

const outcomeOf = (result: ExecutionResult): Outcome => (result.errors?.length ? 'error' : 'success');
const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const operations = new Counter({
    name: 'gateway_graphql_operations_total',
    help: 'GraphQL operations by type (query, mutation, subscription) and outcome (success, error).',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'gateway_graphql_errors_total',
    help: 'GraphQL errors returned to clients, by extensions.code.',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'gateway_graphql_operation_duration_seconds',
    help: 'Execution time of queries and mutations (validation included, transport excluded).',
    labelNames: ['type'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const subscriptionsOpen = new Gauge({
    name: 'gateway_subscriptions_open',
    help: 'Subscriptions currently open on this instance (WebSocket and SSE).',
    registers: [registry],
  });
  const jobFailures = new Counter({
    name: 'gateway_job_failures_total',
    help: 'Failed rounds of background tasks (each is retried on the next poll).',
    labelNames: ['task'] as const,
    registers: [registry],
  });
  const webhookDeliveries = new Counter({
    name: 'gateway_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'gateway_outbox_lag_events',
    help: 'Committed status changes not yet published to subscribers (all buyers).',
    registers: [registry],
    async collect() {
      this.set(await sources.outboxLag());
    },
  });
  new Gauge({
    name: 'gateway_idempotency_claims_in_progress',
    help: 'idempotency-refs claimed by a request that has not completed.',
    registers: [registry],
    async collect() {
      this.set(await sources.idempotencyClaimsInProgress());
    },
  });

  // Running totals kept by the fan-out itself (a plain increment per delivery), brought into the
  // counters when scraped.
  const fanoutCounter = (name: string, help: string, read: (totals: { executions: number; deliveries: number }) => number) => {
    let seen = 0;
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const total = sources.subscriptionFanout ? read(sources.subscriptionFanout()) : 0;
        if (total > seen) this.inc(total - seen);
        seen = total;
      },
    });
  };
  fanoutCounter('gateway_subscription_executions_total', 'Subscription events executed into a result (subscribers that cannot see a different result share one).', (t) => t.executions);
  fanoutCounter('gateway_subscription_deliveries_total', 'Subscription results delivered to subscribers (executions shared across them count once above).', (t) => t.deliveries);

  // Errors are counted before masking: the code is on the GraphQLError or on the DomainError it wraps.
  const codeOf = (error: unknown): string => {
    for (let cause = error as { extensions?: { code?: unknown }; code?: unknown; originalError?: unknown } | undefined; cause; cause = cause.originalError as typeof cause) {
      const code = cause.extensions?.code ?? cause.code;
      if (typeof code === 'string' && /^[A-Z][A-Z_]+$/.test(code)) return code; // not driver codes (P2002, 42P01)
    }
    return 'INTERNAL_SERVER_ERROR';
  };
  const countErrors = (result: { errors?: readonly Error[] }) => {
    for (const error of result.errors ?? []) errors.inc({ code: codeOf(error) });
  };

  // Counters start at 0 for every known outcome, so rate() works from the first scrape.
  for (const type of ['query', 'mutation', 'subscription'] as const) {
    for (const outcome of ['success', 'error'] as const) operations.inc({ type, outcome }, 0);
  }
  // The outcomes webhook delivery reports (src/domain/webhook on its branch).
  for (const outcome of ['success', 'failure', 'disabled']) webhookDeliveries.inc({ outcome }, 0);

  const plugin = (): Plugin => ({
    onValidate({ params }) {
      return ({ valid, result }) => {
        if (valid) return;
        operations.inc({ type: operationType(params.documentAST), outcome: 'error' });
        countErrors({ errors: result });
      };
    },
    onExecute({ args }) {
      const type = operationType(args.document, args.operationName);
      const stop = duration.startTimer({ type });
      return {
        onExecuteDone({ result }) {
          stop();
          if (isAsyncIterable(result)) {
            operations.inc({ type, outcome: 'success' });
            return;
          }
          operations.inc({ type, outcome: outcomeOf(result) });
          countErrors(result);
        },
      };
    },
    onSubscribe() {
      return {
        onSubscribeResult({ result }) {
          if (!isAsyncIterable(result)) {
            operations.inc({ type: 'subscription', outcome: outcomeOf(result) });
            countErrors(result);
            return;
          }
          operations.inc({ type: 'subscription', outcome: 'success' });
          subscriptionsOpen.inc();
          let open = true;
          return {
            onEnd() {
              if (!open) return;
              open = false;
              subscriptionsOpen.dec();
            },
          };
        },
        onSubscribeError() {
          operations.inc({ type: 'subscription', outcome: 'error' });
        },
      };
    },
  });

  return {
    registry,
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
    plugin,
    onJobFailure: (task) => jobFailures.inc({ task }),
    onWebhookDelivery: (outcome) => webhookDeliveries.inc({ outcome }),
  };
}
