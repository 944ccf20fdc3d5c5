/**
 * POST /bank/events: what the payment-initiation provider reports (docs/bank-events.md). Enabled by
 * BANK_WEBHOOK_SECRET (404 otherwise). Each request is checked in this order, and only the last
 * step changes anything:
 *   size (413 beyond BANK_EVENT_MAX_BYTES) → Standard Webhooks signature and timestamp within
 *   5 minutes (401) → JSON body of exactly the documented shape (400) → the domain's bank command,
 *   idempotent by `webhook-id` (200 applied / 200 duplicate / 422 {code, message} when refused).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { AppServices } from '../app-services.ts';
import {
  applyAuthorisationOutcome, applyFundsReceived, applyPayableOutcomes, AuthorisationOutcome, MAX_PAYABLE_OUTCOMES, PayableOutcome,
  type BankEventType, type BankReportResult, type PayableOutcomeReport,
} from '../domain/bank/bank.commands.ts';
import { DomainError } from '../domain/shared/errors.ts';
import { codePointLength } from '../domain/shared/input.ts';
import { idOf } from '../graphql/ids.ts';
import { json } from './http-routes.ts';

export const BANK_EVENTS_PATH = '/bank/events';

/**
 * Room for the largest event the format allows in plain text: 10,000 outcomes, each a global id and
 * a 500-character ASCII reason, take about 6.2 MB. Reasons in other scripts take more bytes per
 * character; a provider that needs more than this splits its outcomes over several events.
 */
export const BANK_EVENT_MAX_BYTES = 8 * 1024 * 1024;

const MAX_WEBHOOK_ID_LENGTH = 255;
const MAX_REASON_LENGTH = 500;
const AUTHORISATION_OUTCOMES = Object.values(AuthorisationOutcome);
const PAYABLE_OUTCOMES = Object.values(PayableOutcome);

type BankEvent =
  | { type: 'authorisation.outcome'; data: { authorisationId: string; outcome: AuthorisationOutcome } }
  | { type: 'funding_group.funds_received'; data: { fundingGroupId: string } }
  | { type: 'payables.outcomes'; data: { outcomes: { payableId: string; outcome: PayableOutcome; reason?: string }[] } };

class Malformed extends Error {}

class TooLarge extends Error {}

export function createBankEventsRoute(services: AppServices) {
  const secret = services.config.bankWebhookSecret;
  const verifier = secret ? new Webhook(secret) : null;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!verifier) return json(res, 404, { error: 'not found' });
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return json(res, 405, { code: 'METHOD_NOT_ALLOWED', message: 'POST only' });
    }
    let raw: string;
    try {
      raw = await readBody(req, BANK_EVENT_MAX_BYTES);
    } catch (error) {
      if (error instanceof TooLarge) return json(res, 413, { code: 'PAYLOAD_TOO_LARGE', message: `Body above ${BANK_EVENT_MAX_BYTES} bytes` });
      throw error;
    }
    const headers = {
      'webhook-id': header(req, 'webhook-id'), 'webhook-timestamp': header(req, 'webhook-timestamp'), 'webhook-signature': header(req, 'webhook-signature'),
    };
    try {
      verifier.verify(raw, headers, { jsonParse: false });
    } catch (error) {
      if (error instanceof WebhookVerificationError) return json(res, 401, { code: 'UNAUTHENTICATED', message: error.message });
      throw error;
    }
    let event: BankEvent;
    try {
      if (headers['webhook-id'].length > MAX_WEBHOOK_ID_LENGTH) throw new Malformed(`webhook-id longer than ${MAX_WEBHOOK_ID_LENGTH} characters`);
      event = parseEvent(raw);
    } catch (error) {
      if (error instanceof Malformed) return json(res, 400, { code: 'BAD_REQUEST', message: error.message });
      throw error;
    }
    try {
      const result = await apply(services, { id: headers['webhook-id'], type: event.type }, event);
      return json(res, 200, { status: result.status });
    } catch (error) {
      if (error instanceof DomainError) return json(res, 422, { code: error.code, message: error.message });
      services.logger.error({ err: error }, 'bank event failed');
      return json(res, 500, { code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected error' });
    }
  };
}

function apply(services: AppServices, event: { id: string; type: BankEventType }, body: BankEvent): Promise<BankReportResult> {
  const deps = services.domain;
  const reporter = { kind: 'bank', event } as const;
  switch (body.type) {
    case 'authorisation.outcome':
      return applyAuthorisationOutcome(deps, reporter, idOf('Authorisation', body.data.authorisationId), body.data.outcome);
    case 'funding_group.funds_received':
      return applyFundsReceived(deps, reporter, idOf('FundingGroup', body.data.fundingGroupId));
    case 'payables.outcomes': {
      const outcomes: PayableOutcomeReport[] = body.data.outcomes.map((o) => ({
        payableId: idOf('Payable', o.payableId), outcome: o.outcome, reason: o.reason ?? null,
      }));
      return applyPayableOutcomes(deps, reporter, outcomes);
    }
  }
}

const header = (req: IncomingMessage, name: string) => {
  const value = req.headers[name];
  return (Array.isArray(value) ? value.join(' ') : value) ?? '';
};

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  if (Number(req.headers['content-length'] ?? 0) > limit) {
    req.resume();
    throw new TooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw new TooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// Strict shape: exactly the documented keys, of the documented types; anything else is malformed.

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function exactKeys(value: unknown, where: string, required: readonly string[], optional: readonly string[] = []): Record<string, unknown> {
  if (!isObject(value)) throw new Malformed(`${where} must be an object`);
  for (const key of required) if (!(key in value)) throw new Malformed(`${where}.${key} is required`);
  for (const key of Object.keys(value)) {
    if (!required.includes(key) && !optional.includes(key)) throw new Malformed(`${where}.${key} is not expected`);
  }
  return value;
}

function id(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 200) throw new Malformed(`${where} must be a global id`);
  return value;
}

/**
 * A payable outcome's free text, or null when absent. Its length counts characters (code points, as
 * PostgreSQL does), not UTF-16 units; a NUL, which PostgreSQL cannot store, is malformed rather than
 * a server fault the provider would retry forever.
 */
function reason(value: unknown, where: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || codePointLength(value, MAX_REASON_LENGTH) > MAX_REASON_LENGTH) throw new Malformed(`${where} must be a string of at most ${MAX_REASON_LENGTH} characters`);
  if (value.includes('\u0000')) throw new Malformed(`${where} must not contain NUL characters`);
  return value;
}

function oneOf<T extends string>(value: unknown, values: readonly T[], where: string): T {
  if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) throw new Malformed(`${where} must be one of ${values.join(', ')}`);
  return value as T;
}

export function parseEvent(raw: string): BankEvent {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new Malformed('Body is not JSON');
  }
  const event = exactKeys(body, 'body', ['type', 'data']);
  switch (event.type) {
    case 'authorisation.outcome': {
      const data = exactKeys(event.data, 'data', ['authorisationId', 'outcome']);
      return { type: event.type, data: { authorisationId: id(data.authorisationId, 'data.authorisationId'), outcome: oneOf(data.outcome, AUTHORISATION_OUTCOMES, 'data.outcome') } };
    }
    case 'funding_group.funds_received': {
      const data = exactKeys(event.data, 'data', ['fundingGroupId']);
      return { type: event.type, data: { fundingGroupId: id(data.fundingGroupId, 'data.fundingGroupId') } };
    }
    case 'payables.outcomes': {
      const data = exactKeys(event.data, 'data', ['outcomes']);
      const list = data.outcomes;
      if (!Array.isArray(list) || list.length < 1 || list.length > MAX_PAYABLE_OUTCOMES) {
        throw new Malformed(`data.outcomes must be an array of 1 to ${MAX_PAYABLE_OUTCOMES} items`);
      }
      return {
        type: event.type,
        data: {
          outcomes: list.map((item, i) => {
            const where = `data.outcomes[${i}]`;
            const o = exactKeys(item, where, ['payableId', 'outcome'], ['reason']);
            const given = reason(o.reason, `${where}.reason`);
            return {
              payableId: id(o.payableId, `${where}.payableId`),
              outcome: oneOf(o.outcome, PAYABLE_OUTCOMES, `${where}.outcome`),
              ...(given !== null ? { reason: given } : {}),
            };
          }),
        },
      };
    }
    default:
      throw new Malformed('type must be authorisation.outcome, funding_group.funds_received or payables.outcomes');
  }
}
