/**
 * Lifecycle of a payable (CONTRACT.md §4).
 *
 * Before funding a payable follows its run (QUEUED → PENDING_CONFIRMATION → PENDING_CHALLENGE ⇄
 * SCA_FAILED → PENDING_FUNDING; see payableStatusForRun). From then on it moves with its funding
 * group and batch: AWAITING_FUNDS once every batch of the group is authorised, EXECUTING when the
 * funds arrive, then COMPLETED or FAILED; a COMPLETED payable may later be RETURNED.
 *
 * CANCELLED is reachable from every state before EXECUTING — individually (cancelPayables while
 * PENDING_CONFIRMATION), with an INVALID run (from QUEUED), with its run (cancelPaymentRun) or with
 * its funding group (cancelFundingGroup, AWAITING_FUNDS). Once EXECUTING the money is on its way:
 * only the bank's outcome moves it. Terminal: FAILED, RETURNED, CANCELLED.
 */
import { defineStateMachine, type TransitionTable } from '../shared/state-machine.ts';
import type { PayableStatus } from '../shared/statuses.ts';

export const PAYABLE_TRANSITIONS = {
  QUEUED: ['PENDING_CONFIRMATION', 'CANCELLED'],
  PENDING_CONFIRMATION: ['PENDING_CHALLENGE', 'CANCELLED'],
  PENDING_CHALLENGE: ['PENDING_FUNDING', 'SCA_FAILED', 'CANCELLED'],
  SCA_FAILED: ['PENDING_CHALLENGE', 'CANCELLED'],
  PENDING_FUNDING: ['AWAITING_FUNDS', 'CANCELLED'],
  AWAITING_FUNDS: ['EXECUTING', 'CANCELLED'],
  EXECUTING: ['COMPLETED', 'FAILED'],
  COMPLETED: ['RETURNED'],
  FAILED: [],
  RETURNED: [],
  CANCELLED: [],
} as const satisfies TransitionTable<PayableStatus>;

export const payableStates = defineStateMachine<PayableStatus>('Payable', 'QUEUED', PAYABLE_TRANSITIONS);

/** The states a payable can be cancelled from, read off the table (cancelPaymentRun uses it). */
export const CANCELLABLE_PAYABLE_STATUSES: readonly PayableStatus[] = (Object.keys(PAYABLE_TRANSITIONS) as PayableStatus[])
  .filter((status) => payableStates.canTransition(status, 'CANCELLED'));

/** Payables are edited (supplier replaced, cancelled one by one) only before anyone confirmed the run. */
export const EDITABLE_PAYABLE_STATUS = 'PENDING_CONFIRMATION' satisfies PayableStatus;
