/**
 * Found from outside: an idempotency-ref on createApiKey kept the key's secret in clear in
 * idempotency_records (response and journal) for 24 h. Operations answering a credential once do
 * not honour idempotency-ref, so nothing of theirs is stored; other mutations still replay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateApiKey } from '../helpers/access.ts';
import { createTenant, type Tenant } from '../helpers/factories.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

let app: TestApp;
let tenant: Tenant;
beforeAll(async () => {
  app = await startTestApp();
  tenant = await createTenant(app);
});
afterAll(() => app?.stop());

async function storedMentioning(text: string): Promise<number> {
  const [row] = await app.app.services.domain.prisma.$queryRawUnsafe<{ n: bigint }[]>(
    `SELECT count(*) AS n FROM idempotency_records WHERE coalesce(response::text, '') || coalesce(effects::text, '') LIKE '%' || $1 || '%'`, text,
  );
  return Number(row!.n);
}

describe('idempotency-ref and credentials shown once', () => {
  it('stores no API key secret or webhook signing secret, and each call answers afresh', async () => {
    const ref = { 'idempotency-ref': `secret-${Date.now()}` };
    const first = await tenant.admin.client.data(CreateApiKey, { input: { name: 'ci', roles: ['CREATOR'] } }, ref);
    const second = await tenant.admin.client.data(CreateApiKey, { input: { name: 'ci', roles: ['CREATOR'] } }, ref);
    expect(second.createApiKey.secret).not.toBe(first.createApiKey.secret);
    expect(await storedMentioning(first.createApiKey.secret)).toBe(0);
    expect(await storedMentioning(second.createApiKey.secret)).toBe(0);

    const endpoint = await tenant.admin.client.data<any, any>(
      `mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }`,
      { input: { url: 'http://127.0.0.1:9/hooks' } }, { 'idempotency-ref': `endpoint-${Date.now()}` },
    );
    expect(endpoint.createWebhookEndpoint.secret).toMatch(/^whsec_/);
    expect(await storedMentioning(endpoint.createWebhookEndpoint.secret.slice('whsec_'.length))).toBe(0);
  });

  it('still replays other mutations under the same ref', async () => {
    const ref = { 'idempotency-ref': `rename-${Date.now()}` };
    const doc = `mutation ($input: NewUserInput!) { createUser(input: $input) { id } }`;
    const input = { email: `replay-${Date.now()}@example.test`, name: 'Replay', password: 'a-long-password-123', roles: ['CREATOR'] };
    const first = await tenant.admin.client.data<any, any>(doc, { input }, ref);
    const second = await tenant.admin.client.data<any, any>(doc, { input }, ref);
    expect(second.createUser.id).toBe(first.createUser.id);
  });
});
