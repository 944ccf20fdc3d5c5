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
  match: CopMatch;
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
 * (SEPA has no CoP scheme; no account number, nothing to ask).
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
