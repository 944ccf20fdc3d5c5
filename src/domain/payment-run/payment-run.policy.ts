/**
 * Row rules for payment-run actions (roles are checked earlier, by the GraphQL layer's scope-auth).
 * Each `canX` answers the DomainError the action would fail with, or null: commands call them under
 * the run's row lock, and a `permissions` field could call them to show what a viewer may do.
 *
 * Order within a check: facts about the actor that no retry can change (SCA enrolment) first, then
 * the run's state, then rules relating actor and run (dual control, the confirming controller) —
 * so ten controllers racing to confirm all learn PAYMENT_RUN_ALREADY_CONFIRMED, not something else.
 */
import type { Actor } from '../shared/actor.ts';
import { DomainError, ErrorCode, insufficientPermissions } from '../shared/errors.ts';
import { checkStart, type ActionRule } from '../shared/state-machine.ts';
import type { PayableStatus, PaymentRunStatus } from '../shared/statuses.ts';
import { PAYABLE_ACTIONS } from './payable.states.ts';
import { CONFIRMED_RUN_STATUSES, PAYMENT_RUN_ACTIONS } from './payment-run.states.ts';

export interface RunFacts {
  readonly status: PaymentRunStatus;
  readonly createdById: string;
  readonly confirmedById: string | null;
}

export interface BuyerFacts {
  readonly requireDualControl: boolean;
}

const includes = <T extends string>(list: readonly T[], value: string): value is T => (list as readonly string[]).includes(value);

export const enforce = (error: DomainError | null): void => {
  if (error) throw error;
};

/** SCA is a person's device: an API key never passes it, whatever its owner enrolled. */
export function apiKeyRefused(actor: Actor, action: string): DomainError | null {
  return actor.apiKeyId ? insufficientPermissions(`${action} with an API key (SCA needs a person)`) : null;
}

export function scaEnrolment(actor: Actor): DomainError | null {
  const key = apiKeyRefused(actor, 'approve payments');
  if (key) return key;
  return actor.scaEnrolled ? null : new DomainError(ErrorCode.SCA_NOT_ENROLLED, 'Enrol an SCA device before approving payments');
}

/** SCA_NOT_ENROLLED when the action's row asks for an enrolled device (`sca: true`) and the actor has none. */
export const scaFor = (rule: ActionRule<string>, actor: Actor): DomainError | null => (rule.sca ? scaEnrolment(actor) : null);

/** Dual control: with the buyer's setting on, whoever created a run may not be the one approving it. */
export function dualControl(actor: Actor, run: RunFacts, buyer: BuyerFacts): DomainError | null {
  return buyer.requireDualControl && run.createdById === actor.userId
    ? new DomainError(ErrorCode.SELF_APPROVAL_NOT_ALLOWED, 'Dual control: the creator of a payment run may not confirm it')
    : null;
}

export function canConfirmPaymentRun(actor: Actor, run: RunFacts, buyer: BuyerFacts): DomainError | null {
  const enrolment = scaFor(PAYMENT_RUN_ACTIONS.confirm, actor);
  if (enrolment) return enrolment;
  if (includes(CONFIRMED_RUN_STATUSES, run.status)) {
    return new DomainError(ErrorCode.PAYMENT_RUN_ALREADY_CONFIRMED, 'Payment run is already confirmed', { currentStatus: run.status });
  }
  return checkStart(PAYMENT_RUN_ACTIONS.confirm, run.status, 'confirm a payment run') ?? dualControl(actor, run, buyer);
}

/** The challenge was issued to one controller's device; nobody else can answer it. */
export function canVerifyPaymentRunChallenge(actor: Actor, run: RunFacts): DomainError | null {
  const key = apiKeyRefused(actor, 'answer an SCA challenge');
  if (key) return key;
  const state = checkStart(PAYMENT_RUN_ACTIONS.passChallenge, run.status, 'answer an SCA challenge');
  if (state) return state;
  if (run.confirmedById !== actor.userId) return insufficientPermissions('answer an SCA challenge issued to another controller');
  return null;
}

/** A restart issues a new challenge to the restarting controller: the same rules as confirming. */
/** CONTRACT §7: a run may be restarted 3 times; after that it can only be cancelled. */
export const MAX_RESTARTS_PER_RUN = 3;

export function canRestartPaymentRun(actor: Actor, run: RunFacts & { readonly restartCount?: number }, buyer: BuyerFacts): DomainError | null {
  const enrolment = scaFor(PAYMENT_RUN_ACTIONS.restart, actor);
  if (enrolment) return enrolment;
  const state = checkStart(PAYMENT_RUN_ACTIONS.restart, run.status, 'restart a payment run');
  if (state) return state;
  if ((run.restartCount ?? 0) >= MAX_RESTARTS_PER_RUN) {
    return new DomainError(ErrorCode.SCA_ATTEMPTS_EXHAUSTED, `This payment run was restarted ${MAX_RESTARTS_PER_RUN} times; it can only be cancelled`, {
      currentStatus: run.status,
    });
  }
  return dualControl(actor, run, buyer);
}

export function canCancelPaymentRun(run: RunFacts): DomainError | null {
  return checkStart(PAYMENT_RUN_ACTIONS.cancel, run.status, 'cancel a payment run');
}

/** updatePayables and cancelPayables: the run first, then each named payable. */
export function canChangePayables(run: RunFacts): DomainError | null {
  return checkStart(PAYMENT_RUN_ACTIONS.updatePayables, run.status, 'change payables of a payment run');
}

export function canChangePayable(payable: { readonly status: PayableStatus }): DomainError | null {
  return checkStart(PAYABLE_ACTIONS.update, payable.status, 'change a payable');
}
