/**
 * Outcomes concern transfers (CONTRACT.md §13): the bank pays, fails or returns a payable group as
 * a whole, so an outcome named for one member applies to every member of its group. Every outcome
 * path (simulatePayableOutcome, the autopilot, POST /bank/events) goes through applyPayableOutcomes
 * (src/domain/bank/bank.commands.ts), whose resolveOutcomeTargets widens the payables it was given
 * through this one function, in the transaction that moves them.
 */
import type { UnitOfWork } from '../shared/unit-of-work.ts';

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
