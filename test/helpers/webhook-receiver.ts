import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { graphql } from '../generated/index.ts';

/** One request as a receiver saw it, with the status it answered. */
export interface ReceivedWebhook {
  path: string;
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  headers: Record<string, string>;
  status: number;
}

export interface ReceivedBody {
  type: string;
  timestamp: string;
  data: {
    cursor: string; entityType: string; entityId: string; paymentRunId: string;
    fromStatus: string | null; toStatus: string; occurredAt: string; actorId: string | null;
  };
}

/** Decides the answer to a request: an HTTP status, after an optional delay. */
export type Responder = (request: Omit<ReceivedWebhook, 'status'>, index: number) => number | Promise<number>;

/**
 * A real HTTP receiver on a free port. It records every request and the most requests it ever had
 * in flight at once per path, and lets a test wait for a condition on what arrived (event-driven:
 * checked on every request, never by sleeping).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  readonly maxInFlight = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();
  private waiters: { check: () => boolean; resolve: () => void }[] = [];
  private constructor(
    private readonly server: Server,
    readonly origin: string,
    public respond: Responder,
  ) {}

  static async start(respond: Responder = () => 200): Promise<WebhookReceiver> {
    let receiver!: WebhookReceiver;
    const server = createServer((req, res) => void receiver.handle(req).then((status) => res.writeHead(status).end(status < 300 ? 'ok' : 'no')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    receiver = new WebhookReceiver(server, `http://127.0.0.1:${port}`, respond);
    return receiver;
  }

  url(path = '/hooks') {
    return `${this.origin}${path}`;
  }

  private async handle(req: IncomingMessage): Promise<number> {
    const path = req.url ?? '/';
    this.inFlight.set(path, (this.inFlight.get(path) ?? 0) + 1);
    this.maxInFlight.set(path, Math.max(this.maxInFlight.get(path) ?? 0, this.inFlight.get(path)!));
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const header = (name: string) => String(req.headers[name] ?? '');
    const request = {
      path,
      id: header('webhook-id'),
      timestamp: header('webhook-timestamp'),
      signature: header('webhook-signature'),
      body: Buffer.concat(chunks).toString('utf8'),
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
    };
    const status = await this.respond(request, this.received.length);
    this.inFlight.set(path, this.inFlight.get(path)! - 1);
    this.received.push({ ...request, status });
    this.waiters = this.waiters.filter((w) => (w.check() ? (w.resolve(), false) : true));
    return status;
  }

  /** Requests to one path that were answered 2xx, in arrival order. */
  accepted(path = '/hooks') {
    return this.received.filter((r) => r.path === path && r.status < 300);
  }

  /** Resolves once `check` holds (checked now and after every request); rejects after `timeoutMs` with `what`. */
  waitFor(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`receiver: timed out waiting for ${what} (${this.received.length} requests so far)`)), timeoutMs);
      this.waiters.push({ check, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  async close() {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export const parseBody = (r: ReceivedWebhook) => JSON.parse(r.body) as ReceivedBody;

/** The first accepted request per webhook-id, in arrival order (what a deduplicating receiver keeps). */
export function firstDeliveries(requests: readonly ReceivedWebhook[]) {
  const seen = new Set<string>();
  return requests.filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true)));
}

export const EndpointFields = graphql(`
  fragment EndpointFields on WebhookEndpoint { id url description entityTypes status createdAt }
`);
export const CreateEndpoint = graphql(`
  mutation CreateEndpoint($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) { secret endpoint { ...EndpointFields } }
  }
`);
export const RotateSecret = graphql(`
  mutation RotateSecret($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { ...EndpointFields } } }
`);
export const DisableEndpoint = graphql(`mutation DisableEndpoint($id: ID!) { disableWebhookEndpoint(id: $id) { ...EndpointFields } }`);
export const EnableEndpoint = graphql(`mutation EnableEndpoint($id: ID!) { enableWebhookEndpoint(id: $id) { ...EndpointFields } }`);
export const DeleteEndpoint = graphql(`mutation DeleteEndpoint($id: ID!) { deleteWebhookEndpoint(id: $id) }`);
export const ListEndpoints = graphql(`query ListEndpoints { webhookEndpoints { ...EndpointFields } }`);
export const EndpointDeliveries = graphql(`
  query EndpointDeliveries($id: ID!, $first: Int, $after: String) {
    node(id: $id) {
      __typename
      ... on WebhookEndpoint {
        id status
        deliveries(first: $first, after: $after) {
          pageInfo { hasNextPage endCursor }
          edges { node { id eventCursor attempt statusCode error durationMs createdAt } }
        }
      }
    }
  }
`);
export const BuyerLog = graphql(`
  query BuyerLog($after: String) {
    statusChanges(first: 500, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { cursor entityType entityId paymentRunId fromStatus toStatus occurredAt actor { id } } }
    }
  }
`);
