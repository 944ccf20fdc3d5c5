/**
 * Authorising batches at the payer's bank (CONTRACT.md §4 "Funding"). One attempt at a time per
 * batch; after FAILED, CANCELLED or TIMED_OUT the batch is OPEN again and a new attempt may start.
 *
 * Decisions the contract leaves open:
 * - CREATED is never stored: the log shows null → USER_AUTHORISING (see funding.states.ts).
 * - The sandbox bank answers APPROVE at once: USER_AUTHORISING → BANK_AUTHORISING → PROCESSED in one
 *   transaction, both changes logged. At a multi-auth bank APPROVE is the first signatory's approval
 *   (USER_AUTHORISING → AWAITING_MULTI_AUTH); SECOND_SIGNATORY_APPROVE then concludes it.
 * - An attempt past its 10 minutes is TIMED_OUT by whoever touches it first — the timer job, or a
 *   command on it, which then commits the time-out and answers INVALID_STATE (currentStatus TIMED_OUT).
 * - authoriseBatch accepts a run that is PENDING_FUNDING or EXECUTING (funding.policy.ts).
 */
import type { Actor } from '../shared/actor.ts';
import { notFound, invalidState, type DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import type { AuthorisationStatus } from '../shared/statuses.ts';
import { inTransaction, type DomainDeps, type UnitOfWork } from '../shared/unit-of-work.ts';
import { enforce, scaEnrolment } from '../payment-run/payment-run.policy.ts';
import { lockRunOrThrow } from '../payment-run/payment-run.transitions.ts';
import { canAuthoriseBatch, canCancelAuthorisation, sandboxOnly } from './funding.policy.ts';
import { recomputeDerived } from './funding.recompute.ts';
import { ACTIVE_ATTEMPT_STATUSES, AUTHORISATION_TTL_MS, authorisationStates, isActiveAttempt } from './funding.states.ts';
import { lockAttempt, lockAttemptsOfBatch, lockBatch, runOf, type LockedAttempt } from './funding.store.ts';

export const AuthorisationOutcome = {
  APPROVE: 'APPROVE',
  SECOND_SIGNATORY_APPROVE: 'SECOND_SIGNATORY_APPROVE',
  REJECT: 'REJECT',
  CANCEL: 'CANCEL',
  TIME_OUT: 'TIME_OUT',
} as const;
export type AuthorisationOutcome = keyof typeof AuthorisationOutcome;

const FAILURE_REASONS: Partial<Record<AuthorisationStatus, string>> = {
  FAILED: 'Rejected at the bank',
  TIMED_OUT: 'Not concluded within 10 minutes',
};

/** Where the user would approve at the (sandbox) bank. */
export const sandboxRedirectUrl = (attemptId: string) => `https://sandbox-bank.example/authorise/${attemptId}`;

/** The statuses an outcome walks the attempt through; INVALID_STATE when it does not apply now. */
export function outcomePath(attempt: Pick<LockedAttempt, 'status' | 'requiresMultiAuth'>, outcome: AuthorisationOutcome): AuthorisationStatus[] {
  const { status } = attempt;
  switch (outcome) {
    case 'APPROVE':
      if (status === 'USER_AUTHORISING') return attempt.requiresMultiAuth ? ['AWAITING_MULTI_AUTH'] : ['BANK_AUTHORISING', 'PROCESSED'];
      if (status === 'BANK_AUTHORISING') return ['PROCESSED'];
      throw invalidState(status, 'approve an authorisation');
    case 'SECOND_SIGNATORY_APPROVE':
      if (status === 'AWAITING_MULTI_AUTH') return ['PROCESSED'];
      throw invalidState(status, 'approve an authorisation as second signatory');
    case 'REJECT':
      return ['FAILED'];
    case 'CANCEL':
      return ['CANCELLED'];
    case 'TIME_OUT':
      return ['TIMED_OUT'];
  }
}

/** Each step checked against the table and logged; one update for the attempt row. */
export async function moveAttempt(uow: UnitOfWork, attempt: LockedAttempt, path: readonly AuthorisationStatus[], reason?: string): Promise<LockedAttempt> {
  let from = attempt.status;
  for (const to of path) {
    authorisationStates.assertTransition(from, to, `move an authorisation to ${to}`);
    uow.record({ entityType: 'AUTHORISATION', entityId: attempt.id, paymentRunId: attempt.paymentRunId, fromStatus: from, toStatus: to });
    from = to;
  }
  await uow.tx.authorisation.update({
    where: { id: attempt.id },
    data: { status: from, failureReason: reason ?? FAILURE_REASONS[from] ?? null },
    select: { id: true },
  });
  return { ...attempt, status: from };
}

const isDue = (attempt: LockedAttempt, now: Date) => isActiveAttempt(attempt.status) && attempt.expiresAt <= now;

/** Every attempt under way in a run → CANCELLED (run cancellation). The caller re-derives. */
export async function cancelActiveAttempts(uow: UnitOfWork, runId: string, reason: string): Promise<void> {
  const rows = await uow.tx.$queryRawUnsafe<{ id: string; old: AuthorisationStatus }[]>(
    `UPDATE authorisations a SET status = 'CANCELLED', failure_reason = $4, updated_at = now()
       FROM (SELECT id, status::text AS old FROM authorisations
              WHERE payment_run_id = $1::uuid AND buyer_id = $2::uuid AND status::text = ANY($3::text[])
              ORDER BY created_at FOR UPDATE) o
      WHERE a.id = o.id
      RETURNING a.id, o.old`,
    runId, uow.buyerId, ACTIVE_ATTEMPT_STATUSES, reason,
  );
  for (const row of rows) authorisationStates.assertTransition(row.old, 'CANCELLED', 'cancel an authorisation');
  uow.recordAll(rows.map((row) => ({
    entityType: 'AUTHORISATION' as const, entityId: row.id, paymentRunId: runId, fromStatus: row.old, toStatus: 'CANCELLED',
  })));
}

/** CONTROLLER, SCA enrolled: a new attempt for an OPEN batch; the batch derives USER_INITIATION_IN_PROGRESS. */
export async function authoriseBatch(deps: DomainDeps, actor: Actor, batchId: string): Promise<{ id: string }> {
  enforce(scaEnrolment(actor));
  return inTransaction(deps, actor.buyerId, actor.userId, async (uow) => {
    const runId = await runOf(uow, 'batches', batchId);
    if (!runId) throw notFound('Batch');
    const run = await lockRunOrThrow(uow, runId);
    await lockBatch(uow, batchId);
    const now = deps.now();
    const active = await lockAttemptsOfBatch(uow, batchId, ACTIVE_ATTEMPT_STATUSES);
    const expired = active.filter((a) => isDue(a, now));
    for (const attempt of expired) await moveAttempt(uow, attempt, ['TIMED_OUT']);
    if (expired.length > 0) await recomputeDerived(uow, { runId, batchIds: [batchId] });
    const batch = await lockBatch(uow, batchId);
    enforce(canAuthoriseBatch(actor, { status: batch.status, activeAttempts: active.length - expired.length }, run));

    const id = uuidv7();
    await uow.tx.authorisation.create({
      data: {
        id, buyerId: uow.buyerId, paymentRunId: runId, batchId, status: 'USER_AUTHORISING', initiatedById: actor.userId,
        redirectUrl: sandboxRedirectUrl(id), expiresAt: new Date(now.getTime() + AUTHORISATION_TTL_MS),
      },
      select: { id: true },
    });
    uow.record({ entityType: 'AUTHORISATION', entityId: id, paymentRunId: runId, fromStatus: null, toStatus: 'USER_AUTHORISING' });
    await recomputeDerived(uow, { runId, batchIds: [batchId] });
    return { id };
  });
}

/**
 * Locks run then attempt and applies `work` — unless the attempt's time is up: then it is TIMED_OUT,
 * that is committed, and the error `work` would have met is thrown after the commit.
 */
async function onAttempt(
  deps: DomainDeps, actor: Actor, attemptId: string,
  work: (uow: UnitOfWork, attempt: LockedAttempt) => Promise<void>,
  onExpired: (attempt: LockedAttempt) => DomainError | null,
): Promise<{ id: string }> {
  const failure = await inTransaction(deps, actor.buyerId, actor.userId, async (uow): Promise<DomainError | null> => {
    const runId = await runOf(uow, 'authorisations', attemptId);
    if (!runId) throw notFound('Authorisation');
    await lockRunOrThrow(uow, runId);
    const attempt = await lockAttempt(uow, attemptId);
    if (!attempt) throw notFound('Authorisation');
    if (isDue(attempt, deps.now())) {
      const timedOut = await moveAttempt(uow, attempt, ['TIMED_OUT']);
      await recomputeDerived(uow, { runId, batchIds: [attempt.batchId] });
      return onExpired(timedOut);
    }
    await work(uow, attempt);
    await recomputeDerived(uow, { runId, batchIds: [attempt.batchId] });
    return null;
  });
  if (failure) throw failure;
  return { id: attemptId };
}

/** CONTROLLER: stops an attempt not yet concluded; the batch is OPEN again. */
export function cancelAuthorisation(deps: DomainDeps, actor: Actor, attemptId: string): Promise<{ id: string }> {
  return onAttempt(deps, actor, attemptId, async (uow, attempt) => {
    enforce(canCancelAuthorisation(attempt));
    await moveAttempt(uow, attempt, ['CANCELLED'], 'Cancelled by the user');
  }, (timedOut) => canCancelAuthorisation(timedOut));
}

/** Sandbox: plays the bank's answer to an attempt. */
export function simulateAuthorisationOutcome(deps: DomainDeps, actor: Actor, attemptId: string, outcome: AuthorisationOutcome): Promise<{ id: string }> {
  enforce(sandboxOnly(deps));
  return onAttempt(deps, actor, attemptId, async (uow, attempt) => {
    await moveAttempt(uow, attempt, outcomePath(attempt, outcome), outcome === 'CANCEL' ? 'Cancelled at the bank' : undefined);
  }, (timedOut) => (outcome === 'TIME_OUT' ? null : invalidState(timedOut.status, 'conclude an authorisation')));
}
