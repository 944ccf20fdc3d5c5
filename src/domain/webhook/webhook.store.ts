/**
 * SQL of the deliverer. An endpoint is claimed with a lease (a random owner token and an expiry in
 * database time) rather than a row lock held across HTTP calls: no transaction stays open while a
 * receiver thinks, and a crashed instance's claim simply expires. Every write after the claim names
 * the owner token, so a deliverer that lost its claim (endpoint deleted, lease expired) changes nothing.
 */
import type { RawSql } from '../shared/event-log.ts';
import type { EntityType } from '../shared/statuses.ts';
import { DisabledReason } from './webhook.states.ts';

export interface ClaimedEndpoint {
  id: string;
  buyerId: string;
  url: string;
  entityTypes: EntityType[];
  paymentRunId: string | null;
  secretCiphertext: string;
  /** Only while the previous secret is still within its 24 h. */
  previousSecretCiphertext: string | null;
  cursorSeq: bigint;
  failedAttempts: number;
  failingSince: Date | null;
  leaseOwner: string;
  /** The buyer's log head when claimed: everything up to it is committed. */
  headSeq: bigint;
}

interface ClaimRow {
  id: string;
  buyer_id: string;
  url: string;
  entity_types: EntityType[] | string | null;
  payment_run_id: string | null;
  secret_ciphertext: string;
  previous_secret_ciphertext: string | null;
  cursor_seq: bigint | string;
  failed_attempts: number;
  failing_since: Date | string | null;
  lease_owner: string;
  head_seq: bigint | string;
}

const parseArray = (value: EntityType[] | string | null): EntityType[] => {
  if (Array.isArray(value)) return value;
  if (!value || value === '{}') return [];
  return value.slice(1, -1).split(',') as EntityType[];
};

/** Claims up to `limit` ENABLED endpoints that are due and have unread log entries. */
export async function claimDueEndpoints(db: RawSql, limit: number, leaseMs: number): Promise<ClaimedEndpoint[]> {
  if (limit <= 0) return [];
  const rows = await db.$queryRawUnsafe<ClaimRow[]>(
    `WITH due AS (
       SELECT e.id, b.event_seq
         FROM webhook_endpoints e JOIN buyers b ON b.id = e.buyer_id
        WHERE e.status = 'ENABLED' AND e.next_attempt_at <= now()
          AND (e.lease_until IS NULL OR e.lease_until < now())
          AND b.event_seq > e.cursor_seq
        ORDER BY e.next_attempt_at
        LIMIT $1
        FOR UPDATE OF e SKIP LOCKED
     )
     UPDATE webhook_endpoints e
        SET lease_owner = gen_random_uuid(), lease_until = now() + $2::int * interval '1 millisecond'
       FROM due
      WHERE e.id = due.id
     RETURNING e.id, e.buyer_id, e.url, e.entity_types::text[] AS entity_types, e.payment_run_id, e.secret_ciphertext,
               CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret_ciphertext END AS previous_secret_ciphertext,
               e.cursor_seq, e.failed_attempts, e.failing_since, e.lease_owner, due.event_seq AS head_seq`,
    limit,
    leaseMs,
  );
  return rows.map((row) => ({
    id: row.id,
    buyerId: row.buyer_id,
    url: row.url,
    entityTypes: parseArray(row.entity_types),
    paymentRunId: row.payment_run_id,
    secretCiphertext: row.secret_ciphertext,
    previousSecretCiphertext: row.previous_secret_ciphertext,
    cursorSeq: BigInt(row.cursor_seq),
    failedAttempts: Number(row.failed_attempts),
    failingSince: row.failing_since === null ? null : new Date(row.failing_since),
    leaseOwner: row.lease_owner,
    headSeq: BigInt(row.head_seq),
  }));
}

export interface AttemptRecord {
  id: string;
  eventSeq: bigint;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  at: Date;
}

/** Attempts recorded with the cursor they moved, in one statement (only while the claim is ours). */
const RECORD_ATTEMPTS = `
  ins AS (
    INSERT INTO webhook_deliveries (id, buyer_id, endpoint_id, event_seq, attempt, status_code, error, duration_ms, created_at)
    SELECT a.id, upd.buyer_id, upd.id, a.event_seq, a.attempt, a.status_code, a.error, a.duration_ms, a.created_at
      FROM upd, unnest($4::uuid[], $5::bigint[], $6::int[], $7::int[], $8::text[], $9::int[], $10::timestamptz[])
           AS a(id, event_seq, attempt, status_code, error, duration_ms, created_at)
  )`;

const attemptParams = (records: readonly AttemptRecord[]) => [
  records.map((r) => r.id),
  records.map((r) => r.eventSeq.toString()),
  records.map((r) => r.attempt),
  records.map((r) => r.statusCode),
  records.map((r) => r.error),
  records.map((r) => r.durationMs),
  records.map((r) => r.at.toISOString()),
];

/**
 * Saves progress mid-claim and renews the lease. Returns the endpoint's status, or null when the
 * claim is gone (endpoint deleted, lease taken over): the deliverer then stops.
 */
export async function checkpoint(db: RawSql, claim: ClaimedEndpoint, cursorSeq: bigint, records: readonly AttemptRecord[], leaseMs: number) {
  const rows = await db.$queryRawUnsafe<{ status: string }[]>(
    `WITH upd AS (
       UPDATE webhook_endpoints
          SET cursor_seq = $2::bigint, failed_attempts = 0, failing_since = NULL,
              lease_until = now() + $11::int * interval '1 millisecond', updated_at = now()
        WHERE id = $1::uuid AND lease_owner = $3::uuid
       RETURNING id, buyer_id, status
     ), ${RECORD_ATTEMPTS}
     SELECT status::text FROM upd`,
    claim.id,
    cursorSeq.toString(),
    claim.leaseOwner,
    ...attemptParams(records),
    leaseMs,
  );
  return rows[0]?.status ?? null;
}

export type ReleaseOutcome = 'released' | 'retrying' | 'disabled' | 'lost';

/**
 * Ends a claim. On success the endpoint is due again at once (more may have been logged meanwhile).
 * On failure the next attempt waits `retryDelayMs`; once the event has been failing for the retry
 * window the endpoint is DISABLED instead. Times are the database's, like the lease's.
 */
export async function release(
  db: RawSql,
  claim: ClaimedEndpoint,
  result: { cursorSeq: bigint; records: readonly AttemptRecord[]; failure: null | { failedAttempts: number; failingSince: Date | null; retryDelayMs: number; retryWindowMs: number } },
): Promise<ReleaseOutcome> {
  const failure = result.failure;
  const rows = await db.$queryRawUnsafe<{ status: string; disabled_reason: string | null }[]>(
    `WITH upd AS (
       UPDATE webhook_endpoints
          SET cursor_seq = $2::bigint,
              failed_attempts = $11::int,
              failing_since = CASE WHEN $12::boolean THEN COALESCE($13::timestamptz, now()) END,
              next_attempt_at = now() + $14::int * interval '1 millisecond',
              status = CASE WHEN $12::boolean AND status = 'ENABLED' AND COALESCE($13::timestamptz, now()) <= now() - $15::float8 * interval '1 millisecond'
                            THEN 'DISABLED'::"WebhookEndpointStatus" ELSE status END,
              disabled_reason = CASE WHEN $12::boolean AND status = 'ENABLED' AND COALESCE($13::timestamptz, now()) <= now() - $15::float8 * interval '1 millisecond'
                            THEN '${DisabledReason.RETRIES_EXHAUSTED}' ELSE disabled_reason END,
              lease_owner = NULL, lease_until = NULL, updated_at = now()
        WHERE id = $1::uuid AND lease_owner = $3::uuid
       RETURNING id, buyer_id, status, disabled_reason
     ), ${RECORD_ATTEMPTS}
     SELECT status::text, disabled_reason FROM upd`,
    claim.id,
    result.cursorSeq.toString(),
    claim.leaseOwner,
    ...attemptParams(result.records),
    failure?.failedAttempts ?? 0,
    failure !== null,
    failure?.failingSince?.toISOString() ?? null,
    failure?.retryDelayMs ?? 0,
    failure?.retryWindowMs ?? 0,
  );
  const row = rows[0];
  if (!row) return 'lost';
  // Claims are only of ENABLED endpoints and enabling clears the reason: this release disabled it.
  if (failure && row.status === 'DISABLED' && row.disabled_reason === DisabledReason.RETRIES_EXHAUSTED) return 'disabled';
  return failure ? 'retrying' : 'released';
}

/** Deletes attempt records older than the retention, a bounded chunk per call. */
export async function pruneDeliveries(db: RawSql, retentionDays: number, chunk = 5000): Promise<number> {
  return db.$executeRawUnsafe(
    `DELETE FROM webhook_deliveries WHERE id IN (
       SELECT id FROM webhook_deliveries WHERE created_at < now() - $1::float8 * interval '1 day' LIMIT $2)`,
    retentionDays,
    chunk,
  );
}

/** A sealed secret to swap for its re-sealed copy, only if the row still holds `from`. */
export interface SealedReplacement {
  readonly from: string;
  readonly to: string;
}

/**
 * Re-sealed signing secrets (key rotation), written only over the very ciphertext that was read:
 * a rotation or another re-seal meanwhile wins. Returns how many of the two columns changed.
 */
export async function replaceSealedSecrets(
  db: RawSql, endpoint: { readonly id: string; readonly buyerId: string }, replace: { secret: SealedReplacement | null; previous: SealedReplacement | null },
): Promise<number> {
  const [row] = await db.$queryRawUnsafe<{ secret: boolean; previous: boolean }[]>(
    `UPDATE webhook_endpoints
        SET secret_ciphertext = CASE WHEN secret_ciphertext = $2::text THEN $3::text ELSE secret_ciphertext END,
            previous_secret_ciphertext = CASE WHEN previous_secret_ciphertext = $4::text THEN $5::text ELSE previous_secret_ciphertext END
      WHERE id = $1::uuid AND buyer_id = $6::uuid AND (secret_ciphertext = $2::text OR previous_secret_ciphertext = $4::text)
      RETURNING COALESCE(secret_ciphertext = $3::text, false) AS secret, COALESCE(previous_secret_ciphertext = $5::text, false) AS previous`,
    endpoint.id, replace.secret?.from ?? null, replace.secret?.to ?? null, replace.previous?.from ?? null, replace.previous?.to ?? null,
    endpoint.buyerId,
  );
  return row ? Number(row.secret === true) + Number(row.previous === true) : 0;
}
