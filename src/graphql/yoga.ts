import type { IncomingMessage, ServerResponse } from 'node:http';
import { getOperationAST, NoSchemaIntrospectionCustomRule, type GraphQLError } from 'graphql';
import { useGraphQlJit } from '@envelop/graphql-jit';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { AppServices } from '../app-services.ts';
import { GRAPHIQL_OPTIONS, renderLocalGraphiQL } from '../transport/graphiql-page.ts';
import { createContextFactory, type InitialContext } from './context-factory.ts';
import type { GraphQLContext } from './context.ts';
import { useOperationTracing } from '../observability/tracing-plugin.ts';
import { useIdempotency } from './idempotency.ts';
import { useCostLimit } from './cost.ts';
import { useInputHygiene } from './input-hygiene.ts';
import { queryLimitPlugins } from './limits.ts';
import { schema } from './schema.ts';

export type ServerContext = InitialContext & { req?: IncomingMessage; res?: ServerResponse };
export type GatewayYoga = YogaServerInstance<ServerContext, GraphQLContext>;

/** The GraphQL endpoint: schema, context, limits, compiled queries, idempotency, masked errors. */
export function createGatewayYoga(services: AppServices, maskError: (error: unknown) => Error): GatewayYoga {
  const { config, logger, domain } = services;
  return createYoga<ServerContext>({
    schema,
    context: createContextFactory(services),
    graphqlEndpoint: '/graphql',
    graphiql: config.sandbox ? GRAPHIQL_OPTIONS : false,
    renderGraphiQL: renderLocalGraphiQL,
    landingPage: false,
    maskedErrors: { maskError },
    cors: corsPolicy(config.corsOrigins),
    plugins: [
      services.metrics.plugin(),
      refuseFormPosts,
      codeValidationErrors(maskError),
      ...queryLimitPlugins(config),
      useInputHygiene(),
      useCostLimit(config.maxQueryCost),
      // Compiled execution for queries: the dashboard's reads return ~1,000 objects and are bound by
      // Node CPU. Mutations and subscriptions keep the reference executor.
      useGraphQlJit({}, { enableIf: (args) => getOperationAST(args.document, args.operationName)?.operation === 'query' }),
      // One execution per event for subscribers whose results cannot differ; before tracing, which
      // wraps whichever subscribe function is in place.
      services.sharedSubscriptions.plugin(),
      // After graphql-jit: it wraps whichever executor is in place.
      useOperationTracing(),
      useIdempotency(domain.prisma, domain.now, maskError, { leaseMs: config.idempotencyLeaseMs }),
      ...(config.sandbox ? [] : [disableIntrospection]),
    ],
    logging: {
      debug: (...args) => logger.debug(args),
      info: (...args) => logger.info(args),
      warn: (...args) => logger.warn(args),
      // Real failures are logged by the error masker; yoga's own error lines are per-request noise.
      error: (...args) => logger.debug(args),
    },
  }) as unknown as GatewayYoga;
}

/** Validation errors are answered, not thrown, so yoga's masking never sees them: map them here. */
function codeValidationErrors(maskError: (error: unknown) => Error): Plugin {
  return {
    onValidate: () => ({ result, setResult }) => {
      if (result.length) setResult(result.map((error) => maskError(error) as GraphQLError));
    },
  };
}

/** Outside the sandbox the schema is not served to anyone who asks. */
const disableIntrospection: Plugin = {
  onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule),
};

/**
 * CORS is an allow-list (CORS_ORIGINS). Without one, no CORS headers are sent: only pages of the
 * gateway's own origin (the dashboard, GraphiQL) can read answers. Tokens travel in the
 * Authorization header, never in cookies, so credentials are not allowed cross-origin.
 */
function corsPolicy(origins: readonly string[]) {
  const any = origins.includes('*');
  return (request: Request) => {
    const origin = request.headers.get('origin');
    if (!origin || !(any || origins.includes(origin))) return false as const;
    return { origin, credentials: false, exposedHeaders: ['x-request-id', 'retry-after'], maxAge: 600 };
  };
}

/**
 * CSRF hygiene: a browser sends form-encoded, multipart and text/plain posts cross-site without a
 * preflight, so a page elsewhere could fire a mutation with a victim's ambient credentials. The
 * gateway takes GraphQL POSTs as JSON (or application/graphql) only; GET stays query-only (yoga).
 */
const SIMPLE_CONTENT_TYPES = /^\s*(application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)\b/i;
const refuseFormPosts: Plugin = {
  onRequest({ request, endResponse }) {
    if (request.method !== 'POST' || !SIMPLE_CONTENT_TYPES.test(request.headers.get('content-type') ?? '')) return;
    endResponse(new Response(JSON.stringify({
      errors: [{ message: 'Send GraphQL requests as application/json', extensions: { code: 'BAD_USER_INPUT' } }],
    }), { status: 415, headers: { 'content-type': 'application/json' } }));
  },
};
