import { describe, expect, it } from 'vitest';
import { DomainError } from '../shared/errors.ts';
import { reachableStates } from '../shared/state-machine.ts';
import { PaymentRunStatus, type PaymentRunStatus as RunStatus } from '../shared/statuses.ts';
import {
  CONFIRMED_RUN_STATUSES, PAYMENT_RUN_TRANSITIONS, USER_CANCELLABLE_RUN_STATUSES, paymentRunStates,
} from './payment-run.states.ts';

const ALL = Object.keys(PaymentRunStatus) as RunStatus[];

describe('payment run state machine', () => {
  it('has a row for every status of the contract and starts QUEUED', () => {
    expect(Object.keys(PAYMENT_RUN_TRANSITIONS).sort()).toEqual([...ALL].sort());
    expect(paymentRunStates.initial).toBe('QUEUED');
  });

  it('reaches every status from QUEUED', () => {
    expect([...reachableStates(paymentRunStates)].sort()).toEqual([...ALL].sort());
  });

  it('has no exits from terminal statuses, and exactly these are terminal', () => {
    const terminal = ALL.filter((s) => paymentRunStates.isTerminal(s)).sort();
    expect(terminal).toEqual(['CANCELLED', 'COMPLETED_WITH_ERRORS', 'INVALID']);
    for (const s of terminal) expect(PAYMENT_RUN_TRANSITIONS[s]).toEqual([]);
  });

  it('never returns to QUEUED and never re-enters INVALID after validation', () => {
    for (const s of ALL) {
      expect(paymentRunStates.canTransition(s, 'QUEUED')).toBe(false);
      if (s !== 'QUEUED') expect(paymentRunStates.canTransition(s, 'INVALID')).toBe(false);
    }
  });

  it.each<[RunStatus, RunStatus, boolean]>([
    ['QUEUED', 'PENDING_CONFIRMATION', true],
    ['QUEUED', 'INVALID', true],
    ['QUEUED', 'CANCELLED', true],
    ['QUEUED', 'PENDING_CHALLENGE', false],
    ['PENDING_CONFIRMATION', 'PENDING_CHALLENGE', true],
    ['PENDING_CONFIRMATION', 'CANCELLED', true],
    ['PENDING_CONFIRMATION', 'INVALID', false],
    ['PENDING_CONFIRMATION', 'PENDING_FUNDING', false],
    ['PENDING_CHALLENGE', 'PENDING_FUNDING', true],
    ['PENDING_CHALLENGE', 'SCA_FAILED', true],
    ['PENDING_CHALLENGE', 'CANCELLED', true],
    ['PENDING_CHALLENGE', 'PENDING_CONFIRMATION', false],
    ['SCA_FAILED', 'PENDING_CHALLENGE', true],
    ['SCA_FAILED', 'CANCELLED', true],
    ['SCA_FAILED', 'PENDING_FUNDING', false],
    ['PENDING_FUNDING', 'EXECUTING', true],
    ['PENDING_FUNDING', 'COMPLETED', true],
    ['PENDING_FUNDING', 'COMPLETED_WITH_ERRORS', true],
    ['PENDING_FUNDING', 'CANCELLED', true],
    ['PENDING_FUNDING', 'PENDING_CHALLENGE', false],
    ['EXECUTING', 'COMPLETED', true],
    ['EXECUTING', 'COMPLETED_WITH_ERRORS', true],
    ['EXECUTING', 'CANCELLED', true],
    ['EXECUTING', 'PENDING_FUNDING', false],
    ['COMPLETED', 'COMPLETED_WITH_ERRORS', true],
    ['COMPLETED', 'CANCELLED', false],
    ['COMPLETED_WITH_ERRORS', 'COMPLETED', false],
    ['CANCELLED', 'QUEUED', false],
    ['INVALID', 'PENDING_CONFIRMATION', false],
  ])('%s → %s allowed: %s', (from, to, allowed) => {
    expect(paymentRunStates.canTransition(from, to)).toBe(allowed);
    if (allowed) expect(() => paymentRunStates.assertTransition(from, to, 'test')).not.toThrow();
    else {
      const error = (() => {
        try { paymentRunStates.assertTransition(from, to, 'test'); } catch (e) { return e; }
      })();
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ code: 'INVALID_STATE', extensions: { currentStatus: from } });
    }
  });
});

describe('status groups', () => {
  it('lets a person cancel exactly the statuses of the contract table, each with a CANCELLED exit', () => {
    expect([...USER_CANCELLABLE_RUN_STATUSES].sort()).toEqual(
      ['PENDING_CHALLENGE', 'PENDING_CONFIRMATION', 'PENDING_FUNDING', 'QUEUED', 'SCA_FAILED'],
    );
    for (const s of USER_CANCELLABLE_RUN_STATUSES) expect(paymentRunStates.canTransition(s, 'CANCELLED')).toBe(true);
  });

  it('treats as confirmed exactly what is reachable from PENDING_CHALLENGE, except CANCELLED', () => {
    const seen = new Set<RunStatus>(['PENDING_CHALLENGE']);
    const queue: RunStatus[] = ['PENDING_CHALLENGE'];
    for (let s = queue.shift(); s; s = queue.shift()) {
      for (const next of PAYMENT_RUN_TRANSITIONS[s]) if (!seen.has(next)) { seen.add(next); queue.push(next); }
    }
    seen.delete('CANCELLED');
    expect([...CONFIRMED_RUN_STATUSES].sort()).toEqual([...seen].sort());
  });
});
