/**
 * Appends to the durable event log (table status_changes) inside the unit of work's transaction.
 * Each buyer's entries carry a gapless sequence number taken from buyers.event_seq by an UPDATE
 * inside the writing transaction: the row lock it takes is held until commit, so a later sequence
 * number can never commit before an earlier one. Readers that have seen seq N therefore never miss
 * a row with seq > N, which is what makes cursors resumable without gaps or repeats. Reading the
 * log (cursors, pages, live streams) is src/events/'s business.
 */
import type { EntityType } from './statuses.ts';

export interface StatusChangeInput {
  entityType: EntityType;
  entityId: string;
  paymentRunId: string;
  fromStatus: string | null;
  toStatus: string;
}

/** The raw-SQL surface both a Prisma client and a transaction offer. */
export interface RawSql {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}

export async function appendStatusChanges(
  tx: RawSql,
  buyerId: string,
  actorId: string | null,
  changes: readonly StatusChangeInput[],
): Promise<bigint> {
  if (changes.length === 0) return 0n;
  const [head] = await tx.$queryRawUnsafe<{ event_seq: bigint }[]>(
    'UPDATE buyers SET event_seq = event_seq + $2 WHERE id = $1::uuid RETURNING event_seq',
    buyerId,
    changes.length,
  );
  if (!head) throw new Error(`buyer ${buyerId} does not exist`);
  const last = BigInt(head.event_seq);
  const first = last - BigInt(changes.length) + 1n;
  // One statement for any number of rows: arrays are unnested server-side.
  await tx.$executeRawUnsafe(
    `INSERT INTO status_changes (buyer_id, seq, entity_type, entity_id, payment_run_id, from_status, to_status, actor_id, occurred_at)
     SELECT $1::uuid, $2::bigint + c.ord - 1, c.entity_type::"EntityType", c.entity_id, c.payment_run_id, c.from_status, c.to_status, $3::uuid, now()
     FROM unnest($4::text[], $5::uuid[], $6::uuid[], $7::text[], $8::text[])
       WITH ORDINALITY AS c(entity_type, entity_id, payment_run_id, from_status, to_status, ord)`,
    buyerId,
    first.toString(),
    actorId,
    changes.map((c) => c.entityType),
    changes.map((c) => c.entityId),
    changes.map((c) => c.paymentRunId),
    changes.map((c) => c.fromStatus),
    changes.map((c) => c.toStatus),
  );
  return last;
}
