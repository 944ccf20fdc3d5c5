import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { useServer } from 'graphql-ws/use/ws';
import { getOperationAST, NoSchemaIntrospectionCustomRule } from 'graphql';
import { useGraphQlJit } from '@envelop/graphql-jit';
import { createYoga, type Plugin } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { AppServices } from './app-services.ts';
import { createTokenService } from './auth/tokens.ts';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/database.ts';
import { createTenantDbFactory } from './db/tenant.ts';
import type { DomainDeps } from './domain/shared/unit-of-work.ts';
import { createLiveStatusChanges } from './events/live-stream.ts';
import { createOutboxRelay } from './events/outbox-relay.ts';
import { createInProcessBus, createRedisBus, type EventBus } from './events/pubsub.ts';
import { guardSlowSubscriber } from './events/slow-subscriber.ts';
import { maskStreamErrors, refuseOperation, WS_KEEP_ALIVE_MS } from './events/ws-options.ts';
import { authenticate, createContextFactory, type InitialContext } from './graphql/context-factory.ts';
import { createErrorMasker } from './graphql/errors.ts';
import { deleteExpiredIdempotencyRecords, useIdempotency } from './graphql/idempotency.ts';
import { createRateLimiter, queryLimitPlugins } from './graphql/limits.ts';
import { expireChallenges, validateQueuedRuns } from './domain/payment-run/payment-run.jobs.ts';
import { timeOutAuthorisations } from './domain/funding/funding.jobs.ts';
import { runAutopilot } from './sandbox/autopilot.ts';
import { createJobRunner, type JobRunner } from './jobs/job-runner.ts';
import { schema } from './graphql/schema.ts';
import { createLogger, type Logger } from './logger.ts';

export interface App {
  readonly services: AppServices;
  readonly server: Server;
  /** Listens on config.port (0 → any free port); resolves with the URL of /graphql. */
  start(): Promise<string>;
  /** Graceful: stop accepting, finish in-flight requests, close sockets, jobs, pub/sub and database. */
  stop(): Promise<void>;
}

export interface BuildAppOptions {
  logger?: Logger;
  now?: () => Date;
  /** Sees every SQL statement (tests use it to count queries). */
  onQuery?: (sql: string) => void;
}

export async function buildApp(config: Readonly<Config>, options: BuildAppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const database: Database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, logger, onQuery: options.onQuery });
  const bus: EventBus = config.redisUrl ? await createRedisBus(config.redisUrl, logger) : createInProcessBus();
  const prisma = database.prisma;
  const relay = createOutboxRelay({ prisma, bus, logger, pollIntervalMs: config.pollIntervalMs });
  const domain: DomainDeps = {
    prisma,
    tenantDb: createTenantDbFactory(prisma),
    now: options.now ?? (() => new Date()),
    sandbox: config.sandbox,
    onCommitted: () => relay.kick(),
    onWorkQueued: () => jobs.kick('payment-run-validation'),
  };
  const jobs: JobRunner = createJobRunner(
    [
      { name: 'payment-run-validation', run: () => validateQueuedRuns(domain) },
      { name: 'sca-challenge-expiry', run: () => expireChallenges(domain) },
      { name: 'authorisation-timeout', run: () => timeOutAuthorisations(domain) },
      ...(config.sandbox && config.autopilot.enabled ? [{ name: 'sandbox-autopilot', run: () => runAutopilot(domain, config.autopilot) }] : []),
      { name: 'idempotency-cleanup', run: () => deleteExpiredIdempotencyRecords(prisma, domain.now()) },
    ],
    { pollIntervalMs: config.pollIntervalMs, logger },
  );
  const services: AppServices = {
    config,
    logger,
    database,
    domain,
    tokens: createTokenService(config.jwtSecret, config.jwtTtlSeconds),
    bus,
    relay,
    jobs,
    rateLimiter: createRateLimiter(config.rateLimitPerMinute, config.redisUrl),
    live: createLiveStatusChanges(prisma, bus, { pollIntervalMs: config.pollIntervalMs }),
  };

  const contextFactory = createContextFactory(services);
  const maskError = createErrorMasker(logger);
  const yoga = createYoga<InitialContext & { req?: IncomingMessage; res?: ServerResponse }>({
    schema,
    context: contextFactory,
    graphqlEndpoint: '/graphql',
    graphiql: config.sandbox ? { subscriptionsProtocol: 'WS' } : false,
    landingPage: false,
    maskedErrors: { maskError },
    plugins: [
      ...queryLimitPlugins(config.sandbox),
      // Compiled execution for queries: the dashboard's reads return ~1,000 objects and are bound by
      // Node CPU. Mutations and subscriptions keep the reference executor.
      useGraphQlJit({}, { enableIf: (args) => getOperationAST(args.document, args.operationName)?.operation === 'query' }),
      useIdempotency(prisma, domain.now, maskError),
      ...(config.sandbox ? [] : [disableIntrospection]),
    ],
    logging: {
      debug: (...args) => logger.debug(args),
      info: (...args) => logger.info(args),
      warn: (...args) => logger.warn(args),
      // Real failures are logged by the error masker; yoga's own error lines are per-request noise.
      error: (...args) => logger.debug(args),
    },
  });

  const server = createServer(async (req, res) => {
    if (req.url === '/health') return json(res, 200, { status: 'ok' });
    if (req.url === '/ready') {
      const databaseUp = await database.ping();
      const redis = bus.kind === 'redis' ? (bus.healthy() ? 'up' : 'down') : 'not-configured';
      // Redis only degrades live delivery (the log is the truth), so it does not decide readiness.
      return json(res, databaseUp ? 200 : 503, { status: databaseUp ? 'ready' : 'unavailable', database: databaseUp ? 'up' : 'down', redis });
    }
    if (Number(req.headers['content-length'] ?? 0) > config.maxRequestBytes) {
      return json(res, 413, { errors: [{ message: 'Request body too large', extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
    }
    return yoga.requestListener(req, res);
  });

  // Frames larger than an HTTP body may be are refused by ws itself (close 1009) before parsing.
  const sockets = new WebSocketServer({ server, path: yoga.graphqlEndpoint, maxPayload: config.maxRequestBytes });
  // Registered before useServer, so every socket is guarded before graphql-ws sends on it.
  sockets.on('connection', (socket, request) => guardSlowSubscriber(socket, {
    onTooSlow: (why) => logger.info({ why, remote: request.socket.remoteAddress }, 'closed a subscriber that fell too far behind (4008)'),
  }));
  const wsServer = useServer(
    {
      // Close reasons and error messages never carry internal details (CONTRACT.md §6).
      isProd: true,
      // Unauthenticated sockets are refused at connection_init (graphql-ws closes with 4403).
      onConnect: async (ctx) => {
        const actor = await authenticate(services, ctx.connectionParams?.authorization as string | undefined);
        return actor !== null;
      },
      execute: (args: any) => args.rootValue.execute(args),
      subscribe: (args: any) => args.rootValue.subscribe(args),
      onSubscribe: async (ctx, _id, params) => {
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
    },
    sockets,
    WS_KEEP_ALIVE_MS,
  );

  let started = false;
  return {
    services,
    server,
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => resolve());
      });
      started = true;
      relay.start();
      if (config.runJobs) jobs.start();
      const { port } = server.address() as AddressInfo;
      return `http://127.0.0.1:${port}/graphql`;
    },
    async stop() {
      if (started) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        for (const socket of sockets.clients) socket.close(1001, 'Server shutting down');
        await wsServer.dispose();
        // In-flight requests get a grace period, then their connections are cut.
        const grace = setTimeout(() => server.closeAllConnections(), 10_000);
        await closed;
        clearTimeout(grace);
      }
      await jobs.stop();
      await relay.stop();
      await bus.close();
      await services.rateLimiter.close();
      await database.close();
    },
  };
}

/** Outside the sandbox the schema is not served to anyone who asks (CONTRACT.md §1). */
const disableIntrospection: Plugin = {
  onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule),
};

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

