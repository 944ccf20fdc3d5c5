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
 * code), to which single use does not apply. A refused code is null. `resealedSecret`: the same
 * secret sealed again under the current key, when an old key (a rotation in progress) opened it;
 * the domain stores it in the transaction that spends the code. `secretFingerprint`: a keyed digest
 * of the secret the code came from (keyed per process, never stored), so the domain can tell a
 * re-sealed copy of the same secret (a rotation) from a new secret without seeing either.
 */
export type OneTimeCodeMatch = {
  readonly step: number | null;
  readonly resealedSecret?: string;
  readonly secretFingerprint?: Buffer;
} | null;

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
