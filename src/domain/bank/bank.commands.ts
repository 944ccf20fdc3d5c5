/**
 * What the bank reports, as public domain commands (CONTRACT.md §8): an authorisation's outcome,
 * a funding group's money arriving, payables' outcomes. Every reporter calls these and nothing
 * else — POST /bank/events (the provider), the sandbox's simulate* mutations and its autopilot —
 * so each produces exactly the same effects.
 *
 * - The provider ("bank") may name any buyer's objects; the buyer is the one that owns the first
 *   object named, and an object of another buyer answers NOT_FOUND, as an id that never existed.
 *   A sandbox user ("user") names only their own buyer's objects and is the actor of the changes.
 * - An event id (the provider's `webhook-id`) is claimed in the transaction of the effect: a repeat
 *   answers `duplicate` and changes nothing; concurrent repeats wait on the first's claim.
 * - All or nothing: a refusal (NOT_FOUND, INVALID_STATE, BAD_USER_INPUT) rolls everything back,
 *   the claim included, so the same event may be sent again once the refusal no longer holds.
 */
import type { Actor } from '../shared/actor.ts';
import { badUserInput, FieldError, invalidState, notFound, type DomainError } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { inTransaction, type DomainDeps, type UnitOfWork } from '../shared/unit-of-work.ts';
import { PAYABLE_OUTCOMES, type PayableOutcome } from '../payment-run/payable.states.ts';
import { enforce } from '../payment-run/payment-run.policy.ts';
import { lockRunOrThrow } from '../payment-run/payment-run.transitions.ts';
import { moveEach } from '../status-writer.ts';
import { moveAttempt, outcomePath } from '../funding/authorisation.commands.ts';
import { receiveFunds } from '../funding/execution.commands.ts';
import { AUTHORISATION_ACTIONS, isActiveAttempt, type AuthorisationOutcome } from '../funding/funding.states.ts';
import { sandboxOnly } from '../funding/funding.policy.ts';
import { lockAttempt, lockGroup, runOf } from '../funding/funding.store.ts';
import { membersOfTransfers } from '../funding/payable-group.members.ts';
import { buyerOf, buyerOfPayables, claimEvent, type BankEventType } from './bank.store.ts';

export { AuthorisationOutcome } from '../funding/funding.states.ts';
export { PayableOutcome } from '../payment-run/payable.states.ts';
/** The rules a reporter reads to know what waits on the bank (the sandbox autopilot). */
export { BANK_APPROVAL, FUNDING_GROUP_ACTIONS } from '../funding/funding.states.ts';
export { PAYABLE_OUTCOMES } from '../payment-run/payable.states.ts';
export type { BankEventType } from './bank.store.ts';

/** Who reports what the bank did. */
export type BankReporter =
  /** The payment-initiation provider; `event` makes the report idempotent by the provider's event id. */
  | { readonly kind: 'bank'; readonly event?: { readonly id: string; readonly type: BankEventType } }
  /** A sandbox user playing the bank (simulate*): their buyer's objects only, and they are the actor. */
  | { readonly kind: 'user'; readonly actor: Actor };

export type BankReportResult = { readonly status: 'applied' | 'duplicate' };

/** Outcomes one report may carry (CONTRACT.md §8: 1 to 10,000). */
export const MAX_PAYABLE_OUTCOMES = 10_000;

export interface PayableOutcomeReport {
  readonly payableId: string;
  readonly outcome: PayableOutcome;
  /** The bank's words; recorded as the payable's statusReason for FAIL and RETURN (default: ours). */
  readonly reason?: string | null;
}

/** The buyer whose transaction applies the report, or NOT_FOUND. */
async function buyerFor(deps: DomainDeps, reporter: BankReporter, resolve: () => Promise<string | null>, what: string): Promise<string> {
  if (reporter.kind === 'user') return reporter.actor.buyerId;
  const buyerId = await resolve();
  if (!buyerId) throw notFound(what);
  return buyerId;
}

/**
 * One report in one transaction of the buyer: the event claimed first (a repeat answers duplicate
 * and `work` never runs), then the effect. An error thrown by `work` rolls both back.
 */
async function report(
  deps: DomainDeps, reporter: BankReporter, buyerId: string, work: (uow: UnitOfWork) => Promise<DomainError | null>,
): Promise<BankReportResult> {
  const actingAs = reporter.kind === 'user' ? reporter.actor : null;
  const result = await inTransaction(deps, buyerId, actingAs, async (uow): Promise<BankReportResult | DomainError> => {
    if (reporter.kind === 'bank' && reporter.event && !(await claimEvent(uow, reporter.event.id, reporter.event.type))) {
      return { status: 'duplicate' };
    }
    return (await work(uow)) ?? { status: 'applied' };
  });
  // A refusal that must still commit what it found (a sandbox user meeting an expired attempt).
  if ('code' in result) throw result;
  return result;
}

/**
 * The bank's answer to an authorisation attempt (AUTHORISATION_OUTCOMES says where each leads).
 * An attempt past its 10 minutes: a sandbox user's call commits its time-out and answers
 * INVALID_STATE (as before); the provider's answer changes nothing (the timer job times it out) and
 * is refused the same way — only TIME_OUT itself applies.
 */
export async function applyAuthorisationOutcome(
  deps: DomainDeps, reporter: BankReporter, authorisationId: string, outcome: AuthorisationOutcome,
): Promise<BankReportResult> {
  const buyerId = await buyerFor(deps, reporter, () => buyerOf(deps, 'authorisations', authorisationId), 'Authorisation');
  return report(deps, reporter, buyerId, async (uow) => {
    const runId = await runOf(uow, 'authorisations', authorisationId);
    if (!runId) throw notFound('Authorisation');
    await lockRunOrThrow(uow, runId);
    const attempt = await lockAttempt(uow, authorisationId);
    if (!attempt) throw notFound('Authorisation');
    const due = isActiveAttempt(attempt.status) && attempt.expiresAt <= deps.now();
    if (due && outcome !== 'TIME_OUT') {
      const timedOut = AUTHORISATION_ACTIONS.timeOut.to;
      if (reporter.kind === 'bank') throw invalidState(timedOut, 'conclude an authorisation');
      await moveAttempt(uow, attempt, [timedOut]);
      return invalidState(timedOut, 'conclude an authorisation');
    }
    const path = due ? [AUTHORISATION_ACTIONS.timeOut.to] : outcomePath(attempt, outcome);
    await moveAttempt(uow, attempt, path, outcome === 'CANCEL' ? 'Cancelled at the bank' : undefined);
    return null;
  });
}

/** The group's money has arrived: funding date set, group and payables EXECUTING. */
export async function applyFundsReceived(deps: DomainDeps, reporter: BankReporter, fundingGroupId: string): Promise<BankReportResult> {
  const buyerId = await buyerFor(deps, reporter, () => buyerOf(deps, 'funding_groups', fundingGroupId), 'Funding group');
  return report(deps, reporter, buyerId, async (uow) => {
    const runId = await runOf(uow, 'funding_groups', fundingGroupId);
    if (!runId) throw notFound('Funding group');
    await lockRunOrThrow(uow, runId);
    await receiveFunds(uow, await lockGroup(uow, { id: fundingGroupId }), deps.now());
    return null;
  });
}

/**
 * Outcomes for 1 to 10,000 payables, possibly of several runs of one buyer, all or nothing, in
 * one transaction: one update of payables, one insert of their StatusChanges, and the derived
 * batches, groups and runs recomputed once (UnitOfWork.settle) — not a statement chain per payable.
 */
export async function applyPayableOutcomes(
  deps: DomainDeps, reporter: BankReporter, outcomes: readonly PayableOutcomeReport[],
): Promise<BankReportResult> {
  checkOutcomeList(outcomes);
  const buyerId = await buyerFor(deps, reporter, () => buyerOfPayables(deps, outcomes.map((o) => o.payableId)), 'Payable');
  return report(deps, reporter, buyerId, async (uow) => {
    const targets = await resolveOutcomeTargets(uow, outcomes);
    // Runs are locked in id order, so two reports naming the same runs never deadlock.
    for (const runId of targets.runIds) await lockRunOrThrow(uow, runId);
    const result = await moveEach(uow, 'PAYABLE', targets.moves);
    if (result.refused) {
      const { id, status } = result.refused;
      if (status === null) throw notFound('Payable');
      const outcome = targets.moves.find((m) => m.id === id)!.outcome;
      throw invalidState(status, `${outcome.toLowerCase()} a payable`);
    }
    return null;
  });
}

function checkOutcomeList(outcomes: readonly PayableOutcomeReport[]): void {
  if (outcomes.length < 1 || outcomes.length > MAX_PAYABLE_OUTCOMES) {
    throw badUserInput([{ fieldName: 'outcomes', error: FieldError.SIZE, params: { min: 1, max: MAX_PAYABLE_OUTCOMES } }]);
  }
  const seen = new Set<string>();
  const duplicates = outcomes.flatMap((o, i) => {
    if (!seen.has(o.payableId)) return (seen.add(o.payableId), []);
    return [{ fieldName: `outcomes[${i}].payableId`, error: FieldError.IN, params: { reason: 'DUPLICATE' } }];
  });
  if (duplicates.length) throw badUserInput(duplicates, 'Each payable may be named once');
}

interface OutcomeTargets {
  /** The runs of every targeted payable, sorted. */
  readonly runIds: readonly string[];
  readonly moves: readonly Move[];
}

interface Move {
  id: string;
  outcome: PayableOutcome;
  from: readonly (typeof PAYABLE_OUTCOMES)[PayableOutcome]['from'][number][];
  to: (typeof PAYABLE_OUTCOMES)[PayableOutcome]['to'];
  reason: string | null;
}

/**
 * RESOLVE TARGETS — which payables each reported outcome applies to: the payable named, or, when
 * it belongs to a payable group, every member of its group (a group is one transfer, CONTRACT.md
 * §13). Unknown and foreign ids answer NOT_FOUND here (one query for the whole list; a second only
 * when some named payable is grouped). Two outcomes reaching one payable through its group must
 * agree; the same outcome twice is applied once.
 */
async function resolveOutcomeTargets(uow: UnitOfWork, outcomes: readonly PayableOutcomeReport[]): Promise<OutcomeTargets> {
  const ids = outcomes.map((o) => o.payableId);
  if (!ids.every(isUuid)) throw notFound('Payable');
  const runs = await uow.tx.$queryRawUnsafe<{ payment_run_id: string; n: bigint | number; grouped: bigint | number }[]>(
    `SELECT payment_run_id, count(*) AS n, count(payable_group_id) AS grouped
       FROM payables WHERE buyer_id = $1::uuid AND id = ANY($2::uuid[])
      GROUP BY payment_run_id ORDER BY payment_run_id`,
    uow.buyerId, ids,
  );
  if (runs.reduce((sum, r) => sum + Number(r.n), 0) !== ids.length) throw notFound('Payable');
  const runIds = runs.map((r) => r.payment_run_id);
  const members = runs.some((r) => Number(r.grouped) > 0) ? await membersOfTransfers(uow, ids) : new Map<string, string[]>();
  const moves: Move[] = [];
  const movedBy = new Map<string, { outcome: PayableOutcome; index: number }>();
  outcomes.forEach((o, index) => {
    const rule = PAYABLE_OUTCOMES[o.outcome];
    // The bank's words without padding; a blank reason says nothing, so the outcome's own is kept.
    const reason = rule.reason === null ? null : (o.reason?.trim() || rule.reason);
    for (const id of members.get(o.payableId) ?? [o.payableId]) {
      const earlier = movedBy.get(id);
      if (earlier?.outcome === o.outcome) continue;
      if (earlier) {
        throw badUserInput([{ fieldName: `outcomes[${index}].payableId`, error: FieldError.IN, params: { reason: 'SAME_TRANSFER', otherIndex: earlier.index } }],
          'These payables are one transfer (a payable group): report one outcome for it');
      }
      movedBy.set(id, { outcome: o.outcome, index });
      moves.push({ id, outcome: o.outcome, from: rule.from, to: rule.to, reason });
    }
  });
  return { runIds, moves };
}

// The sandbox's simulate* mutations: a signed-in user plays the bank (CONTRACT.md §1, §4).

export async function simulateAuthorisationOutcome(deps: DomainDeps, actor: Actor, attemptId: string, outcome: AuthorisationOutcome): Promise<{ id: string }> {
  enforce(sandboxOnly(deps));
  await applyAuthorisationOutcome(deps, { kind: 'user', actor }, attemptId, outcome);
  return { id: attemptId };
}

export async function simulateFundsReceived(deps: DomainDeps, actor: Actor, fundingGroupId: string): Promise<{ id: string }> {
  enforce(sandboxOnly(deps));
  await applyFundsReceived(deps, { kind: 'user', actor }, fundingGroupId);
  return { id: fundingGroupId };
}

export async function simulatePayableOutcome(deps: DomainDeps, actor: Actor, payableId: string, outcome: PayableOutcome): Promise<{ id: string }> {
  enforce(sandboxOnly(deps));
  await applyPayableOutcomes(deps, { kind: 'user', actor }, [{ payableId, outcome }]);
  return { id: payableId };
}
