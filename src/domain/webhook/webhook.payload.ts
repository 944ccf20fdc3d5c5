/**
 * The request a receiver gets for one logged status change (CONTRACT.md §9). The body is the same
 * on every attempt (its `timestamp` is when the change happened); only the `webhook-timestamp`
 * header and the signatures are made per attempt. Ids are the API's global ids, so a receiver can
 * query the entity straight away.
 */
import { Webhook } from 'standardwebhooks';
import { encodeLogCursor, type LoggedStatusChange } from '../shared/event-log.ts';
import type { EntityType } from '../shared/statuses.ts';

/** Encodes a database id as the API's global id (injected: the domain does not know GraphQL). */
export type GlobalIdEncoder = (typename: string, id: string) => string;

const TYPENAME = {
  PAYMENT_RUN: 'PaymentRun',
  FUNDING_GROUP: 'FundingGroup',
  PAYABLE: 'Payable',
  BATCH: 'Batch',
  AUTHORISATION: 'Authorisation',
  PAYABLE_GROUP: 'PayableGroup',
} as const satisfies Record<EntityType, string>;

export function webhookBody(event: LoggedStatusChange, globalId: GlobalIdEncoder): string {
  return JSON.stringify({
    type: 'status_changed',
    timestamp: event.occurredAt.toISOString(),
    data: {
      cursor: encodeLogCursor(event.seq),
      entityType: event.entityType,
      entityId: globalId(TYPENAME[event.entityType], event.entityId),
      paymentRunId: globalId('PaymentRun', event.paymentRunId),
      fromStatus: event.fromStatus,
      toStatus: event.toStatus,
      occurredAt: event.occurredAt.toISOString(),
      actorId: event.actorId ? globalId('User', event.actorId) : null,
    },
  });
}

/** Signs with every current secret: after a rotation both, space-separated, as the spec allows. */
export function signedHeaders(signers: readonly Webhook[], messageId: string, body: string, at: Date): Record<string, string> {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signers.map((signer) => signer.sign(messageId, at, body)).join(' '),
  };
}
