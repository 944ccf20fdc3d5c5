/**
 * The one way a status changes. Every writer of every entity's status comes through here: the move
 * is checked against the entity's transition table, the row (or rows, in one statement) updated,
 * and a StatusChange row recorded in the same transaction. What a move touches (a payable's batch
 * and group, an attempt's batch, a group's flags) is noted on the unit of work, which re-derives
 * batches, groups and the run from it before commit (src/domain/funding/funding.recompute.ts).
 * Raw SQL is not tenant-scoped by the client: every statement names buyer_id.
 */
import { authorisationStates, batchStates, fundingGroupStates } from './funding/funding.states.ts';
import { payableGroupStates } from './funding/payable-group.states.ts';
import { payableStates } from './payment-run/payable.states.ts';
import { paymentRunStates } from './payment-run/payment-run.states.ts';
import type { StateMachine } from './shared/state-machine.ts';
import type {
  AuthorisationStatus, BatchStatus, EntityType, FundingGroupStatus, PayableGroupStatus, PayableStatus, PaymentRunStatus,
} from './shared/statuses.ts';
import type { UnitOfWork } from './shared/unit-of-work.ts';

interface StatusOf {
  PAYMENT_RUN: PaymentRunStatus;
  PAYABLE: PayableStatus;
  FUNDING_GROUP: FundingGroupStatus;
  BATCH: BatchStatus;
  AUTHORISATION: AuthorisationStatus;
  PAYABLE_GROUP: PayableGroupStatus;
}

const ENTITIES = {
  PAYMENT_RUN: { table: 'payment_runs', enumType: 'PaymentRunStatus', model: 'paymentRun', machine: paymentRunStates },
  PAYABLE: { table: 'payables', enumType: 'PayableStatus', model: 'payable', machine: payableStates },
  FUNDING_GROUP: { table: 'funding_groups', enumType: 'FundingGroupStatus', model: 'fundingGroup', machine: fundingGroupStates },
  BATCH: { table: 'batches', enumType: 'BatchStatus', model: 'batch', machine: batchStates },
  AUTHORISATION: { table: 'authorisations', enumType: 'AuthorisationStatus', model: 'authorisation', machine: authorisationStates },
  PAYABLE_GROUP: { table: 'payable_groups', enumType: 'PayableGroupStatus', model: 'payableGroup', machine: payableGroupStates },
} as const satisfies Record<EntityType, { table: string; enumType: string; model: string; machine: object }>;

const machineOf = <E extends EntityType>(entity: E) => ENTITIES[entity].machine as unknown as StateMachine<StatusOf[E]>;

/** A row as read under its lock: enough to check, write and note what it touches. */
export interface StatusRow<S extends string> {
  readonly id: string;
  readonly paymentRunId: string;
  readonly status: S;
  readonly batchId?: string | null;
  readonly fundingGroupId?: string | null;
}

/**
 * One row along `path` (usually one step; an attempt may pass BANK_AUTHORISING on its way to
 * PROCESSED): each step checked (INVALID_STATE otherwise) and logged, then one update that also sets
 * `columns`. Returns the final status.
 */
export async function writeStatus<E extends EntityType>(
  uow: UnitOfWork, entity: E, row: StatusRow<StatusOf[E]>, path: StatusOf[E] | readonly StatusOf[E][],
  action: string | ((to: StatusOf[E]) => string), columns: Record<string, unknown> = {},
): Promise<StatusOf[E]> {
  const machine = machineOf(entity);
  let from = row.status;
  for (const to of typeof path === 'string' ? [path] : path) {
    machine.assertTransition(from, to, typeof action === 'string' ? action : action(to));
    uow.record({ entityType: entity, entityId: row.id, paymentRunId: row.paymentRunId, fromStatus: from, toStatus: to });
    from = to;
  }
  const delegate = uow.tx[ENTITIES[entity].model] as unknown as { update(args: object): Promise<unknown> };
  await delegate.update({ where: { id: row.id }, data: { ...columns, status: from }, select: { id: true } });
  touchParents(uow, entity, [row]);
  return from;
}

/** Which rows of a run a bulk move considers (always narrowed further to the `from` statuses). */
export type RowScope =
  | { readonly all: true }
  | { readonly column: 'id' | 'funding_group_id'; readonly ids: readonly string[] };

export interface MovedRow<S extends string> extends StatusRow<S> {
  readonly batchId: string | null;
  readonly fundingGroupId: string | null;
}

const BULK = {
  // A payable's reason fills only an empty one (a more specific one, such as AC01, stays).
  PAYABLE: { reason: 'status_reason = COALESCE(t.status_reason, $6::text)', order: 'position', batch: 't.batch_id', group: 't.funding_group_id' },
  AUTHORISATION: { reason: 'failure_reason = $6::text', order: 'created_at', batch: 't.batch_id', group: 'NULL::uuid' },
} as const;

/**
 * Every scoped row of the run whose status is in `from` → `to`, in one statement, one StatusChange
 * per row in the entity's order. The sub-select locks the rows and remembers each old status, which
 * RETURNING alone cannot give.
 */
export async function moveAll<E extends keyof typeof BULK>(
  uow: UnitOfWork, entity: E, runId: string, scope: RowScope, from: readonly StatusOf[E][], to: StatusOf[E], reason: string | null = null,
): Promise<MovedRow<StatusOf[E]>[]> {
  const machine = machineOf(entity);
  for (const status of from) machine.assertTransition(status, to, `move ${ENTITIES[entity].table.replace(/_/g, ' ')} to ${to}`);
  if ('ids' in scope && scope.ids.length === 0) return [];
  const { table, enumType } = ENTITIES[entity];
  const bulk = BULK[entity];
  const where = 'ids' in scope ? `${scope.column} = ANY($3::uuid[])` : '$3::uuid[] IS NULL';
  const rows = await uow.tx.$queryRawUnsafe<{ id: string; old: StatusOf[E]; ord: unknown; batch_id: string | null; funding_group_id: string | null }[]>(
    `UPDATE ${table} t
        SET status = $5::"${enumType}", ${bulk.reason}, updated_at = now()
       FROM (SELECT id, status::text AS old, ${bulk.order} AS ord FROM ${table}
              WHERE payment_run_id = $1::uuid AND buyer_id = $2::uuid AND ${where} AND status::text = ANY($4::text[])
              FOR UPDATE) o
      WHERE t.id = o.id
      RETURNING t.id, o.old, o.ord, ${bulk.batch} AS batch_id, ${bulk.group} AS funding_group_id`,
    runId, uow.buyerId, 'ids' in scope ? scope.ids : null, from, to, reason,
  );
  const key = (row: { ord: unknown }) => (row.ord instanceof Date ? row.ord.getTime() : Number(row.ord));
  rows.sort((a, b) => key(a) - key(b) || (a.id < b.id ? -1 : 1));
  uow.recordAll(rows.map((row) => ({ entityType: entity, entityId: row.id, paymentRunId: runId, fromStatus: row.old, toStatus: to })));
  const moved = rows.map((row) => ({
    id: row.id, paymentRunId: runId, status: to, batchId: row.batch_id, fundingGroupId: row.funding_group_id,
  }));
  touchParents(uow, entity, moved);
  return moved;
}

/** One row's move in a bulk write: from any of `from` to `to`, with the reason recorded if it has none. */
export interface RowMove<S extends string> {
  readonly id: string;
  readonly from: readonly S[];
  readonly to: S;
  readonly reason: string | null;
}

/** A bulk move refused: the first row (in the given order) that was not in a status its move starts from. */
export interface RefusedMove<S extends string> { readonly id: string; readonly status: S | null }

/**
 * The bulk form for payables (bank outcomes): many rows of one buyer — across runs — each with its
 * own move, in ONE update statement; one StatusChange per row, appended with the rest of the
 * transaction's changes in one insert. All or nothing: if any row is missing or not in a status its
 * move starts from, nothing is written and the first such row is answered (the caller throws, so
 * its transaction rolls back). The caller holds the locks of the rows' runs, which every writer of a
 * run's payables takes first: the rows cannot change under the statement, so it takes no row locks
 * of its own before updating (that would write every row twice).
 */
export async function moveEach(
  uow: UnitOfWork, entity: 'PAYABLE', moves: readonly RowMove<PayableStatus>[],
): Promise<{ moved: MovedRow<PayableStatus>[]; refused: null } | { moved: null; refused: RefusedMove<PayableStatus> }> {
  const machine = machineOf(entity);
  for (const move of moves) {
    for (const from of move.from) machine.assertTransition(from, move.to, `move payables to ${move.to}`);
  }
  if (moves.length === 0) return { moved: [], refused: null };
  const { table, enumType } = ENTITIES[entity];
  const rows = await uow.tx.$queryRawUnsafe<{ id: string; old: PayableStatus; run_id: string; ord: number; batch_id: string | null; funding_group_id: string | null }[]>(
    `WITH v AS (
       SELECT * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[]) AS v(id, allowed, to_status, reason)),
     o AS (
       SELECT t.id, t.status::text AS old, v.to_status, v.reason FROM ${table} t JOIN v ON v.id = t.id
        WHERE t.buyer_id = $1::uuid AND t.status::text = ANY(string_to_array(v.allowed, ',')))
     UPDATE ${table} t
        SET status = o.to_status::"${enumType}", status_reason = COALESCE(t.status_reason, o.reason), updated_at = now()
       FROM o
      WHERE t.id = o.id
      RETURNING t.id, o.old, t.payment_run_id AS run_id, t.position AS ord, t.batch_id, t.funding_group_id`,
    uow.buyerId, moves.map((m) => m.id), moves.map((m) => m.from.join(',')), moves.map((m) => m.to), moves.map((m) => m.reason),
  );
  if (rows.length !== moves.length) {
    // Rolled back by the caller's refusal; find the first row that did not move, and say why.
    const movedIds = new Set(rows.map((r) => r.id));
    const first = moves.find((m) => !movedIds.has(m.id))!;
    const [current] = await uow.tx.$queryRawUnsafe<{ status: PayableStatus }[]>(
      `SELECT status::text AS status FROM ${table} WHERE id = $1::uuid AND buyer_id = $2::uuid`, first.id, uow.buyerId,
    );
    return { moved: null, refused: { id: first.id, status: current?.status ?? null } };
  }
  const toOf = new Map(moves.map((m) => [m.id, m.to]));
  rows.sort((a, b) => (a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : Number(a.ord) - Number(b.ord)));
  uow.recordAll(rows.map((row) => ({ entityType: entity, entityId: row.id, paymentRunId: row.run_id, fromStatus: row.old, toStatus: toOf.get(row.id)! })));
  const moved = rows.map((row) => ({
    id: row.id, paymentRunId: row.run_id, status: toOf.get(row.id)!, batchId: row.batch_id, fundingGroupId: row.funding_group_id,
  }));
  touchParents(uow, entity, moved);
  return { moved, refused: null };
}

/** New rows: null → their first status (the machine's initial one, or one step from it). */
export function recordCreated<E extends EntityType>(uow: UnitOfWork, entity: E, runId: string, ids: readonly string[], status: StatusOf[E]): void {
  const machine = machineOf(entity);
  if (status !== machine.initial && !machine.canTransition(machine.initial, status)) {
    throw new Error(`A new ${machine.name} cannot start ${status}`);
  }
  uow.recordAll(ids.map((id) => ({ entityType: entity, entityId: id, paymentRunId: runId, fromStatus: null, toStatus: status })));
}

export interface DerivedChange<S extends string> { readonly id: string; readonly from: S; readonly to: S }

/**
 * Derived statuses (batch, payable group, funding group, run), written by the unit of work's derivation only. A change
 * outside the table means the derivation or its inputs are wrong: the transaction fails loudly.
 */
export async function writeDerived<E extends 'BATCH' | 'PAYABLE_GROUP' | 'FUNDING_GROUP' | 'PAYMENT_RUN'>(
  uow: UnitOfWork, entity: E, runId: string, changes: readonly DerivedChange<StatusOf[E]>[],
): Promise<void> {
  if (changes.length === 0) return;
  const machine = machineOf(entity);
  for (const c of changes) {
    if (!machine.canTransition(c.from, c.to)) {
      throw new Error(`Derived ${machine.name} ${c.id}: ${c.from} → ${c.to} is not in the transition table`);
    }
  }
  if (entity === 'PAYMENT_RUN') {
    // A run's own columns go through Prisma (updated_at by @updatedAt, as every other run write).
    for (const c of changes) {
      await uow.tx.paymentRun.update({ where: { id: c.id }, data: { status: c.to as PaymentRunStatus, statusReason: null }, select: { id: true } });
    }
  } else {
    const { table, enumType } = ENTITIES[entity];
    await uow.tx.$executeRawUnsafe(
      `UPDATE ${table} t SET status = v.status::"${enumType}", updated_at = now()
         FROM unnest($2::uuid[], $3::text[]) AS v(id, status)
        WHERE t.id = v.id AND t.buyer_id = $1::uuid`,
      uow.buyerId, changes.map((c) => c.id), changes.map((c) => c.to),
    );
  }
  uow.recordAll(changes.map((c) => ({ entityType: entity, entityId: c.id, paymentRunId: runId, fromStatus: c.from, toStatus: c.to })));
}

/** Payables and attempts feed their batch and group's derived status: note them on the unit of work. */
function touchParents(uow: UnitOfWork, entity: EntityType, rows: readonly StatusRow<string>[]): void {
  if (entity !== 'PAYABLE' && entity !== 'AUTHORISATION') return;
  for (const row of rows) {
    if (row.batchId || row.fundingGroupId) {
      uow.touch({ runId: row.paymentRunId, batchIds: row.batchId ? [row.batchId] : [], groupIds: row.fundingGroupId ? [row.fundingGroupId] : [] });
    }
  }
}
