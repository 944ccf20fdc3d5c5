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
import type { PayableStatus, PaymentRunStatus } from '../shared/statuses.ts';

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

// Derivation inputs and rules (CONTRACT.md §4 "Derived statuses"): pure functions, no I/O.

/** Counts of payables by the statuses the rules care about; `total` includes every status. */
export interface PayableTally {
  readonly total: number;
  readonly completed: number;
  readonly failed: number;
  readonly returned: number;
  readonly cancelled: number;
}

/** Rows as a `SELECT status, count(*) … GROUP BY status` yields them (count(*) may be a bigint). */
export type StatusCounts<S extends string> = Partial<Record<S, number | bigint>>;

export const EMPTY_PAYABLE_TALLY: PayableTally = Object.freeze({
  total: 0, completed: 0, failed: 0, returned: 0, cancelled: 0,
});

export function tallyPayableCounts(counts: StatusCounts<PayableStatus>): PayableTally {
  const n = (s: PayableStatus) => Number(counts[s] ?? 0);
  let total = 0;
  for (const c of Object.values(counts)) total += Number(c ?? 0);
  return { total, completed: n('COMPLETED'), failed: n('FAILED'), returned: n('RETURNED'), cancelled: n('CANCELLED') };
}

export function tallyPayables(statuses: Iterable<PayableStatus>): PayableTally {
  return tallyPayableCounts(countStatuses(statuses));
}

export function countStatuses<S extends string>(statuses: Iterable<S>): Partial<Record<S, number>> {
  const counts: Partial<Record<S, number>> = {};
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

const concludedCount = (t: PayableTally) => t.completed + t.failed + t.returned + t.cancelled;

/**
 * Every payable concluded (COMPLETED, FAILED, RETURNED, CANCELLED). An empty set is deliberately
 * NOT concluded: a batch or group with no payables is a data anomaly, and "vacuously done" would
 * silently mark it PROCESSED/COMPLETED; it follows the remaining rules instead.
 */
export const allPayablesConcluded = (t: PayableTally): boolean => t.total > 0 && concludedCount(t) === t.total;

const PAYABLE_STATUS_FOR_RUN: Readonly<Partial<Record<PaymentRunStatus, PayableStatus>>> = {
  QUEUED: 'QUEUED',
  PENDING_CONFIRMATION: 'PENDING_CONFIRMATION',
  PENDING_CHALLENGE: 'PENDING_CHALLENGE',
  SCA_FAILED: 'SCA_FAILED',
  PENDING_FUNDING: 'PENDING_FUNDING',
  INVALID: 'CANCELLED',
};

/**
 * The status a run's payables take when the run moves to `runStatus` before funding: the same
 * status for QUEUED, PENDING_CONFIRMATION, PENDING_CHALLENGE, SCA_FAILED, PENDING_FUNDING;
 * CANCELLED for INVALID; null for every other status (payables then move with their groups).
 * Apply it only to payables not already CANCELLED (individually cancelled payables stay so), and
 * only before groups exist: a PENDING_FUNDING run may already have AWAITING_FUNDS groups.
 * CANCELLED runs answer null too — cancelPaymentRun cancels the payables explicitly.
 */
export function payableStatusForRun(runStatus: PaymentRunStatus): PayableStatus | null {
  return PAYABLE_STATUS_FOR_RUN[runStatus] ?? null;
}
