import { describe, expect, it } from 'vitest';
import type { Actor } from '../shared/actor.ts';
import { PaymentRunStatus, type PayableStatus, type PaymentRunStatus as RunStatus, type Role } from '../shared/statuses.ts';
import {
  canCancelPaymentRun, canChangePayable, canChangePayables, canConfirmPaymentRun, canRestartPaymentRun,
  canVerifyPaymentRunChallenge, dualControl, enforce, scaEnrolment,
} from './payment-run.policy.ts';
import type { RunFacts } from './payment-run.policy.ts';

const CREATOR = 'user-creator';
const OTHER = 'user-other';
const actor = (userId: string, scaEnrolled = true, roles: Role[] = ['CONTROLLER']): Actor =>
  ({ userId, buyerId: 'buyer', roles: new Set(roles), scaEnrolled });
const run = (status: RunStatus, confirmedById: string | null = null): RunFacts => ({ status, createdById: CREATOR, confirmedById });
const dual = { requireDualControl: true };
const single = { requireDualControl: false };
const ALL = Object.keys(PaymentRunStatus) as RunStatus[];

describe('SCA enrolment and dual control', () => {
  it('needs an enrolled device', () => {
    expect(scaEnrolment(actor(OTHER, false))?.code).toBe('SCA_NOT_ENROLLED');
    expect(scaEnrolment(actor(OTHER))).toBeNull();
  });

  it.each([
    [dual, CREATOR, 'SELF_APPROVAL_NOT_ALLOWED'],
    [dual, OTHER, null],
    [single, CREATOR, null],
    [single, OTHER, null],
  ])('dual control %o, approver %s → %s', (buyer, userId, code) => {
    expect(dualControl(actor(userId), run('PENDING_CONFIRMATION'), buyer)?.code ?? null).toBe(code);
  });
});

describe('canConfirmPaymentRun', () => {
  const expected: Record<RunStatus, string | null> = {
    QUEUED: 'INVALID_STATE',
    INVALID: 'INVALID_STATE',
    PENDING_CONFIRMATION: null,
    PENDING_CHALLENGE: 'PAYMENT_RUN_ALREADY_CONFIRMED',
    SCA_FAILED: 'PAYMENT_RUN_ALREADY_CONFIRMED',
    PENDING_FUNDING: 'PAYMENT_RUN_ALREADY_CONFIRMED',
    EXECUTING: 'PAYMENT_RUN_ALREADY_CONFIRMED',
    COMPLETED: 'PAYMENT_RUN_ALREADY_CONFIRMED',
    COMPLETED_WITH_ERRORS: 'PAYMENT_RUN_ALREADY_CONFIRMED',
    CANCELLED: 'INVALID_STATE',
  };

  it.each(ALL)('in %s', (status) => {
    const error = canConfirmPaymentRun(actor(OTHER), run(status), dual);
    expect(error?.code ?? null).toBe(expected[status]);
    if (error) expect(error.extensions).toEqual({ currentStatus: status });
  });

  it('checks enrolment before state, and state before dual control', () => {
    expect(canConfirmPaymentRun(actor(CREATOR, false), run('PENDING_FUNDING'), dual)?.code).toBe('SCA_NOT_ENROLLED');
    expect(canConfirmPaymentRun(actor(CREATOR), run('PENDING_CHALLENGE'), dual)?.code).toBe('PAYMENT_RUN_ALREADY_CONFIRMED');
    expect(canConfirmPaymentRun(actor(CREATOR), run('PENDING_CONFIRMATION'), dual)?.code).toBe('SELF_APPROVAL_NOT_ALLOWED');
    expect(canConfirmPaymentRun(actor(CREATOR), run('PENDING_CONFIRMATION'), single)).toBeNull();
  });
});

describe('canVerifyPaymentRunChallenge', () => {
  it('lets only the confirming controller answer, only while PENDING_CHALLENGE', () => {
    expect(canVerifyPaymentRunChallenge(actor(OTHER), run('PENDING_CHALLENGE', OTHER))).toBeNull();
    expect(canVerifyPaymentRunChallenge(actor(CREATOR), run('PENDING_CHALLENGE', OTHER))?.code).toBe('INSUFFICIENT_PERMISSIONS');
    for (const status of ALL.filter((s) => s !== 'PENDING_CHALLENGE')) {
      expect(canVerifyPaymentRunChallenge(actor(OTHER), run(status, OTHER))).toMatchObject({
        code: 'INVALID_STATE', extensions: { currentStatus: status },
      });
    }
  });
});

describe('canRestartPaymentRun', () => {
  it.each(ALL)('in %s', (status) => {
    expect(canRestartPaymentRun(actor(OTHER), run(status, CREATOR), dual)?.code ?? null)
      .toBe(status === 'SCA_FAILED' ? null : 'INVALID_STATE');
  });

  it('applies enrolment and dual control like confirm, and lets another controller take over', () => {
    expect(canRestartPaymentRun(actor(OTHER, false), run('SCA_FAILED'), dual)?.code).toBe('SCA_NOT_ENROLLED');
    expect(canRestartPaymentRun(actor(CREATOR), run('SCA_FAILED', OTHER), dual)?.code).toBe('SELF_APPROVAL_NOT_ALLOWED');
    expect(canRestartPaymentRun(actor(CREATOR), run('SCA_FAILED', OTHER), single)).toBeNull();
  });
});

describe('cancelling and changing', () => {
  it.each(ALL)('cancelPaymentRun in %s', (status) => {
    const allowed = ['QUEUED', 'PENDING_CONFIRMATION', 'PENDING_CHALLENGE', 'SCA_FAILED', 'PENDING_FUNDING'].includes(status);
    expect(canCancelPaymentRun(run(status))?.code ?? null).toBe(allowed ? null : 'INVALID_STATE');
  });

  it.each(ALL)('changing payables of a run in %s', (status) => {
    expect(canChangePayables(run(status))?.code ?? null).toBe(status === 'PENDING_CONFIRMATION' ? null : 'INVALID_STATE');
  });

  it.each<PayableStatus>(['QUEUED', 'PENDING_CHALLENGE', 'CANCELLED', 'COMPLETED'])('a payable in %s cannot change', (status) => {
    expect(canChangePayable({ status })).toMatchObject({ code: 'INVALID_STATE', extensions: { currentStatus: status } });
  });

  it('a PENDING_CONFIRMATION payable can change', () => {
    expect(canChangePayable({ status: 'PENDING_CONFIRMATION' })).toBeNull();
  });

  it('enforce throws the error and passes null', () => {
    expect(() => enforce(null)).not.toThrow();
    expect(() => enforce(canCancelPaymentRun(run('EXECUTING')))).toThrow(/Cannot cancel a payment run while EXECUTING/);
  });
});
