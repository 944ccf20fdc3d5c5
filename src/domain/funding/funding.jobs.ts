/**
 * Timers on funding, for the job runner (src/jobs). As in payment-run.jobs.ts, candidates are peeked
 * across buyers without a lock, then each is claimed in its own transaction with FOR UPDATE SKIP
 * LOCKED (run first, then the attempt) and re-checked: two instances never time out the same attempt,
 * a busy one waits for the next poll, and a crash leaves it due.
 */
import { inTransaction, type DomainDeps } from '../shared/unit-of-work.ts';
import { lockRun } from '../payment-run/payment-run.transitions.ts';
import { moveAttempt } from './authorisation.commands.ts';
import { AUTHORISATION_ACTIONS, isActiveAttempt } from './funding.states.ts';
import { lockAttempt } from './funding.store.ts';

export interface RunCandidate { id: string; buyer_id: string; payment_run_id: string }

/** Runs `work` for each candidate; failures are reported after the others were tried, so one cannot stall the rest. */
export async function forEachClaim<C>(candidates: readonly C[], work: (candidate: C) => Promise<number>): Promise<number> {
  let done = 0;
  const errors: unknown[] = [];
  for (const candidate of candidates) {
    try {
      done += await work(candidate);
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} claims failed (${done} done)`);
  return done;
}

/** Attempts not concluded within 10 minutes → TIMED_OUT; their batches are OPEN again. Returns how many. */
export async function timeOutAuthorisations(deps: DomainDeps, limit = 100): Promise<number> {
  const candidates = await deps.prisma.$queryRawUnsafe<RunCandidate[]>(
    `SELECT id, buyer_id, payment_run_id FROM authorisations
      WHERE status = ANY($1::text[]::"AuthorisationStatus"[]) AND expires_at <= $2::timestamptz
      ORDER BY expires_at LIMIT $3`,
    AUTHORISATION_ACTIONS.timeOut.from, deps.now(), limit,
  );
  return forEachClaim(candidates, (c) => inTransaction(deps, c.buyer_id, null, async (uow) => {
    const run = await lockRun(uow, c.payment_run_id, { skipLocked: true });
    const attempt = run && (await lockAttempt(uow, c.id, true));
    if (!attempt || !isActiveAttempt(attempt.status) || attempt.expiresAt > deps.now()) return 0;
    await moveAttempt(uow, attempt, [AUTHORISATION_ACTIONS.timeOut.to]);
    return 1;
  }));
}
