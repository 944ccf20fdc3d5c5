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
import { enforce, scaFor } from '../payment-run/payment-run.policy.ts';
import { lockRunOrThrow } from '../payment-run/payment-run.transitions.ts';
import { canAuthoriseBatch, canCancelAuthorisation, sandboxOnly } from './funding.policy.ts';
import { moveAll, recordCreated, writeStatus } from '../status-writer.ts';
import {
  ACTIVE_ATTEMPT_STATUSES, ATTEMPT_FAILURE_REASONS, AUTHORISATION_ACTIONS, BATCH_ACTIONS, AUTHORISATION_OUTCOMES, AUTHORISATION_TTL_MS,
  isActiveAttempt, type AuthorisationOutcome,
} from './funding.states.ts';
import { lockAttempt, lockAttemptsOfBatch, lockBatch, runOf, type LockedAttempt } from './funding.store.ts';

export { AuthorisationOutcome } from './funding.states.ts';

/** Where the user would approve at the (sandbox) bank. */
export const sandboxRedirectUrl = (attemptId: string) => `https://sandbox-bank.example/authorise/${attemptId}`;

/** The statuses an outcome walks the attempt through (AUTHORISATION_OUTCOMES); INVALID_STATE when it does not apply now. */
export function outcomePath(attempt: Pick<LockedAttempt, 'status' | 'requiresMultiAuth'>, outcome: AuthorisationOutcome): AuthorisationStatus[] {
  const rule = AUTHORISATION_OUTCOMES[outcome];
  const path = (attempt.requiresMultiAuth ? rule.multiAuthPaths?.[attempt.status] : undefined) ?? rule.paths[attempt.status];
  if (path) return [...path];
  if (rule.otherwise) return [rule.otherwise];
  throw invalidState(attempt.status, rule.verb);
}

/** Each step checked against the table and logged, one update for the attempt row (the status writer). */
export async function moveAttempt(uow: UnitOfWork, attempt: LockedAttempt, path: readonly AuthorisationStatus[], reason?: string): Promise<LockedAttempt> {
  const to = path.at(-1) ?? attempt.status;
  const status = await writeStatus(uow, 'AUTHORISATION', attempt, path, (step) => `move an authorisation to ${step}`, {
    failureReason: reason ?? ATTEMPT_FAILURE_REASONS[to] ?? null,
  });
  return { ...attempt, status };
}

const isDue = (attempt: LockedAttempt, now: Date) => isActiveAttempt(attempt.status) && attempt.expiresAt <= now;

/** Every attempt under way in a run → CANCELLED (run cancellation); their batches are re-derived. */
export async function cancelActiveAttempts(uow: UnitOfWork, runId: string, reason: string): Promise<void> {
  const cancel = AUTHORISATION_ACTIONS.cancelWithRun;
  await moveAll(uow, 'AUTHORISATION', runId, { all: true }, cancel.from, cancel.to, reason);
}

/** CONTROLLER, SCA enrolled: a new attempt for an OPEN batch; the batch derives USER_INITIATION_IN_PROGRESS. */
export async function authoriseBatch(deps: DomainDeps, actor: Actor, batchId: string): Promise<{ id: string }> {
  enforce(scaFor(BATCH_ACTIONS.authorise, actor));
  return inTransaction(deps, actor.buyerId, actor.userId, async (uow) => {
    const runId = await runOf(uow, 'batches', batchId);
    if (!runId) throw notFound('Batch');
    const run = await lockRunOrThrow(uow, runId);
    await lockBatch(uow, batchId);
    const now = deps.now();
    const active = await lockAttemptsOfBatch(uow, batchId, ACTIVE_ATTEMPT_STATUSES);
    const expired = active.filter((a) => isDue(a, now));
    for (const attempt of expired) await moveAttempt(uow, attempt, [AUTHORISATION_ACTIONS.timeOut.to]);
    // The rule below reads the batch's derived status, which a time-out just changed.
    await uow.settle();
    const batch = await lockBatch(uow, batchId);
    enforce(canAuthoriseBatch(actor, { status: batch.status, activeAttempts: active.length - expired.length }, run));

    const id = uuidv7();
    await uow.tx.authorisation.create({
      data: {
        id, buyerId: uow.buyerId, paymentRunId: runId, batchId, status: AUTHORISATION_ACTIONS.start.to, initiatedById: actor.userId,
        redirectUrl: sandboxRedirectUrl(id), expiresAt: new Date(now.getTime() + AUTHORISATION_TTL_MS),
      },
      select: { id: true },
    });
    recordCreated(uow, 'AUTHORISATION', runId, [id], AUTHORISATION_ACTIONS.start.to);
    uow.touch({ runId, batchIds: [batchId] });
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
      const timedOut = await moveAttempt(uow, attempt, [AUTHORISATION_ACTIONS.timeOut.to]);
      return onExpired(timedOut);
    }
    await work(uow, attempt);
    return null;
  });
  if (failure) throw failure;
  return { id: attemptId };
}

/** CONTROLLER: stops an attempt not yet concluded; the batch is OPEN again. */
export function cancelAuthorisation(deps: DomainDeps, actor: Actor, attemptId: string): Promise<{ id: string }> {
  return onAttempt(deps, actor, attemptId, async (uow, attempt) => {
    enforce(canCancelAuthorisation(attempt));
    await moveAttempt(uow, attempt, [AUTHORISATION_ACTIONS.cancel.to], 'Cancelled by the user');
  }, (timedOut) => canCancelAuthorisation(timedOut));
}

/** Sandbox: plays the bank's answer to an attempt. */
export function simulateAuthorisationOutcome(deps: DomainDeps, actor: Actor, attemptId: string, outcome: AuthorisationOutcome): Promise<{ id: string }> {
  enforce(sandboxOnly(deps));
  return onAttempt(deps, actor, attemptId, async (uow, attempt) => {
    await moveAttempt(uow, attempt, outcomePath(attempt, outcome), outcome === 'CANCEL' ? 'Cancelled at the bank' : undefined);
  }, (timedOut) => (outcome === 'TIME_OUT' ? null : invalidState(timedOut.status, 'conclude an authorisation')));
}
