import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookSender } from '../../src/transport/webhook-sender.ts';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { startIsolatedApp } from '../helpers/funding.ts';
import type { TestApp } from '../helpers/test-app.ts';
import { CreateEndpoint, DeleteEndpoint } from '../helpers/webhook-receiver.ts';

/** Where webhooks may go when private URLs are not allowed (outside the sandbox), and how the sender behaves. */
describe('receiver URLs when private addresses are not allowed', () => {
  let app: TestApp;
  let tenant: Tenant;
  beforeAll(async () => {
    app = await startIsolatedApp({ WEBHOOK_ALLOW_PRIVATE_URLS: 'false' });
    tenant = await createTenant(app);
  });
  afterAll(() => app?.stop());

  it('refuses plain http and loopback, private and link-local hosts with BAD_USER_INPUT', async () => {
    const refused = {
      'http://hooks.example.com/in': 'HTTPS_REQUIRED',
      'https://127.0.0.1/in': 'PRIVATE_ADDRESS',
      'https://127.1.2.3:8443/in': 'PRIVATE_ADDRESS',
      'https://localhost/in': 'PRIVATE_ADDRESS',
      'https://api.localhost/in': 'PRIVATE_ADDRESS',
      'https://10.0.0.7/in': 'PRIVATE_ADDRESS',
      'https://172.20.1.1/in': 'PRIVATE_ADDRESS',
      'https://192.168.1.10/in': 'PRIVATE_ADDRESS',
      'https://169.254.169.254/latest/meta-data': 'PRIVATE_ADDRESS',
      'https://[::1]/in': 'PRIVATE_ADDRESS',
      'https://[fd00::1]/in': 'PRIVATE_ADDRESS',
      'https://[fe80::1]/in': 'PRIVATE_ADDRESS',
      'https://[::ffff:10.0.0.1]/in': 'PRIVATE_ADDRESS',
      'https://2130706433/in': 'PRIVATE_ADDRESS',
      'https://intranet/in': 'PRIVATE_ADDRESS',
    };
    for (const [url, reason] of Object.entries(refused)) {
      const error = await tenant.admin.client.error(CreateEndpoint, { input: { url } });
      expect(error.extensions?.code, url).toBe('BAD_USER_INPUT');
      expect(error.extensions?.invalidFields, url).toEqual([{ fieldName: 'url', error: 'REGEX', params: { reason } }]);
    }
    const { createWebhookEndpoint } = await tenant.admin.client.data(CreateEndpoint, { input: { url: 'https://hooks.example.com/in' } });
    expect(createWebhookEndpoint.endpoint.status).toBe('ENABLED');
    await tenant.admin.client.data(DeleteEndpoint, { id: createWebhookEndpoint.endpoint.id });
  });
});

describe('the HTTP sender', () => {
  let server: Server;
  let port: number;
  let hits = 0;
  beforeAll(async () => {
    const requestsPerSocket = new WeakMap<object, number>();
    server = createServer((req, res) => {
      hits++;
      const onSocket = (requestsPerSocket.get(req.socket) ?? 0) + 1;
      requestsPerSocket.set(req.socket, onSocket);
      // A receiver that closes idle keep-alive connections: the second request on one is cut unread.
      if (req.url === '/closes-idle' && onSocket > 1) return void req.socket.destroy();
      req.resume();
      if (req.url === '/redirect') return void res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
      if (req.url === '/huge') return void res.writeHead(500).end('x'.repeat(1024 * 1024));
      if (req.url === '/silent') return; // never answers
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  // A public-looking name that resolves to loopback: what a DNS rebinding attack looks like.
  const rebinding = ((_host: string, _options: unknown, callback: (error: null, addresses: LookupAddress[]) => void) =>
    callback(null, [{ address: '127.0.0.1', family: 4 }])) as never;
  const request = (url: string) => ({ url, headers: { 'webhook-id': 'x' }, body: '{}' });
  // Local answers come in milliseconds, but a loaded machine may stall a moment: timeouts that are
  // not what a test is about stay well clear of that.
  const GENEROUS_MS = 15_000;

  it('checks the resolved address on every connection, not only the URL text', async () => {
    const strict = createWebhookSender({ timeoutMs: GENEROUS_MS, allowPrivateAddresses: false, resolve: rebinding });
    const before = hits;
    const refused = await strict.send(request(`http://hooks.example.com:${port}/in`));
    expect(refused.statusCode).toBeNull();
    expect(refused.error).toMatch(/private address \(127\.0\.0\.1\); refused/);
    const literal = await strict.send(request(`http://127.0.0.1:${port}/in`));
    expect(literal.error).toMatch(/private address; refused/);
    expect(hits).toBe(before);
    strict.close();

    const sandbox = createWebhookSender({ timeoutMs: GENEROUS_MS, allowPrivateAddresses: true, resolve: rebinding });
    expect(await sandbox.send(request(`http://hooks.example.com:${port}/in`))).toMatchObject({ statusCode: 204, error: null });
    sandbox.close();
  });

  it('sends once more on a fresh connection when a reused keep-alive socket was closed by the receiver', async () => {
    const sender = createWebhookSender({ timeoutMs: GENEROUS_MS, allowPrivateAddresses: true });
    expect(await sender.send(request(`http://127.0.0.1:${port}/closes-idle`))).toMatchObject({ statusCode: 204, error: null });
    expect(await sender.send(request(`http://127.0.0.1:${port}/closes-idle`))).toMatchObject({ statusCode: 204, error: null });
    sender.close();
  });

  it('follows no redirect, reads a few KiB of an answer at most, and gives up at the timeout', async () => {
    // Answers that come are read with time to spare; only the silent receiver meets the short timeout.
    const patient = createWebhookSender({ timeoutMs: GENEROUS_MS, allowPrivateAddresses: true });
    const redirect = await patient.send(request(`http://127.0.0.1:${port}/redirect`));
    expect(redirect).toMatchObject({ statusCode: 302 });
    expect(redirect.error).toMatch(/redirects are not followed/);
    const huge = await patient.send(request(`http://127.0.0.1:${port}/huge`));
    expect(huge.statusCode).toBe(500);
    expect(huge.error!.length).toBeLessThan(300);
    patient.close();
    const sender = createWebhookSender({ timeoutMs: 500, allowPrivateAddresses: true });
    const silent = await sender.send(request(`http://127.0.0.1:${port}/silent`));
    expect(silent).toMatchObject({ statusCode: null, error: 'No answer within 500 ms' });
    sender.close();
  });
});
