/**
 * The money side, played by the sandbox bank (CONTRACT.md §4 "Funding"): funds arrive for a group,
 * then each payable is paid (COMPLETE), fails (FAIL) or — any time after completing — comes back
 * (RETURN). Batches, groups and the run follow by derivation in the same transaction.
 */
import type { Actor } from '../shared/actor.ts';
import { notFound } from '../shared/errors.ts';
import { checkStart } from '../shared/state-machine.ts';
import { inTransaction, type DomainDeps, type UnitOfWork } from '../shared/unit-of-work.ts';
import { PAYABLE_ACTIONS, PAYABLE_OUTCOMES, type PayableOutcome } from '../payment-run/payable.states.ts';
import { enforce } from '../payment-run/payment-run.policy.ts';
import { lockRunOrThrow } from '../payment-run/payment-run.transitions.ts';
import { canReceiveFunds, sandboxOnly } from './funding.policy.ts';
import { lockGroup, lockPayable, movePayables, runOf, type LockedGroup } from './funding.store.ts';
import { withPayableGroupMembers } from './payable-group.members.ts';

export { PAYABLE_OUTCOMES, PayableOutcome } from '../payment-run/payable.states.ts';

/** AWAITING_FUNDS → funding date set, payables EXECUTING; the group and run derive EXECUTING. */
export async function receiveFunds(uow: UnitOfWork, group: LockedGroup, now: Date): Promise<void> {
  enforce(canReceiveFunds(group));
  await uow.tx.fundingGroup.update({ where: { id: group.id }, data: { fundingDate: now }, select: { id: true } });
  uow.touch({ runId: group.paymentRunId, groupIds: [group.id] });
  const payables = PAYABLE_ACTIONS.receiveFunds;
  await movePayables(uow, group.paymentRunId, { fundingGroupIds: [group.id] }, payables.from, payables.to);
}

/** One outcome for many payables of a run (the autopilot settles a run's due payables at once). */
export async function settlePayables(uow: UnitOfWork, runId: string, payableIds: readonly string[], outcome: PayableOutcome) {
  const { from, to, reason } = PAYABLE_OUTCOMES[outcome];
  return movePayables(uow, runId, { payableIds }, from, to, reason);
}

export async function simulateFundsReceived(deps: DomainDeps, actor: Actor, fundingGroupId: string): Promise<{ id: string }> {
  enforce(sandboxOnly(deps));
  return inTransaction(deps, actor.buyerId, actor.userId, async (uow) => {
    const runId = await runOf(uow, 'funding_groups', fundingGroupId);
    if (!runId) throw notFound('Funding group');
    await lockRunOrThrow(uow, runId);
    await receiveFunds(uow, await lockGroup(uow, { id: fundingGroupId }), deps.now());
    return { id: fundingGroupId };
  });
}

export async function simulatePayableOutcome(deps: DomainDeps, actor: Actor, payableId: string, outcome: PayableOutcome): Promise<{ id: string }> {
  enforce(sandboxOnly(deps));
  return inTransaction(deps, actor.buyerId, actor.userId, async (uow) => {
    const runId = await runOf(uow, 'payables', payableId);
    if (!runId) throw notFound('Payable');
    await lockRunOrThrow(uow, runId);
    const payable = await lockPayable(uow, payableId);
    enforce(checkStart(PAYABLE_OUTCOMES[outcome], payable.status, `${outcome.toLowerCase()} a payable`));
    // The outcome concerns the payable's transfer: every member of its payable group (CONTRACT.md §13).
    await settlePayables(uow, runId, await withPayableGroupMembers(uow, [payable.id]), outcome);
    return { id: payable.id };
  });
}
