import type { EntityType } from './statuses.ts';
import type { RawSql, StatusChangeInput } from './event-log-writer.ts';

/**
 * Reads of the durable event log (table status_changes): plain SQL over any client, bound to a
 * buyer by its arguments. The unit of work appends to it (event-log-writer.ts: a gapless per-buyer
 * sequence, so cursors resume without gaps or repeats); everything here reads. It lives in the
 * domain so domain readers (webhook delivery) need nothing from src/events, which re-exports it.
 */
export { appendStatusChanges, type RawSql, type StatusChangeInput } from './event-log-writer.ts';

export interface LoggedStatusChange extends StatusChangeInput {
  buyerId: string;
  seq: bigint;
  actorId: string | null;
  occurredAt: Date;
}

interface StatusChangeRow {
  buyer_id: string;
  seq: bigint | string;
  entity_type: EntityType;
  entity_id: string;
  payment_run_id: string;
  from_status: string | null;
  to_status: string;
  actor_id: string | null;
  occurred_at: Date | string;
}

const fromRow = (row: StatusChangeRow): LoggedStatusChange => ({
  buyerId: row.buyer_id,
  seq: BigInt(row.seq),
  entityType: row.entity_type,
  entityId: row.entity_id,
  paymentRunId: row.payment_run_id,
  fromStatus: row.from_status,
  toStatus: row.to_status,
  actorId: row.actor_id,
  occurredAt: new Date(row.occurred_at),
});

export interface LogFilter {
  paymentRunId?: string | null;
  entityTypes?: readonly EntityType[] | null;
}

/**
 * Entries of one buyer with afterSeq < seq (≤ uptoSeq when given), in log order. A bound lets a
 * filtered reader that got fewer than `limit` rows know it has seen everything up to uptoSeq.
 */
export async function readStatusChanges(
  db: RawSql,
  buyerId: string,
  afterSeq: bigint,
  limit: number,
  filter: LogFilter = {},
  uptoSeq: bigint | null = null,
): Promise<LoggedStatusChange[]> {
  return readLogRange(db, buyerId, { afterSeq, bound: uptoSeq, newestFirst: false }, limit, filter);
}

/**
 * The newest `limit` entries with afterSeq < seq < beforeSeq (no upper bound when null), returned in
 * log order: `statusChanges(last: n, before: …)` reads the log from its end.
 */
export async function readStatusChangesBackward(
  db: RawSql,
  buyerId: string,
  afterSeq: bigint,
  beforeSeq: bigint | null,
  limit: number,
  filter: LogFilter = {},
): Promise<LoggedStatusChange[]> {
  return (await readLogRange(db, buyerId, { afterSeq, bound: beforeSeq, newestFirst: true }, limit, filter)).reverse();
}

/**
 * One buyer's entries after `afterSeq` and within `bound` (inclusive reading forward, exclusive
 * reading backward), oldest or newest first.
 */
async function readLogRange(
  db: RawSql,
  buyerId: string,
  range: { afterSeq: bigint; bound: bigint | null; newestFirst: boolean },
  limit: number,
  filter: LogFilter,
): Promise<LoggedStatusChange[]> {
  const rows = await db.$queryRawUnsafe<StatusChangeRow[]>(
    `SELECT buyer_id, seq, entity_type, entity_id, payment_run_id, from_status, to_status, actor_id, occurred_at
       FROM status_changes
      WHERE buyer_id = $1::uuid AND seq > $2::bigint
        AND ($3::uuid IS NULL OR payment_run_id = $3::uuid)
        AND ($4::text[] IS NULL OR entity_type::text = ANY($4::text[]))
        AND ($6::bigint IS NULL OR seq ${range.newestFirst ? '<' : '<='} $6::bigint)
      ORDER BY seq ${range.newestFirst ? 'DESC' : 'ASC'}
      LIMIT $5`,
    buyerId,
    range.afterSeq.toString(),
    filter.paymentRunId ?? null,
    filter.entityTypes?.length ? filter.entityTypes : null,
    limit,
    range.bound === null ? null : range.bound.toString(),
  );
  return rows.map(fromRow);
}

export async function countStatusChanges(db: RawSql, buyerId: string, filter: LogFilter = {}): Promise<number> {
  const [row] = await db.$queryRawUnsafe<{ n: bigint }[]>(
    `SELECT count(*) AS n FROM status_changes
      WHERE buyer_id = $1::uuid AND ($2::uuid IS NULL OR payment_run_id = $2::uuid)
        AND ($3::text[] IS NULL OR entity_type::text = ANY($3::text[]))`,
    buyerId,
    filter.paymentRunId ?? null,
    filter.entityTypes?.length ? filter.entityTypes : null,
  );
  return Number(row?.n ?? 0);
}

/** The buyer's latest committed sequence number. */
export async function readLogHead(db: RawSql, buyerId: string): Promise<bigint> {
  const [row] = await db.$queryRawUnsafe<{ event_seq: bigint }[]>(
    'SELECT event_seq FROM buyers WHERE id = $1::uuid',
    buyerId,
  );
  return BigInt(row?.event_seq ?? 0);
}

/** Latest committed sequence numbers of several buyers in one query (live streams' shared watcher). */
export async function readLogHeads(db: RawSql, buyerIds: readonly string[]): Promise<Map<string, bigint>> {
  if (buyerIds.length === 0) return new Map();
  const rows = await db.$queryRawUnsafe<{ id: string; event_seq: bigint }[]>(
    'SELECT id, event_seq FROM buyers WHERE id = ANY($1::uuid[])',
    buyerIds,
  );
  return new Map(rows.map((row) => [row.id, BigInt(row.event_seq)]));
}

/** Cursors are opaque to clients; inside they are the log's sequence number. */
export const encodeLogCursor = (seq: bigint) => Buffer.from(`sc:${seq}`).toString('base64url');

const MAX_SEQ = 2n ** 63n - 1n; // PostgreSQL bigint: a larger number would fail in SQL, not as bad input

export function decodeLogCursor(cursor: string): bigint | null {
  const text = Buffer.from(cursor, 'base64url').toString();
  const match = /^sc:(\d{1,19})$/.exec(text);
  if (!match) return null;
  const seq = BigInt(match[1]!);
  return seq <= MAX_SEQ ? seq : null;
}
