import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { graphql } from '../generated/index.ts';
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
