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

/**
 * A new authenticator secret for a user. The domain stores only `sealedSecret` (opaque to it: the
 * implementation encrypts it) and hands the rest to the user once; nothing can show it again.
 */
export interface OneTimeCodeEnrolment {
  readonly sealedSecret: string;
  /** otpauth://totp/… as authenticator apps read it (the secret is in it). */
  readonly otpauthUri: string;
  /** The same URI as a QR code, an SVG document. */
  readonly qrCodeSvg: string;
}

/** One code to check: the user's, for a purpose, against the sealed secret the domain stored. */
export interface OneTimeCodeCheck {
  readonly userId: string;
  readonly purpose: OneTimeCodePurpose;
  readonly code: string;
  /** The secret the code must come from (the pending one while enrolling); null: none stored. */
  readonly sealedSecret: string | null;
  readonly at: Date;
}

/**
 * An accepted code names the time step it belongs to, so the domain can refuse a step already used
 * (codes are single-use, CONTRACT §7); `step: null` marks a code tied to no step (the sandbox's fixed
 * code), to which single use does not apply. A refused code is null.
 */
export type OneTimeCodeMatch = { readonly step: number | null } | null;

/**
 * Strong customer authentication's one-time codes (TOTP in this gateway). Pure computation on what
 * the domain passes in: the domain keeps the sealed secrets and the used steps in its own rows, so
 * checking a code and recording its use commit in the same transaction as the effect.
 */
export interface OneTimeCodes {
  /** Creates a secret for the user; `accountName` labels it in the authenticator app. */
  startEnrolment(user: { readonly userId: string; readonly accountName: string }): Promise<OneTimeCodeEnrolment>;
  verify(check: OneTimeCodeCheck): Promise<OneTimeCodeMatch>;
}
