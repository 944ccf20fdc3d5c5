/**
 * Lifecycles of funding (CONTRACT.md §4 "Funding", "Derived statuses").
 *
 * Authorisation — the only one of the three that commands move directly:
 *
 *   USER_AUTHORISING ─APPROVE─▶ BANK_AUTHORISING ─▶ PROCESSED
 *          │ └─APPROVE, multi-auth bank─▶ AWAITING_MULTI_AUTH ─SECOND_SIGNATORY_APPROVE─▶ PROCESSED
 *          └─ any active state ─REJECT─▶ FAILED | ─CANCEL─▶ CANCELLED | ─TIME_OUT or 10 min─▶ TIMED_OUT
 *
 *   CREATED exists in the contract's vocabulary but is never stored: authoriseBatch hands the attempt
 *   to the user in the transaction that creates it, so the log shows null → USER_AUTHORISING. Its row
 *   keeps the table honest should an attempt ever be created before the user is sent to the bank.
 *   Terminal: PROCESSED, FAILED, CANCELLED, TIMED_OUT (a batch retries with a new attempt).
 *
 * FundingGroup and Batch are derived (deriveBatchStatus, deriveFundingGroupStatus below) on every child change; their
 * tables list what the derivation may legitimately produce, and the status writer (writeDerived)
 * treats anything else as a bug, never as a user error.
 *
 *   Batch: OPEN ⇄ USER_INITIATION_IN_PROGRESS ─attempt PROCESSED─▶ PROCESSING ─all payables concluded─▶ PROCESSED
 *   A batch whose payables are all cancelled (its run or group cancelled) is PROCESSED from wherever
 *   it was. CANCELLING is reserved for a cancellation the bank has still to confirm; the sandbox bank
 *   cancels at once, so nothing sets cancellation_pending yet.
 *
 *   Group: PENDING_FUNDING ─all batches authorised─▶ AWAITING_FUNDS ─funds─▶ EXECUTING
 *          ─all payables concluded─▶ COMPLETED | COMPLETED_WITH_ERRORS;  COMPLETED ─late RETURN─▶ COMPLETED_WITH_ERRORS
 *   CANCELLED with the run (PENDING_FUNDING, AWAITING_FUNDS) or by cancelFundingGroup (AWAITING_FUNDS).
 */
import { defineActions, defineStateMachine, type ActionRule, type StateMachine, type TransitionTable } from '../shared/state-machine.ts';
import type { AuthorisationStatus, BatchStatus, FundingGroupStatus, PaymentRunStatus } from '../shared/statuses.ts';
import { allPayablesConcluded, countStatuses, type PayableTally, type StatusCounts } from '../payment-run/payable.states.ts';

export const AUTHORISATION_TRANSITIONS = {
  CREATED: ['USER_AUTHORISING', 'CANCELLED', 'TIMED_OUT'],
  USER_AUTHORISING: ['BANK_AUTHORISING', 'AWAITING_MULTI_AUTH', 'FAILED', 'CANCELLED', 'TIMED_OUT'],
  BANK_AUTHORISING: ['PROCESSED', 'FAILED', 'CANCELLED', 'TIMED_OUT'],
  AWAITING_MULTI_AUTH: ['PROCESSED', 'FAILED', 'CANCELLED', 'TIMED_OUT'],
  PROCESSED: [],
  FAILED: [],
  CANCELLED: [],
  TIMED_OUT: [],
} as const satisfies TransitionTable<AuthorisationStatus>;

export const authorisationStates = defineStateMachine<AuthorisationStatus>('Authorisation', 'CREATED', AUTHORISATION_TRANSITIONS);

export const BATCH_TRANSITIONS = {
  OPEN: ['USER_INITIATION_IN_PROGRESS', 'CANCELLING', 'PROCESSED'],
  USER_INITIATION_IN_PROGRESS: ['OPEN', 'PROCESSING', 'CANCELLING', 'PROCESSED'],
  PROCESSING: ['CANCELLING', 'PROCESSED'],
  CANCELLING: ['PROCESSED'],
  PROCESSED: [],
} as const satisfies TransitionTable<BatchStatus>;

export const batchStates = defineStateMachine<BatchStatus>('Batch', 'OPEN', BATCH_TRANSITIONS);

export const FUNDING_GROUP_TRANSITIONS = {
  PENDING_FUNDING: ['AWAITING_FUNDS', 'CANCELLED'],
  AWAITING_FUNDS: ['EXECUTING', 'CANCELLED'],
  EXECUTING: ['COMPLETED', 'COMPLETED_WITH_ERRORS'],
  COMPLETED: ['COMPLETED_WITH_ERRORS'],
  COMPLETED_WITH_ERRORS: [],
  CANCELLED: [],
} as const satisfies TransitionTable<FundingGroupStatus>;

export const fundingGroupStates = defineStateMachine<FundingGroupStatus>('FundingGroup', 'PENDING_FUNDING', FUNDING_GROUP_TRANSITIONS);

/** Attempts still holding their batch; past expiresAt the timer (or the next command) times them out. */
export const ACTIVE_ATTEMPT_STATUSES = (Object.keys(AUTHORISATION_TRANSITIONS) as AuthorisationStatus[])
  .filter((status) => !authorisationStates.isTerminal(status));

export const isActiveAttempt = (status: AuthorisationStatus) => ACTIVE_ATTEMPT_STATUSES.includes(status);

/**
 * Who may do what to funding, and when (CONTRACT.md §4). Policies (funding.policy.ts), the GraphQL
 * auth scopes and the jobs read these rows.
 */
export const FUNDING_GROUP_ACTIONS = defineActions(fundingGroupStates, {
  cancel: { roles: ['CONTROLLER'], from: ['AWAITING_FUNDS'], to: 'CANCELLED', mutation: 'cancelFundingGroup' },
  /** Part of cancelPaymentRunWithFunding (src/domain/orchestration/cancel-payment-run.ts): groups not yet executing. */
  cancelWithRun: { roles: ['CREATOR', 'CONTROLLER'], from: ['PENDING_FUNDING', 'AWAITING_FUNDS'], to: 'CANCELLED' },
  receiveFunds: { roles: 'BANK', from: ['AWAITING_FUNDS'], to: 'EXECUTING', mutation: 'simulateFundsReceived' },
});

/**
 * A funded run goes EXECUTING as soon as its first group does (or is cancelled), while its other
 * groups may still wait for authorisation: their batches must stay authorisable then too.
 */
export const AUTHORISABLE_RUN_STATUSES: readonly PaymentRunStatus[] = ['PENDING_FUNDING', 'EXECUTING'];

export const BATCH_ACTIONS = defineActions(batchStates, {
  /** A new attempt (USER_AUTHORISING); the batch derives USER_INITIATION_IN_PROGRESS. Its run: AUTHORISABLE_RUN_STATUSES. */
  authorise: { roles: ['CONTROLLER'], sca: true, from: ['OPEN'], to: 'USER_INITIATION_IN_PROGRESS', mutation: 'authoriseBatch' },
  /** authoriseBatches: the same rule for several batches in one call, all or nothing. */
  authoriseMany: { roles: ['CONTROLLER'], sca: true, from: ['OPEN'], to: 'USER_INITIATION_IN_PROGRESS', mutation: 'authoriseBatches' },
});

/** The status authoriseBatch reports while another attempt holds the batch. */
export const BATCH_HELD_STATUS = BATCH_ACTIONS.authorise.to;

export const AUTHORISATION_ACTIONS = defineActions(authorisationStates, {
  /** authoriseBatch hands the new attempt to the user at once (CREATED is never stored). */
  start: { roles: ['CONTROLLER'], sca: true, from: [], to: 'USER_AUTHORISING', mutation: 'authoriseBatch' },
  cancel: { roles: ['CONTROLLER'], from: ACTIVE_ATTEMPT_STATUSES, to: 'CANCELLED', mutation: 'cancelAuthorisation' },
  cancelWithRun: { roles: ['CREATOR', 'CONTROLLER'], from: ACTIVE_ATTEMPT_STATUSES, to: 'CANCELLED' },
  timeOut: { roles: 'SYSTEM', from: ACTIVE_ATTEMPT_STATUSES, to: 'TIMED_OUT' },
  /** The bank could not start the attempt (its call failed): the batch is OPEN again. */
  failToStart: { roles: 'BANK', from: ['USER_AUTHORISING'], to: 'FAILED' },
  /** The bank's answer (AUTHORISATION_OUTCOMES says where each outcome leads). */
  concludeAtBank: { roles: 'BANK', from: ACTIVE_ATTEMPT_STATUSES, to: null, mutation: 'simulateAuthorisationOutcome' },
});

export const AuthorisationOutcome = {
  APPROVE: 'APPROVE',
  SECOND_SIGNATORY_APPROVE: 'SECOND_SIGNATORY_APPROVE',
  REJECT: 'REJECT',
  CANCEL: 'CANCEL',
  TIME_OUT: 'TIME_OUT',
} as const;
export type AuthorisationOutcome = keyof typeof AuthorisationOutcome;

interface OutcomeRule {
  /** The statuses an outcome walks the attempt through, by the status it starts from. */
  readonly paths: Readonly<Partial<Record<AuthorisationStatus, readonly AuthorisationStatus[]>>>;
  /** At a bank that needs a second signatory, these paths replace the ones above. */
  readonly multiAuthPaths?: Readonly<Partial<Record<AuthorisationStatus, readonly AuthorisationStatus[]>>>;
  /** From any other status: this one step, which the transition table then accepts or refuses. */
  readonly otherwise: AuthorisationStatus | null;
  /** What the outcome is called in INVALID_STATE messages when it has no path. */
  readonly verb: string;
}

/** What the bank answers to an attempt (simulateAuthorisationOutcome, the autopilot, bank events). */
export const AUTHORISATION_OUTCOMES: Readonly<Record<AuthorisationOutcome, OutcomeRule>> = {
  APPROVE: {
    paths: { USER_AUTHORISING: ['BANK_AUTHORISING', 'PROCESSED'], BANK_AUTHORISING: ['PROCESSED'] },
    multiAuthPaths: { USER_AUTHORISING: ['AWAITING_MULTI_AUTH'], BANK_AUTHORISING: ['PROCESSED'] },
    otherwise: null,
    verb: 'approve an authorisation',
  },
  SECOND_SIGNATORY_APPROVE: {
    paths: { AWAITING_MULTI_AUTH: ['PROCESSED'] }, otherwise: null, verb: 'approve an authorisation as second signatory',
  },
  REJECT: { paths: {}, otherwise: 'FAILED', verb: 'reject an authorisation' },
  CANCEL: { paths: {}, otherwise: 'CANCELLED', verb: 'cancel an authorisation' },
  TIME_OUT: { paths: {}, otherwise: 'TIMED_OUT', verb: 'time out an authorisation' },
};

/** The bank's next step for an attempt waiting on it (the autopilot approves whatever waits). */
export const BANK_APPROVAL: Readonly<Partial<Record<AuthorisationStatus, AuthorisationOutcome>>> = {
  USER_AUTHORISING: 'APPROVE',
  AWAITING_MULTI_AUTH: 'SECOND_SIGNATORY_APPROVE',
};

/** Why an attempt ended, recorded as its failureReason. */
export const ATTEMPT_FAILURE_REASONS: Readonly<Partial<Record<AuthorisationStatus, string>>> = {
  FAILED: 'Rejected at the bank',
  TIMED_OUT: 'Not concluded within 10 minutes',
};

export type { ActionRule };

/** An attempt must conclude within this long (CONTRACT.md §4). */
export const AUTHORISATION_TTL_MS = 10 * 60_000;

/** A derived status outside its table means the derivation or its inputs are wrong: fail the transaction loudly. */
export function assertDerivedTransition<S extends string>(machine: StateMachine<S>, entityId: string, from: S, to: S): void {
  if (!machine.canTransition(from, to)) {
    throw new Error(`Derived ${machine.name} ${entityId}: ${from} → ${to} is not in the transition table`);
  }
}

// Derived statuses (CONTRACT.md §4 "Derived statuses"): pure functions over counts, no I/O.

/** Number of groups per status; missing statuses count as 0. */
export type FundingGroupTally = Readonly<Partial<Record<FundingGroupStatus, number>>>;

export function tallyGroupCounts(counts: StatusCounts<FundingGroupStatus>): FundingGroupTally {
  const out: Partial<Record<FundingGroupStatus, number>> = {};
  for (const [status, c] of Object.entries(counts) as [FundingGroupStatus, number | bigint | undefined][]) {
    out[status] = Number(c ?? 0);
  }
  return out;
}

export function tallyGroups(statuses: Iterable<FundingGroupStatus>): FundingGroupTally {
  return tallyGroupCounts(countStatuses(statuses));
}

export interface BatchStatusInput {
  /** A cancellation of the batch (e.g. of its run or group) has started and not yet finished. */
  readonly cancellationPending: boolean;
  readonly payables: PayableTally;
  /** Every Authorisation attempt of the batch, any order (a batch has few). */
  readonly attemptStatuses: readonly AuthorisationStatus[];
}

/**
 * CANCELLING while a cancellation is pending (beats everything, even all-concluded, so the
 * in-flight cancellation stays visible); else PROCESSED when ≥1 payable and all concluded; else
 * PROCESSING once an attempt is PROCESSED; else USER_INITIATION_IN_PROGRESS while an attempt is
 * active (CREATED, USER_AUTHORISING, BANK_AUTHORISING, AWAITING_MULTI_AUTH); else OPEN.
 */
export function deriveBatchStatus(input: BatchStatusInput): BatchStatus {
  if (input.cancellationPending) return 'CANCELLING';
  if (allPayablesConcluded(input.payables)) return 'PROCESSED';
  if (input.attemptStatuses.includes('PROCESSED')) return 'PROCESSING';
  if (input.attemptStatuses.some((s) => ACTIVE_ATTEMPT_STATUSES.includes(s))) return 'USER_INITIATION_IN_PROGRESS';
  return 'OPEN';
}

/** A batch counts as authorised once an attempt was PROCESSED, i.e. for PROCESSING and PROCESSED. */
export const isBatchAuthorised = (status: BatchStatus): boolean => status === 'PROCESSING' || status === 'PROCESSED';

export interface FundingGroupStatusInput {
  /** The group itself was cancelled (cancelFundingGroup, cancelPaymentRun). */
  readonly cancelled: boolean;
  /** simulateFundsReceived happened (fundingDate is set). */
  readonly fundsReceived: boolean;
  /** Every batch of the group is authorised (see isBatchAuthorised); the caller owns the empty case. */
  readonly allBatchesAuthorised: boolean;
  readonly payables: PayableTally;
}

/**
 * CANCELLED if the group is cancelled. Otherwise, once ≥1 payable and all concluded:
 *   - any FAILED or RETURNED                    → COMPLETED_WITH_ERRORS
 *   - else ≥1 COMPLETED (the rest CANCELLED)    → COMPLETED: payables cancelled individually are
 *     ignored, because "all COMPLETED" would otherwise be unreachable once one is cancelled, and a
 *     cancellation is not an error
 *   - else every payable CANCELLED              → CANCELLED, even without the group's own flag:
 *     nothing was or will be paid, so COMPLETED would misreport it.
 * Otherwise EXECUTING once funds were received; AWAITING_FUNDS when all batches are authorised;
 * else PENDING_FUNDING. A RETURN after COMPLETED yields COMPLETED_WITH_ERRORS on recomputation.
 */
export function deriveFundingGroupStatus(input: FundingGroupStatusInput): FundingGroupStatus {
  if (input.cancelled) return 'CANCELLED';
  const p = input.payables;
  if (allPayablesConcluded(p)) {
    if (p.failed + p.returned > 0) return 'COMPLETED_WITH_ERRORS';
    return p.completed > 0 ? 'COMPLETED' : 'CANCELLED';
  }
  if (input.fundsReceived) return 'EXECUTING';
  if (input.allBatchesAuthorised) return 'AWAITING_FUNDS';
  return 'PENDING_FUNDING';
}
