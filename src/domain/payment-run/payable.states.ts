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
import { defineActions, defineStateMachine, type ActionRule, type TransitionTable } from '../shared/state-machine.ts';
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

/** A payable is concluded when nothing more will happen to it except a later RETURN. */
export const CONCLUDED_PAYABLE_STATUSES: readonly PayableStatus[] = ['COMPLETED', 'FAILED', 'RETURNED', 'CANCELLED'];

/**
 * Who moves payables, and when (CONTRACT.md §4). Before funding they follow their run
 * (payableStatusForRun); these are the moves of their own.
 */
export const PAYABLE_ACTIONS = defineActions(payableStates, {
  /** updatePayables: the supplier is replaced, the status stays. */
  update: { roles: ['CREATOR'], from: ['PENDING_CONFIRMATION'], to: null, mutation: 'updatePayables' },
  cancel: { roles: ['CREATOR', 'CONTROLLER'], from: ['PENDING_CONFIRMATION'], to: 'CANCELLED', mutation: 'cancelPayables' },
  /** With their run (cancelPaymentRun): from every state that has a CANCELLED exit. */
  cancelWithRun: { roles: ['CREATOR', 'CONTROLLER'], from: CANCELLABLE_PAYABLE_STATUSES, to: 'CANCELLED' },
  cancelWithGroup: { roles: ['CONTROLLER'], from: ['AWAITING_FUNDS'], to: 'CANCELLED' },
  /** Derived: every batch of their group is authorised. */
  awaitFunds: { roles: 'SYSTEM', from: ['PENDING_FUNDING'], to: 'AWAITING_FUNDS' },
  receiveFunds: { roles: 'BANK', from: ['AWAITING_FUNDS'], to: 'EXECUTING' },
});

/** Payables are edited (supplier replaced, cancelled one by one) only before anyone confirmed the run. */
export const EDITABLE_PAYABLE_STATUS = PAYABLE_ACTIONS.update.from[0]!;

export const PayableOutcome = { COMPLETE: 'COMPLETE', FAIL: 'FAIL', RETURN: 'RETURN' } as const;
export type PayableOutcome = keyof typeof PayableOutcome;

/**
 * What the bank reports about a transfer (simulatePayableOutcome, the autopilot): the states each
 * outcome applies to, the state it leads to, and the reason recorded.
 */
export const PAYABLE_OUTCOMES = {
  COMPLETE: { roles: 'BANK', from: ['EXECUTING'], to: 'COMPLETED', reason: null, mutation: 'simulatePayableOutcome' },
  FAIL: { roles: 'BANK', from: ['EXECUTING'], to: 'FAILED', reason: 'Payment failed at the beneficiary bank', mutation: 'simulatePayableOutcome' },
  RETURN: { roles: 'BANK', from: ['COMPLETED'], to: 'RETURNED', reason: 'Payment returned by the beneficiary bank', mutation: 'simulatePayableOutcome' },
} as const satisfies Record<PayableOutcome, ActionRule<PayableStatus> & { reason: string | null }>;
