/**
 * Row rules for funding actions (roles are checked earlier, by the GraphQL layer's scope-auth).
 * Each `canX` answers the DomainError the action would fail with, or null; commands call them under
 * the run's row lock. Order: facts about the actor first (SCA), then the entity's own state, then
 * its run's — so the most specific currentStatus is the one reported.
 */
import type { Actor } from '../shared/actor.ts';
import { DomainError, ErrorCode, invalidState } from '../shared/errors.ts';
import { checkStart } from '../shared/state-machine.ts';
import type { AuthorisationStatus, BatchStatus, FundingGroupStatus, PaymentRunStatus } from '../shared/statuses.ts';
import type { DomainDeps } from '../shared/unit-of-work.ts';
import { PAYMENT_RUN_ACTIONS } from '../payment-run/payment-run.states.ts';
import { scaFor } from '../payment-run/payment-run.policy.ts';
import {
  AUTHORISABLE_RUN_STATUSES, AUTHORISATION_ACTIONS, BATCH_ACTIONS, BATCH_HELD_STATUS, FUNDING_GROUP_ACTIONS,
} from './funding.states.ts';

export { AUTHORISABLE_RUN_STATUSES } from './funding.states.ts';

export function canFundPaymentRun(run: { readonly status: PaymentRunStatus }): DomainError | null {
  return checkStart(PAYMENT_RUN_ACTIONS.fund, run.status, 'fund a payment run');
}

export function canAuthoriseBatch(
  actor: Actor, batch: { readonly status: BatchStatus; readonly activeAttempts: number }, run: { readonly status: PaymentRunStatus },
): DomainError | null {
  const enrolment = scaFor(BATCH_ACTIONS.authorise, actor);
  if (enrolment) return enrolment;
  const state = checkStart(BATCH_ACTIONS.authorise, batch.status, 'authorise a batch');
  if (state) return state;
  if (batch.activeAttempts > 0) return invalidState(BATCH_HELD_STATUS, 'authorise a batch with an attempt under way');
  return AUTHORISABLE_RUN_STATUSES.includes(run.status) ? null : invalidState(run.status, 'authorise a batch of this payment run');
}

export function canCancelAuthorisation(attempt: { readonly status: AuthorisationStatus }): DomainError | null {
  return checkStart(AUTHORISATION_ACTIONS.cancel, attempt.status, 'cancel a concluded authorisation');
}

export function canCancelFundingGroup(group: { readonly status: FundingGroupStatus }): DomainError | null {
  return checkStart(FUNDING_GROUP_ACTIONS.cancel, group.status, 'cancel a funding group');
}

export function canReceiveFunds(group: { readonly status: FundingGroupStatus }): DomainError | null {
  return checkStart(FUNDING_GROUP_ACTIONS.receiveFunds, group.status, 'receive funds for a funding group');
}

/** simulate* stand in for the bank; outside the sandbox nobody may play it (CONTRACT.md §1). */
export function sandboxOnly(deps: Pick<DomainDeps, 'sandbox'>): DomainError | null {
  return deps.sandbox ? null : new DomainError(ErrorCode.SANDBOX_DISABLED, 'Simulations are available in the sandbox only');
}
