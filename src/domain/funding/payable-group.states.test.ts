import { describe, expect, it } from 'vitest';
import { tallyPayables } from '../derived-status.ts';
import { reachableStates } from '../shared/state-machine.ts';
import { PayableGroupStatus, type AuthorisationStatus, type PayableStatus } from '../shared/statuses.ts';
import { assertDerivedTransition } from './funding.states.ts';
import { derivePayableGroupStatus, payableGroupStates, type PayableGroupStatusInput } from './payable-group.states.ts';

const all = Object.keys(PayableGroupStatus);

describe('PayableGroup state machine', () => {
  it('has a row for every status of the contract', () => {
    expect(Object.keys(payableGroupStates.transitions).sort()).toEqual([...all].sort());
  });

  it('reaches every status from OPEN', () => {
    expect([...reachableStates(payableGroupStates)].sort()).toEqual([...all].sort());
  });

  it('has PROCESSED as its only terminal status, without exits', () => {
    expect(all.filter((s) => payableGroupStates.isTerminal(s as PayableGroupStatus))).toEqual(['PROCESSED']);
  });

  it('never loops a status onto itself', () => {
    for (const s of all as PayableGroupStatus[]) expect(payableGroupStates.canTransition(s, s)).toBe(false);
  });
});

const input = (payables: PayableStatus[], attempts: AuthorisationStatus[], cancellationPending = false): PayableGroupStatusInput => ({
  cancellationPending, payables: tallyPayables(payables), attemptStatuses: attempts,
});

describe('derivePayableGroupStatus follows the precedence', () => {
  it.each<[string, PayableGroupStatusInput, PayableGroupStatus]>([
    ['nothing started', input(['PENDING_FUNDING', 'PENDING_FUNDING'], []), 'OPEN'],
    ['a failed attempt only', input(['PENDING_FUNDING'], ['FAILED']), 'OPEN'],
    ['an attempt active', input(['PENDING_FUNDING'], ['FAILED', 'USER_AUTHORISING']), 'USER_INITIATION_IN_PROGRESS'],
    ['waiting for a second signatory', input(['PENDING_FUNDING'], ['AWAITING_MULTI_AUTH']), 'USER_INITIATION_IN_PROGRESS'],
    ['the batch authorised', input(['AWAITING_FUNDS', 'AWAITING_FUNDS'], ['PROCESSED']), 'PROCESSING'],
    ['executing', input(['EXECUTING', 'EXECUTING'], ['PROCESSED']), 'PROCESSING'],
    ['every member concluded', input(['COMPLETED', 'COMPLETED'], ['PROCESSED']), 'PROCESSED'],
    ['returned later', input(['RETURNED', 'RETURNED'], ['PROCESSED']), 'PROCESSED'],
    ['cancelled with its run', input(['CANCELLED'], ['CANCELLED']), 'PROCESSED'],
    ['a cancellation pending beats everything', input(['COMPLETED'], ['PROCESSED'], true), 'CANCELLING'],
  ])('%s', (_label, given, expected) => {
    expect(derivePayableGroupStatus(given)).toBe(expected);
  });

  it('produces only moves its table allows along a lifecycle', () => {
    const lifecycle: PayableGroupStatusInput[] = [
      input(['PENDING_FUNDING'], []),
      input(['PENDING_FUNDING'], ['USER_AUTHORISING']),
      input(['PENDING_FUNDING'], ['CANCELLED']),
      input(['PENDING_FUNDING'], ['CANCELLED', 'USER_AUTHORISING']),
      input(['AWAITING_FUNDS'], ['CANCELLED', 'PROCESSED']),
      input(['COMPLETED'], ['CANCELLED', 'PROCESSED']),
      input(['RETURNED'], ['CANCELLED', 'PROCESSED']),
    ];
    let from = payableGroupStates.initial;
    for (const step of lifecycle) {
      const to = derivePayableGroupStatus(step);
      if (to !== from) expect(() => assertDerivedTransition(payableGroupStates, 'g', from, to)).not.toThrow();
      from = to;
    }
    expect(from).toBe('PROCESSED');
  });
});
