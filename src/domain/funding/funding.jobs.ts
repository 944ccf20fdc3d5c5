/**
 * Timers on funding, for the job runner (src/jobs). As in payment-run.jobs.ts, candidates are peeked
 * across buyers without a lock, then each is claimed in its own transaction with FOR UPDATE SKIP
 * LOCKED (run first, then the attempt) and re-checked: two instances never time out the same attempt,
 * a busy one waits for the next poll, and a crash leaves it due.
 */
import { attemptRows, notSetAside } from '../shared/job-attempts.ts';
import { inTransaction, type DomainDeps } from '../shared/unit-of-work.ts';
import { lockRun } from '../payment-run/payment-run.transitions.ts';
import { moveAttempt } from './authorisation.commands.ts';
import { AUTHORISATION_ACTIONS, isActiveAttempt } from './funding.states.ts';
import { lockAttempt } from './funding.store.ts';

/** Task name under which failing attempts are set aside (shared/job-attempts.ts). */
export const AUTHORISATION_TIMEOUT_ROWS = 'authorisation-timeout';

export interface RunCandidate { id: string; buyer_id: string; payment_run_id: string }

/** Attempts not concluded within 10 minutes → TIMED_OUT; their batches are OPEN again. Returns how many. */
export async function timeOutAuthorisations(deps: DomainDeps, limit = 100): Promise<number> {
  const candidates = await deps.prisma.$queryRawUnsafe<RunCandidate[]>(
    `SELECT id, buyer_id, payment_run_id FROM authorisations
      WHERE status = ANY($1::text[]::"AuthorisationStatus"[]) AND expires_at <= $2::timestamptz AND ${notSetAside('id', 4, 2)}
      ORDER BY expires_at LIMIT $3`,
    AUTHORISATION_ACTIONS.timeOut.from, deps.now(), limit, AUTHORISATION_TIMEOUT_ROWS,
  );
  return attemptRows(deps, AUTHORISATION_TIMEOUT_ROWS, candidates, (c) => inTransaction(deps, c.buyer_id, null, async (uow) => {
    const run = await lockRun(uow, c.payment_run_id, { skipLocked: true });
    const attempt = run && (await lockAttempt(uow, c.id, true));
    if (!attempt || !isActiveAttempt(attempt.status) || attempt.expiresAt > deps.now()) return 0;
    await moveAttempt(uow, attempt, [AUTHORISATION_ACTIONS.timeOut.to]);
    return 1;
  }));
}
