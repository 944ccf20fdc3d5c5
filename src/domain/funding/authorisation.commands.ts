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
import { badUserInput, FieldError, notFound, invalidState, type DomainError } from '../shared/errors.ts';
import { isUuid, uuidv7 } from '../shared/ids.ts';
import type { BankAuthorisationRequest, BankAuthorisationStart } from '../ports.ts';
import type { AuthorisationStatus } from '../shared/statuses.ts';
import { inTransaction, type DomainDeps, type UnitOfWork } from '../shared/unit-of-work.ts';
import { enforce, scaFor } from '../payment-run/payment-run.policy.ts';
import { lockRunOrThrow, type LockedRun } from '../payment-run/payment-run.transitions.ts';
import { MAX_PAYABLES_PER_RUN } from '../payment-run/payment-run.validation.ts';
import { canAuthoriseBatch, canCancelAuthorisation } from './funding.policy.ts';
import { moveAll, recordCreated, writeStatus } from '../status-writer.ts';
import {
  ACTIVE_ATTEMPT_STATUSES, ATTEMPT_FAILURE_REASONS, AUTHORISATION_ACTIONS, BATCH_ACTIONS, AUTHORISATION_OUTCOMES, AUTHORISATION_TTL_MS,
  isActiveAttempt, type AuthorisationOutcome,
} from './funding.states.ts';
import { distinct, lockAttempt, lockAttemptsOfBatch, lockBatch, runOf, type LockedAttempt } from './funding.store.ts';

export { AuthorisationOutcome } from './funding.states.ts';

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
  const [attempt] = await authoriseBatches(deps, actor, [batchId]);
  return attempt!;
}

/** Batches one authoriseBatches call may name: a run has at most one batch per payable. */
export const MAX_BATCHES_PER_CALL = MAX_PAYABLES_PER_RUN;

interface StartedAttempt { id: string; request: BankAuthorisationRequest }

/**
 * CONTROLLER, SCA enrolled: a new attempt for each named batch, all or nothing under the rules of
 * authoriseBatch. Three steps, so the bank is never called under a row lock: the attempts are
 * created (USER_AUTHORISING, logged) in one transaction; the bank is asked to start them, in one
 * batched call; its redirect URLs and references are stored. If the bank fails, the attempts it
 * did not start are FAILED (their batches OPEN again) and the error is reported.
 */
export async function authoriseBatches(deps: DomainDeps, actor: Actor, batchIds: readonly string[]): Promise<{ id: string }[]> {
  enforce(scaFor(BATCH_ACTIONS.authorise, actor));
  const ids = requireBatchIds(batchIds);
  const started = await inTransaction(deps, actor.buyerId, actor.userId, (uow) => createAttempts(uow, deps.now(), actor, ids));
  let answers: BankAuthorisationStart[];
  try {
    answers = await deps.bank.startAuthorisations(started.map((s) => s.request));
  } catch (error) {
    await inTransaction(deps, actor.buyerId, actor.userId, async (uow) => {
      const failed = AUTHORISATION_ACTIONS.failToStart;
      for (const runId of distinct(started, (s) => s.request.paymentRunId).sort()) {
        await lockRunOrThrow(uow, runId);
        const ids = started.filter((s) => s.request.paymentRunId === runId).map((s) => s.id);
        await moveAll(uow, 'AUTHORISATION', runId, { column: 'id', ids }, failed.from, failed.to, BANK_START_FAILED);
      }
    });
    throw error;
  }
  // Not a status change: whatever happened to the attempts meanwhile, these facts stay true.
  await inTransaction(deps, actor.buyerId, actor.userId, (uow) => uow.tx.$executeRawUnsafe(
    `UPDATE authorisations a SET redirect_url = v.url, provider_reference = v.ref
       FROM unnest($2::uuid[], $3::text[], $4::text[]) AS v(id, url, ref)
      WHERE a.id = v.id AND a.buyer_id = $1::uuid`,
    uow.buyerId, started.map((s) => s.id), answers.map((a) => a.redirectUrl), answers.map((a) => a.providerReference),
  ));
  return started.map((s) => ({ id: s.id }));
}

const BANK_START_FAILED = 'The bank could not start the authorisation';

function requireBatchIds(batchIds: readonly string[]): string[] {
  if (batchIds.length === 0) throw badUserInput([{ fieldName: 'batchIds', error: FieldError.SIZE, params: { min: 1 } }]);
  if (batchIds.length > MAX_BATCHES_PER_CALL) {
    throw badUserInput([{ fieldName: 'batchIds', error: FieldError.SIZE, params: { max: MAX_BATCHES_PER_CALL } }]);
  }
  const seen = new Set<string>();
  const duplicates = batchIds.flatMap((id, i) => (seen.has(id) ? [{ fieldName: `batchIds[${i}]`, error: FieldError.IN, params: { reason: 'DUPLICATE' } }] : (seen.add(id), [])));
  if (duplicates.length) throw badUserInput(duplicates, 'Each batch may be named once');
  return [...seen];
}

/** Runs locked in id order (no deadlock between two calls naming the same runs), then each batch as authoriseBatch checks it. */
async function createAttempts(uow: UnitOfWork, now: Date, actor: Actor, batchIds: readonly string[]): Promise<StartedAttempt[]> {
  const batches = await uow.tx.$queryRawUnsafe<{ id: string; payment_run_id: string; currency: 'GBP' | 'EUR'; total_amount: bigint | string; payable_count: number }[]>(
    `SELECT id, payment_run_id, currency::text AS currency, total_amount, payable_count FROM batches
      WHERE buyer_id = $1::uuid AND id = ANY($2::uuid[])`,
    uow.buyerId, batchIds.filter(isUuid),
  );
  const byId = new Map(batches.map((b) => [b.id, b]));
  if (batchIds.some((id) => !byId.has(id))) throw notFound('Batch');
  const runs = new Map<string, LockedRun>();
  for (const runId of distinct([...batches].sort((a, b) => (a.payment_run_id < b.payment_run_id ? -1 : 1)), (b) => b.payment_run_id)) {
    runs.set(runId, await lockRunOrThrow(uow, runId));
  }
  const started: StartedAttempt[] = [];
  for (const batchId of batchIds) {
    const row = byId.get(batchId)!;
    const run = runs.get(row.payment_run_id)!;
    const locked = await lockBatch(uow, batchId);
    const active = await lockAttemptsOfBatch(uow, batchId, ACTIVE_ATTEMPT_STATUSES);
    const expired = active.filter((a) => isDue(a, now));
    for (const attempt of expired) await moveAttempt(uow, attempt, [AUTHORISATION_ACTIONS.timeOut.to]);
    // The rule below reads the batch's derived status, which a time-out just changed.
    if (expired.length > 0) await uow.settle();
    const batch = expired.length > 0 ? await lockBatch(uow, batchId) : locked;
    enforce(canAuthoriseBatch(actor, { status: batch.status, activeAttempts: active.length - expired.length }, run));
    const id = uuidv7();
    started.push({
      id,
      request: {
        authorisationId: id, buyerId: uow.buyerId, paymentRunId: run.id, batchId, currency: row.currency,
        totalAmount: BigInt(row.total_amount), payableCount: row.payable_count,
      },
    });
  }
  const expiresAt = new Date(now.getTime() + AUTHORISATION_TTL_MS);
  await uow.tx.authorisation.createMany({
    data: started.map(({ id, request }) => ({
      id, buyerId: uow.buyerId, paymentRunId: request.paymentRunId, batchId: request.batchId,
      status: AUTHORISATION_ACTIONS.start.to, initiatedById: actor.userId, expiresAt,
    })),
  });
  for (const { id, request } of started) {
    recordCreated(uow, 'AUTHORISATION', request.paymentRunId, [id], AUTHORISATION_ACTIONS.start.to);
    uow.touch({ runId: request.paymentRunId, batchIds: [request.batchId] });
  }
  return started;
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
