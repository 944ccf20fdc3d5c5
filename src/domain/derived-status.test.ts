import { describe, expect, it } from 'vitest';
import {
  EMPTY_PAYABLE_TALLY,
  allPayablesConcluded,
  deriveBatchStatus,
  deriveFundingGroupStatus,
  derivePaymentRunStatus,
  isBatchAuthorised,
  payableStatusForRun,
  tallyGroupCounts,
  tallyGroups,
  tallyPayableCounts,
  tallyPayables,
} from './derived-status.ts';
import type { PayableTally } from './derived-status.ts';
import type { AuthorisationStatus, BatchStatus, FundingGroupStatus, PayableStatus, PaymentRunStatus } from './shared/statuses.ts';
import { PaymentRunStatus as RunStatuses } from './shared/statuses.ts';

const P = (...statuses: PayableStatus[]): PayableTally => tallyPayables(statuses);

describe('payable tallies', () => {
  it('counts statuses; total includes the ones without their own field', () => {
    expect(P('COMPLETED', 'COMPLETED', 'FAILED', 'RETURNED', 'CANCELLED', 'EXECUTING', 'AWAITING_FUNDS')).toEqual({
      total: 7, completed: 2, failed: 1, returned: 1, cancelled: 1,
    });
  });

  it('takes GROUP BY counts, including bigint count(*)', () => {
    expect(tallyPayableCounts({ COMPLETED: 9_998n, FAILED: 1, EXECUTING: 1n })).toEqual({
      total: 10_000, completed: 9_998, failed: 1, returned: 0, cancelled: 0,
    });
    expect(tallyPayableCounts({})).toEqual(EMPTY_PAYABLE_TALLY);
  });

  it.each([
    { statuses: [] as PayableStatus[], concluded: false },
    { statuses: ['COMPLETED', 'FAILED', 'RETURNED', 'CANCELLED'] as PayableStatus[], concluded: true },
    { statuses: ['COMPLETED', 'EXECUTING'] as PayableStatus[], concluded: false },
  ])('allPayablesConcluded($statuses) = $concluded', ({ statuses, concluded }) => {
    expect(allPayablesConcluded(P(...statuses))).toBe(concluded);
  });

  it('group tallies from statuses or counts', () => {
    expect(tallyGroups(['COMPLETED', 'COMPLETED', 'CANCELLED'])).toEqual({ COMPLETED: 2, CANCELLED: 1 });
    expect(tallyGroupCounts({ EXECUTING: 3n, COMPLETED: 0 })).toEqual({ EXECUTING: 3, COMPLETED: 0 });
  });
});

describe('deriveBatchStatus', () => {
  const open = P('AWAITING_FUNDS', 'AWAITING_FUNDS');
  const done = P('COMPLETED', 'FAILED', 'RETURNED', 'CANCELLED');
  it.each<{ name: string; pending: boolean; payables: PayableTally; attempts: AuthorisationStatus[]; expected: BatchStatus }>([
    { name: 'no attempt yet', pending: false, payables: P('PENDING_FUNDING'), attempts: [], expected: 'OPEN' },
    { name: 'only concluded-unsuccessful attempts', pending: false, payables: P('PENDING_FUNDING'), attempts: ['FAILED', 'CANCELLED', 'TIMED_OUT'], expected: 'OPEN' },
    { name: 'attempt CREATED', pending: false, payables: P('PENDING_FUNDING'), attempts: ['CREATED'], expected: 'USER_INITIATION_IN_PROGRESS' },
    { name: 'attempt USER_AUTHORISING', pending: false, payables: P('PENDING_FUNDING'), attempts: ['FAILED', 'USER_AUTHORISING'], expected: 'USER_INITIATION_IN_PROGRESS' },
    { name: 'attempt BANK_AUTHORISING', pending: false, payables: P('PENDING_FUNDING'), attempts: ['BANK_AUTHORISING'], expected: 'USER_INITIATION_IN_PROGRESS' },
    { name: 'attempt AWAITING_MULTI_AUTH', pending: false, payables: P('PENDING_FUNDING'), attempts: ['AWAITING_MULTI_AUTH'], expected: 'USER_INITIATION_IN_PROGRESS' },
    { name: 'attempt PROCESSED', pending: false, payables: open, attempts: ['TIMED_OUT', 'PROCESSED'], expected: 'PROCESSING' },
    { name: 'PROCESSED beats an active attempt', pending: false, payables: open, attempts: ['PROCESSED', 'USER_AUTHORISING'], expected: 'PROCESSING' },
    { name: 'some payables concluded, not all', pending: false, payables: P('COMPLETED', 'EXECUTING'), attempts: ['PROCESSED'], expected: 'PROCESSING' },
    { name: 'all payables concluded', pending: false, payables: done, attempts: ['PROCESSED'], expected: 'PROCESSED' },
    { name: 'all payables CANCELLED before any attempt', pending: false, payables: P('CANCELLED', 'CANCELLED'), attempts: [], expected: 'PROCESSED' },
    { name: 'all concluded beats an active attempt', pending: false, payables: P('CANCELLED'), attempts: ['USER_AUTHORISING'], expected: 'PROCESSED' },
    { name: 'cancellation pending, nothing else', pending: true, payables: P('PENDING_FUNDING'), attempts: [], expected: 'CANCELLING' },
    { name: 'CANCELLING beats an active attempt', pending: true, payables: P('PENDING_FUNDING'), attempts: ['USER_AUTHORISING'], expected: 'CANCELLING' },
    { name: 'CANCELLING beats PROCESSING', pending: true, payables: open, attempts: ['PROCESSED'], expected: 'CANCELLING' },
    { name: 'CANCELLING beats PROCESSED', pending: true, payables: P('CANCELLED', 'CANCELLED'), attempts: [], expected: 'CANCELLING' },
    { name: 'empty batch is not PROCESSED: OPEN', pending: false, payables: EMPTY_PAYABLE_TALLY, attempts: [], expected: 'OPEN' },
    { name: 'empty batch is not PROCESSED: follows attempts', pending: false, payables: EMPTY_PAYABLE_TALLY, attempts: ['PROCESSED'], expected: 'PROCESSING' },
  ])('$name → $expected', ({ pending, payables, attempts, expected }) => {
    expect(deriveBatchStatus({ cancellationPending: pending, payables, attemptStatuses: attempts })).toBe(expected);
  });

  it.each<[BatchStatus, boolean]>([
    ['OPEN', false], ['USER_INITIATION_IN_PROGRESS', false], ['CANCELLING', false], ['PROCESSING', true], ['PROCESSED', true],
  ])('isBatchAuthorised(%s) = %s', (status, authorised) => {
    expect(isBatchAuthorised(status)).toBe(authorised);
  });
});

describe('deriveFundingGroupStatus', () => {
  const base = { cancelled: false, fundsReceived: false, allBatchesAuthorised: false };
  it.each<{ name: string; input: Partial<typeof base>; payables: PayableTally; expected: FundingGroupStatus }>([
    { name: 'fresh group', input: {}, payables: P('PENDING_FUNDING', 'PENDING_FUNDING'), expected: 'PENDING_FUNDING' },
    { name: 'all batches authorised', input: { allBatchesAuthorised: true }, payables: P('AWAITING_FUNDS'), expected: 'AWAITING_FUNDS' },
    { name: 'funds received', input: { allBatchesAuthorised: true, fundsReceived: true }, payables: P('EXECUTING'), expected: 'EXECUTING' },
    { name: 'funds received, some concluded', input: { allBatchesAuthorised: true, fundsReceived: true }, payables: P('COMPLETED', 'FAILED', 'EXECUTING'), expected: 'EXECUTING' },
    { name: 'all COMPLETED', input: { allBatchesAuthorised: true, fundsReceived: true }, payables: P('COMPLETED', 'COMPLETED'), expected: 'COMPLETED' },
    { name: 'all concluded, one FAILED', input: { fundsReceived: true }, payables: P('COMPLETED', 'FAILED'), expected: 'COMPLETED_WITH_ERRORS' },
    { name: 'all FAILED', input: { fundsReceived: true }, payables: P('FAILED', 'FAILED'), expected: 'COMPLETED_WITH_ERRORS' },
    { name: 'a later RETURN turns COMPLETED into COMPLETED_WITH_ERRORS', input: { fundsReceived: true }, payables: P('COMPLETED', 'RETURNED'), expected: 'COMPLETED_WITH_ERRORS' },
    { name: 'COMPLETED plus individually CANCELLED → COMPLETED', input: { fundsReceived: true }, payables: P('COMPLETED', 'CANCELLED'), expected: 'COMPLETED' },
    { name: 'FAILED plus CANCELLED → COMPLETED_WITH_ERRORS', input: { fundsReceived: true }, payables: P('FAILED', 'CANCELLED'), expected: 'COMPLETED_WITH_ERRORS' },
    { name: 'all payables CANCELLED, group not flagged → CANCELLED', input: {}, payables: P('CANCELLED', 'CANCELLED'), expected: 'CANCELLED' },
    { name: 'all payables CANCELLED after funds → CANCELLED', input: { fundsReceived: true, allBatchesAuthorised: true }, payables: P('CANCELLED'), expected: 'CANCELLED' },
    { name: 'cancelled flag beats everything', input: { cancelled: true, fundsReceived: true, allBatchesAuthorised: true }, payables: P('COMPLETED'), expected: 'CANCELLED' },
    { name: 'cancelled flag while AWAITING_FUNDS', input: { cancelled: true, allBatchesAuthorised: true }, payables: P('AWAITING_FUNDS'), expected: 'CANCELLED' },
    { name: 'empty group does not conclude', input: { allBatchesAuthorised: true }, payables: EMPTY_PAYABLE_TALLY, expected: 'AWAITING_FUNDS' },
  ])('$name → $expected', ({ input, payables, expected }) => {
    expect(deriveFundingGroupStatus({ ...base, ...input, payables })).toBe(expected);
  });
});

describe('derivePaymentRunStatus', () => {
  it.each<{ name: string; groups: FundingGroupStatus[]; clean?: boolean; expected: PaymentRunStatus | null }>([
    { name: 'no groups → keeps its stored status', groups: [], expected: null },
    { name: 'all groups PENDING_FUNDING', groups: ['PENDING_FUNDING', 'PENDING_FUNDING'], expected: 'PENDING_FUNDING' },
    { name: 'groups AWAITING_FUNDS', groups: ['AWAITING_FUNDS', 'PENDING_FUNDING'], expected: 'PENDING_FUNDING' },
    { name: 'one group EXECUTING', groups: ['EXECUTING', 'AWAITING_FUNDS'], expected: 'EXECUTING' },
    { name: 'one group concluded, another pending', groups: ['COMPLETED', 'PENDING_FUNDING'], clean: true, expected: 'EXECUTING' },
    { name: 'one group CANCELLED, another awaiting funds', groups: ['CANCELLED', 'AWAITING_FUNDS'], expected: 'EXECUTING' },
    { name: 'all groups COMPLETED, all payables COMPLETED', groups: ['COMPLETED', 'COMPLETED'], clean: true, expected: 'COMPLETED' },
    { name: 'all COMPLETED but a payable is not (flag false)', groups: ['COMPLETED', 'COMPLETED'], clean: false, expected: 'COMPLETED_WITH_ERRORS' },
    { name: 'a group with errors', groups: ['COMPLETED', 'COMPLETED_WITH_ERRORS'], clean: false, expected: 'COMPLETED_WITH_ERRORS' },
    { name: 'a group with errors wins over a contradicting flag', groups: ['COMPLETED_WITH_ERRORS'], clean: true, expected: 'COMPLETED_WITH_ERRORS' },
    { name: 'later RETURN: group moved to COMPLETED_WITH_ERRORS', groups: ['COMPLETED', 'COMPLETED_WITH_ERRORS'], clean: false, expected: 'COMPLETED_WITH_ERRORS' },
    { name: 'cancelled group mixed with completed ones', groups: ['COMPLETED', 'CANCELLED'], clean: false, expected: 'COMPLETED_WITH_ERRORS' },
    { name: 'cancelled group whose payables were cancelled before confirmation', groups: ['COMPLETED', 'CANCELLED'], clean: true, expected: 'COMPLETED' },
    { name: 'all groups CANCELLED', groups: ['CANCELLED', 'CANCELLED'], clean: false, expected: 'CANCELLED' },
    { name: 'all groups CANCELLED beats the flag', groups: ['CANCELLED'], clean: true, expected: 'CANCELLED' },
  ])('$name → $expected', ({ groups, clean = false, expected }) => {
    const flag = { payablesNotCancelledBeforeConfirmationAllCompleted: clean };
    expect(derivePaymentRunStatus({ groups, ...flag })).toBe(expected);
    // Counts must give the same answer as the list.
    expect(derivePaymentRunStatus({ groups: tallyGroups(groups), ...flag })).toBe(expected);
  });

  it('handles thousands of groups given as counts', () => {
    const input = { groups: tallyGroupCounts({ COMPLETED: 4_999n, EXECUTING: 1n }), payablesNotCancelledBeforeConfirmationAllCompleted: false };
    expect(derivePaymentRunStatus(input)).toBe('EXECUTING');
    expect(derivePaymentRunStatus({ ...input, groups: { COMPLETED: 5_000, EXECUTING: 0 } })).toBe('COMPLETED_WITH_ERRORS');
  });

  it('treats a tally of zeros as no groups', () => {
    expect(derivePaymentRunStatus({ groups: { COMPLETED: 0 }, payablesNotCancelledBeforeConfirmationAllCompleted: true })).toBeNull();
  });
});

describe('payableStatusForRun', () => {
  const expected: Record<PaymentRunStatus, PayableStatus | null> = {
    QUEUED: 'QUEUED',
    PENDING_CONFIRMATION: 'PENDING_CONFIRMATION',
    PENDING_CHALLENGE: 'PENDING_CHALLENGE',
    SCA_FAILED: 'SCA_FAILED',
    PENDING_FUNDING: 'PENDING_FUNDING',
    INVALID: 'CANCELLED',
    EXECUTING: null,
    COMPLETED: null,
    COMPLETED_WITH_ERRORS: null,
    CANCELLED: null,
  };
  it.each(Object.values(RunStatuses))('%s', (run) => {
    expect(payableStatusForRun(run)).toBe(expected[run]);
  });
});
