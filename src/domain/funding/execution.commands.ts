/**
 * The money side, played by the sandbox bank (CONTRACT.md §4 "Funding"): funds arrive for a group,
 * then each payable is paid (COMPLETE), fails (FAIL) or — any time after completing — comes back
 * (RETURN). Batches, groups and the run follow by derivation in the same transaction.
 */
import type { Actor } from '../shared/actor.ts';
import type { PayableStatus } from '../shared/statuses.ts';
import { inTransaction, type DomainDeps, type UnitOfWork } from '../shared/unit-of-work.ts';
import { invalidState, notFound } from '../shared/errors.ts';
import { enforce } from '../payment-run/payment-run.policy.ts';
import { lockRunOrThrow } from '../payment-run/payment-run.transitions.ts';
import { canReceiveFunds, sandboxOnly } from './funding.policy.ts';
import { recomputeDerived } from './funding.recompute.ts';
import { distinct, lockGroup, lockPayable, movePayables, runOf, type LockedGroup } from './funding.store.ts';

export const PayableOutcome = { COMPLETE: 'COMPLETE', FAIL: 'FAIL', RETURN: 'RETURN' } as const;
export type PayableOutcome = keyof typeof PayableOutcome;

/** Each outcome's move: the only status it applies to, the status it leads to, and why. */
export const PAYABLE_OUTCOMES: Readonly<Record<PayableOutcome, { from: PayableStatus; to: PayableStatus; reason: string | null }>> = {
  COMPLETE: { from: 'EXECUTING', to: 'COMPLETED', reason: null },
  FAIL: { from: 'EXECUTING', to: 'FAILED', reason: 'Payment failed at the beneficiary bank' },
  RETURN: { from: 'COMPLETED', to: 'RETURNED', reason: 'Payment returned by the beneficiary bank' },
};

/** AWAITING_FUNDS → funding date set, payables EXECUTING; the group and run derive EXECUTING. */
export async function receiveFunds(uow: UnitOfWork, group: LockedGroup, now: Date): Promise<void> {
  enforce(canReceiveFunds(group));
  await uow.tx.fundingGroup.update({ where: { id: group.id }, data: { fundingDate: now }, select: { id: true } });
  const moved = await movePayables(uow, group.paymentRunId, { fundingGroupIds: [group.id] }, ['AWAITING_FUNDS'], 'EXECUTING');
  await recomputeDerived(uow, { runId: group.paymentRunId, groupIds: [group.id], batchIds: distinct(moved, (p) => p.batchId) });
}

/** One outcome for many payables of a run (the autopilot settles a run's due payables at once). Caller re-derives. */
export async function settlePayables(uow: UnitOfWork, runId: string, payableIds: readonly string[], outcome: PayableOutcome) {
  const { from, to, reason } = PAYABLE_OUTCOMES[outcome];
  return movePayables(uow, runId, { payableIds }, [from], to, reason);
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
    if (payable.status !== PAYABLE_OUTCOMES[outcome].from) throw invalidState(payable.status, `${outcome.toLowerCase()} a payable`);
    await settlePayables(uow, runId, [payable.id], outcome);
    await recomputeDerived(uow, {
      runId, batchIds: distinct([payable], (p) => p.batchId), groupIds: distinct([payable], (p) => p.fundingGroupId),
    });
    return { id: payable.id };
  });
}
