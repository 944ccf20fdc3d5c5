/**
 * Which actions a viewer may take on a payment run right now, answered by the same rules the
 * commands enforce: the role table below (read by the mutations' auth scopes too) and the `canX`
 * policies of payment-run.policy.ts and funding.policy.ts. The dashboard offers exactly these
 * buttons, so no rule is written twice and a button never leads to a refusal it could have foreseen.
 */
import type { Actor } from '../shared/actor.ts';
import type { DomainError } from '../shared/errors.ts';
import type { BatchStatus, Role } from '../shared/statuses.ts';
import { canAuthoriseBatch, canFundPaymentRun } from '../funding/funding.policy.ts';
import { BATCH_ACTIONS } from '../funding/funding.states.ts';
import { PAYMENT_RUN_ACTIONS } from './payment-run.states.ts';
import {
  canCancelPaymentRun, canChangePayables, canConfirmPaymentRun, canRestartPaymentRun, canVerifyPaymentRunChallenge,
  type BuyerFacts, type RunFacts,
} from './payment-run.policy.ts';

export const PaymentRunAction = {
  CONFIRM: 'CONFIRM',
  VERIFY_CHALLENGE: 'VERIFY_CHALLENGE',
  RESTART: 'RESTART',
  CANCEL: 'CANCEL',
  FUND: 'FUND',
  AUTHORISE_BATCHES: 'AUTHORISE_BATCHES',
  UPDATE_PAYABLES: 'UPDATE_PAYABLES',
  CANCEL_PAYABLES: 'CANCEL_PAYABLES',
} as const;
export type PaymentRunAction = keyof typeof PaymentRunAction;

/**
 * Who may attempt each action: read from the action tables (payment-run.states.ts,
 * funding.states.ts), the same rows the mutations' auth scopes and the policies read.
 */
export const PAYMENT_RUN_ACTION_ROLES = {
  CONFIRM: PAYMENT_RUN_ACTIONS.confirm.roles,
  VERIFY_CHALLENGE: PAYMENT_RUN_ACTIONS.passChallenge.roles,
  RESTART: PAYMENT_RUN_ACTIONS.restart.roles,
  CANCEL: PAYMENT_RUN_ACTIONS.cancel.roles,
  FUND: PAYMENT_RUN_ACTIONS.fund.roles,
  AUTHORISE_BATCHES: BATCH_ACTIONS.authorise.roles,
  UPDATE_PAYABLES: PAYMENT_RUN_ACTIONS.updatePayables.roles,
  CANCEL_PAYABLES: PAYMENT_RUN_ACTIONS.cancelPayables.roles,
} as const satisfies Record<PaymentRunAction, readonly Role[]>;

export interface BatchFacts {
  readonly status: BatchStatus;
  readonly activeAttempts: number;
}

export interface PermissionFacts {
  readonly run: RunFacts;
  readonly buyer: BuyerFacts;
  /** Funding groups already created: funding again would only return them, so it is not offered. */
  readonly fundingGroupCount: number;
  readonly batches: readonly BatchFacts[];
}

export const holdsRoleFor = (actor: Actor, action: PaymentRunAction): boolean =>
  PAYMENT_RUN_ACTION_ROLES[action].some((role) => actor.roles.has(role));

const allowed = (refusal: DomainError | null) => refusal === null;

/** The row rules, each the very policy its command enforces under the run's lock. */
const ROW_RULES: Record<PaymentRunAction, (actor: Actor, facts: PermissionFacts) => boolean> = {
  CONFIRM: (actor, f) => allowed(canConfirmPaymentRun(actor, f.run, f.buyer)),
  VERIFY_CHALLENGE: (actor, f) => allowed(canVerifyPaymentRunChallenge(actor, f.run)),
  RESTART: (actor, f) => allowed(canRestartPaymentRun(actor, f.run, f.buyer)),
  CANCEL: (_actor, f) => allowed(canCancelPaymentRun(f.run)),
  FUND: (_actor, f) => allowed(canFundPaymentRun(f.run)) && f.fundingGroupCount === 0,
  AUTHORISE_BATCHES: (actor, f) => f.batches.some((batch) => allowed(canAuthoriseBatch(actor, batch, f.run))),
  UPDATE_PAYABLES: (_actor, f) => allowed(canChangePayables(f.run)),
  CANCEL_PAYABLES: (_actor, f) => allowed(canChangePayables(f.run)),
};

/** The actions `actor` may take now, in a stable order. */
export function viewerActions(actor: Actor, facts: PermissionFacts): PaymentRunAction[] {
  return (Object.keys(PaymentRunAction) as PaymentRunAction[])
    .filter((action) => holdsRoleFor(actor, action) && ROW_RULES[action](actor, facts));
}
