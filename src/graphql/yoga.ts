import type { IncomingMessage, ServerResponse } from 'node:http';
import { getOperationAST, NoSchemaIntrospectionCustomRule } from 'graphql';
import { useGraphQlJit } from '@envelop/graphql-jit';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { AppServices } from '../app-services.ts';
import { createContextFactory, type InitialContext } from './context-factory.ts';
import type { GraphQLContext } from './context.ts';
import { useIdempotency } from './idempotency.ts';
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
    graphiql: config.sandbox ? { subscriptionsProtocol: 'WS' } : false,
    landingPage: false,
    maskedErrors: { maskError },
    plugins: [
      ...queryLimitPlugins(config.sandbox),
      // Compiled execution for queries: the dashboard's reads return ~1,000 objects and are bound by
      // Node CPU. Mutations and subscriptions keep the reference executor.
      useGraphQlJit({}, { enableIf: (args) => getOperationAST(args.document, args.operationName)?.operation === 'query' }),
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

/** Outside the sandbox the schema is not served to anyone who asks. */
const disableIntrospection: Plugin = {
  onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule),
};
