/**
 * Lifecycle of a payment run (CONTRACT.md §4).
 *
 *   QUEUED ─validated─▶ PENDING_CONFIRMATION ─confirm─▶ PENDING_CHALLENGE ─right code─▶ PENDING_FUNDING
 *     └─AC01─▶ INVALID                                  3rd wrong code │ ▲ restart
 *                                                          or expiry  ▼ │
 *                                                                 SCA_FAILED
 *   PENDING_FUNDING ─(derived from funding groups)─▶ EXECUTING ─▶ COMPLETED | COMPLETED_WITH_ERRORS
 *   COMPLETED ─late RETURN─▶ COMPLETED_WITH_ERRORS
 *
 * - INVALID is reached only from QUEUED. `updatePayables` refuses a replacement supplier whose
 *   Confirmation of Payee says the account does not exist (AC01) with BAD_USER_INPUT, so a run that
 *   passed validation never holds a payable we know cannot be paid — and one bad edit cannot
 *   destroy a run of 10,000 good payables by making it terminally INVALID.
 * - CANCELLED is entered by `cancelPaymentRun` (the states in USER_CANCELLABLE_RUN_STATUSES), by
 *   `cancelPayables` when nothing is left to pay, or — from PENDING_FUNDING and EXECUTING — derived
 *   when every funding group is cancelled (a group cancelled early already makes the run EXECUTING).
 * - Once funding groups exist the run's status is derived (derivePaymentRunStatus below); if every
 *   group concludes within one transaction the run may skip EXECUTING, hence the direct exits.
 * - Terminal: INVALID, CANCELLED, COMPLETED_WITH_ERRORS. COMPLETED is not: a payable may be RETURNED
 *   at any later time.
 */
import { defineActions, defineStateMachine, type TransitionTable } from '../shared/state-machine.ts';
import type { FundingGroupStatus, PaymentRunStatus } from '../shared/statuses.ts';
import { tallyGroups, type FundingGroupTally } from '../funding/funding.states.ts';

export const PAYMENT_RUN_TRANSITIONS = {
  QUEUED: ['PENDING_CONFIRMATION', 'INVALID', 'CANCELLED'],
  INVALID: [],
  PENDING_CONFIRMATION: ['PENDING_CHALLENGE', 'CANCELLED'],
  PENDING_CHALLENGE: ['PENDING_FUNDING', 'SCA_FAILED', 'CANCELLED'],
  SCA_FAILED: ['PENDING_CHALLENGE', 'CANCELLED'],
  PENDING_FUNDING: ['EXECUTING', 'COMPLETED', 'COMPLETED_WITH_ERRORS', 'CANCELLED'],
  EXECUTING: ['COMPLETED', 'COMPLETED_WITH_ERRORS', 'CANCELLED'],
  COMPLETED: ['COMPLETED_WITH_ERRORS'],
  COMPLETED_WITH_ERRORS: [],
  CANCELLED: [],
} as const satisfies TransitionTable<PaymentRunStatus>;

export const paymentRunStates = defineStateMachine<PaymentRunStatus>('PaymentRun', 'QUEUED', PAYMENT_RUN_TRANSITIONS);

/**
 * Who may do what to a run, and when (CONTRACT.md §4 "Who may do what, and when"). Policies
 * (payment-run.policy.ts), the GraphQL auth scopes and the jobs read these rows; nothing else says
 * which roles or states an action needs.
 *
 * - cancel: a person may cancel a run until money may move. EXECUTING has a CANCELLED exit too, but
 *   only as a derived status. What happens to its funding (open groups, their batches' payables,
 *   active authorisations) is one named orchestration: cancelPaymentRunWithFunding
 *   (src/domain/orchestration/cancel-payment-run.ts).
 * - cancelPayables: the payables go CANCELLED (payable.states.ts, PAYABLE_ACTIONS.cancel); the run
 *   stays, or is CANCELLED when nothing is left to pay (cancelEmptied).
 * - failChallenge: the 3rd wrong code (the answering controller) or expiry (the timer job).
 */
export const PAYMENT_RUN_ACTIONS = defineActions(paymentRunStates, {
  create: { roles: ['CREATOR'], from: [], to: 'QUEUED', mutation: 'createPaymentRun' },
  validate: { roles: 'SYSTEM', from: ['QUEUED'], to: 'PENDING_CONFIRMATION' },
  invalidate: { roles: 'SYSTEM', from: ['QUEUED'], to: 'INVALID' },
  updatePayables: { roles: ['CREATOR'], from: ['PENDING_CONFIRMATION'], to: null, mutation: 'updatePayables' },
  cancelPayables: { roles: ['CREATOR', 'CONTROLLER'], from: ['PENDING_CONFIRMATION'], to: null, mutation: 'cancelPayables' },
  cancelEmptied: { roles: ['CREATOR', 'CONTROLLER'], from: ['PENDING_CONFIRMATION'], to: 'CANCELLED' },
  cancel: {
    roles: ['CREATOR', 'CONTROLLER'],
    from: ['QUEUED', 'PENDING_CONFIRMATION', 'PENDING_CHALLENGE', 'SCA_FAILED', 'PENDING_FUNDING'],
    to: 'CANCELLED',
    mutation: 'cancelPaymentRun',
  },
  confirm: { roles: ['CONTROLLER'], sca: true, from: ['PENDING_CONFIRMATION'], to: 'PENDING_CHALLENGE', mutation: 'confirmPaymentRun' },
  passChallenge: { roles: ['CONTROLLER'], from: ['PENDING_CHALLENGE'], to: 'PENDING_FUNDING', mutation: 'verifyPaymentRunChallenge' },
  failChallenge: { roles: ['CONTROLLER'], from: ['PENDING_CHALLENGE'], to: 'SCA_FAILED' },
  expireChallenge: { roles: 'SYSTEM', from: ['PENDING_CHALLENGE'], to: 'SCA_FAILED' },
  restart: { roles: ['CONTROLLER'], sca: true, from: ['SCA_FAILED'], to: 'PENDING_CHALLENGE', mutation: 'restartPaymentRun' },
  fund: { roles: ['CONTROLLER'], from: ['PENDING_FUNDING'], to: null, mutation: 'fundPaymentRun' },
});

/** Where a person may cancel the whole run: PAYMENT_RUN_ACTIONS.cancel.from. */
export const USER_CANCELLABLE_RUN_STATUSES = PAYMENT_RUN_ACTIONS.cancel.from;

/**
 * Every status a run can only have after somebody confirmed it: `confirmPaymentRun` answers
 * PAYMENT_RUN_ALREADY_CONFIRMED for these. CANCELLED and INVALID are not listed — a run can get there
 * without ever being confirmed, so they answer INVALID_STATE.
 */
export const CONFIRMED_RUN_STATUSES = [
  'PENDING_CHALLENGE', 'SCA_FAILED', 'PENDING_FUNDING', 'EXECUTING', 'COMPLETED', 'COMPLETED_WITH_ERRORS',
] as const satisfies readonly PaymentRunStatus[];

/** Payables may be edited (replaced supplier, cancelled) only while the run awaits confirmation. */
export const EDITABLE_RUN_STATUS = PAYMENT_RUN_ACTIONS.updatePayables.from[0];

// Once funding groups exist, the run's status is derived from them (CONTRACT.md §4 "Derived statuses").

const CONCLUDED_GROUP_STATUSES: readonly FundingGroupStatus[] = ['COMPLETED', 'COMPLETED_WITH_ERRORS', 'CANCELLED'];

export interface PaymentRunStatusInput {
  /** The run's groups: a list of statuses, or counts per status (preferred for many groups). */
  readonly groups: readonly FundingGroupStatus[] | FundingGroupTally;
  /**
   * Every payable of the run that was not cancelled before confirmation is COMPLETED. Payables
   * cancelled later (with their group) are not exempt: they make a concluded run COMPLETED_WITH_ERRORS.
   */
  readonly payablesNotCancelledBeforeConfirmationAllCompleted: boolean;
}

/**
 * null when the run has no groups (before funding the run keeps its own stored status). Else:
 * CANCELLED if all groups are; COMPLETED when all groups concluded (COMPLETED,
 * COMPLETED_WITH_ERRORS, CANCELLED) and the payables flag holds; COMPLETED_WITH_ERRORS when all
 * concluded otherwise; EXECUTING when any group is EXECUTING or concluded; else PENDING_FUNDING.
 * A COMPLETED_WITH_ERRORS group forces COMPLETED_WITH_ERRORS even if the flag claims all
 * COMPLETED: the inputs then contradict each other and reporting the error is the safe side.
 */
export function derivePaymentRunStatus(input: PaymentRunStatusInput): PaymentRunStatus | null {
  const tally = Array.isArray(input.groups)
    ? tallyGroups(input.groups as readonly FundingGroupStatus[])
    : (input.groups as FundingGroupTally);
  const n = (s: FundingGroupStatus) => tally[s] ?? 0;
  let total = 0;
  for (const c of Object.values(tally)) total += c ?? 0;
  if (total === 0) return null;

  if (n('CANCELLED') === total) return 'CANCELLED';
  const concluded = CONCLUDED_GROUP_STATUSES.reduce((sum, s) => sum + n(s), 0);
  if (concluded === total) {
    const clean = input.payablesNotCancelledBeforeConfirmationAllCompleted && n('COMPLETED_WITH_ERRORS') === 0;
    return clean ? 'COMPLETED' : 'COMPLETED_WITH_ERRORS';
  }
  if (concluded > 0 || n('EXECUTING') > 0) return 'EXECUTING';
  return 'PENDING_FUNDING';
}
