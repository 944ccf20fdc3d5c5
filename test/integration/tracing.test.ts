import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing, type Tracing } from '../../src/observability/tracing.ts';
import type { Tenant } from '../helpers/factories.ts';
import type { TestApp } from '../helpers/test-app.ts';

/**
 * Traces with an in-memory exporter: each GraphQL request is one trace, holding the HTTP server
 * span, the operation's span and the database spans it caused. Tracing starts before the app is
 * imported (as in main.ts), so the app and its helpers are imported dynamically below.
 */
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let app: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  tracing = await startTracing({ serviceName: 'gateway-test', exporter });
  const { startTestApp } = await import('../helpers/test-app.ts');
  const { createTenant } = await import('../helpers/factories.ts');
  app = await startTestApp({ RUN_JOBS: 'false' });
  tenant = await createTenant(app);
});

afterAll(async () => {
  await app?.stop();
  await tracing?.shutdown();
});

const byTrace = (spans: ReadableSpan[]) => {
  const traces = new Map<string, ReadableSpan[]>();
  for (const span of spans) {
    const id = span.spanContext().traceId;
    traces.set(id, [...(traces.get(id) ?? []), span]);
  }
  return traces;
};

const parentId = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('OpenTelemetry traces', () => {
  it('gives each operation one trace: HTTP server span → operation span → database spans', async () => {
    exporter.reset();
    const operations = [
      { name: 'TraceViewer', query: 'query TraceViewer { viewer { id email } institutions { code } }' },
      { name: 'TraceUsers', query: 'query TraceUsers { users { id } }' },
      { name: 'TraceEnrol', query: 'mutation TraceEnrol { enrolScaDevice }' },
    ];
    for (const { query } of operations) {
      expect((await tenant.creator.client.request(query)).errors).toBeUndefined();
    }
    const traces = byTrace(exporter.getFinishedSpans());

    for (const { name } of operations) {
      const containing = [...traces.values()].filter((spans) => spans.some((span) => span.name.endsWith(` ${name}`)));
      expect(containing, name).toHaveLength(1);
      const spans = containing[0]!;
      const server = spans.find((span) => span.kind === 1 /* SERVER */ && !parentId(span));
      const operation = spans.find((span) => span.name.endsWith(` ${name}`))!;
      const database = spans.filter((span) => span.attributes['db.system'] === 'postgresql' || span.attributes['db.system.name'] === 'postgresql');
      expect(server, `${name}: HTTP server span`).toBeDefined();
      expect(operation.attributes['graphql.operation.name']).toBe(name);
      expect(database.length, `${name}: database spans`).toBeGreaterThan(0);
      // The operation span sits under the HTTP span, and its queries under it (directly or through pg's pool span).
      const ids = new Set(spans.map((span) => span.spanContext().spanId));
      for (const span of spans) if (span !== server) expect(ids.has(parentId(span)!)).toBe(true);
      const underOperation = (span: ReadableSpan): boolean => {
        for (let current: ReadableSpan | undefined = span; current; current = spans.find((s) => s.spanContext().spanId === parentId(current!))) {
          if (current === operation) return true;
        }
        return false;
      };
      expect(database.filter(underOperation).length, `${name}: database spans under the operation`).toBeGreaterThan(0);
    }
  });

  it('adds trace ids to log lines written inside a trace', async () => {
    const { trace } = await import('@opentelemetry/api');
    const { createLogger } = await import('../../src/logger.ts');
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    logger.info('outside');
    expect(JSON.parse(lines[0]!).trace_id).toBeUndefined();
    trace.getTracer('test').startActiveSpan('outer', (span) => {
      logger.info('inside');
      span.end();
      const line = JSON.parse(lines[1]!);
      expect(line.trace_id).toBe(span.spanContext().traceId);
      expect(line.span_id).toBe(span.spanContext().spanId);
    });
  });
});
