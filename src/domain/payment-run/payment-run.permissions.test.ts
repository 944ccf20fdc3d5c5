import { describe, expect, it } from 'vitest';
import type { Actor } from '../shared/actor.ts';
import type { Role } from '../shared/statuses.ts';
import { viewerActions, type PermissionFacts } from './payment-run.permissions.ts';

const actor = (roles: Role[], userId = 'u1', scaEnrolled = true): Actor => ({ userId, buyerId: 'b', roles: new Set(roles), scaEnrolled });
const facts = (status: PermissionFacts['run']['status'], more: Partial<PermissionFacts> = {}): PermissionFacts => ({
  run: { status, createdById: 'creator', confirmedById: 'u1' },
  buyer: { requireDualControl: false },
  fundingGroupCount: 0,
  batches: [],
  ...more,
});

describe('viewerActions', () => {
  it('offers a creator editing and cancelling, never approving', () => {
    expect(viewerActions(actor(['CREATOR']), facts('PENDING_CONFIRMATION')))
      .toEqual(['CANCEL', 'UPDATE_PAYABLES', 'CANCEL_PAYABLES']);
  });

  it('offers a controller confirming only with SCA enrolled and outside dual control', () => {
    expect(viewerActions(actor(['CONTROLLER']), facts('PENDING_CONFIRMATION'))).toContain('CONFIRM');
    expect(viewerActions(actor(['CONTROLLER'], 'u1', false), facts('PENDING_CONFIRMATION'))).not.toContain('CONFIRM');
    const own = facts('PENDING_CONFIRMATION', { buyer: { requireDualControl: true }, run: { status: 'PENDING_CONFIRMATION', createdById: 'u1', confirmedById: null } });
    expect(viewerActions(actor(['CONTROLLER', 'CREATOR']), own)).not.toContain('CONFIRM');
  });

  it('lets only the confirming controller answer the challenge', () => {
    expect(viewerActions(actor(['CONTROLLER'], 'u1'), facts('PENDING_CHALLENGE'))).toEqual(['VERIFY_CHALLENGE', 'CANCEL']);
    expect(viewerActions(actor(['CONTROLLER'], 'u2'), facts('PENDING_CHALLENGE'))).toEqual(['CANCEL']);
  });

  it('offers funding once, then authorising while a batch is open without an attempt', () => {
    expect(viewerActions(actor(['CONTROLLER']), facts('PENDING_FUNDING'))).toEqual(['CANCEL', 'FUND']);
    const funded = (batches: PermissionFacts['batches']) => facts('PENDING_FUNDING', { fundingGroupCount: 1, batches });
    expect(viewerActions(actor(['CONTROLLER']), funded([{ status: 'OPEN', activeAttempts: 0 }]))).toEqual(['CANCEL', 'AUTHORISE_BATCHES']);
    expect(viewerActions(actor(['CONTROLLER']), funded([{ status: 'OPEN', activeAttempts: 1 }]))).toEqual(['CANCEL']);
    expect(viewerActions(actor(['CONTROLLER']), funded([{ status: 'PROCESSING', activeAttempts: 0 }]))).toEqual(['CANCEL']);
  });

  it('offers nothing on a concluded run', () => {
    for (const status of ['COMPLETED', 'COMPLETED_WITH_ERRORS', 'CANCELLED', 'INVALID'] as const) {
      expect(viewerActions(actor(['ADMIN', 'CREATOR', 'CONTROLLER']), facts(status))).toEqual([]);
    }
  });
});
