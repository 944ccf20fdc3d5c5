/**
 * Outcomes concern transfers (CONTRACT.md §13): the bank pays, fails or returns a payable group as
 * a whole, so an outcome named for one member applies to every member of its group. The bank's
 * applyPayableOutcomes (the one path every reporter takes: /bank/events, simulatePayableOutcome, the
 * sandbox autopilot) widens the payables it was named through this function before moving them.
 */
import type { UnitOfWork } from '../shared/unit-of-work.ts';

/**
 * For each named payable that belongs to a payable group, every member of that group (itself
 * included), in run order; in one query. Payables outside any group (runs created without
 * bundleBySupplier) are absent from the map: they stand for themselves.
 */
export async function membersOfTransfers(uow: UnitOfWork, payableIds: readonly string[]): Promise<Map<string, string[]>> {
  const members = new Map<string, string[]>();
  if (payableIds.length === 0) return members;
  const rows = await uow.tx.$queryRawUnsafe<{ named: string; id: string }[]>(
    `SELECT n.id AS named, m.id FROM payables n
       JOIN payables m ON m.payable_group_id = n.payable_group_id AND m.buyer_id = n.buyer_id
      WHERE n.buyer_id = $1::uuid AND n.id = ANY($2::uuid[]) AND n.payable_group_id IS NOT NULL
      ORDER BY m.payment_run_id, m.position`,
    uow.buyerId, payableIds,
  );
  for (const { named, id } of rows) {
    const list = members.get(named);
    if (list) list.push(id);
    else members.set(named, [id]);
  }
  return members;
}
