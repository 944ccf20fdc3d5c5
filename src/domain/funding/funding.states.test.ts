import { describe, expect, it } from 'vitest';
import {
  deriveBatchStatus, deriveFundingGroupStatus, tallyPayables, type PayableTally,
} from '../derived-status.ts';
import { reachableStates, type StateMachine } from '../shared/state-machine.ts';
import {
  ACTIVE_AUTHORISATION_STATUSES, AuthorisationStatus, BatchStatus, FundingGroupStatus,
  type AuthorisationStatus as AttemptStatus, type BatchStatus as BStatus, type FundingGroupStatus as GStatus,
  type PayableStatus,
} from '../shared/statuses.ts';
import {
  ACTIVE_ATTEMPT_STATUSES, assertDerivedTransition, authorisationStates, batchStates, fundingGroupStates,
} from './funding.states.ts';

const machines: [StateMachine<string>, readonly string[], string[]][] = [
  [authorisationStates as StateMachine<string>, Object.keys(AuthorisationStatus), ['CANCELLED', 'FAILED', 'PROCESSED', 'TIMED_OUT']],
  [batchStates as StateMachine<string>, Object.keys(BatchStatus), ['PROCESSED']],
  [fundingGroupStates as StateMachine<string>, Object.keys(FundingGroupStatus), ['CANCELLED', 'COMPLETED_WITH_ERRORS']],
];

describe.each(machines)('%s state machine', (machine, all, terminal) => {
  it('has a row for every status of the contract', () => {
    expect(Object.keys(machine.transitions).sort()).toEqual([...all].sort());
  });

  it('reaches every status from its initial one', () => {
    expect([...reachableStates(machine)].sort()).toEqual([...all].sort());
  });

  it('has exactly the expected terminal statuses, without exits', () => {
    expect(all.filter((s) => machine.isTerminal(s)).sort()).toEqual(terminal);
  });

  it('never loops a status onto itself', () => {
    for (const s of all) expect(machine.canTransition(s, s)).toBe(false);
  });
});

describe('authorisation attempts', () => {
  it('treat every non-terminal status as active, as the batch derivation does', () => {
    expect([...ACTIVE_ATTEMPT_STATUSES].sort()).toEqual([...ACTIVE_AUTHORISATION_STATUSES].sort());
  });

  it.each<[AttemptStatus, AttemptStatus, boolean]>([
    ['USER_AUTHORISING', 'BANK_AUTHORISING', true],
    ['USER_AUTHORISING', 'AWAITING_MULTI_AUTH', true],
    ['USER_AUTHORISING', 'PROCESSED', false],
    ['BANK_AUTHORISING', 'PROCESSED', true],
    ['BANK_AUTHORISING', 'AWAITING_MULTI_AUTH', false],
    ['AWAITING_MULTI_AUTH', 'PROCESSED', true],
    ['AWAITING_MULTI_AUTH', 'BANK_AUTHORISING', false],
    ['AWAITING_MULTI_AUTH', 'TIMED_OUT', true],
    ['PROCESSED', 'CANCELLED', false],
    ['TIMED_OUT', 'USER_AUTHORISING', false],
  ])('%s → %s: %s', (from, to, allowed) => {
    expect(authorisationStates.canTransition(from, to)).toBe(allowed);
  });

  it.each(['USER_AUTHORISING', 'BANK_AUTHORISING', 'AWAITING_MULTI_AUTH'] as const)('may fail, be cancelled or time out from %s', (from) => {
    for (const to of ['FAILED', 'CANCELLED', 'TIMED_OUT'] as const) expect(authorisationStates.canTransition(from, to)).toBe(true);
  });
});

const tally = (...statuses: PayableStatus[]): PayableTally => tallyPayables(statuses);

describe('derived changes stay inside the tables', () => {
  // Every (previous inputs → next inputs) step a command can make, derived on both sides.
  it.each<[string, BStatus, Parameters<typeof deriveBatchStatus>[0]]>([
    ['authoriseBatch', 'OPEN', { cancellationPending: false, payables: tally('PENDING_FUNDING'), attemptStatuses: ['USER_AUTHORISING'] }],
    ['attempt failed', 'USER_INITIATION_IN_PROGRESS', { cancellationPending: false, payables: tally('PENDING_FUNDING'), attemptStatuses: ['FAILED'] }],
    ['attempt processed', 'USER_INITIATION_IN_PROGRESS', { cancellationPending: false, payables: tally('PENDING_FUNDING'), attemptStatuses: ['PROCESSED'] }],
    ['run cancelled while open', 'OPEN', { cancellationPending: false, payables: tally('CANCELLED'), attemptStatuses: [] }],
    ['run cancelled mid-attempt', 'USER_INITIATION_IN_PROGRESS', { cancellationPending: false, payables: tally('CANCELLED'), attemptStatuses: ['CANCELLED'] }],
    ['all payables concluded', 'PROCESSING', { cancellationPending: false, payables: tally('COMPLETED', 'FAILED'), attemptStatuses: ['PROCESSED'] }],
  ])('batch: %s', (_label, from, input) => {
    const to = deriveBatchStatus(input);
    expect(() => assertDerivedTransition(batchStates, 'b', from, to)).not.toThrow();
  });

  it.each<[string, GStatus, Parameters<typeof deriveFundingGroupStatus>[0]]>([
    ['all batches authorised', 'PENDING_FUNDING', { cancelled: false, fundsReceived: false, allBatchesAuthorised: true, payables: tally('PENDING_FUNDING') }],
    ['funds received', 'AWAITING_FUNDS', { cancelled: false, fundsReceived: true, allBatchesAuthorised: true, payables: tally('EXECUTING') }],
    ['all completed', 'EXECUTING', { cancelled: false, fundsReceived: true, allBatchesAuthorised: true, payables: tally('COMPLETED') }],
    ['one failed', 'EXECUTING', { cancelled: false, fundsReceived: true, allBatchesAuthorised: true, payables: tally('COMPLETED', 'FAILED') }],
    ['late return', 'COMPLETED', { cancelled: false, fundsReceived: true, allBatchesAuthorised: true, payables: tally('COMPLETED', 'RETURNED') }],
    ['cancelled awaiting funds', 'AWAITING_FUNDS', { cancelled: true, fundsReceived: false, allBatchesAuthorised: true, payables: tally('CANCELLED') }],
    ['cancelled with its run', 'PENDING_FUNDING', { cancelled: true, fundsReceived: false, allBatchesAuthorised: false, payables: tally('CANCELLED') }],
  ])('group: %s', (_label, from, input) => {
    const to = deriveFundingGroupStatus(input);
    expect(to).not.toBe(from);
    expect(() => assertDerivedTransition(fundingGroupStates, 'g', from, to)).not.toThrow();
  });

  it('reports a derived change outside the table as a bug, not as a user error', () => {
    expect(() => assertDerivedTransition(fundingGroupStates, 'g-1', 'EXECUTING', 'PENDING_FUNDING'))
      .toThrow('Derived FundingGroup g-1: EXECUTING → PENDING_FUNDING is not in the transition table');
  });
});
