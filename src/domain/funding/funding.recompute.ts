/**
 * Derived statuses, recomputed in the transaction of every child change (CONTRACT.md §4, §13):
 * batches, then the payable groups (transfers) inside them, then their funding groups, then the run — each level reads the level below as just written. Payables are
 * counted with GROUP BY, never loaded, so a change in a run of 10,000 costs a few index scans. Only
 * statuses that change are written, through the status writer (writeDerived). Nothing calls this
 * but the unit of work (UnitOfWork.settle), with the batches and groups that the transaction's
 * moves touched. The caller holds the run lock.
 */
import {
  deriveBatchStatus, deriveFundingGroupStatus, derivePaymentRunStatus, isBatchAuthorised, tallyGroupCounts,
  tallyPayableCounts, type StatusCounts,
} from '../derived-status.ts';
import { startsFrom } from '../shared/state-machine.ts';
import type {
  AuthorisationStatus, BatchStatus, FundingGroupStatus, PayableGroupStatus, PayableStatus, PaymentRunStatus,
} from '../shared/statuses.ts';
import type { UnitOfWork } from '../shared/unit-of-work.ts';
import { PAYABLE_ACTIONS, PAYABLE_OUTCOMES } from '../payment-run/payable.states.ts';
import { writeDerived } from '../status-writer.ts';
import { FUNDING_GROUP_ACTIONS } from './funding.states.ts';
import { derivePayableGroupStatus } from './payable-group.states.ts';
import { distinct, movePayables } from './funding.store.ts';

export interface DerivedScope {
  readonly runId: string;
  /** Batches whose payables or attempts changed; their groups are recomputed too. */
  readonly batchIds?: readonly string[];
  /** Groups changed directly (cancelled, funded). */
  readonly groupIds?: readonly string[];
}

interface Change<S extends string> { id: string; from: S; to: S }

const PAYABLE_COUNTS = (parent: 'batch_id' | 'funding_group_id' | 'payable_group_id', alias: string) => `COALESCE((
  SELECT jsonb_object_agg(s.status, s.n) FROM (
    SELECT p.status::text AS status, count(*) AS n FROM payables p WHERE p.${parent} = ${alias}.id GROUP BY p.status) s
  ), '{}'::jsonb)`;

interface BatchRow {
  id: string;
  funding_group_id: string;
  status: BatchStatus;
  cancellation_pending: boolean;
  payables: StatusCounts<PayableStatus>;
  attempts: AuthorisationStatus[];
}

async function recomputeBatches(uow: UnitOfWork, scope: DerivedScope): Promise<string[]> {
  const ids = scope.batchIds ?? [];
  if (ids.length === 0) return [];
  const rows = await uow.tx.$queryRawUnsafe<BatchRow[]>(
    `SELECT b.id, b.funding_group_id, b.status::text AS status, b.cancellation_pending,
            ${PAYABLE_COUNTS('batch_id', 'b')} AS payables,
            COALESCE((SELECT array_agg(a.status::text) FROM authorisations a WHERE a.batch_id = b.id), '{}') AS attempts
       FROM batches b
      WHERE b.buyer_id = $1::uuid AND b.payment_run_id = $2::uuid AND b.id = ANY($3::uuid[])
      ORDER BY b.funding_group_id, b.position`,
    uow.buyerId, scope.runId, ids,
  );
  const changes: Change<BatchStatus>[] = [];
  for (const row of rows) {
    const to = deriveBatchStatus({
      cancellationPending: row.cancellation_pending, payables: tallyPayableCounts(row.payables), attemptStatuses: row.attempts,
    });
    if (to !== row.status) changes.push({ id: row.id, from: row.status, to });
  }
  await writeDerived(uow, 'BATCH', scope.runId, changes);
  return distinct(rows, (row) => row.funding_group_id);
}

interface PayableGroupRow {
  id: string;
  status: PayableGroupStatus;
  cancellation_pending: boolean;
  payables: StatusCounts<PayableStatus>;
  attempts: AuthorisationStatus[];
}

/**
 * The transfers inside the touched batches: a member's move changes its group, an attempt's move
 * every group of its batch. Runs without bundling have none (one index probe).
 */
async function recomputePayableGroups(uow: UnitOfWork, scope: DerivedScope): Promise<void> {
  const ids = scope.batchIds ?? [];
  if (ids.length === 0) return;
  const rows = await uow.tx.$queryRawUnsafe<PayableGroupRow[]>(
    `SELECT g.id, g.status::text AS status, b.cancellation_pending,
            ${PAYABLE_COUNTS('payable_group_id', 'g')} AS payables,
            COALESCE((SELECT array_agg(a.status::text) FROM authorisations a WHERE a.batch_id = g.batch_id), '{}') AS attempts
       FROM payable_groups g JOIN batches b ON b.id = g.batch_id
      WHERE g.buyer_id = $1::uuid AND g.payment_run_id = $2::uuid AND g.batch_id = ANY($3::uuid[])
      ORDER BY g.position`,
    uow.buyerId, scope.runId, ids,
  );
  const changes: Change<PayableGroupStatus>[] = [];
  for (const row of rows) {
    const to = derivePayableGroupStatus({
      cancellationPending: row.cancellation_pending, payables: tallyPayableCounts(row.payables), attemptStatuses: row.attempts,
    });
    if (to !== row.status) changes.push({ id: row.id, from: row.status, to });
  }
  await writeDerived(uow, 'PAYABLE_GROUP', scope.runId, changes);
}

interface GroupRow {
  id: string;
  status: FundingGroupStatus;
  cancelled: boolean;
  funds_received: boolean;
  payables: StatusCounts<PayableStatus>;
  batches: BatchStatus[];
}

async function recomputeGroups(uow: UnitOfWork, scope: DerivedScope, groupIds: readonly string[]): Promise<void> {
  if (groupIds.length === 0) return;
  const rows = await uow.tx.$queryRawUnsafe<GroupRow[]>(
    `SELECT g.id, g.status::text AS status, g.cancelled_at IS NOT NULL AS cancelled, g.funding_date IS NOT NULL AS funds_received,
            ${PAYABLE_COUNTS('funding_group_id', 'g')} AS payables,
            COALESCE((SELECT array_agg(b.status::text) FROM batches b WHERE b.funding_group_id = g.id), '{}') AS batches
       FROM funding_groups g
      WHERE g.buyer_id = $1::uuid AND g.payment_run_id = $2::uuid AND g.id = ANY($3::uuid[])
      ORDER BY g.position`,
    uow.buyerId, scope.runId, groupIds,
  );
  const changes: Change<FundingGroupStatus>[] = [];
  for (const row of rows) {
    const to = deriveFundingGroupStatus({
      cancelled: row.cancelled,
      fundsReceived: row.funds_received,
      allBatchesAuthorised: row.batches.length > 0 && row.batches.every(isBatchAuthorised),
      payables: tallyPayableCounts(row.payables),
    });
    if (to !== row.status) changes.push({ id: row.id, from: row.status, to });
  }
  await writeDerived(uow, 'FUNDING_GROUP', scope.runId, changes);
  // Payables wait for their money with their group; the rest of their lifecycle is moved by commands.
  const awaiting = changes.filter((c) => startsFrom(FUNDING_GROUP_ACTIONS.receiveFunds, c.to)).map((c) => c.id);
  const follow = PAYABLE_ACTIONS.awaitFunds;
  await movePayables(uow, scope.runId, { fundingGroupIds: awaiting }, follow.from, follow.to);
}

async function recomputeRun(uow: UnitOfWork, runId: string): Promise<void> {
  const groups = await uow.tx.$queryRawUnsafe<{ status: FundingGroupStatus; n: bigint }[]>(
    `SELECT status::text AS status, count(*) AS n FROM funding_groups
      WHERE payment_run_id = $1::uuid AND buyer_id = $2::uuid GROUP BY status`,
    runId, uow.buyerId,
  );
  const tally = tallyGroupCounts(Object.fromEntries(groups.map((g) => [g.status, g.n])));
  const concluded = (tally.COMPLETED ?? 0) + (tally.COMPLETED_WITH_ERRORS ?? 0) + (tally.CANCELLED ?? 0);
  const total = groups.reduce((sum, g) => sum + Number(g.n), 0);
  // Funded payables are exactly those not cancelled before confirmation (see fundPaymentRun).
  const allCompleted = total > 0 && concluded === total && (await fundedPayablesAllCompleted(uow, runId));
  const to = derivePaymentRunStatus({ groups: tally, payablesNotCancelledBeforeConfirmationAllCompleted: allCompleted });
  if (to === null) return;
  const [run] = await uow.tx.$queryRawUnsafe<{ status: PaymentRunStatus }[]>(
    'SELECT status::text AS status FROM payment_runs WHERE id = $1::uuid AND buyer_id = $2::uuid', runId, uow.buyerId,
  );
  if (!run || run.status === to) return;
  await writeDerived(uow, 'PAYMENT_RUN', runId, [{ id: runId, from: run.status, to }]);
}

async function fundedPayablesAllCompleted(uow: UnitOfWork, runId: string): Promise<boolean> {
  const [row] = await uow.tx.$queryRawUnsafe<{ pending: boolean }[]>(
    `SELECT EXISTS (SELECT 1 FROM payables WHERE payment_run_id = $1::uuid AND buyer_id = $2::uuid
                      AND funding_group_id IS NOT NULL AND status::text <> $3) AS pending`,
    runId, uow.buyerId, PAYABLE_OUTCOMES.COMPLETE.to,
  );
  return row?.pending === false;
}

/** Batches → payable groups → funding groups → run, for what the unit of work saw change (see UnitOfWork.settle). */
export async function recomputeDerived(uow: UnitOfWork, scope: DerivedScope): Promise<void> {
  const groupsOfBatches = await recomputeBatches(uow, scope);
  await recomputePayableGroups(uow, scope);
  const groupIds = distinct([...(scope.groupIds ?? []), ...groupsOfBatches], (id) => id);
  await recomputeGroups(uow, scope, groupIds);
  await recomputeRun(uow, scope.runId);
}
