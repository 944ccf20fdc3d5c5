/**
 * The sandbox bank on autopilot (config.autopilot, off by default against PostgreSQL): a sandbox-only
 * command, like the simulate* ones, that src/jobs runs through src/sandbox/autopilot.ts. Whatever has
 * waited `stepDelayMs` since its last change takes the bank's next step —
 *   attempts USER_AUTHORISING → APPROVE, AWAITING_MULTI_AUTH → SECOND_SIGNATORY_APPROVE;
 *   groups AWAITING_FUNDS → funds received;
 *   payables EXECUTING → COMPLETE, or FAIL for a `failureRate` share;
 *   payables COMPLETED → RETURN for a `returnRate` share (each at most once: RETURNED is terminal).
 * It never acts for the buyer: confirming, funding, authorising and cancelling stay with people.
 * Attempts past their 10 minutes are left to the time-out job.
 *
 * Which payables fail or come back is a pure function of the payable id (autopilotDraw), the same
 * in TypeScript and SQL, so a test can predict every outcome. Like the other jobs, each run is
 * claimed with FOR UPDATE SKIP LOCKED in its own transaction and every step is re-checked under the
 * lock, so several instances never take the same step twice.
 */
import { createHash } from 'node:crypto';
import { PAYABLE_OUTCOMES } from '../payment-run/payable.states.ts';
import { lockRun } from '../payment-run/payment-run.transitions.ts';
import { attemptRows, notSetAside } from '../shared/job-attempts.ts';
import { inTransaction, type DomainDeps, type UnitOfWork } from '../shared/unit-of-work.ts';
import { moveAttempt, outcomePath } from './authorisation.commands.ts';
import { receiveFunds, settlePayables } from './execution.commands.ts';
import { BANK_APPROVAL, FUNDING_GROUP_ACTIONS } from './funding.states.ts';
import { lockAttemptsOfRun, lockGroup } from './funding.store.ts';
import { withPayableGroupMembers } from './payable-group.members.ts';
import { startsFrom } from '../shared/state-machine.ts';
import type { AuthorisationStatus } from '../shared/statuses.ts';

/** How the autopilot behaves (config.autopilot). */
export interface AutopilotSettings {
  /** How long each thing waits since its last change before the bank takes its next step. */
  stepDelayMs: number;
  /** Share of executing payables that fail. */
  failureRate: number;
  /** Share of completed payables that come back. */
  returnRate: number;
}

/** Attempts waiting on the bank: the statuses BANK_APPROVAL answers. */
const WAITING_ATTEMPTS = Object.keys(BANK_APPROVAL) as AuthorisationStatus[];

export type DrawKind = 'fail' | 'return';

/** A number in [0, 1) fixed by the payable id: the first 32 bits of md5("<kind>:<id>"). */
export function autopilotDraw(payableId: string, kind: DrawKind): number {
  return Number.parseInt(createHash('md5').update(`${kind}:${payableId}`).digest('hex').slice(0, 8), 16) / 2 ** 32;
}

/** The same draw in SQL, over a payables row aliased `p`. */
const drawSql = (kind: DrawKind) => `(('x' || substr(md5('${kind}:' || p.id::text), 1, 8))::bit(32)::bigint / 4294967296.0)`;

export const autopilotFails = (payableId: string, failureRate: number) => autopilotDraw(payableId, 'fail') < failureRate;
export const autopilotReturns = (payableId: string, returnRate: number) => autopilotDraw(payableId, 'return') < returnRate;

/** Task name under which runs the autopilot fails on are set aside (shared/job-attempts.ts). */
const AUTOPILOT_ROWS = 'sandbox-autopilot';

interface Candidate { buyer_id: string; payment_run_id: string }

/** Takes every due step of up to `limit` runs; returns how many steps were taken (0: nothing was due). */
export async function runAutopilot(deps: DomainDeps, config: AutopilotSettings, limit = 20): Promise<number> {
  if (!deps.sandbox) return 0;
  const now = deps.now();
  // No delay means no time condition at all: a timestamp rounded up to the next millisecond must not
  // leave a step for a later poll (tests drain until nothing is due).
  const cutoff = config.stepDelayMs > 0 ? new Date(now.getTime() - config.stepDelayMs) : null;
  const waited = '($1::timestamptz IS NULL OR updated_at <= $1::timestamptz)';
  const candidates = await deps.prisma.$queryRawUnsafe<Candidate[]>(
    `SELECT * FROM (SELECT buyer_id, payment_run_id FROM authorisations
      WHERE status::text = ANY($5::text[]) AND ${waited} AND expires_at > $2::timestamptz
     UNION SELECT buyer_id, payment_run_id FROM funding_groups WHERE status::text = ANY($6::text[]) AND ${waited}
     UNION SELECT buyer_id, payment_run_id FROM payables p WHERE status::text = ANY($7::text[]) AND ${waited}
     UNION SELECT buyer_id, payment_run_id FROM payables p
      WHERE status::text = ANY($8::text[]) AND ${waited} AND ${drawSql('return')} < $3::float8) due
     WHERE ${notSetAside('due.payment_run_id', 9, 2)}
     LIMIT $4`,
    cutoff, now, config.returnRate, limit,
    WAITING_ATTEMPTS, FUNDING_GROUP_ACTIONS.receiveFunds.from, PAYABLE_OUTCOMES.COMPLETE.from, PAYABLE_OUTCOMES.RETURN.from,
    AUTOPILOT_ROWS,
  );
  // A run the autopilot keeps failing on is set aside and parked, not retried every poll.
  return attemptRows(deps, AUTOPILOT_ROWS, candidates.map((c) => ({ ...c, id: c.payment_run_id })), (c) =>
    inTransaction(deps, c.buyer_id, null, async (uow) => {
      const run = await lockRun(uow, c.payment_run_id, { skipLocked: true });
      return run ? advanceRun(uow, run.id, now, cutoff, config) : 0;
    }));
}

/** One run's due steps, each level settled (re-derived) before the next reads it. */
async function advanceRun(uow: UnitOfWork, runId: string, now: Date, cutoff: Date | null, config: AutopilotSettings): Promise<number> {
  let steps = 0;
  const attempts = (await lockAttemptsOfRun(uow, runId, WAITING_ATTEMPTS, cutoff)).filter((a) => a.expiresAt > now);
  for (const attempt of attempts) await moveAttempt(uow, attempt, outcomePath(attempt, BANK_APPROVAL[attempt.status]!));
  // Groups whose batches were just authorised await funds now: the next step reads that.
  await uow.settle();
  steps += attempts.length;

  const groups = await uow.tx.$queryRawUnsafe<{ id: string }[]>(
    `SELECT id FROM funding_groups WHERE payment_run_id = $1::uuid AND buyer_id = $2::uuid
        AND status::text = ANY($4::text[]) AND ($3::timestamptz IS NULL OR updated_at <= $3::timestamptz) ORDER BY position`,
    runId, uow.buyerId, cutoff, FUNDING_GROUP_ACTIONS.receiveFunds.from,
  );
  for (const { id } of groups) {
    await receiveFunds(uow, await lockGroup(uow, { id }), now);
    await uow.settle();
  }
  steps += groups.length;

  const { COMPLETE, RETURN } = PAYABLE_OUTCOMES;
  const due = await uow.tx.$queryRawUnsafe<{ id: string; status: string }[]>(
    `SELECT p.id, p.status::text AS status FROM payables p
      WHERE p.payment_run_id = $1::uuid AND p.buyer_id = $2::uuid AND ($3::timestamptz IS NULL OR p.updated_at <= $3::timestamptz)
        AND (p.status::text = ANY($5::text[]) OR (p.status::text = ANY($6::text[]) AND ${drawSql('return')} < $4::float8))
      ORDER BY p.position`,
    runId, uow.buyerId, cutoff, config.returnRate, COMPLETE.from, RETURN.from,
  );
  const executing = due.filter((p) => startsFrom(COMPLETE, p.status)).map((p) => p.id);
  // Outcomes concern transfers (CONTRACT.md §13): a payable group fails or comes back as a whole
  // when any member draws it, and completes otherwise.
  const failing = await withPayableGroupMembers(uow, executing.filter((id) => autopilotFails(id, config.failureRate)));
  const completing = executing.filter((id) => !failing.includes(id));
  const returning = await withPayableGroupMembers(uow, due.filter((p) => startsFrom(RETURN, p.status)).map((p) => p.id));
  const settled = [
    ...(await settlePayables(uow, runId, completing, 'COMPLETE')),
    ...(await settlePayables(uow, runId, failing, 'FAIL')),
    ...(await settlePayables(uow, runId, returning, 'RETURN')),
  ];
  return steps + settled.length;
}
