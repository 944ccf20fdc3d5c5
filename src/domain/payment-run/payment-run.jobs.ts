/**
 * Background work on payment runs, for the job runners in src/jobs (poll, plus a kick from
 * deps.onWorkQueued). Both functions are safe with several gateway instances and after crashes:
 *
 * - Candidates are peeked across all buyers without a lock, then each run is claimed inside the
 *   transaction that processes it with `FOR UPDATE SKIP LOCKED`, re-checking its status. Two
 *   instances therefore never process the same run (one skips it while the other holds it, and
 *   once committed it no longer qualifies), and a crash rolls back to a run that still qualifies
 *   for the next poll. The claim cannot be one cross-buyer `LIMIT n … SKIP LOCKED`: a transaction
 *   here belongs to one buyer, whose event log it writes.
 * - A run that fails is retried with backoff and, after repeated failures, parked
 *   (shared/job-attempts.ts): candidates skip runs set aside, so bad runs cannot stall the queue.
 */
import { isAccountMissing } from '../ports.ts';
import { attemptRows, notSetAside } from '../shared/job-attempts.ts';
import { startsFrom } from '../shared/state-machine.ts';
import { inTransaction, type DomainDeps } from '../shared/unit-of-work.ts';
import { PAYMENT_RUN_ACTIONS } from './payment-run.states.ts';
import { storeValidationOutcomes } from './payable.store.ts';
import { CHALLENGE_EXPIRED, failChallenge, lockRun, moveRunWithPayables } from './payment-run.transitions.ts';

/** Positions named in an INVALID run's statusReason; the rest are counted ("and 3 more"). */
const MAX_POSITIONS_IN_REASON = 20;
const ACCOUNT_MISSING_REASON = 'Account does not exist (Confirmation of Payee AC01)';

interface Candidate { id: string; buyer_id: string }

/** Task names under which failing rows are set aside (src/domain/shared/job-attempts.ts). */
export const VALIDATION_ROWS = 'payment-run-validation';
export const CHALLENGE_EXPIRY_ROWS = 'sca-challenge-expiry';

const processed = (done: boolean) => (done ? 1 : 0);

export function invalidRunReason(positions: readonly number[]): string {
  const shown = positions.slice(0, MAX_POSITIONS_IN_REASON).join(', ');
  const more = positions.length > MAX_POSITIONS_IN_REASON ? ` and ${positions.length - MAX_POSITIONS_IN_REASON} more` : '';
  return `Account does not exist (AC01) for payable${positions.length === 1 ? '' : 's'} at position${positions.length === 1 ? '' : 's'} ${shown}${more}`;
}

interface PayeeRow {
  id: string;
  position: number;
  currency: 'GBP' | 'EUR';
  account_number: string | null;
  supplier_type: 'PERSONAL' | 'BUSINESS' | null;
  supplier_name: string;
}

/**
 * Validates QUEUED runs (oldest first): Confirmation of Payee for the whole run in one batched call
 * made outside any transaction, outcomes stored, then the run moves to PENDING_CONFIRMATION — or INVALID when any account does not exist, its payables then
 * CANCELLED. Returns how many runs were validated.
 */
export async function validateQueuedRuns(deps: DomainDeps, limit = 5): Promise<number> {
  const { validate, invalidate } = PAYMENT_RUN_ACTIONS;
  const candidates = await deps.prisma.$queryRawUnsafe<Candidate[]>(
    `SELECT id, buyer_id FROM payment_runs WHERE status::text = ANY($2::text[]) AND ${notSetAside('id', 3, 4)} ORDER BY id LIMIT $1`,
    limit, validate.from, VALIDATION_ROWS, deps.now(),
  );
  return attemptRows(deps, VALIDATION_ROWS, candidates, async (c) => {
    // The payees are read and checked with no lock held (a provider may be slow); a QUEUED run's
    // payables cannot change. The answers are applied under the run's lock, only if it is still
    // QUEUED (it may have been cancelled, or validated by another instance, meanwhile).
    const payables = await deps.prisma.$queryRawUnsafe<PayeeRow[]>(
      `SELECT id, position, currency::text AS currency, account_number, supplier_type::text AS supplier_type, supplier_name
         FROM payables WHERE payment_run_id = $1::uuid AND buyer_id = $2::uuid ORDER BY position`,
      c.id, c.buyer_id,
    );
    const outcomes = await deps.payeeCheck.check(payables.map((p) => ({
      currency: p.currency, accountNumber: p.account_number, supplierType: p.supplier_type, supplierName: p.supplier_name,
    })));
    return processed(await inTransaction(deps, c.buyer_id, null, async (uow) => {
      const run = await lockRun(uow, c.id, { skipLocked: true });
      if (!run || !startsFrom(validate, run.status)) return false;
      const rows = [];
      const missing: number[] = [];
      for (const [i, p] of payables.entries()) {
        const outcome = outcomes[i];
        if (!outcome) continue;
        const absent = isAccountMissing(outcome);
        if (absent) missing.push(Number(p.position));
        rows.push({ id: p.id, outcome, reason: absent ? ACCOUNT_MISSING_REASON : null });
      }
      await storeValidationOutcomes(uow, run.id, rows);
      if (missing.length > 0) {
        await moveRunWithPayables(uow, run, invalidate.to, 'validate a payment run',
          { statusReason: invalidRunReason(missing) }, `Payment run is ${invalidate.to}`);
      } else {
        await moveRunWithPayables(uow, run, validate.to, 'validate a payment run');
      }
      return true;
    }));
  });
}

/**
 * Moves runs whose SCA challenge has expired to SCA_FAILED (payables follow), so a run does not sit
 * in PENDING_CHALLENGE after its challenge is gone. A run a controller is answering right now is
 * locked and skipped; verifyPaymentRunChallenge applies the same expiry itself.
 */
export async function expireChallenges(deps: DomainDeps, limit = 100): Promise<number> {
  const expire = PAYMENT_RUN_ACTIONS.expireChallenge;
  const candidates = await deps.prisma.$queryRawUnsafe<Candidate[]>(
    `SELECT id, buyer_id FROM payment_runs
      WHERE status::text = ANY($3::text[]) AND challenge_expires_at <= $1::timestamptz AND ${notSetAside('id', 4, 1)}
      ORDER BY challenge_expires_at LIMIT $2`,
    deps.now(),
    limit,
    expire.from,
    CHALLENGE_EXPIRY_ROWS,
  );
  return attemptRows(deps, CHALLENGE_EXPIRY_ROWS, candidates, async (c) => processed(await inTransaction(deps, c.buyer_id, null, async (uow) => {
    const run = await lockRun(uow, c.id, { skipLocked: true });
    const expired = !!run && startsFrom(expire, run.status) && (run.challengeExpiresAt === null || run.challengeExpiresAt <= deps.now());
    if (!run || !expired) return false;
    await failChallenge(uow, run, CHALLENGE_EXPIRED);
    return true;
  })));
}
