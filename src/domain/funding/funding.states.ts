/**
 * Lifecycles of funding (CONTRACT.md §4 "Funding", "Derived statuses").
 *
 * Authorisation — the only one of the three that commands move directly:
 *
 *   USER_AUTHORISING ─APPROVE─▶ BANK_AUTHORISING ─▶ PROCESSED
 *          │ └─APPROVE, multi-auth bank─▶ AWAITING_MULTI_AUTH ─SECOND_SIGNATORY_APPROVE─▶ PROCESSED
 *          └─ any active state ─REJECT─▶ FAILED | ─CANCEL─▶ CANCELLED | ─TIME_OUT or 10 min─▶ TIMED_OUT
 *
 *   CREATED exists in the contract's vocabulary but is never stored: authoriseBatch hands the attempt
 *   to the user in the transaction that creates it, so the log shows null → USER_AUTHORISING. Its row
 *   keeps the table honest should an attempt ever be created before the user is sent to the bank.
 *   Terminal: PROCESSED, FAILED, CANCELLED, TIMED_OUT (a batch retries with a new attempt).
 *
 * FundingGroup and Batch are derived (src/domain/derived-status.ts) on every child change; their
 * tables list what the derivation may legitimately produce, and recomputeDerived treats anything
 * else as a bug (assertDerivedTransition), never as a user error.
 *
 *   Batch: OPEN ⇄ USER_INITIATION_IN_PROGRESS ─attempt PROCESSED─▶ PROCESSING ─all payables concluded─▶ PROCESSED
 *   A batch whose payables are all cancelled (its run or group cancelled) is PROCESSED from wherever
 *   it was. CANCELLING is reserved for a cancellation the bank has still to confirm; the sandbox bank
 *   cancels at once, so nothing sets cancellation_pending yet.
 *
 *   Group: PENDING_FUNDING ─all batches authorised─▶ AWAITING_FUNDS ─funds─▶ EXECUTING
 *          ─all payables concluded─▶ COMPLETED | COMPLETED_WITH_ERRORS;  COMPLETED ─late RETURN─▶ COMPLETED_WITH_ERRORS
 *   CANCELLED with the run (PENDING_FUNDING, AWAITING_FUNDS) or by cancelFundingGroup (AWAITING_FUNDS).
 */
import { defineStateMachine, type StateMachine, type TransitionTable } from '../shared/state-machine.ts';
import type { AuthorisationStatus, BatchStatus, FundingGroupStatus } from '../shared/statuses.ts';

export const AUTHORISATION_TRANSITIONS = {
  CREATED: ['USER_AUTHORISING', 'CANCELLED', 'TIMED_OUT'],
  USER_AUTHORISING: ['BANK_AUTHORISING', 'AWAITING_MULTI_AUTH', 'FAILED', 'CANCELLED', 'TIMED_OUT'],
  BANK_AUTHORISING: ['PROCESSED', 'FAILED', 'CANCELLED', 'TIMED_OUT'],
  AWAITING_MULTI_AUTH: ['PROCESSED', 'FAILED', 'CANCELLED', 'TIMED_OUT'],
  PROCESSED: [],
  FAILED: [],
  CANCELLED: [],
  TIMED_OUT: [],
} as const satisfies TransitionTable<AuthorisationStatus>;

export const authorisationStates = defineStateMachine<AuthorisationStatus>('Authorisation', 'CREATED', AUTHORISATION_TRANSITIONS);

export const BATCH_TRANSITIONS = {
  OPEN: ['USER_INITIATION_IN_PROGRESS', 'CANCELLING', 'PROCESSED'],
  USER_INITIATION_IN_PROGRESS: ['OPEN', 'PROCESSING', 'CANCELLING', 'PROCESSED'],
  PROCESSING: ['CANCELLING', 'PROCESSED'],
  CANCELLING: ['PROCESSED'],
  PROCESSED: [],
} as const satisfies TransitionTable<BatchStatus>;

export const batchStates = defineStateMachine<BatchStatus>('Batch', 'OPEN', BATCH_TRANSITIONS);

export const FUNDING_GROUP_TRANSITIONS = {
  PENDING_FUNDING: ['AWAITING_FUNDS', 'CANCELLED'],
  AWAITING_FUNDS: ['EXECUTING', 'CANCELLED'],
  EXECUTING: ['COMPLETED', 'COMPLETED_WITH_ERRORS'],
  COMPLETED: ['COMPLETED_WITH_ERRORS'],
  COMPLETED_WITH_ERRORS: [],
  CANCELLED: [],
} as const satisfies TransitionTable<FundingGroupStatus>;

export const fundingGroupStates = defineStateMachine<FundingGroupStatus>('FundingGroup', 'PENDING_FUNDING', FUNDING_GROUP_TRANSITIONS);

/** Attempts still holding their batch; past expiresAt the timer (or the next command) times them out. */
export const ACTIVE_ATTEMPT_STATUSES = (Object.keys(AUTHORISATION_TRANSITIONS) as AuthorisationStatus[])
  .filter((status) => !authorisationStates.isTerminal(status));

export const isActiveAttempt = (status: AuthorisationStatus) => ACTIVE_ATTEMPT_STATUSES.includes(status);

/** An attempt must conclude within this long (CONTRACT.md §4). */
export const AUTHORISATION_TTL_MS = 10 * 60_000;

/** A derived status outside its table means the derivation or its inputs are wrong: fail the transaction loudly. */
export function assertDerivedTransition<S extends string>(machine: StateMachine<S>, entityId: string, from: S, to: S): void {
  if (!machine.canTransition(from, to)) {
    throw new Error(`Derived ${machine.name} ${entityId}: ${from} → ${to} is not in the transition table`);
  }
}
