import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { expect } from 'vitest';
import { graphql } from '../generated/index.ts';
import type { Tenant } from './factories.ts';
import { fundedRun } from './funding.ts';
import { gbpPayable } from './payment-runs.ts';
import type { TestApp } from './test-app.ts';

/** The provider's secret the bank-events suites configure (BANK_WEBHOOK_SECRET). */
export const BANK_SECRET = `whsec_${randomBytes(32).toString('base64')}`;

export const AuthoriseBatches = graphql(`
  mutation AuthoriseBatches($batchIds: [ID!]!) { authoriseBatches(batchIds: $batchIds) { ...AttemptFields } }
`);

export interface SentEvent { status: number; body: any; id: string }

/**
 * POSTs one bank event, signed as Standard Webhooks says with `secret`, at `timestamp` (default:
 * now). `raw` sends a body as it is (malformed bodies); `signature` overrides the header.
 */
export async function postBankEvent(
  app: TestApp,
  event: unknown,
  options: { id?: string; timestamp?: Date; secret?: string; raw?: string; signature?: string } = {},
): Promise<SentEvent> {
  const id = options.id ?? `msg_${randomUUID()}`;
  const timestamp = options.timestamp ?? new Date();
  const body = options.raw ?? JSON.stringify(event);
  const signature = options.signature ?? new Webhook(options.secret ?? BANK_SECRET).sign(id, timestamp, body);
  const response = await fetch(new URL('/bank/events', app.url), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': signature,
    },
    body,
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed, id };
}

export const authorisationOutcome = (authorisationId: string, outcome: string) =>
  ({ type: 'authorisation.outcome', data: { authorisationId, outcome } });
export const fundsReceived = (fundingGroupId: string) => ({ type: 'funding_group.funds_received', data: { fundingGroupId } });
export const payableOutcomes = (outcomes: { payableId: string; outcome: string; reason?: string }[]) =>
  ({ type: 'payables.outcomes', data: { outcomes } });

/** The row id inside a global id (`Type:uuid`, base64url). */
export const rowIdOf = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1]!;

export const payableGlobalId = (id: string) => Buffer.from(`Payable:${id}`).toString('base64url');

/** Rows in the buyer's event log: what a refused or repeated event must not add to. */
export async function loggedChanges(app: TestApp, tenant: Tenant): Promise<number> {
  const [row] = await app.app.services.domain.prisma.$queryRawUnsafe<{ n: bigint }[]>(
    'SELECT count(*) AS n FROM status_changes WHERE buyer_id = $1::uuid', rowIdOf(tenant.buyerId),
  );
  return Number(row!.n);
}

/** A funded run whose every batch the bank approved (by events) and whose funds arrived: payables EXECUTING. */
export async function executingRun(app: TestApp, tenant: Tenant, count = 3) {
  const { runId, groups } = await fundedRun(app, tenant, 'SANDBOX_BANK_GB', Array.from({ length: count }, (_, i) => gbpPayable(i)));
  const { authoriseBatches } = await tenant.controller.client.data(AuthoriseBatches, { batchIds: groups.flatMap((g) => g.batches.map((b) => b.id)) });
  for (const attempt of authoriseBatches) expect((await postBankEvent(app, authorisationOutcome(attempt.id, 'APPROVE'))).body).toEqual({ status: 'applied' });
  for (const group of groups) expect((await postBankEvent(app, fundsReceived(group.id))).status).toBe(200);
  const rows = await app.app.services.domain.prisma.$queryRawUnsafe<{ id: string; status: string }[]>(
    'SELECT id, status::text AS status FROM payables WHERE payment_run_id = $1::uuid ORDER BY position', rowIdOf(runId),
  );
  expect(rows.every((p) => p.status === 'EXECUTING')).toBe(true);
  return { runId, groups, payableIds: rows.map((p) => payableGlobalId(p.id)) };
}
