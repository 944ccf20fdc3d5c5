/**
 * Row access for funding groups, batches, attempts and their payables. Every writer of a run's
 * funding (commands, timers, autopilot, cancelPaymentRun) locks the run row first (payment-run.
 * transitions.ts lockRun): that alone orders them, so the row locks taken here — group, then batch,
 * then authorisation where a command takes several — can never deadlock. Raw SQL is not
 * tenant-scoped by the client: every statement names buyer_id.
 */
import { notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import type { AuthorisationStatus, BatchStatus, FundingGroupStatus, PayableStatus } from '../shared/statuses.ts';
import type { UnitOfWork } from '../shared/unit-of-work.ts';
import { moveAll } from '../status-writer.ts';

type Table = 'funding_groups' | 'batches' | 'authorisations' | 'payables';

/** The run an entity belongs to, read without a lock (it never changes) so the run can be locked first. */
export async function runOf(uow: UnitOfWork, table: Table, id: string): Promise<string | null> {
  if (!isUuid(id)) return null;
  const rows = await uow.tx.$queryRawUnsafe<{ payment_run_id: string }[]>(
    `SELECT payment_run_id FROM ${table} WHERE id = $1::uuid AND buyer_id = $2::uuid`, id, uow.buyerId,
  );
  return rows[0]?.payment_run_id ?? null;
}

export interface LockedGroup {
  readonly id: string;
  readonly paymentRunId: string;
  readonly reference: string;
  readonly status: FundingGroupStatus;
}

/** By id, or by reference within a run (cancelFundingGroup names groups that way). */
export async function lockGroup(uow: UnitOfWork, by: { id: string } | { runId: string; reference: string }): Promise<LockedGroup> {
  const [where, params] = 'id' in by
    ? ['id = $2::uuid', [by.id]]
    : ['payment_run_id = $2::uuid AND reference = $3', [by.runId, by.reference]];
  const rows = await uow.tx.$queryRawUnsafe<{ id: string; payment_run_id: string; reference: string; status: FundingGroupStatus }[]>(
    `SELECT id, payment_run_id, reference, status::text AS status FROM funding_groups
      WHERE buyer_id = $1::uuid AND ${where} FOR UPDATE`,
    uow.buyerId, ...params,
  );
  const row = rows[0];
  if (!row) throw notFound('Funding group');
  return { id: row.id, paymentRunId: row.payment_run_id, reference: row.reference, status: row.status };
}

export interface LockedBatch {
  readonly id: string;
  readonly paymentRunId: string;
  readonly fundingGroupId: string;
  readonly status: BatchStatus;
}

export async function lockBatch(uow: UnitOfWork, id: string): Promise<LockedBatch> {
  const rows = await uow.tx.$queryRawUnsafe<{ id: string; payment_run_id: string; funding_group_id: string; status: BatchStatus }[]>(
    `SELECT id, payment_run_id, funding_group_id, status::text AS status FROM batches
      WHERE id = $1::uuid AND buyer_id = $2::uuid FOR UPDATE`,
    id, uow.buyerId,
  );
  const row = rows[0];
  if (!row) throw notFound('Batch');
  return { id: row.id, paymentRunId: row.payment_run_id, fundingGroupId: row.funding_group_id, status: row.status };
}

export interface LockedAttempt {
  readonly id: string;
  readonly paymentRunId: string;
  readonly batchId: string;
  readonly fundingGroupId: string;
  readonly status: AuthorisationStatus;
  readonly expiresAt: Date;
  /** The funding account's institution asks for a second signatory. */
  readonly requiresMultiAuth: boolean;
}

interface AttemptRow {
  id: string;
  payment_run_id: string;
  batch_id: string;
  funding_group_id: string;
  status: AuthorisationStatus;
  expires_at: Date | string;
  requires_multi_auth: boolean;
}

const ATTEMPT_SELECT = `
  SELECT a.id, a.payment_run_id, a.batch_id, b.funding_group_id, a.status::text AS status, a.expires_at, i.requires_multi_auth
    FROM authorisations a
    JOIN batches b ON b.id = a.batch_id
    JOIN funding_groups g ON g.id = b.funding_group_id
    JOIN linked_accounts l ON l.id = g.linked_account_id
    JOIN institutions i ON i.id = l.institution_id`;

const toAttempt = (row: AttemptRow): LockedAttempt => ({
  id: row.id,
  paymentRunId: row.payment_run_id,
  batchId: row.batch_id,
  fundingGroupId: row.funding_group_id,
  status: row.status,
  expiresAt: new Date(row.expires_at),
  requiresMultiAuth: row.requires_multi_auth,
});

/** One attempt under lock; with skipLocked a busy one reads as absent (the timer takes it next time). */
export async function lockAttempt(uow: UnitOfWork, id: string, skipLocked = false): Promise<LockedAttempt | null> {
  const rows = await uow.tx.$queryRawUnsafe<AttemptRow[]>(
    `${ATTEMPT_SELECT} WHERE a.id = $1::uuid AND a.buyer_id = $2::uuid FOR UPDATE OF a${skipLocked ? ' SKIP LOCKED' : ''}`,
    id, uow.buyerId,
  );
  return rows[0] ? toAttempt(rows[0]) : null;
}

/** A batch's attempts in the given statuses, under lock (a batch has few). */
export async function lockAttemptsOfBatch(uow: UnitOfWork, batchId: string, statuses: readonly AuthorisationStatus[]): Promise<LockedAttempt[]> {
  const rows = await uow.tx.$queryRawUnsafe<AttemptRow[]>(
    `${ATTEMPT_SELECT} WHERE a.batch_id = $1::uuid AND a.buyer_id = $2::uuid AND a.status::text = ANY($3::text[])
      ORDER BY a.created_at FOR UPDATE OF a`,
    batchId, uow.buyerId, statuses,
  );
  return rows.map(toAttempt);
}

/** Attempts of a run in the given statuses, optionally only those untouched since `before`. */
export async function lockAttemptsOfRun(
  uow: UnitOfWork, runId: string, statuses: readonly AuthorisationStatus[], before: Date | null = null,
): Promise<LockedAttempt[]> {
  const rows = await uow.tx.$queryRawUnsafe<AttemptRow[]>(
    `${ATTEMPT_SELECT} WHERE a.payment_run_id = $1::uuid AND a.buyer_id = $2::uuid AND a.status::text = ANY($3::text[])
        AND ($4::timestamptz IS NULL OR a.updated_at <= $4::timestamptz)
      ORDER BY a.created_at FOR UPDATE OF a`,
    runId, uow.buyerId, statuses, before,
  );
  return rows.map(toAttempt);
}

export interface LockedPayable {
  readonly id: string;
  readonly paymentRunId: string;
  readonly fundingGroupId: string | null;
  readonly batchId: string | null;
  readonly status: PayableStatus;
}

export async function lockPayable(uow: UnitOfWork, id: string): Promise<LockedPayable> {
  const rows = await uow.tx.$queryRawUnsafe<{ id: string; payment_run_id: string; funding_group_id: string | null; batch_id: string | null; status: PayableStatus }[]>(
    `SELECT id, payment_run_id, funding_group_id, batch_id, status::text AS status FROM payables
      WHERE id = $1::uuid AND buyer_id = $2::uuid FOR UPDATE`,
    id, uow.buyerId,
  );
  const row = rows[0];
  if (!row) throw notFound('Payable');
  return { id: row.id, paymentRunId: row.payment_run_id, fundingGroupId: row.funding_group_id, batchId: row.batch_id, status: row.status };
}

/** Which payables of a run a bulk move touches. */
export type PayableScope =
  | { readonly fundingGroupIds: readonly string[] }
  | { readonly payableIds: readonly string[] };

export interface MovedPayable {
  readonly id: string;
  readonly batchId: string | null;
  readonly fundingGroupId: string | null;
}

/**
 * Moves the scoped payables that are in `from` to `to` in one statement, through the status writer
 * (one change per row in position order; their batches and groups are noted for re-derivation).
 * `statusReason` fills only an empty reason.
 */
export async function movePayables(
  uow: UnitOfWork, runId: string, scope: PayableScope, from: readonly PayableStatus[], to: PayableStatus, statusReason: string | null = null,
): Promise<MovedPayable[]> {
  const rows = 'fundingGroupIds' in scope
    ? { column: 'funding_group_id' as const, ids: scope.fundingGroupIds }
    : { column: 'id' as const, ids: scope.payableIds };
  const moved = await moveAll(uow, 'PAYABLE', runId, rows, from, to, statusReason);
  return moved.map((row) => ({ id: row.id, batchId: row.batchId, fundingGroupId: row.fundingGroupId }));
}

/** The distinct non-null values of one key, in first-seen order. */
export function distinct<T>(rows: readonly T[], key: (row: T) => string | null): string[] {
  const seen = new Set<string>();
  for (const row of rows) {
    const value = key(row);
    if (value !== null) seen.add(value);
  }
  return [...seen];
}
