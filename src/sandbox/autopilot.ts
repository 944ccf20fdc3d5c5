/**
 * The sandbox bank on autopilot (config.autopilot, off by default against PostgreSQL). Like any
 * payment-initiation provider it reports through the domain's public bank commands
 * (applyAuthorisationOutcome, applyFundsReceived, applyPayableOutcomes) and nothing else; it reads
 * what is waiting on the bank with its own queries. Whatever has waited `stepDelayMs` since its last
 * change takes the bank's next step —
 *   attempts USER_AUTHORISING → APPROVE, AWAITING_MULTI_AUTH → SECOND_SIGNATORY_APPROVE;
 *   groups AWAITING_FUNDS → funds received;
 *   payables EXECUTING → COMPLETE, or FAIL for a `failureRate` share;
 *   payables COMPLETED → RETURN for a `returnRate` share (each at most once: RETURNED is terminal),
 * each run's payables in one bulk report. It never acts for the buyer: confirming, funding,
 * authorising and cancelling stay with people. Attempts past their 10 minutes are left to the
 * time-out job.
 *
 * Which payables fail or come back is a pure function of the payable id (autopilotDraw), the same
 * in TypeScript and SQL, so a test can predict every outcome. Several instances may pick the same
 * step: the commands re-check it under the run's lock, the later report is refused (INVALID_STATE)
 * and changes nothing, so no step is ever taken twice.
 */
import { createHash } from 'node:crypto';
import {
  applyAuthorisationOutcome, applyFundsReceived, applyPayableOutcomes, BANK_APPROVAL, FUNDING_GROUP_ACTIONS, MAX_PAYABLE_OUTCOMES,
  PAYABLE_OUTCOMES, type BankReportResult, type PayableOutcome, type PayableOutcomeReport,
} from '../domain/bank/bank.commands.ts';
import type { DomainDeps } from '../domain/ports.ts';

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
const WAITING_ATTEMPTS = Object.keys(BANK_APPROVAL);

export type DrawKind = 'fail' | 'return';

/** A number in [0, 1) fixed by the payable id: the first 32 bits of md5("<kind>:<id>"). */
export function autopilotDraw(payableId: string, kind: DrawKind): number {
  return Number.parseInt(createHash('md5').update(`${kind}:${payableId}`).digest('hex').slice(0, 8), 16) / 2 ** 32;
}

/** The same draw in SQL, over a payables row aliased `p`. */
const drawSql = (kind: DrawKind) => `(('x' || substr(md5('${kind}:' || p.id::text), 1, 8))::bit(32)::bigint / 4294967296.0)`;

export const autopilotFails = (payableId: string, failureRate: number) => autopilotDraw(payableId, 'fail') < failureRate;
export const autopilotReturns = (payableId: string, returnRate: number) => autopilotDraw(payableId, 'return') < returnRate;

const BANK = { kind: 'bank' } as const;

/** A report the domain refused (another instance took the step, the run was cancelled) is no step. */
async function step(report: () => Promise<BankReportResult>): Promise<number> {
  try {
    return (await report()).status === 'applied' ? 1 : 0;
  } catch (error) {
    if (error instanceof Error && error.name === 'DomainError') return 0;
    throw error;
  }
}

/** Takes every due step, for up to `limit` runs' payables; returns how many reports applied (0: nothing was due). */
export async function runAutopilot(deps: DomainDeps, config: AutopilotSettings, limit = 20): Promise<number> {
  if (!deps.sandbox) return 0;
  const now = deps.now();
  // No delay means no time condition at all: a timestamp rounded up to the next millisecond must not
  // leave a step for a later poll (tests drain until nothing is due).
  const cutoff = config.stepDelayMs > 0 ? new Date(now.getTime() - config.stepDelayMs) : null;
  const waited = (alias: string) => `($1::timestamptz IS NULL OR ${alias}.updated_at <= $1::timestamptz)`;
  let steps = 0;

  const attempts = await deps.prisma.$queryRawUnsafe<{ id: string; status: string }[]>(
    `SELECT a.id, a.status::text AS status FROM authorisations a
      WHERE a.status::text = ANY($3::text[]) AND ${waited('a')} AND a.expires_at > $2::timestamptz
      ORDER BY a.created_at LIMIT $4`,
    cutoff, now, WAITING_ATTEMPTS, limit * 100,
  );
  for (const a of attempts) {
    const outcome = BANK_APPROVAL[a.status as keyof typeof BANK_APPROVAL]!;
    steps += await step(() => applyAuthorisationOutcome(deps, BANK, a.id, outcome));
  }

  // Groups whose batches were just authorised await funds now.
  const groups = await deps.prisma.$queryRawUnsafe<{ id: string }[]>(
    `SELECT g.id FROM funding_groups g WHERE g.status::text = ANY($2::text[]) AND ${waited('g')}
      ORDER BY g.payment_run_id, g.position LIMIT $3`,
    cutoff, FUNDING_GROUP_ACTIONS.receiveFunds.from, limit * 10,
  );
  for (const g of groups) steps += await step(() => applyFundsReceived(deps, BANK, g.id));

  const { COMPLETE, RETURN } = PAYABLE_OUTCOMES;
  const due = await deps.prisma.$queryRawUnsafe<{ id: string; payment_run_id: string; payable_group_id: string | null; returning: boolean }[]>(
    `WITH runs AS (
       SELECT DISTINCT p.payment_run_id FROM payables p
        WHERE ${waited('p')} AND (p.status::text = ANY($3::text[]) OR (p.status::text = ANY($4::text[]) AND ${drawSql('return')} < $2::float8))
        LIMIT $5)
     SELECT p.id, p.payment_run_id, p.payable_group_id, p.status::text = ANY($4::text[]) AS returning FROM payables p JOIN runs r USING (payment_run_id)
      WHERE ${waited('p')} AND (p.status::text = ANY($3::text[]) OR (p.status::text = ANY($4::text[]) AND ${drawSql('return')} < $2::float8))
      ORDER BY p.payment_run_id, p.position`,
    cutoff, config.returnRate, COMPLETE.from, RETURN.from, limit,
  );
  // A payable group is one transfer (CONTRACT.md §13): it fails, or comes back, when any of its
  // members draws it, and is reported once, through its first member; the bank command applies the
  // outcome to every member.
  const transfers = new Map<string, { runId: string; payableId: string; outcome: PayableOutcome }>();
  for (const p of due) {
    const outcome: PayableOutcome = p.returning ? 'RETURN' : autopilotFails(p.id, config.failureRate) ? 'FAIL' : 'COMPLETE';
    const key = `${p.returning ? 'R' : 'E'}:${p.payable_group_id ?? p.id}`;
    const earlier = transfers.get(key);
    if (!earlier) transfers.set(key, { runId: p.payment_run_id, payableId: p.id, outcome });
    else if (outcome === 'FAIL') earlier.outcome = 'FAIL';
  }
  const byRun = new Map<string, PayableOutcomeReport[]>();
  for (const { runId, payableId, outcome } of transfers.values()) {
    const list = byRun.get(runId) ?? [];
    list.push({ payableId, outcome });
    byRun.set(runId, list);
  }
  for (const list of byRun.values()) {
    for (let i = 0; i < list.length; i += MAX_PAYABLE_OUTCOMES) {
      const chunk = list.slice(i, i + MAX_PAYABLE_OUTCOMES);
      steps += (await step(() => applyPayableOutcomes(deps, BANK, chunk))) * chunk.length;
    }
  }
  return steps;
}
