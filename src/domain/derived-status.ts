/**
 * Derived statuses (CONTRACT.md §4 "Derived statuses"): the rules live beside their machines —
 * payables' tallies and payableStatusForRun in payment-run/payable.states.ts, batch and group in
 * funding/funding.states.ts, run in payment-run/payment-run.states.ts. This module gathers them.
 *
 * Inputs are counts rather than rows because the unit of work recomputes these on every child
 * change over up to 10,000 payables; it feeds `GROUP BY status` counts in via `tallyPayableCounts`
 * / `tallyGroupCounts` (src/domain/funding/funding.recompute.ts).
 */
export {
  EMPTY_PAYABLE_TALLY, allPayablesConcluded, payableStatusForRun, tallyPayableCounts, tallyPayables,
  type PayableTally, type StatusCounts,
} from './payment-run/payable.states.ts';
export {
  deriveBatchStatus, deriveFundingGroupStatus, isBatchAuthorised, tallyGroupCounts, tallyGroups,
  type BatchStatusInput, type FundingGroupStatusInput, type FundingGroupTally,
} from './funding/funding.states.ts';
export { derivePaymentRunStatus, type PaymentRunStatusInput } from './payment-run/payment-run.states.ts';
