/**
 * The building blocks every payment-run transition is made of: lock the run row (which serialises
 * all commands and jobs on one run), move it through its state machine with a StatusChange row, and
 * let its payables follow in one statement. Raw SQL here is not tenant-scoped by the client, so
 * every statement names buyer_id itself.
 */
import { payableStatusForRun } from '../derived-status.ts';
import { notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import type { PayableStatus, PaymentRunStatus } from '../shared/statuses.ts';
import type { UnitOfWork } from '../shared/unit-of-work.ts';
import { moveAll, writeStatus } from '../status-writer.ts';
import type { RunCurrency } from './payment-run.validation.ts';
import { PAYMENT_RUN_ACTIONS } from './payment-run.states.ts';

export const CHALLENGE_TTL_MS = 5 * 60_000;
export const CHALLENGE_ATTEMPTS = 3;

/** The run as read under its row lock, with the one buyer setting its rules need. */
export interface LockedRun {
  readonly id: string;
  readonly buyerId: string;
  readonly status: PaymentRunStatus;
  readonly currency: RunCurrency;
  readonly createdById: string;
  readonly confirmedById: string | null;
  readonly challengeExpiresAt: Date | null;
  readonly challengeAttemptsRemaining: number | null;
  /** restartPaymentRun calls so far (CONTRACT §7: at most 3). */
  readonly restartCount: number;
  readonly totalAmount: bigint;
  readonly payableCount: number;
  readonly requireDualControl: boolean;
}

/** Columns a transition may set besides the status; statusReason is cleared unless given. */
export interface RunChanges {
  statusReason?: string | null;
  confirmedById?: string | null;
  challengeExpiresAt?: Date | null;
  challengeAttemptsRemaining?: number | null;
  restartCount?: number;
  totalAmount?: bigint;
  payableCount?: number;
}

export const freshChallenge = (now: Date): RunChanges => ({
  challengeExpiresAt: new Date(now.getTime() + CHALLENGE_TTL_MS),
  challengeAttemptsRemaining: CHALLENGE_ATTEMPTS,
});

/** The challenge exists only while PENDING_CHALLENGE; leaving that state clears it. */
export const NO_CHALLENGE: RunChanges = { challengeExpiresAt: null, challengeAttemptsRemaining: null };

interface RunRow {
  id: string;
  buyer_id: string;
  status: PaymentRunStatus;
  currency: RunCurrency;
  created_by_id: string;
  confirmed_by_id: string | null;
  challenge_expires_at: Date | string | null;
  challenge_attempts_remaining: number | null;
  restart_count: number;
  total_amount: bigint | number | string;
  payable_count: number;
  require_dual_control: boolean;
}

/**
 * SELECT … FOR UPDATE: waits for any transaction holding the run, then returns its committed
 * state — so checks made on the result cannot race. With `skipLocked` a busy run reads as absent
 * (background jobs leave it for their next pass). Foreign and malformed ids read as absent too.
 */
export async function lockRun(uow: UnitOfWork, id: string, options: { skipLocked?: boolean } = {}): Promise<LockedRun | null> {
  if (!isUuid(id)) return null;
  const rows = await uow.tx.$queryRawUnsafe<RunRow[]>(
    `SELECT r.id, r.buyer_id, r.status::text AS status, r.currency::text AS currency, r.created_by_id, r.confirmed_by_id,
            r.challenge_expires_at, r.challenge_attempts_remaining, r.restart_count, r.total_amount, r.payable_count, b.require_dual_control
       FROM payment_runs r JOIN buyers b ON b.id = r.buyer_id
      WHERE r.id = $1::uuid AND r.buyer_id = $2::uuid
      FOR UPDATE OF r${options.skipLocked ? ' SKIP LOCKED' : ''}`,
    id,
    uow.buyerId,
  );
  const row = rows[0];
  if (!row) return null;
  return {
    id: row.id,
    buyerId: row.buyer_id,
    status: row.status,
    currency: row.currency,
    createdById: row.created_by_id,
    confirmedById: row.confirmed_by_id,
    challengeExpiresAt: row.challenge_expires_at === null ? null : new Date(row.challenge_expires_at),
    challengeAttemptsRemaining: row.challenge_attempts_remaining === null ? null : Number(row.challenge_attempts_remaining),
    restartCount: Number(row.restart_count),
    totalAmount: BigInt(row.total_amount),
    payableCount: Number(row.payable_count),
    requireDualControl: row.require_dual_control,
  };
}

export async function lockRunOrThrow(uow: UnitOfWork, id: string): Promise<LockedRun> {
  const run = await lockRun(uow, id);
  if (!run) throw notFound('PaymentRun');
  return run;
}

/** One run transition through the status writer: table check, update (updated_at via Prisma's @updatedAt), StatusChange row. */
export async function moveRun(uow: UnitOfWork, run: LockedRun, to: PaymentRunStatus, action: string, changes: RunChanges = {}): Promise<LockedRun> {
  await writeStatus(uow, 'PAYMENT_RUN', { id: run.id, paymentRunId: run.id, status: run.status }, to, action, { statusReason: null, ...changes });
  return { ...run, ...withoutReason(changes), status: to };
}

const withoutReason = ({ statusReason: _, ...rest }: RunChanges) => rest;

/**
 * A run transition before funding, with its payables following (CONTRACT.md §4 "Derived statuses",
 * payableStatusForRun). Only payables in the run's old follow-status move: one cancelled on its own
 * stays CANCELLED.
 */
export async function moveRunWithPayables(
  uow: UnitOfWork, run: LockedRun, to: PaymentRunStatus, action: string, changes: RunChanges = {}, payableReason: string | null = null,
): Promise<LockedRun> {
  const moved = await moveRun(uow, run, to, action, changes);
  const from = payableStatusForRun(run.status);
  const target = payableStatusForRun(to);
  if (from && target && from !== target) await movePayablesWithRun(uow, run.id, from, target, payableReason);
  return moved;
}

/**
 * Moves every payable of the run that is in `from` to `to` in one statement (the status writer's
 * moveAll), one change per row in position order. `statusReason` fills only an empty reason (a more
 * specific one, such as AC01, stays).
 */
export async function movePayablesWithRun(
  uow: UnitOfWork, runId: string, from: PayableStatus | readonly PayableStatus[], to: PayableStatus, statusReason: string | null = null,
): Promise<number> {
  const fromList: PayableStatus[] = typeof from === 'string' ? [from] : [...from];
  return (await moveAll(uow, 'PAYABLE', runId, { all: true }, fromList, to, statusReason)).length;
}

export const CHALLENGE_EXPIRED = 'SCA challenge expired';

/** 3rd wrong code or expiry: the payables follow to SCA_FAILED and the challenge is gone. */
export const failChallenge = (uow: UnitOfWork, run: LockedRun, reason: string) =>
  moveRunWithPayables(uow, run, PAYMENT_RUN_ACTIONS.failChallenge.to, 'fail an SCA challenge', { ...NO_CHALLENGE, statusReason: reason });

/** Runs' own columns change outside status transitions too (edits, attempts): keep updated_at honest. */
export async function touchRun(uow: UnitOfWork, runId: string, changes: Pick<RunChanges, 'challengeAttemptsRemaining' | 'totalAmount' | 'payableCount'> = {}): Promise<void> {
  await uow.tx.paymentRun.update({ where: { id: runId }, data: { ...changes, updatedAt: new Date() }, select: { id: true } });
}
