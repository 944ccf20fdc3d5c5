import { register } from 'node:module';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createAddHookMessageChannel } from 'import-in-the-middle';

/**
 * OpenTelemetry traces: HTTP server spans, one span per GraphQL operation (tracing-plugin.ts), and
 * the PostgreSQL and Redis calls made under them. Started by main.ts BEFORE the app is imported,
 * because the instrumentations patch `pg`, `ioredis` and `http` as they load; with ESM that needs
 * the import-in-the-middle loader hook registered first. Nothing here is even loaded unless an OTLP
 * endpoint is configured, so tracing costs nothing when it is off (the GraphQL plugin and the log
 * mixin then talk to @opentelemetry/api's no-op tracer).
 */
export interface Tracing {
  /** Flushes pending spans and stops exporting. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  serviceName: string;
  /** Instead of OTLP over HTTP (tests pass an InMemorySpanExporter); spans are then sent one by one. */
  exporter?: SpanExporter;
}

/** Readiness probes and scrapes would be most of the traces and say nothing. */
const UNTRACED_PATHS = new Set(['/health', '/ready', '/metrics']);

export async function startTracing(options: TracingOptions): Promise<Tracing> {
  // Hook only the modules the instrumentations ask for: wrapping every module (the default) makes
  // start-up crawl through Prisma's and PGlite's large files.
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
  const [{ NodeTracerProvider, BatchSpanProcessor, SimpleSpanProcessor }, { resourceFromAttributes }, { registerInstrumentations }, http, pg, ioredis] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/instrumentation'),
      import('@opentelemetry/instrumentation-http'),
      import('@opentelemetry/instrumentation-pg'),
      import('@opentelemetry/instrumentation-ioredis'),
    ]);
  const exporter = options.exporter ?? new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [options.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  provider.register();
  const unregister = registerInstrumentations({
    instrumentations: [
      new http.HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has((request.url ?? '').split('?')[0]!),
        // Outgoing calls are the exporter's own and webhook deliveries; only the latter matter and
        // they run under a job, not a request.
        ignoreOutgoingRequestHook: () => true,
      }),
      // Only inside a trace: background polls would otherwise each start a root trace.
      new pg.PgInstrumentation({ requireParentSpan: true }),
      new ioredis.IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  await waitForAllMessagesAcknowledged();
  return {
    async shutdown() {
      unregister();
      await provider.shutdown();
    },
  };
}
