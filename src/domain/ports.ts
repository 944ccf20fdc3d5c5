/**
 * What the domain needs from the outside world, as interfaces it owns. Implementations live outside
 * src/domain (this gateway injects the sandbox ones from src/services.ts through DomainDeps), so the
 * domain never imports a provider.
 */
export type { DomainDeps } from './shared/unit-of-work.ts';
export type { Actor } from './shared/actor.ts';

export type CopMatch = 'EXACT_MATCH' | 'CLOSE_MATCH' | 'NO_MATCH';
export type CopReasonCode =
  | 'ANNM' | 'MBAM' | 'BANM' | 'PANM' | 'BAMM' | 'PAMM' | 'AC01' | 'IVCR' | 'ACNS' | 'OPTO' | 'CASS' | 'SCNS';

/** One Confirmation-of-Payee answer, stored on the payable as the contract's ValidationOutcome. */
export interface ValidationOutcome {
  category: string;
  /** null only when no check was made (category COP_NOT_PERFORMED): there is no verdict to report. */
  match: CopMatch | null;
  reasonCode: CopReasonCode | null;
  accountName: string | null;
}

export interface PayeeDetails {
  currency: 'GBP' | 'EUR';
  accountNumber?: string | null;
  supplierType?: 'PERSONAL' | 'BUSINESS' | null;
  supplierName: string;
}

/**
 * Confirmation of Payee, batched: one answer per payee, in order; null where CoP does not apply
 * (SEPA has no CoP scheme; no account number, nothing to ask). A whole run is handed over in one
 * call; an implementation splits it into as few provider requests as the provider allows.
 *
 * The domain calls it only outside any transaction (see payment-run/payee-checks.ts: calling it
 * inside a unit of work throws), and applies the answers afterwards under the run's lock with a
 * state check — so a slow provider never holds a row lock.
 */
export interface PayeeCheck {
  check(payees: readonly PayeeDetails[]): Promise<(ValidationOutcome | null)[]>;
}

/** AC01 means the account does not exist; it is the only outcome that makes a run INVALID. */
export function isAccountMissing(outcome: ValidationOutcome | null | undefined): boolean {
  return outcome?.reasonCode === 'AC01';
}

/** Why a one-time code is asked for. */
export type OneTimeCodePurpose = 'SCA_ENROLMENT' | 'PAYMENT_RUN_CHALLENGE';

/** Verifies a user's one-time code (SCA) for a purpose. */
export interface OneTimeCodes {
  verify(userId: string, purpose: OneTimeCodePurpose, code: string): Promise<boolean>;
}

/** Category of the outcome stored when the gateway performs no CoP (COP_PROVIDER=none). */
export const COP_NOT_PERFORMED = 'COP_NOT_PERFORMED';

/** What the domain tells the bank when an attempt to authorise a batch starts. */
export interface BankAuthorisationRequest {
  /** The gateway's own id of the attempt (uuid); the bank's events name it by its global id. */
  readonly authorisationId: string;
  readonly buyerId: string;
  readonly paymentRunId: string;
  readonly batchId: string;
  readonly currency: 'GBP' | 'EUR';
  /** Sum of the batch's payables, minor units. */
  readonly totalAmount: bigint;
  readonly payableCount: number;
}

/** What the bank answers: where the user approves, and its own reference for the attempt. */
export interface BankAuthorisationStart {
  readonly redirectUrl: string;
  readonly providerReference: string;
}

/**
 * The payer's bank (a payment-initiation provider). Starting authorisations is outbound, batched
 * (authoriseBatches starts up to a run's every batch at once), called outside any row lock; one
 * answer per request, in order. What the bank reports later comes in through the public domain
 * commands in bank/bank.commands.ts (POST /bank/events, the sandbox's simulate* and autopilot).
 */
export interface Bank {
  startAuthorisations(requests: readonly BankAuthorisationRequest[]): Promise<BankAuthorisationStart[]>;
}
