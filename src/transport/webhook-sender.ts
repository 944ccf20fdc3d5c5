/**
 * The HTTP side of webhook delivery (the domain's WebhookSender port) on node:http/https:
 * - keep-alive agents, so a burst to one receiver reuses its connection instead of a handshake per event;
 * - the address a host name resolves to is checked on every new connection (a DNS answer can change
 *   after the URL was accepted), literal addresses before connecting;
 * - redirects are not followed (a 3xx is a failure), at most a few KiB of a response are read, and
 *   every attempt ends within the timeout, connection included.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { isPrivateAddress } from '../domain/webhook/webhook.address.ts';
import type { WebhookAttemptResult, WebhookRequest, WebhookSender } from '../domain/webhook/webhook.delivery.ts';

export interface WebhookSenderOptions {
  timeoutMs: number;
  allowPrivateAddresses: boolean;
  /** Sockets kept per receiver host (deliveries to one endpoint are sequential: 1–2 suffice). */
  maxSocketsPerHost?: number;
  maxResponseBytes?: number;
  /** Name resolution (tests point a host name at 127.0.0.1); default dns.lookup. */
  resolve?: typeof dnsLookup;
}

const USER_AGENT = 'payment-run-gateway-webhooks/1';

export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const maxResponseBytes = options.maxResponseBytes ?? 4096;
  const resolve = options.resolve ?? dnsLookup;
  // Idle sockets are dropped after 4 s, before the 5 s a Node receiver keeps them (a common default):
  // reusing one the receiver is closing fails the request for nothing.
  const agentOptions = { keepAlive: true, timeout: 4_000, maxSockets: options.maxSocketsPerHost ?? 2, scheduling: 'lifo' as const };
  const agents = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };

  /** dns.lookup, refusing private answers unless allowed. */
  const guardedLookup = ((hostname: string, lookupOptions: LookupOptions, callback: (...args: unknown[]) => void) => {
    resolve(hostname, { ...lookupOptions, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error);
      const refused = options.allowPrivateAddresses ? undefined : addresses.find((a) => isPrivateAddress(a.address));
      if (refused) return callback(new Error(`${hostname} resolves to a private address (${refused.address}); refused`));
      if (addresses.length === 0) return callback(new Error(`${hostname} has no address`));
      if (lookupOptions.all) return callback(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  }) as unknown as LookupFunction;

  /**
   * One attempt. A request on a reused keep-alive socket that the receiver closed meanwhile fails
   * before the receiver read it (ECONNRESET/EPIPE): it is sent once more on a fresh connection, as
   * Node's documentation suggests, instead of waiting out a retry delay.
   */
  async function send(request: WebhookRequest): Promise<WebhookAttemptResult> {
    const started = performance.now();
    const first = await sendOnce(request, started);
    if (!first.staleSocket) return first.result;
    return (await sendOnce(request, started)).result;
  }

  function sendOnce(request: WebhookRequest, started: number): Promise<{ result: WebhookAttemptResult; staleSocket: boolean }> {
    const elapsed = () => Math.round(performance.now() - started);
    return new Promise((resolvePromise) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const done = (statusCode: number | null, error: string | null, staleSocket = false) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolvePromise({ result: { statusCode, error, durationMs: elapsed() }, staleSocket });
      };
      let url: URL;
      try {
        url = new URL(request.url);
      } catch {
        return done(null, 'Invalid URL');
      }
      const agent = url.protocol === 'https:' ? agents['https:'] : url.protocol === 'http:' ? agents['http:'] : null;
      if (!agent) return done(null, `Unsupported protocol ${url.protocol}`);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host) && !options.allowPrivateAddresses && isPrivateAddress(host)) return done(null, `${host} is a private address; refused`);

      const body = Buffer.from(request.body);
      const req = (url.protocol === 'https:' ? https : http).request(url, {
        method: 'POST',
        agent,
        lookup: guardedLookup,
        headers: { ...request.headers, 'content-type': 'application/json', 'content-length': body.length, 'user-agent': USER_AGENT },
      });
      timer = setTimeout(() => {
        done(null, `No answer within ${options.timeoutMs} ms`);
        req.destroy();
      }, Math.max(1, options.timeoutMs - elapsed()));
      req.on('error', (error: NodeJS.ErrnoException) => {
        const stale = req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
        done(null, error.message, stale);
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? null;
        const ok = status !== null && status >= 200 && status < 300;
        let received = 0;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (!ok && received <= maxResponseBytes) chunks.push(chunk);
          // Reading on would let a receiver stream to us for the whole timeout: cut the connection.
          if (received > maxResponseBytes) {
            res.destroy();
            finishResponse();
          }
        });
        res.on('end', finishResponse);
        res.on('error', () => finishResponse());
        function finishResponse() {
          if (ok) return done(status, null);
          const excerpt = Buffer.concat(chunks).toString('utf8').slice(0, 200).trim();
          const reason = status !== null && status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
          done(status, `Receiver answered ${status}${reason}${excerpt ? `: ${excerpt}` : ''}`);
        }
      });
      req.end(body);
    });
  }

  return {
    send,
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}
