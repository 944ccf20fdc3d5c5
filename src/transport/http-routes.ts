import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppServices } from '../app-services.ts';
import { BANK_EVENTS_PATH, createBankEventsRoute } from './bank-events.ts';
import { requestIdOf, runInRequest } from './request-context.ts';
import { serveWeb } from './static-web.ts';

type Listener = (req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * The plain HTTP routes around the GraphQL endpoint: liveness, readiness, the bank's events
 * (bank-events.ts), the dashboard's files and the body-size limit. Everything else goes to `next` (yoga). Every response carries `x-request-id`
 * (the client's when valid, else a new one), and everything done for the request runs in its scope
 * so logs name it.
 */
export function createHttpRoutes(services: AppServices, next: Listener): Listener {
  const route = routes(services, next);
  return (req, res) => {
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    return runInRequest({ requestId }, () => route(req, res));
  };
}

function routes(services: AppServices, next: Listener): Listener {
  const { config, database, bus } = services;
  const bankEvents = createBankEventsRoute(services);
  return async (req, res) => {
    if (req.url?.split('?')[0] === BANK_EVENTS_PATH) return bankEvents(req, res);
    if (req.url === '/health') return json(res, 200, { status: 'ok' });
    if (req.url === '/ready') {
      const databaseUp = await database.ping();
      const redis = bus.kind === 'redis' ? (bus.healthy() ? 'up' : 'down') : 'not-configured';
      // Redis only degrades live delivery (the log is the truth), so it does not decide readiness.
      const ready = databaseUp && services.readiness.ready;
      const status = !databaseUp ? 'unavailable' : ready ? 'ready' : 'starting';
      return json(res, ready ? 200 : 503, { status, database: databaseUp ? 'up' : 'down', redis });
    }
    if (req.url === '/metrics' && config.metricsPort === null) return serveMetrics(services, res);
    if (await serveWeb(req, res)) return;
    if (Number(req.headers['content-length'] ?? 0) > config.maxRequestBytes) {
      return json(res, 413, { errors: [{ message: 'Request body too large', extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
    }
    return next(req, res);
  };
}

/** Prometheus text exposition (src/observability/metrics.ts). */
export async function serveMetrics(services: AppServices, res: ServerResponse) {
  const { contentType, body } = await services.metrics.render();
  res.writeHead(200, { 'content-type': contentType });
  res.end(body);
}

export function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
