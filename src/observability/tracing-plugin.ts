import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { getOperationAST, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * One span per GraphQL operation, made the active span while it executes so the database and Redis
 * spans it causes nest under it. Without a registered tracer provider (tracing off) the API hands
 * out non-recording spans and this costs a few function calls. It replaces execute/subscribe with a
 * wrapper, so it must come after plugins that swap the executor (graphql-jit).
 */
const tracer = trace.getTracer('payment-run-gateway');

function endWith(span: Span, result: ExecutionResult) {
  if (result.errors?.length) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: result.errors[0]!.message });
    span.setAttribute('graphql.error.count', result.errors.length);
  }
  span.end();
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

export function useOperationTracing(): Plugin {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const operation = getOperationAST(args.document, args.operationName);
      const type = operation?.operation ?? 'query';
      const name = operation?.name?.value;
      const span = tracer.startSpan(name ? `graphql.${type} ${name}` : `graphql.${type}`, {
        kind: SpanKind.INTERNAL,
        attributes: { 'graphql.operation.type': type, ...(name ? { 'graphql.operation.name': name } : {}) },
      });
      const active = trace.setSpan(context.active(), span);
      setExecuteFn((executeArgs) => context.with(active, () => executeFn(executeArgs)));
      return {
        onExecuteDone({ result }) {
          if (isAsyncIterable(result)) span.end();
          else endWith(span, result);
        },
      };
    },
    onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      const name = getOperationAST(args.document, args.operationName)?.name?.value;
      // Only the subscribe call (authorisation, the initial read): a span open for a connection's life
      // would be useless; each event's reload shows up as database spans of its own.
      const span = tracer.startSpan(name ? `graphql.subscription ${name}` : 'graphql.subscription', {
        attributes: { 'graphql.operation.type': 'subscription', ...(name ? { 'graphql.operation.name': name } : {}) },
      });
      const active = trace.setSpan(context.active(), span);
      setSubscribeFn((subscribeArgs) => context.with(active, () => subscribeFn(subscribeArgs)));
      return {
        onSubscribeResult({ result }) {
          if (isAsyncIterable(result)) span.end();
          else endWith(span, result);
        },
        onSubscribeError({ error }) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
          span.end();
        },
      };
    },
  };
}
