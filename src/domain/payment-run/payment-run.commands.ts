/**
 * Payment-run commands (CONTRACT.md §4). Each is one transaction that locks the run row first, so
 * commands on one run serialise and every check below sees committed state. Ids are raw UUIDs; the
 * GraphQL layer decodes global ids and reloads the run afterwards.
 *
 * Decisions the contract leaves open:
 * - totalAmount and payableCount count what the run will pay: cancelPayables subtracts the
 *   cancelled payables (they are edits of the run's content, like updatePayables), and cancelling
 *   the last one cancels the run — nothing is left to confirm. A run that is cancelled or INVALID
 *   as a whole keeps its figures, as a record of what it was.
 * - updatePayables refuses a replacement whose Confirmation of Payee says AC01 (the account does
 *   not exist) with BAD_USER_INPUT and changes nothing; see payment-run.states.ts.
 * - Failed challenge answers must count even though the command fails: those transactions return
 *   the error, commit, and only then throw it.
 */
import { AuditAction } from '../audit/audit.ts';
import { cancelPaymentRunWithFunding } from '../orchestration/cancel-payment-run.ts';
import { isAccountMissing } from '../ports.ts';
import type { Actor } from '../shared/actor.ts';
import { DomainError, ErrorCode, FieldError, badUserInput, notFound } from '../shared/errors.ts';
import type { InvalidField } from '../shared/errors.ts';
import { isUuid, uuidv7 } from '../shared/ids.ts';
import { inTransaction, type DomainDeps, type UnitOfWork } from '../shared/unit-of-work.ts';
import { checkOneTimeCode, sameSecret, spendOneTimeCode, type CheckedCode } from '../user/one-time-codes.ts';
import { moveAll, recordCreated } from '../status-writer.ts';
import { PAYABLE_ACTIONS, payableStates } from './payable.states.ts';
import { insertPayables, lockPayables, replaceSuppliers, validateReplacements } from './payable.store.ts';
import {
  canCancelPaymentRun, canChangePayable, canChangePayables, canConfirmPaymentRun, canRestartPaymentRun,
  canVerifyPaymentRunChallenge, enforce,
} from './payment-run.policy.ts';
import { PAYMENT_RUN_ACTIONS } from './payment-run.states.ts';
import {
  CHALLENGE_EXPIRED, NO_CHALLENGE, failChallenge, freshChallenge, lockRunOrThrow, moveRun, moveRunWithPayables, touchRun,
} from './payment-run.transitions.ts';
import { validateCreatePaymentRun, type CreatePaymentRunInput, type SupplierInput } from './payment-run.validation.ts';

export type { CreatePaymentRunInput, SupplierInput } from './payment-run.validation.ts';
export { expireChallenges, validateQueuedRuns } from './payment-run.jobs.ts';

export interface PayableUpdate { payableId: string; supplier: SupplierInput }

const SUPPLIER_AUDIT_FIELDS = {
  id: true, supplierName: true, accountNumber: true, sortCode: true, secondaryReference: true, iban: true, bankIdentifierCode: true,
} as const;

/** One PAYABLE_SUPPLIER_CHANGED per payable: who it paid before and after (bank details redacted to 4 characters). */
async function auditSupplierChanges(
  uow: UnitOfWork,
  before: readonly { id: string; supplierName: string; accountNumber: string | null; sortCode: string | null;
    secondaryReference: string | null; iban: string | null; bankIdentifierCode: string | null }[],
  ids: readonly string[],
  suppliers: ReturnType<typeof validateReplacements>,
) {
  const previous = new Map(before.map((row) => [row.id, row]));
  for (const [i, id] of ids.entries()) {
    const old = previous.get(id)!;
    const next = suppliers[i]!;
    const { fasterPayments, sepa } = next.bankAccountDetails;
    await uow.audit(AuditAction.PAYABLE_SUPPLIER_CHANGED, { type: 'Payable', id }, {
      before: {
        name: old.supplierName, accountNumber: old.accountNumber, sortCode: old.sortCode,
        secondaryReference: old.secondaryReference, iban: old.iban, bankIdentifierCode: old.bankIdentifierCode,
      },
      after: {
        name: next.name, accountNumber: fasterPayments?.accountNumber ?? null, sortCode: fasterPayments?.sortCode ?? null,
        secondaryReference: fasterPayments?.secondaryReference ?? null, iban: sepa?.iban ?? null,
        bankIdentifierCode: sepa?.bankIdentifierCode ?? null,
      },
    });
  }
}

const duplicateRef = (paymentRunRef: string) =>
  new DomainError(ErrorCode.DUPLICATE_PAYMENT_RUN_REF, 'A payment run with this paymentRunRef already exists', { paymentRunRef });

/**
 * The unique index on (buyer_id, payment_run_ref) decides races. With the pg driver adapter the
 * violation arrives as P2002 whose meta names the index (23505 inside it); raw SQL would carry 23505.
 */
function isRefConflict(error: unknown): boolean {
  const e = error as { code?: unknown; meta?: unknown; message?: unknown } | null;
  let detail = String(e?.message ?? '');
  try {
    detail += JSON.stringify(e?.meta ?? {});
  } catch {
    // meta that cannot be serialised names no constraint we could match
  }
  return (e?.code === 'P2002' || detail.includes('23505')) && detail.includes('payment_run_ref');
}

export async function createPaymentRun(deps: DomainDeps, actor: Actor, input: CreatePaymentRunInput): Promise<{ id: string }> {
  const db = deps.tenantDb(actor.buyerId);
  const buyer = await db.buyer.findUnique({ where: { id: actor.buyerId }, select: { supportedCurrencies: true } });
  if (!buyer) throw notFound('Buyer');
  const run = validateCreatePaymentRun(input, buyer);
  let created: { id: string };
  try {
    // The whole command is one transaction returning its id, so an idempotent retry after a crash
    // replays it (effect-journal.ts) instead of finding its own run a duplicate.
    created = await inTransaction(deps, actor.buyerId, actor.userId, async (uow) => {
      // Fail fast on the common case; the unique index decides races.
      if (run.paymentRunRef !== null && (await uow.tx.paymentRun.findFirst({ where: { paymentRunRef: run.paymentRunRef }, select: { id: true } }))) {
        throw duplicateRef(run.paymentRunRef);
      }
      const id = uuidv7();
      await uow.tx.paymentRun.create({
        data: {
          id, buyerId: actor.buyerId, paymentRunRef: run.paymentRunRef, tag: run.tag, description: run.description,
          bundleBySupplier: run.bundleBySupplier,
          status: PAYMENT_RUN_ACTIONS.create.to, currency: run.currency, totalAmount: run.totalAmount, payableCount: run.payables.length,
          createdById: actor.userId,
        },
        select: { id: true },
      });
      const payableIds = await insertPayables(uow, id, run);
      recordCreated(uow, 'PAYMENT_RUN', id, [id], PAYMENT_RUN_ACTIONS.create.to);
      recordCreated(uow, 'PAYABLE', id, payableIds, payableStates.initial);
      return { id };
    });
  } catch (error) {
    if (run.paymentRunRef !== null && isRefConflict(error)) throw duplicateRef(run.paymentRunRef);
    throw error;
  }
  deps.onWorkQueued();
  return created;
}

/** At least one id, each named once; malformed ids answer like unknown ones. */
function requireIds(ids: readonly string[], field: string, at: (i: number) => string): string[] {
  if (ids.length === 0) throw badUserInput([{ fieldName: field, error: FieldError.SIZE, params: { min: 1 } }]);
  const duplicates: InvalidField[] = [];
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (seen.has(id)) duplicates.push({ fieldName: at(i), error: FieldError.IN, params: { reason: 'DUPLICATE' } });
    seen.add(id);
  });
  if (duplicates.length) throw badUserInput(duplicates, 'Each payable may be named once');
  if (!ids.every(isUuid)) throw notFound('Payable');
  return [...seen];
}

/** The run and the named payables, locked in that order; both must still be open to changes. */
async function lockOpenPayables(uow: UnitOfWork, paymentRunId: string, ids: readonly string[]) {
  const run = await lockRunOrThrow(uow, paymentRunId);
  enforce(canChangePayables(run));
  const payables = await lockPayables(uow, run.id, ids);
  for (const id of ids) {
    const payable = payables.get(id);
    if (!payable) throw notFound('Payable');
    enforce(canChangePayable(payable));
  }
  return { run, payables };
}

/** Replaces suppliers and re-runs Confirmation of Payee, all or nothing. */
export async function updatePayables(deps: DomainDeps, actor: Actor, paymentRunId: string, updates: readonly PayableUpdate[]): Promise<{ id: string }> {
  const ids = requireIds(updates.map((u) => u.payableId), 'payables', (i) => `payables[${i}].payableId`);
  // Confirmation of Payee is a provider call: never under the run's lock. The rules are checked
  // first (so refusals come in the usual order), the payees asked, then everything re-checked under
  // the lock before anything is written — the run may have moved on meanwhile.
  const currency = await inTransaction(deps, actor.buyerId, actor, async (uow) => (await lockOpenPayables(uow, paymentRunId, ids)).run.currency);
  const suppliers = validateReplacements(updates.map((u) => u.supplier), currency);
  const outcomes = await deps.payeeCheck.check(suppliers.map((s) => ({
    currency, accountNumber: s.bankAccountDetails.fasterPayments?.accountNumber, supplierType: s.type, supplierName: s.name,
  })));
  return inTransaction(deps, actor.buyerId, actor, async (uow) => {
    const { run } = await lockOpenPayables(uow, paymentRunId, ids);
    const missing: InvalidField[] = [];
    outcomes.forEach((outcome, i) => {
      if (isAccountMissing(outcome)) {
        missing.push({
          fieldName: `payables[${i}].supplier.bankAccountDetails.fasterPayments.accountNumber`,
          error: FieldError.IN, params: { reason: 'ACCOUNT_DOES_NOT_EXIST', reasonCode: 'AC01' },
        });
      }
    });
    if (missing.length) throw badUserInput(missing, 'Confirmation of Payee: the account does not exist');
    const before = await uow.tx.payable.findMany({ where: { id: { in: ids } }, select: SUPPLIER_AUDIT_FIELDS });
    await replaceSuppliers(uow, run.id, ids, suppliers, outcomes);
    await auditSupplierChanges(uow, before, ids, suppliers);
    await touchRun(uow, run.id);
    return { id: run.id };
  });
}

export async function cancelPayables(deps: DomainDeps, actor: Actor, paymentRunId: string, payableIds: readonly string[]): Promise<{ id: string }> {
  const ids = requireIds(payableIds, 'payableIds', (i) => `payableIds[${i}]`);
  return inTransaction(deps, actor.buyerId, actor.userId, async (uow) => {
    const { run } = await lockOpenPayables(uow, paymentRunId, ids);
    const cancel = PAYABLE_ACTIONS.cancel;
    await moveAll(uow, 'PAYABLE', run.id, { column: 'id', ids }, cancel.from, cancel.to);
    const [remaining] = await uow.tx.$queryRawUnsafe<{ n: number | bigint; total: string | null }[]>(
      `SELECT count(*) AS n, sum(amount)::text AS total FROM payables
        WHERE buyer_id = $1::uuid AND payment_run_id = $2::uuid AND status::text <> $3`,
      uow.buyerId, run.id, cancel.to,
    );
    const figures = { payableCount: Number(remaining?.n ?? 0), totalAmount: BigInt(remaining?.total ?? 0) };
    if (figures.payableCount === 0) {
      await moveRun(uow, run, PAYMENT_RUN_ACTIONS.cancelEmptied.to, 'cancel the last payables', { ...figures, statusReason: 'Every payable was cancelled' });
    } else {
      await touchRun(uow, run.id, figures);
    }
    return { id: run.id };
  });
}

export async function cancelPaymentRun(deps: DomainDeps, actor: Actor, paymentRunId: string): Promise<{ id: string }> {
  return inTransaction(deps, actor.buyerId, actor.userId, async (uow) => {
    const run = await lockRunOrThrow(uow, paymentRunId);
    enforce(canCancelPaymentRun(run));
    await cancelPaymentRunWithFunding(uow, run);
    return { id: run.id };
  });
}

export async function confirmPaymentRun(deps: DomainDeps, actor: Actor, paymentRunId: string): Promise<{ id: string }> {
  return inTransaction(deps, actor.buyerId, actor.userId, async (uow) => {
    const run = await lockRunOrThrow(uow, paymentRunId);
    enforce(canConfirmPaymentRun(actor, run, run));
    await moveRunWithPayables(uow, run, PAYMENT_RUN_ACTIONS.confirm.to, 'confirm a payment run', {
      confirmedById: actor.userId, ...freshChallenge(deps.now()),
    });
    return { id: run.id };
  });
}

export async function verifyPaymentRunChallenge(deps: DomainDeps, actor: Actor, paymentRunId: string, code: string): Promise<{ id: string }> {
  // The refusal is returned as plain data (not thrown: the wrong-code count must commit), so an
  // idempotent retry can replay it from the effect journal.
  type Refusal = { code: ErrorCode; message: string; extensions: Record<string, unknown> };
  const plain = (error: DomainError): Refusal => ({ code: error.code, message: error.message, extensions: { ...error.extensions } });
  // The code is checked against the user's secret first, holding no lock; spending it (single use)
  // happens below, in the transaction that moves the run.
  const checked = await checkOneTimeCode(deps, actor, 'PAYMENT_RUN_CHALLENGE', code);
  let failure = await answerChallenge(checked, true);
  if (failure === RESEALED && checked) {
    // The row's sealed secret changed between check and spend: a re-seal of the same secret (a key
    // rotation) must not fail a correct code, a new secret must. Checked again, outside any transaction.
    const again = await checkOneTimeCode(deps, actor, 'PAYMENT_RUN_CHALLENGE', code);
    failure = await answerChallenge(sameSecret(checked, again) ? again : null, false);
  }
  if (failure && failure !== RESEALED) throw new DomainError(failure.code, failure.message, failure.extensions);
  return { id: paymentRunId };

  async function answerChallenge(checked: CheckedCode | null, mayRetry: boolean) {
    return inTransaction(deps, actor.buyerId, actor.userId, async (uow): Promise<Refusal | typeof RESEALED | null> => {
      const run = await lockRunOrThrow(uow, paymentRunId);
      enforce(canVerifyPaymentRunChallenge(actor, run));
      if (run.challengeExpiresAt === null || deps.now() >= run.challengeExpiresAt) {
        await failChallenge(uow, run, CHALLENGE_EXPIRED);
        return plain(new DomainError(ErrorCode.INVALID_STATE, 'The SCA challenge expired; restart the payment run', {
          currentStatus: PAYMENT_RUN_ACTIONS.expireChallenge.to,
        }));
      }
      const refused = checked ? await spendOneTimeCode(uow.tx, actor, checked) : 'SPENT';
      if (refused === null) {
        await moveRunWithPayables(uow, run, PAYMENT_RUN_ACTIONS.passChallenge.to, 'pass an SCA challenge', NO_CHALLENGE);
        return null;
      }
      if (refused === 'SEALED_VALUE_CHANGED' && mayRetry) return RESEALED; // nothing written: counted on the retry if wrong
      const attemptsRemaining = Math.max(0, (run.challengeAttemptsRemaining ?? 1) - 1);
      if (attemptsRemaining === 0) await failChallenge(uow, run, 'Too many wrong SCA codes');
      else await touchRun(uow, run.id, { challengeAttemptsRemaining: attemptsRemaining });
      return plain(new DomainError(ErrorCode.SCA_CHALLENGE_INVALID, 'Wrong SCA code', {
        attemptsRemaining, currentStatus: attemptsRemaining === 0 ? PAYMENT_RUN_ACTIONS.failChallenge.to : run.status,
      }));
    });
  }
}

/** verifyPaymentRunChallenge's transaction found the user's sealed secret re-written meanwhile. */
const RESEALED = 'RESEALED' as const;

export async function restartPaymentRun(deps: DomainDeps, actor: Actor, paymentRunId: string): Promise<{ id: string }> {
  return inTransaction(deps, actor.buyerId, actor.userId, async (uow) => {
    const run = await lockRunOrThrow(uow, paymentRunId);
    enforce(canRestartPaymentRun(actor, run, run));
    await moveRunWithPayables(uow, run, PAYMENT_RUN_ACTIONS.restart.to, 'restart a payment run', {
      confirmedById: actor.userId, ...freshChallenge(deps.now()), restartCount: run.restartCount + 1,
    });
    return { id: run.id };
  });
}
