import type { Server } from 'node:http';
import { GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { AppServices } from '../app-services.ts';
import { ErrorCode } from '../domain/shared/errors.ts';
import { authenticate } from '../graphql/context-factory.ts';
import type { GatewayYoga } from '../graphql/yoga.ts';
import { sendSharedFrames, sharedFrameMarker } from './shared-frames.ts';
import { guardSlowSubscriber } from './slow-subscriber.ts';
import { maskStreamErrors, refuseOperation, WS_KEEP_ALIVE_MS } from './ws-options.ts';

export interface GraphqlWsEndpoint {
  /** Closes every socket (1001) and stops accepting new ones. */
  close(): Promise<void>;
}

/** graphql-transport-ws on the GraphQL path: token at connection_init, yoga's envelop per operation. */
export function attachGraphqlWs(server: Server, yoga: GatewayYoga, services: AppServices, maskError: (error: unknown) => Error): GraphqlWsEndpoint {
  const { config, logger } = services;
  // Frames larger than an HTTP body may be are refused by ws itself (close 1009) before parsing.
  const sockets = new WebSocketServer({ server, path: yoga.graphqlEndpoint, maxPayload: config.maxRequestBytes });
  // Registered before useServer, so every socket is guarded before graphql-ws sends on it.
  sockets.on('connection', (socket, request) => {
    guardSlowSubscriber(socket, {
      onTooSlow: (why) => logger.info({ why, remote: request.socket.remoteAddress }, 'closed a subscriber that fell too far behind (4008)'),
    });
    // Outside the guard: a shared frame goes through it like any other send.
    sendSharedFrames(socket);
  });
  const wsServer = useServer(
    {
      // Close reasons and error messages never carry internal details.
      isProd: true,
      // Unauthenticated sockets are refused at connection_init (graphql-ws closes with 4403).
      onConnect: async (ctx) => {
        // Anything but a string (a number, an object, an array) is no credential: 4403, not a 4500 crash.
        const authorization = ctx.connectionParams?.authorization;
        const authenticated = await authenticate(services, typeof authorization === 'string' ? authorization : null);
        return authenticated !== null;
      },
      execute: (args: any) => args.rootValue.execute(args),
      subscribe: (args: any) => args.rootValue.subscribe(args),
      onSubscribe: async (ctx, _id, params) => {
        // Each stream holds a bus listener and a bounded buffer: cap them per socket, answer the
        // operation over the cap with a contract code, and leave the socket and its others alone.
        // (graphql-ws has already registered this operation's id when it calls onSubscribe.)
        if (Object.keys(ctx.subscriptions).length > config.maxSubscriptionsPerSocket) {
          return [new GraphQLError(`Too many operations on this socket (at most ${config.maxSubscriptionsPerSocket}); complete one first`, {
            extensions: { code: ErrorCode.RATE_LIMITED, limit: config.maxSubscriptionsPerSocket },
          })];
        }
        try {
          const enveloped = yoga.getEnveloped({ connectionParams: ctx.connectionParams, params } as never);
          const document = enveloped.parse(params.query);
          const errors = enveloped.validate(enveloped.schema, document);
          if (errors.length) return errors;
          return {
            schema: enveloped.schema,
            operationName: params.operationName,
            document,
            variableValues: params.variables,
            contextValue: await enveloped.contextFactory(),
            rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
          };
        } catch (error) {
          return refuseOperation(maskError)(error);
        }
      },
      onError: (_ctx, _id, _payload, errors) => maskStreamErrors(maskError)(errors),
      // A result shared by several subscribers is serialised once (see shared-frames.ts).
      onNext: (_ctx, _id, _payload, _args, result) => sharedFrameMarker(result),
    },
    sockets,
    WS_KEEP_ALIVE_MS,
  );
  return {
    async close() {
      for (const socket of sockets.clients) socket.close(1001, 'Server shutting down');
      await wsServer.dispose();
    },
  };
}
