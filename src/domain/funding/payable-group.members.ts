/**
 * Outcomes concern transfers (CONTRACT.md §13): the bank pays, fails or returns a payable group as
 * a whole, so an outcome named for one member applies to every member of its group. Every outcome
 * path (simulatePayableOutcome, the autopilot, bank events) widens the payables it was given through
 * this one function before moving them, in its own transaction.
 */
import type { UnitOfWork } from '../shared/unit-of-work.ts';

/**
 * The given payables and every other member of their payable groups, in one query, in run order
 * (position), each once. Payables outside any group (runs created without bundleBySupplier) stand
 * for themselves; ids the buyer does not own are dropped.
 */
export async function withPayableGroupMembers(uow: UnitOfWork, payableIds: readonly string[]): Promise<string[]> {
  if (payableIds.length === 0) return [];
  const rows = await uow.tx.$queryRawUnsafe<{ id: string }[]>(
    `WITH named AS (SELECT id, payable_group_id FROM payables WHERE buyer_id = $1::uuid AND id = ANY($2::uuid[]))
     SELECT p.id FROM payables p
      WHERE p.buyer_id = $1::uuid
        AND (p.id IN (SELECT id FROM named)
             OR p.payable_group_id IN (SELECT payable_group_id FROM named WHERE payable_group_id IS NOT NULL))
      ORDER BY p.payment_run_id, p.position`,
    uow.buyerId, payableIds,
  );
  return rows.map((r) => r.id);
}

/**
 * For each named payable in a payable group, the other members of its group (run order), in one
 * query; payables outside any group are absent. Bulk outcome reports use it to give every member
 * the outcome named for one of them.
 */
export async function otherPayableGroupMembers(uow: UnitOfWork, payableIds: readonly string[]): Promise<Map<string, string[]>> {
  const members = new Map<string, string[]>();
  if (payableIds.length === 0) return members;
  const rows = await uow.tx.$queryRawUnsafe<{ named: string; member: string }[]>(
    `SELECT n.id AS named, p.id AS member
       FROM payables n JOIN payables p ON p.payable_group_id = n.payable_group_id AND p.buyer_id = $1::uuid AND p.id <> n.id
      WHERE n.buyer_id = $1::uuid AND n.id = ANY($2::uuid[]) AND n.payable_group_id IS NOT NULL
      ORDER BY p.position`,
    uow.buyerId, payableIds,
  );
  for (const row of rows) {
    const list = members.get(row.named);
    if (list) list.push(row.member);
    else members.set(row.named, [row.member]);
  }
  return members;
}
