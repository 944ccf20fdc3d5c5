import { describe, expect, it } from 'vitest';
import { payableStatusForRun } from '../derived-status.ts';
import { reachableStates } from '../shared/state-machine.ts';
import { CONCLUDED_PAYABLE_STATUSES, PayableStatus, type PayableStatus as Status } from '../shared/statuses.ts';
import { CANCELLABLE_PAYABLE_STATUSES, PAYABLE_TRANSITIONS, payableStates } from './payable.states.ts';
import { PAYMENT_RUN_TRANSITIONS } from './payment-run.states.ts';

const ALL = Object.keys(PayableStatus) as Status[];

describe('payable state machine', () => {
  it('has a row for every status of the contract and starts QUEUED', () => {
    expect(Object.keys(PAYABLE_TRANSITIONS).sort()).toEqual([...ALL].sort());
    expect(payableStates.initial).toBe('QUEUED');
  });

  it('reaches every status from QUEUED', () => {
    expect([...reachableStates(payableStates)].sort()).toEqual([...ALL].sort());
  });

  it('has no exits from terminal statuses, and exactly these are terminal', () => {
    const terminal = ALL.filter((s) => payableStates.isTerminal(s)).sort();
    expect(terminal).toEqual(['CANCELLED', 'FAILED', 'RETURNED']);
    for (const s of terminal) expect(PAYABLE_TRANSITIONS[s]).toEqual([]);
  });

  it.each<[Status, Status, boolean]>([
    ['QUEUED', 'PENDING_CONFIRMATION', true],
    ['QUEUED', 'CANCELLED', true],
    ['QUEUED', 'PENDING_CHALLENGE', false],
    ['PENDING_CONFIRMATION', 'PENDING_CHALLENGE', true],
    ['PENDING_CONFIRMATION', 'CANCELLED', true],
    ['PENDING_CONFIRMATION', 'QUEUED', false],
    ['PENDING_CHALLENGE', 'PENDING_FUNDING', true],
    ['PENDING_CHALLENGE', 'SCA_FAILED', true],
    ['PENDING_CHALLENGE', 'CANCELLED', true],
    ['SCA_FAILED', 'PENDING_CHALLENGE', true],
    ['SCA_FAILED', 'CANCELLED', true],
    ['SCA_FAILED', 'PENDING_FUNDING', false],
    ['PENDING_FUNDING', 'AWAITING_FUNDS', true],
    ['PENDING_FUNDING', 'CANCELLED', true],
    ['PENDING_FUNDING', 'EXECUTING', false],
    ['AWAITING_FUNDS', 'EXECUTING', true],
    ['AWAITING_FUNDS', 'CANCELLED', true],
    ['EXECUTING', 'COMPLETED', true],
    ['EXECUTING', 'FAILED', true],
    ['EXECUTING', 'CANCELLED', false],
    ['COMPLETED', 'RETURNED', true],
    ['COMPLETED', 'FAILED', false],
    ['FAILED', 'RETURNED', false],
    ['RETURNED', 'COMPLETED', false],
    ['CANCELLED', 'PENDING_CONFIRMATION', false],
  ])('%s → %s allowed: %s', (from, to, allowed) => {
    expect(payableStates.canTransition(from, to)).toBe(allowed);
    if (!allowed) expect(() => payableStates.assertTransition(from, to, 'test')).toThrow(/Cannot test/);
  });

  it('can be cancelled from every status before EXECUTING, and from no concluded one', () => {
    expect([...CANCELLABLE_PAYABLE_STATUSES].sort()).toEqual(
      ['AWAITING_FUNDS', 'PENDING_CHALLENGE', 'PENDING_CONFIRMATION', 'PENDING_FUNDING', 'QUEUED', 'SCA_FAILED'],
    );
    for (const s of CONCLUDED_PAYABLE_STATUSES) expect(CANCELLABLE_PAYABLE_STATUSES).not.toContain(s);
  });

  it('allows every move that "payables follow their run" asks for', () => {
    for (const [from, targets] of Object.entries(PAYMENT_RUN_TRANSITIONS)) {
      const payableFrom = payableStatusForRun(from as keyof typeof PAYMENT_RUN_TRANSITIONS);
      for (const to of targets) {
        const payableTo = payableStatusForRun(to);
        if (payableFrom && payableTo && payableFrom !== payableTo) {
          expect(payableStates.canTransition(payableFrom, payableTo), `${from}→${to}`).toBe(true);
        }
      }
    }
  });
});
