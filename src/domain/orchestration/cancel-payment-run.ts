/**
 * What cancelling a payment run does, in one place (CONTRACT.md §4: "run, open groups, batches'
 * payables CANCELLED; active authorisations CANCELLED"). Who may cancel, and from which states, is
 * the `cancel` row of PAYMENT_RUN_ACTIONS (payment-run.states.ts); cancelPaymentRun checks it under
 * the run's lock and then calls this, in the same transaction:
 *
 *   1. the run → CANCELLED, its SCA challenge gone;
 *   2. its payables → CANCELLED from every state that allows it (PAYABLE_ACTIONS.cancelWithRun);
 *   3. its funding groups still open (FUNDING_GROUP_ACTIONS.cancelWithRun: PENDING_FUNDING,
 *      AWAITING_FUNDS) are marked cancelled;
 *   4. attempts under way at the bank → CANCELLED (AUTHORISATION_ACTIONS.cancelWithRun).
 *
 * Batches, groups and the run are then re-derived by the unit of work before commit (a batch whose
 * payables are all cancelled is PROCESSED, a cancelled group CANCELLED).
 */
import { cancelFundingWithRun } from '../funding/funding.commands.ts';
import { PAYABLE_ACTIONS } from '../payment-run/payable.states.ts';
import { PAYMENT_RUN_ACTIONS } from '../payment-run/payment-run.states.ts';
import { NO_CHALLENGE, movePayablesWithRun, moveRun, type LockedRun } from '../payment-run/payment-run.transitions.ts';
import type { UnitOfWork } from '../shared/unit-of-work.ts';

export const RUN_CANCELLED_REASON = 'Payment run cancelled';

/** The caller holds the run's lock and has checked PAYMENT_RUN_ACTIONS.cancel (canCancelPaymentRun). */
export async function cancelPaymentRunWithFunding(uow: UnitOfWork, run: LockedRun): Promise<void> {
  const cancelled = await moveRun(uow, run, PAYMENT_RUN_ACTIONS.cancel.to, 'cancel a payment run', NO_CHALLENGE);
  const payables = PAYABLE_ACTIONS.cancelWithRun;
  await movePayablesWithRun(uow, run.id, payables.from, payables.to, RUN_CANCELLED_REASON);
  await cancelFundingWithRun(uow, cancelled, RUN_CANCELLED_REASON);
}
