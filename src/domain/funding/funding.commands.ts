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
 * - Runs created with bundleBySupplier pack transfers (payable groups, CONTRACT.md §13) instead of
 *   payables: see payable-group.bundling.ts for the rule and the references. Without it every
 *   payable is a transfer of its own, nothing else is stored, and funding is exactly as before.

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
import { formTransfers, transferReference, type BundlePayable, type Transfer } from './payable-group.bundling.ts';
import { payableGroupStates } from './payable-group.states.ts';
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

interface Fundable extends BundlePayable { id: string; externalRef: string | null }

interface PlannedTransfer { id: string; reference: string; total: bigint; payables: Fundable[] }
interface PlannedBatch { id: string; transfers: PlannedTransfer[]; payables: Fundable[] }
interface PlannedGroup { id: string; reference: string; total: bigint; payables: Fundable[]; batches: PlannedBatch[] }

const sum = (payables: readonly Fundable[]) => payables.reduce((total, p) => total + p.amount, 0n);

function limitExceeded(transfer: Transfer<Fundable>, currency: string, account: FundingAccount): DomainError {
  const [first] = transfer.members;
  if (transfer.members.length === 1) {
    return new DomainError(ErrorCode.FUNDING_LIMIT_EXCEEDED, `Payable at position ${first!.position} exceeds the institution's funding limit`, {
      payableId: first!.id, position: first!.position, externalRef: first!.externalRef,
      amount: Number(first!.amount), maxFundingAmount: Number(account.maxFundingAmount),
    });
  }
  // A bundle is one transfer and is never split: name it by what the buyer can recognise.
  const reference = transferReference(currency, transfer.members.map((m) => m.reference));
  return new DomainError(
    ErrorCode.FUNDING_LIMIT_EXCEEDED,
    `Payable group "${reference}" (${transfer.members.length} payables to ${first!.supplierName.trim()}) exceeds the institution's funding limit`,
    {
      payableGroupReference: reference, supplierName: first!.supplierName.trim(), payableCount: transfer.members.length,
      payableIds: transfer.members.map((m) => m.id), positions: transfer.members.map((m) => m.position),
      amount: Number(transfer.amount), maxFundingAmount: Number(account.maxFundingAmount),
    },
  );
}

/**
 * Transfers (CONTRACT.md §13: with bundling, payables to one beneficiary; else each payable) are
 * packed first-fit-decreasing into funding groups and cut into batches of at most maxBatchSize
 * transfers; a transfer is never split.
 */
function planFunding(payables: readonly Fundable[], account: FundingAccount, currency: string, bundle: boolean): PlannedGroup[] {
  const transfers = formTransfers(payables, bundle);
  let packed: Transfer<Fundable>[][];
  try {
    packed = packFundingGroups(transfers, account.maxFundingAmount);
  } catch (error) {
    if (!(error instanceof FundingLimitExceededError)) throw error;
    throw limitExceeded(error.item as Transfer<Fundable>, currency, account);
  }
  return packed.map((group, i) => {
    const inRunOrder = [...group].sort((a, b) => a.position - b.position).map((t) => ({
      id: uuidv7(), reference: transferReference(currency, t.members.map((m) => m.reference)), total: t.amount, payables: t.members,
    }));
    return {
      id: uuidv7(),
      reference: `FG-${String(i + 1).padStart(3, '0')}`,
      total: inRunOrder.reduce((total, t) => total + t.total, 0n),
      payables: inRunOrder.flatMap((t) => t.payables),
      batches: splitIntoBatches(inRunOrder, account.maxBatchSize)
        .map((batch) => ({ id: uuidv7(), transfers: batch, payables: batch.flatMap((t) => t.payables) })),
    };
  });
}

/** Groups, batches and the payables' assignment: three statements for any run size (four with bundling). */
async function insertFunding(uow: UnitOfWork, run: LockedRun, accountId: string, groups: readonly PlannedGroup[], bundle: boolean): Promise<void> {
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
  const transfers = bundle ? batches.flatMap((b) => b.transfers.map((t) => ({ ...t, batchId: b.id, groupId: b.groupId }))) : [];
  if (transfers.length > 0) await insertPayableGroups(uow, run, transfers);
  const transferOf = new Map(transfers.flatMap((t) => t.payables.map((p) => [p.id, t.id] as const)));
  const assigned = batches.flatMap((b) => b.payables.map((p) => [p.id, b.groupId, b.id, transferOf.get(p.id) ?? null] as const));
  await uow.tx.$executeRawUnsafe(
    `UPDATE payables p SET funding_group_id = v.group_id, batch_id = v.batch_id, payable_group_id = v.transfer_id, updated_at = now()
       FROM unnest($3::uuid[], $4::uuid[], $5::uuid[], $6::uuid[]) AS v(id, group_id, batch_id, transfer_id)
      WHERE p.id = v.id AND p.buyer_id = $1::uuid AND p.payment_run_id = $2::uuid`,
    uow.buyerId, run.id, assigned.map((a) => a[0]), assigned.map((a) => a[1]), assigned.map((a) => a[2]), assigned.map((a) => a[3]),
  );
  recordCreated(uow, 'FUNDING_GROUP', run.id, groups.map((g) => g.id), fundingGroupStates.initial);
  recordCreated(uow, 'BATCH', run.id, batches.map((b) => b.id), batchStates.initial);
  recordCreated(uow, 'PAYABLE_GROUP', run.id, transfers.map((t) => t.id), payableGroupStates.initial);
}

/** Payable groups in funding order; the supplier columns are copied from each group's first member. */
async function insertPayableGroups(
  uow: UnitOfWork, run: LockedRun, transfers: readonly (PlannedTransfer & { batchId: string; groupId: string })[],
): Promise<void> {
  await uow.tx.$executeRawUnsafe(
    `INSERT INTO payable_groups (id, buyer_id, payment_run_id, funding_group_id, batch_id, position, reference, status, currency,
                                 total_amount, payable_count, supplier_name, supplier_address, supplier_bank_name, supplier_bank_address,
                                 supplier_bank_country, supplier_type, account_number, sort_code, secondary_reference, iban,
                                 bank_identifier_code, created_at, updated_at)
     SELECT t.id, $1::uuid, $2::uuid, t.group_id, t.batch_id, (t.ord - 1)::int, t.reference, $10::"PayableGroupStatus", p.currency,
            t.total, t.n, p.supplier_name, p.supplier_address, p.supplier_bank_name, p.supplier_bank_address,
            p.supplier_bank_country, p.supplier_type, p.account_number, p.sort_code, p.secondary_reference, p.iban,
            p.bank_identifier_code, now(), now()
       FROM unnest($3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::bigint[], $8::int[], $9::uuid[])
              WITH ORDINALITY AS t(id, group_id, batch_id, reference, total, n, first_id, ord)
       JOIN payables p ON p.id = t.first_id AND p.buyer_id = $1::uuid AND p.payment_run_id = $2::uuid`,
    uow.buyerId, run.id,
    transfers.map((t) => t.id), transfers.map((t) => t.groupId), transfers.map((t) => t.batchId), transfers.map((t) => t.reference),
    transfers.map((t) => t.total.toString()), transfers.map((t) => t.payables.length), transfers.map((t) => t.payables[0]!.id),
    payableGroupStates.initial,
  );
}

async function bundlesBySupplier(uow: UnitOfWork, runId: string): Promise<boolean> {
  const run = await uow.tx.paymentRun.findUnique({ where: { id: runId }, select: { bundleBySupplier: true } });
  return run?.bundleBySupplier ?? false;
}

interface FundableRow {
  id: string; amount: bigint; position: number; external_ref: string | null; currency: string; reference: string;
  supplier_name: string; sort_code: string | null; account_number: string | null; secondary_reference: string | null; iban: string | null;
}

/** The payables to fund, in run order; the bundling columns are read only when the run bundles. */
async function fundablePayables(uow: UnitOfWork, runId: string, bundle: boolean): Promise<Fundable[]> {
  const columns = bundle
    ? 'id, amount, position, external_ref, currency::text AS currency, reference, supplier_name, sort_code, account_number, secondary_reference, iban'
    : 'id, amount, position, external_ref';
  const rows = await uow.tx.$queryRawUnsafe<FundableRow[]>(
    `SELECT ${columns} FROM payables
      WHERE payment_run_id = $1::uuid AND buyer_id = $2::uuid AND status::text = ANY($3::text[]) ORDER BY position`,
    runId, uow.buyerId, PAYABLE_ACTIONS.awaitFunds.from,
  );
  return rows.map((r) => ({
    id: r.id, amount: BigInt(r.amount), position: Number(r.position), externalRef: r.external_ref,
    currency: r.currency ?? '', reference: r.reference ?? '', supplierName: r.supplier_name ?? '',
    sortCode: r.sort_code ?? null, accountNumber: r.account_number ?? null, secondaryReference: r.secondary_reference ?? null, iban: r.iban ?? null,
  }));
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
    const bundle = await bundlesBySupplier(uow, run.id);
    const payables = await fundablePayables(uow, run.id, bundle);
    const groups = planFunding(payables, account, run.currency, bundle);
    await insertFunding(uow, run, account.id, groups, bundle);
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
