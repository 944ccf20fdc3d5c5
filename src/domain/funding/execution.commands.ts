/**
 * The money side (CONTRACT.md §4 "Funding"): funds arrive for a group, then each payable is paid
 * (COMPLETE), fails (FAIL) or — any time after completing — comes back (RETURN). The bank reports
 * these through the public commands of src/domain/bank/bank.commands.ts; this is the group step
 * they share. Batches, groups and the run follow by derivation in the same transaction.
 */
import type { UnitOfWork } from '../shared/unit-of-work.ts';
import { PAYABLE_ACTIONS } from '../payment-run/payable.states.ts';
import { enforce } from '../payment-run/payment-run.policy.ts';
import { canReceiveFunds } from './funding.policy.ts';
import { movePayables, type LockedGroup } from './funding.store.ts';

export { PAYABLE_OUTCOMES, PayableOutcome } from '../payment-run/payable.states.ts';

/** AWAITING_FUNDS → funding date set, payables EXECUTING; the group and run derive EXECUTING. */
export async function receiveFunds(uow: UnitOfWork, group: LockedGroup, now: Date): Promise<void> {
  enforce(canReceiveFunds(group));
  await uow.tx.fundingGroup.update({ where: { id: group.id }, data: { fundingDate: now }, select: { id: true } });
  uow.touch({ runId: group.paymentRunId, groupIds: [group.id] });
  const payables = PAYABLE_ACTIONS.receiveFunds;
  await movePayables(uow, group.paymentRunId, { fundingGroupIds: [group.id] }, payables.from, payables.to);
}
