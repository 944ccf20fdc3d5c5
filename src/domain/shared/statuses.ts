/** The contract's status vocabularies (CONTRACT.md §3), shared by domain code, Prisma and GraphQL. */
const values = <T extends string>(...v: T[]) => Object.freeze(Object.fromEntries(v.map((s) => [s, s])) as { [K in T]: K });

export const PaymentRunStatus = values(
  'QUEUED', 'INVALID', 'PENDING_CONFIRMATION', 'PENDING_CHALLENGE', 'SCA_FAILED',
  'PENDING_FUNDING', 'EXECUTING', 'COMPLETED', 'COMPLETED_WITH_ERRORS', 'CANCELLED',
);
export type PaymentRunStatus = keyof typeof PaymentRunStatus;

export const PayableStatus = values(
  'QUEUED', 'PENDING_CONFIRMATION', 'PENDING_CHALLENGE', 'SCA_FAILED', 'PENDING_FUNDING',
  'AWAITING_FUNDS', 'EXECUTING', 'COMPLETED', 'FAILED', 'RETURNED', 'CANCELLED',
);
export type PayableStatus = keyof typeof PayableStatus;

export const FundingGroupStatus = values(
  'PENDING_FUNDING', 'AWAITING_FUNDS', 'EXECUTING', 'COMPLETED', 'COMPLETED_WITH_ERRORS', 'CANCELLED',
);
export type FundingGroupStatus = keyof typeof FundingGroupStatus;

export const BatchStatus = values('OPEN', 'USER_INITIATION_IN_PROGRESS', 'PROCESSING', 'CANCELLING', 'PROCESSED');
export type BatchStatus = keyof typeof BatchStatus;

/** A payable group (one bank transfer, CONTRACT.md §13): the batch's vocabulary, derived the same way. */
export const PayableGroupStatus = values('OPEN', 'USER_INITIATION_IN_PROGRESS', 'PROCESSING', 'CANCELLING', 'PROCESSED');
export type PayableGroupStatus = keyof typeof PayableGroupStatus;

export const AuthorisationStatus = values(
  'CREATED', 'USER_AUTHORISING', 'BANK_AUTHORISING', 'AWAITING_MULTI_AUTH',
  'PROCESSED', 'FAILED', 'CANCELLED', 'TIMED_OUT',
);
export type AuthorisationStatus = keyof typeof AuthorisationStatus;

export const Currency = values('GBP', 'EUR');
export type Currency = keyof typeof Currency;

export const Role = values('ADMIN', 'CREATOR', 'CONTROLLER');
export type Role = keyof typeof Role;

export const EntityType = values('PAYMENT_RUN', 'FUNDING_GROUP', 'PAYABLE', 'BATCH', 'AUTHORISATION', 'PAYABLE_GROUP');
export type EntityType = keyof typeof EntityType;

// Status groups that carry rules live beside their machines; re-exported here for older callers.
export { CONCLUDED_PAYABLE_STATUSES } from '../payment-run/payable.states.ts';
export { ACTIVE_ATTEMPT_STATUSES as ACTIVE_AUTHORISATION_STATUSES } from '../funding/funding.states.ts';
