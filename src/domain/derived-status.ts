/**
 * Derived statuses (CONTRACT.md §4 "Derived statuses"): pure functions, no I/O.
 *
 * Inputs are counts rather than rows because callers recompute these on every child change over
 * up to 10,000 payables; they should `GROUP BY status` and feed the counts in via
 * `tallyPayableCounts` / `tallyGroupCounts`. Array-based helpers exist for small sets and tests.
 */
import type {
  AuthorisationStatus,
  BatchStatus,
  FundingGroupStatus,
  PayableStatus,
  PaymentRunStatus,
} from './shared/statuses.ts';
import { ACTIVE_AUTHORISATION_STATUSES } from './shared/statuses.ts';

/** Counts of payables by the statuses the rules care about; `total` includes every status. */
export interface PayableTally {
  readonly total: number;
  readonly completed: number;
  readonly failed: number;
  readonly returned: number;
  readonly cancelled: number;
}

/** Number of groups per status; missing statuses count as 0. */
export type FundingGroupTally = Readonly<Partial<Record<FundingGroupStatus, number>>>;

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

function countStatuses<S extends string>(statuses: Iterable<S>): Partial<Record<S, number>> {
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

// ---------------------------------------------------------------------------------------------

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
  if (input.attemptStatuses.some((s) => ACTIVE_AUTHORISATION_STATUSES.includes(s))) return 'USER_INITIATION_IN_PROGRESS';
  return 'OPEN';
}

/** A batch counts as authorised once an attempt was PROCESSED, i.e. for PROCESSING and PROCESSED. */
export const isBatchAuthorised = (status: BatchStatus): boolean => status === 'PROCESSING' || status === 'PROCESSED';

// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------

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
