/**
 * Lifecycle of a payable group: one bank transfer carrying one or more payables to one beneficiary
 * (CONTRACT.md §13). Groups exist only in runs created with `bundleBySupplier`; they are formed at
 * funding, inside one batch, and their status is derived — never moved by a command — on every
 * change of their members or of their batch's attempts, in the same transaction:
 *
 *   OPEN ⇄ USER_INITIATION_IN_PROGRESS ─batch's attempt PROCESSED─▶ PROCESSING ─all members concluded─▶ PROCESSED
 *
 * A group whose members are all cancelled (its run or funding group cancelled) is PROCESSED from
 * wherever it was. CANCELLING mirrors the batch's: reserved for a cancellation the bank has still
 * to confirm, which the sandbox bank never leaves pending. A later RETURN keeps it PROCESSED
 * (RETURNED is concluded); its members, funding group and run record the error.
 * Terminal: PROCESSED.
 */
import { defineStateMachine, type TransitionTable } from '../shared/state-machine.ts';
import type { AuthorisationStatus, PayableGroupStatus } from '../shared/statuses.ts';
import { allPayablesConcluded, type PayableTally } from '../payment-run/payable.states.ts';
import { ACTIVE_ATTEMPT_STATUSES } from './funding.states.ts';

export const PAYABLE_GROUP_TRANSITIONS = {
  OPEN: ['USER_INITIATION_IN_PROGRESS', 'CANCELLING', 'PROCESSED'],
  USER_INITIATION_IN_PROGRESS: ['OPEN', 'PROCESSING', 'CANCELLING', 'PROCESSED'],
  PROCESSING: ['CANCELLING', 'PROCESSED'],
  CANCELLING: ['PROCESSED'],
  PROCESSED: [],
} as const satisfies TransitionTable<PayableGroupStatus>;

export const payableGroupStates = defineStateMachine<PayableGroupStatus>('PayableGroup', 'OPEN', PAYABLE_GROUP_TRANSITIONS);

export interface PayableGroupStatusInput {
  /** A cancellation of the group's batch has started and not yet finished. */
  readonly cancellationPending: boolean;
  /** The group's members, by status. */
  readonly payables: PayableTally;
  /** Every Authorisation attempt of the group's batch, any order. */
  readonly attemptStatuses: readonly AuthorisationStatus[];
}

/**
 * By precedence: CANCELLING while a cancellation is pending; PROCESSED when all its payables are
 * concluded; PROCESSING once its batch's attempt is PROCESSED; USER_INITIATION_IN_PROGRESS while an
 * attempt is active; else OPEN.
 */
export function derivePayableGroupStatus(input: PayableGroupStatusInput): PayableGroupStatus {
  if (input.cancellationPending) return 'CANCELLING';
  if (allPayablesConcluded(input.payables)) return 'PROCESSED';
  if (input.attemptStatuses.includes('PROCESSED')) return 'PROCESSING';
  if (input.attemptStatuses.some((s) => ACTIVE_ATTEMPT_STATUSES.includes(s))) return 'USER_INITIATION_IN_PROGRESS';
  return 'OPEN';
}
