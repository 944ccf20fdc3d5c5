import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppServices } from './app-services.ts';
import type { Config } from './config.ts';
import { createErrorMasker } from './graphql/errors.ts';
import { createGatewayYoga } from './graphql/yoga.ts';
import { createLogger, type Logger } from './logger.ts';
import { createServices } from './services.ts';
import { attachGraphqlWs } from './transport/graphql-ws.ts';
import { createHttpRoutes, json, serveMetrics } from './transport/http-routes.ts';

export interface App {
  readonly services: AppServices;
  readonly server: Server;
  /** The separate /metrics listener when METRICS_PORT is set. */
  readonly metricsServer: Server | null;
  /**
   * Listens on config.port (0 → any free port); resolves with the URL of /graphql. With
   * `ready: false`, /ready answers 503 until markReady() (work that must finish first, e.g. a seed).
   */
  start(options?: { ready?: boolean }): Promise<string>;
  markReady(): void;
  /** Graceful: stop accepting, finish in-flight requests, close sockets, jobs, pub/sub and database. */
  stop(): Promise<void>;
}

export interface BuildAppOptions {
  logger?: Logger;
  now?: () => Date;
  /** Sees every SQL statement (tests use it to count queries). */
  onQuery?: (sql: string) => void;
  /** Called once per webhook attempt outcome (success, failure, or the endpoint disabled). */
  onWebhookDelivery?: (outcome: 'success' | 'failure' | 'disabled') => void;
}

/** Composes one gateway instance: services, the GraphQL endpoint, HTTP routes, WebSocket, lifecycle. */
export async function buildApp(config: Readonly<Config>, options: BuildAppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config.logLevel, undefined, config.logFormat);
  const services = await createServices(config, { ...options, logger });
  const maskError = createErrorMasker(logger);
  const yoga = createGatewayYoga(services, maskError);
  const server = createServer(createHttpRoutes(services, yoga.requestListener));
  const ws = attachGraphqlWs(server, yoga, services, maskError);
  // METRICS_PORT keeps /metrics off the public port (scraped on an internal network only).
  const metricsServer =
    config.metricsPort === null
      ? null
      : createServer((req, res) => (req.url === '/metrics' ? serveMetrics(services, res) : json(res, 404, { error: 'not found' })));

  let started = false;
  return {
    services,
    server,
    metricsServer,
    markReady() {
      services.readiness.ready = true;
    },
    async start(startOptions = {}) {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => resolve());
      });
      if (metricsServer) {
        await new Promise<void>((resolve, reject) => {
          metricsServer.once('error', reject);
          metricsServer.listen(config.metricsPort!, config.host, () => resolve());
        });
      }
      started = true;
      services.readiness.ready = startOptions.ready ?? true;
      services.relay.start();
      if (config.runJobs) services.jobs.start();
      const { port } = server.address() as AddressInfo;
      return `http://127.0.0.1:${port}/graphql`;
    },
    async stop() {
      if (started) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        services.readiness.ready = false;
        // End every event stream (SSE responses complete, WS ones too) rather than letting the
        // grace timer below cut their connections.
        const ended = services.live.endAll();
        if (ended) logger.info({ streams: ended }, 'event streams ended');
        await ws.close();
        // In-flight requests get a grace period, then their connections are cut.
        const grace = setTimeout(() => server.closeAllConnections(), 10_000);
        await closed;
        clearTimeout(grace);
        if (metricsServer) await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
      }
      services.streamAuthority.stop();
      await services.jobs.stop();
      await services.relay.stop();
      await services.bus.close();
      await services.rateLimiter.close();
      await services.database.close();
    },
  };
}
