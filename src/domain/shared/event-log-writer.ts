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

type StatusChangeColumn = 'entity_type' | 'payment_run_id' | 'from_status' | 'to_status';
const COLUMN_READS: Record<StatusChangeColumn, (c: StatusChangeInput) => string | null> = {
  entity_type: (c) => c.entityType,
  payment_run_id: (c) => c.paymentRunId,
  from_status: (c) => c.fromStatus,
  to_status: (c) => c.toStatus,
};

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
  // One statement for any number of rows: arrays are unnested server-side. A column with one value
  // throughout (a run's id, a null from-status at creation) goes as one scalar, so the driver
  // escapes and PostgreSQL parses only what varies: accepting a 10,000-payable run sends 3 arrays of
  // 10,001 instead of 5.
  const params: unknown[] = [buyerId, first.toString(), actorId, changes.map((c) => c.entityId)];
  const unnested = ['$4::uuid[]'];
  const names = ['entity_id'];
  const value = (column: StatusChangeColumn) => {
    const read = COLUMN_READS[column];
    const firstValue = read(changes[0]!);
    let constant = true;
    for (let i = 1; i < changes.length && constant; i++) constant = read(changes[i]!) === firstValue;
    params.push(constant ? firstValue : changes.map(read));
    const type = column === 'payment_run_id' ? 'uuid' : 'text';
    if (constant) return `$${params.length}::${type}`;
    unnested.push(`$${params.length}::${type}[]`);
    names.push(column);
    return `c.${column}`;
  };
  const entityType = value('entity_type');
  const paymentRunId = value('payment_run_id');
  const fromStatus = value('from_status');
  const toStatus = value('to_status');
  await tx.$executeRawUnsafe(
    `INSERT INTO status_changes (buyer_id, seq, entity_type, entity_id, payment_run_id, from_status, to_status, actor_id, occurred_at)
     SELECT $1::uuid, $2::bigint + c.ord - 1, (${entityType})::"EntityType", c.entity_id, ${paymentRunId}, ${fromStatus}, ${toStatus}, $3::uuid, now()
     FROM unnest(${unnested.join(', ')})
       WITH ORDINALITY AS c(${names.join(', ')}, ord)`,
    ...params,
  );
  return last;
}
