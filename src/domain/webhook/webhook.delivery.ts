/**
 * The deliverer: for each endpoint, the buyer's log from the endpoint's own cursor, in log order,
 * one request at a time (order per endpoint), many endpoints at once (a slow receiver only holds its
 * own slot). An endpoint is claimed with a lease (webhook.store.ts), so across instances only one
 * deliverer sends to it at a time; progress is saved with each page and at the end of a claim, so a
 * crash repeats at most the requests since the last save (at least once, never out of order).
 */
import { performance } from 'node:perf_hooks';
import { Webhook } from 'standardwebhooks';
import { encodeLogCursor, readStatusChanges, type RawSql } from '../shared/event-log.ts';
import type { KeyRing } from '../../crypto/key-ring.ts';
import type { Logger } from '../../logger.ts';
import { uuidv7 } from '../shared/ids.ts';
import { signedHeaders, webhookBody, type GlobalIdEncoder } from './webhook.payload.ts';
import { retryDelayMs } from './webhook.retry.ts';
import { decryptSecret, encryptSecret } from './webhook.secrets.ts';
import { checkpoint, claimDueEndpoints, release, replaceSealedSecrets, type AttemptRecord, type ClaimedEndpoint } from './webhook.store.ts';

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** A 2xx statusCode with no error is a success; anything else a failure. */
export interface WebhookAttemptResult {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** Port: sends one request (src/transport/webhook-sender.ts is the HTTP implementation). */
export interface WebhookSender {
  send(request: WebhookRequest): Promise<WebhookAttemptResult>;
  close(): void;
}

export type WebhookDeliveryOutcome = 'success' | 'failure' | 'disabled';

export interface WebhookDelivererOptions {
  db: RawSql;
  sender: WebhookSender;
  globalId: GlobalIdEncoder;
  logger: Logger;
  /** Opens the stored signing secrets (current key first, then the previous ones). */
  encryptionKeys: KeyRing;
  retryBaseMs: number;
  retryWindowMs: number;
  leaseMs: number;
  timeoutMs: number;
  /** Endpoints delivered to at once by this instance. */
  concurrency: number;
  /** Log entries read (and progress saved) per round trip. */
  pageSize?: number;
  /** After this many deliveries a claim is released so that other due endpoints get a turn. */
  maxPerClaim?: number;
  /** Runs the task again (a slot freed up, or an endpoint has more to send). */
  wake(): void;
  /** One call per attempt outcome ('disabled' when the retry window ran out): metrics hook. */
  onDelivery?(outcome: WebhookDeliveryOutcome): void;
}

export interface WebhookDeliverer {
  /** Claims due endpoints up to the free slots and starts delivering; returns how many it claimed. */
  run(): Promise<number>;
  /** Deliveries in flight on this instance. */
  inFlight(): number;
  /** Starts nothing new and waits for deliveries in flight (each ends within one request timeout). */
  stop(): Promise<void>;
}

/** The error of an attempt not made because no configured key opens the endpoint's signing secret. */
export const SIGNING_SECRET_UNREADABLE =
  'signing secret unreadable: no configured key opens it (WEBHOOK_ENCRYPTION_KEY, WEBHOOK_ENCRYPTION_KEY_PREVIOUS); nothing was sent';

/** Room left in a lease before a request may start: the request's timeout plus this margin. */
const LEASE_MARGIN_MS = 500;

const isSuccess = (result: WebhookAttemptResult) => result.error === null && result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;

export function createWebhookDeliverer(options: WebhookDelivererOptions): WebhookDeliverer {
  const { db, logger } = options;
  const pageSize = options.pageSize ?? 100;
  const maxPerClaim = options.maxPerClaim ?? 1000;
  const inFlight = new Set<Promise<void>>();
  let stopping = false;

  const report = (outcome: WebhookDeliveryOutcome) => {
    try {
      options.onDelivery?.(outcome);
    } catch (error) {
      logger.warn({ err: error }, 'onWebhookDelivery callback failed');
    }
  };

  async function deliver(claim: ClaimedEndpoint, claimStartedAt: number): Promise<void> {
    const signers = await openSigningSecrets(claim);
    const filter = { entityTypes: claim.entityTypes.length ? claim.entityTypes : null, paymentRunId: claim.paymentRunId };
    let cursor = claim.cursorSeq;
    let records: AttemptRecord[] = [];
    let leaseFrom = claimStartedAt;
    let delivered = 0;
    const canStartRequest = () => !stopping && performance.now() - leaseFrom + options.timeoutMs + LEASE_MARGIN_MS < options.leaseMs;

    for (;;) {
      const events = await readStatusChanges(db, claim.buyerId, cursor, pageSize, filter, claim.headSeq);
      for (const event of events) {
        if (!canStartRequest()) return void (await finish(claim, cursor, records));
        const messageId = encodeLogCursor(event.seq);
        const body = webhookBody(event, options.globalId);
        const at = new Date();
        // No secret opens (a key missing from the ring): a failed attempt like any other, so it is
        // recorded, backed off, and disables the endpoint after the retry window; nothing is sent.
        const result = signers.length === 0
          ? { statusCode: null, error: SIGNING_SECRET_UNREADABLE, durationMs: 0 }
          : await options.sender.send({ url: claim.url, headers: signedHeaders(signers, messageId, body, at), body });
        // The first event of a claim is the one earlier attempts failed at (the cursor had not moved).
        const attempt = (delivered === 0 ? claim.failedAttempts : 0) + 1;
        records.push({ id: uuidv7(), eventSeq: event.seq, attempt, ...result, at });
        if (!isSuccess(result)) {
          report('failure');
          const outcome = await release(db, claim, {
            cursorSeq: cursor,
            records,
            failure: {
              failedAttempts: attempt,
              // A new event failing starts a new retry window; the same event keeps its first failure's time.
              failingSince: delivered === 0 ? claim.failingSince : null,
              retryDelayMs: retryDelayMs(attempt, options.retryBaseMs),
              retryWindowMs: options.retryWindowMs,
            },
          });
          if (outcome === 'disabled') {
            report('disabled');
            logger.warn({ endpointId: claim.id, buyerId: claim.buyerId }, 'webhook endpoint disabled: an event went undelivered for the whole retry window');
          } else if (outcome === 'lost') {
            logger.warn({ endpointId: claim.id }, 'webhook claim lost before it was released; its progress will be repeated');
          }
          return;
        }
        report('success');
        cursor = event.seq;
        delivered++;
      }
      // Fewer than a page: every matching entry up to the claimed head has been delivered.
      if (events.length < pageSize) return void (await finish(claim, claim.headSeq, records));
      if (delivered >= maxPerClaim) return void (await finish(claim, cursor, records));
      const renewedAt = performance.now();
      const status = await checkpoint(db, claim, cursor, records, options.leaseMs);
      records = [];
      if (status === null) return;
      if (status !== 'ENABLED') return void (await finish(claim, cursor, records));
      leaseFrom = renewedAt;
    }
  }

  /**
   * The claim's secrets as signers. One that an old key opened (a key rotation in progress) is
   * re-sealed under the current key while we hold the claim; the update replaces only the
   * ciphertext read, so a rotateWebhookSecret meanwhile wins.
   */
  async function openSigningSecrets(claim: ClaimedEndpoint): Promise<Webhook[]> {
    const stored = { secret: claim.secretCiphertext, previous: claim.previousSecretCiphertext };
    // Signs with whichever secrets open; one that does not is logged (never its value) and left out.
    const openOne = (sealed: string, which: 'secret' | 'previous') => {
      try {
        return decryptSecret(options.encryptionKeys, claim.id, sealed);
      } catch (error) {
        logger.warn({ endpointId: claim.id, buyerId: claim.buyerId, which, reason: (error as Error).message }, 'webhook signing secret unreadable: left out of the signatures');
        return null;
      }
    };
    const opened = { secret: openOne(stored.secret, 'secret'), previous: stored.previous === null ? null : openOne(stored.previous, 'previous') };
    const stale = (which: 'secret' | 'previous') => {
      const value = opened[which];
      return value && !value.current ? { from: stored[which]!, to: encryptSecret(options.encryptionKeys, claim.id, value.secret) } : null;
    };
    const replacements = { secret: stale('secret'), previous: stale('previous') };
    if (replacements.secret || replacements.previous) {
      // Re-sealing is an optimisation (rekey does it too): a failed write never stops the delivery.
      await replaceSealedSecrets(db, claim, replacements)
        .catch((error: unknown) => logger.warn({ err: error, endpointId: claim.id }, 'webhook signing secret not re-sealed (kept under the old key)'));
    }
    return [opened.secret, opened.previous].filter((o) => o !== null).map((o) => new Webhook(o.secret));
  }

  async function finish(claim: ClaimedEndpoint, cursor: bigint, records: AttemptRecord[]) {
    const outcome = await release(db, claim, { cursorSeq: cursor, records, failure: null });
    if (outcome === 'lost') logger.warn({ endpointId: claim.id }, 'webhook claim lost before it was released; its progress will be repeated');
  }

  return {
    async run() {
      const free = options.concurrency - inFlight.size;
      if (stopping || free <= 0) return 0;
      // Measured from before the claim, so this instance's idea of the lease never outlasts the database's.
      const claimStartedAt = performance.now();
      const claims = await claimDueEndpoints(db, free, options.leaseMs);
      for (const claim of claims) {
        const delivery: Promise<void> = deliver(claim, claimStartedAt)
          .catch((error) => logger.error({ err: error, endpointId: claim.id }, 'webhook delivery failed; the claim expires and is retried'))
          .finally(() => {
            inFlight.delete(delivery);
            if (!stopping) options.wake();
          });
        inFlight.add(delivery);
      }
      return claims.length;
    },
    inFlight: () => inFlight.size,
    async stop() {
      stopping = true;
      await Promise.all(inFlight);
      options.sender.close();
    },
  };
}
