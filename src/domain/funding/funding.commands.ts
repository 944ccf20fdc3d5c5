/**
 * Funding a confirmed run (CONTRACT.md §4 "Funding"): funding groups and batches are created once,
 * under the run's row lock, so repeated and concurrent calls all answer with the same groups.
 *
 * Decisions the contract leaves open:
 * - Every linked account named must be the buyer's, LINKED and of the run's currency; checks run in
 *   that order over all accounts (NOT_FOUND, INVALID_STATE, UNSUPPORTED_CURRENCY), then at most one
 *   per currency. The same id named twice counts once.
 * - A repeated call returns the existing groups without re-checking the accounts: it reads what the
 *   first call created (an account unlinked since then does not make the retry fail).
 * - Within a group payables are batched in run order (position), not in packing order, so a batch
 *   holds neighbouring lines of the buyer's file.
 * - Group references are FG-001, FG-002, … in packing order (largest payable first).

 */
import { FundingLimitExceededError, packFundingGroups, splitIntoBatches } from './funding.packing.ts';
import type { Actor } from '../shared/actor.ts';
import { DomainError, ErrorCode, FieldError, badUserInput } from '../shared/errors.ts';
import { isUuid, uuidv7 } from '../shared/ids.ts';
import { inTransaction, type DomainDeps, type UnitOfWork } from '../shared/unit-of-work.ts';
import { PAYABLE_ACTIONS } from '../payment-run/payable.states.ts';
import { enforce } from '../payment-run/payment-run.policy.ts';
import { lockRunOrThrow, touchRun, type LockedRun } from '../payment-run/payment-run.transitions.ts';
import { recordCreated } from '../status-writer.ts';
import { cancelActiveAttempts } from './authorisation.commands.ts';
import { canCancelFundingGroup, canFundPaymentRun } from './funding.policy.ts';
import { FUNDING_GROUP_ACTIONS, batchStates, fundingGroupStates } from './funding.states.ts';
import { distinct, lockGroup, movePayables } from './funding.store.ts';

export { authoriseBatch, authoriseBatches, cancelAuthorisation } from './authorisation.commands.ts';
export { simulateAuthorisationOutcome, simulateFundsReceived, simulatePayableOutcome } from '../bank/bank.commands.ts';
export { timeOutAuthorisations } from './funding.jobs.ts';

interface FundingAccount {
  id: string;
  maxFundingAmount: bigint;
  maxBatchSize: number;
}

const accountError = (code: ErrorCode, message: string, index: number, extra: Record<string, unknown> = {}) =>
  new DomainError(code, message, { fieldName: `linkedAccountIds[${index}]`, ...extra });

async function chooseAccount(uow: UnitOfWork, run: LockedRun, ids: readonly string[]): Promise<FundingAccount> {
  const found = await uow.tx.linkedAccount.findMany({
    where: { id: { in: ids.filter(isUuid) } },
    select: { id: true, status: true, currency: true, institution: { select: { maxFundingAmount: true, maxBatchSize: true } } },
  });
  const byId = new Map(found.map((a) => [a.id, a]));
  const accounts = ids.map((id, i) => {
    const account = byId.get(id);
    if (!account) throw accountError(ErrorCode.LINKED_ACCOUNT_NOT_FOUND, 'Linked account not found', i);
    return account;
  });
  accounts.forEach((a, i) => {
    if (a.status !== 'LINKED') {
      throw accountError(ErrorCode.LINKED_ACCOUNT_INVALID_STATE, 'Linked account is not LINKED', i, { currentStatus: a.status });
    }
  });
  accounts.forEach((a, i) => {
    if (a.currency !== run.currency) {
      throw accountError(ErrorCode.UNSUPPORTED_CURRENCY, `Linked account is in ${a.currency}; the run pays ${run.currency}`, i, {
        currency: a.currency, expectedCurrency: run.currency,
      });
    }
  });
  if (accounts.length > 1) {
    throw new DomainError(ErrorCode.TOO_MANY_LINKED_ACCOUNT_PER_CURRENCY, `At most one linked account per currency (${run.currency})`, {
      currency: run.currency,
    });
  }
  const [account] = accounts;
  return { id: account!.id, maxFundingAmount: account!.institution.maxFundingAmount, maxBatchSize: account!.institution.maxBatchSize };
}

interface Fundable { id: string; amount: bigint; position: number; externalRef: string | null }

interface PlannedGroup { id: string; reference: string; total: bigint; payables: Fundable[]; batches: { id: string; payables: Fundable[] }[] }

const sum = (payables: readonly Fundable[]) => payables.reduce((total, p) => total + p.amount, 0n);

function planFunding(payables: readonly Fundable[], account: FundingAccount): PlannedGroup[] {
  let packed: Fundable[][];
  try {
    packed = packFundingGroups(payables, account.maxFundingAmount);
  } catch (error) {
    if (!(error instanceof FundingLimitExceededError)) throw error;
    const payable = error.item as Fundable;
    throw new DomainError(ErrorCode.FUNDING_LIMIT_EXCEEDED, `Payable at position ${payable.position} exceeds the institution's funding limit`, {
      payableId: payable.id, position: payable.position, externalRef: payable.externalRef,
      amount: Number(payable.amount), maxFundingAmount: Number(account.maxFundingAmount),
    });
  }
  return packed.map((group, i) => {
    const inRunOrder = [...group].sort((a, b) => a.position - b.position);
    return {
      id: uuidv7(),
      reference: `FG-${String(i + 1).padStart(3, '0')}`,
      total: sum(group),
      payables: inRunOrder,
      batches: splitIntoBatches(inRunOrder, account.maxBatchSize).map((batch) => ({ id: uuidv7(), payables: batch })),
    };
  });
}

/** Groups, batches and the payables' assignment: three statements for any run size. */
async function insertFunding(uow: UnitOfWork, run: LockedRun, accountId: string, groups: readonly PlannedGroup[]): Promise<void> {
  await uow.tx.$executeRawUnsafe(
    `INSERT INTO funding_groups (id, buyer_id, payment_run_id, linked_account_id, reference, position, status, currency, total_amount, payable_count, created_at, updated_at)
     SELECT g.id, $1::uuid, $2::uuid, $3::uuid, g.reference, (g.ord - 1)::int, $9::"FundingGroupStatus", $4::"Currency", g.total, g.n, now(), now()
       FROM unnest($5::uuid[], $6::text[], $7::bigint[], $8::int[]) WITH ORDINALITY AS g(id, reference, total, n, ord)`,
    uow.buyerId, run.id, accountId, run.currency,
    groups.map((g) => g.id), groups.map((g) => g.reference), groups.map((g) => g.total.toString()), groups.map((g) => g.payables.length),
    fundingGroupStates.initial,
  );
  const batches = groups.flatMap((g) => g.batches.map((b, position) => ({ ...b, groupId: g.id, position })));
  await uow.tx.$executeRawUnsafe(
    `INSERT INTO batches (id, buyer_id, payment_run_id, funding_group_id, position, status, currency, payable_count, total_amount, created_at, updated_at)
     SELECT b.id, $1::uuid, $2::uuid, b.group_id, b.position, $9::"BatchStatus", $3::"Currency", b.n, b.total, now(), now()
       FROM unnest($4::uuid[], $5::uuid[], $6::int[], $7::int[], $8::bigint[]) AS b(id, group_id, position, n, total)`,
    uow.buyerId, run.id, run.currency,
    batches.map((b) => b.id), batches.map((b) => b.groupId), batches.map((b) => b.position),
    batches.map((b) => b.payables.length), batches.map((b) => sum(b.payables).toString()),
    batchStates.initial,
  );
  const assigned = batches.flatMap((b) => b.payables.map((p) => [p.id, b.groupId, b.id] as const));
  await uow.tx.$executeRawUnsafe(
    `UPDATE payables p SET funding_group_id = v.group_id, batch_id = v.batch_id, updated_at = now()
       FROM unnest($3::uuid[], $4::uuid[], $5::uuid[]) AS v(id, group_id, batch_id)
      WHERE p.id = v.id AND p.buyer_id = $1::uuid AND p.payment_run_id = $2::uuid`,
    uow.buyerId, run.id, assigned.map((a) => a[0]), assigned.map((a) => a[1]), assigned.map((a) => a[2]),
  );
  recordCreated(uow, 'FUNDING_GROUP', run.id, groups.map((g) => g.id), fundingGroupStates.initial);
  recordCreated(uow, 'BATCH', run.id, batches.map((b) => b.id), batchStates.initial);
}

/** CONTROLLER: splits the run's payables into funding groups and batches, once. Returns group ids in order. */
export async function fundPaymentRun(deps: DomainDeps, actor: Actor, paymentRunId: string, linkedAccountIds: readonly string[]): Promise<string[]> {
  const accountIds = distinct(linkedAccountIds, (id) => id);
  if (accountIds.length === 0) throw badUserInput([{ fieldName: 'linkedAccountIds', error: FieldError.SIZE, params: { min: 1 } }]);
  return inTransaction(deps, actor.buyerId, actor.userId, async (uow) => {
    const run = await lockRunOrThrow(uow, paymentRunId);
    enforce(canFundPaymentRun(run));
    const existing = await uow.tx.fundingGroup.findMany({ where: { paymentRunId: run.id }, orderBy: { position: 'asc' }, select: { id: true } });
    if (existing.length > 0) return existing.map((g) => g.id);

    const account = await chooseAccount(uow, run, accountIds);
    const rows = await uow.tx.$queryRawUnsafe<{ id: string; amount: bigint; position: number; external_ref: string | null }[]>(
      `SELECT id, amount, position, external_ref FROM payables
        WHERE payment_run_id = $1::uuid AND buyer_id = $2::uuid AND status::text = ANY($3::text[]) ORDER BY position`,
      run.id, uow.buyerId, PAYABLE_ACTIONS.awaitFunds.from,
    );
    const payables = rows.map((r) => ({ id: r.id, amount: BigInt(r.amount), position: Number(r.position), externalRef: r.external_ref }));
    const groups = planFunding(payables, account);
    await insertFunding(uow, run, account.id, groups);
    await touchRun(uow, run.id);
    return groups.map((g) => g.id);
  });
}

/** CONTROLLER: a group still waiting for its money is dropped with its payables. */
export async function cancelFundingGroup(deps: DomainDeps, actor: Actor, paymentRunId: string, reference: string): Promise<{ id: string }> {
  return inTransaction(deps, actor.buyerId, actor.userId, async (uow) => {
    const run = await lockRunOrThrow(uow, paymentRunId);
    const group = await lockGroup(uow, { runId: run.id, reference });
    enforce(canCancelFundingGroup(group));
    await uow.tx.fundingGroup.update({ where: { id: group.id }, data: { cancelledAt: deps.now() }, select: { id: true } });
    uow.touch({ runId: run.id, groupIds: [group.id] });
    const payables = PAYABLE_ACTIONS.cancelWithGroup;
    await movePayables(uow, run.id, { fundingGroupIds: [group.id] }, payables.from, payables.to, 'Funding group cancelled');
    return { id: group.id };
  });
}

/**
 * Part of cancelPaymentRunWithFunding (src/domain/orchestration/cancel-payment-run.ts), after the
 * run and its payables are CANCELLED: groups still open are marked cancelled and attempts under way
 * cancelled; the unit of work then re-derives batches, groups and run.
 */
export async function cancelFundingWithRun(uow: UnitOfWork, run: LockedRun, reason: string): Promise<void> {
  const groups = await uow.tx.$queryRawUnsafe<{ id: string }[]>(
    `UPDATE funding_groups SET cancelled_at = now(), updated_at = now()
      WHERE payment_run_id = $1::uuid AND buyer_id = $2::uuid AND cancelled_at IS NULL
        AND status::text = ANY($3::text[])
      RETURNING id`,
    run.id, uow.buyerId, FUNDING_GROUP_ACTIONS.cancelWithRun.from,
  );
  if (groups.length === 0) return;
  uow.touch({ runId: run.id, groupIds: groups.map((g) => g.id) });
  await cancelActiveAttempts(uow, run.id, reason);
}
