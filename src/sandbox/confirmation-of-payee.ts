/**
 * Sandbox Confirmation-of-Payee responder (CONTRACT.md §4 "Creation"): a deterministic stand-in for
 * the UK CoP service, keyed on magic account numbers so clients can script every outcome.
 */

import type { CopReasonCode, PayeeCheck, PayeeDetails, ValidationOutcome } from '../domain/ports.ts';

export type { CopMatch, CopReasonCode, PayeeDetails, ValidationOutcome } from '../domain/ports.ts';
export { isAccountMissing } from '../domain/ports.ts';

export const COP_CATEGORY = 'CONFIRMATION_OF_PAYEE';

/** Magic account numbers of the sandbox responder. */
export const CopSandboxAccount = {
  CLOSE_MATCH: '11111111',
  NO_MATCH: '22222222',
  ACCOUNT_MISSING: '33333333',
  WRONG_ACCOUNT_TYPE: '44444444',
  OPTED_OUT: '55555555',
} as const;

const LTD_SUFFIX = /\s+(ltd|limited)\.?\s*$/i;

/** A deterministic "what the bank holds" name that is close to, but not, the given one. */
export function closeMatchName(supplierName: string): string {
  const trimmed = supplierName.trimEnd();
  const stripped = trimmed.replace(LTD_SUFFIX, '');
  // A name that is only "Ltd" would strip to nothing; appending keeps the variant non-empty.
  return stripped !== trimmed && stripped !== '' ? stripped : `${trimmed} Ltd`;
}

const noMatch = (reasonCode: CopReasonCode): ValidationOutcome =>
  ({ category: COP_CATEGORY, match: 'NO_MATCH', reasonCode, accountName: null });

/**
 * The outcome for one payee, or null when CoP does not apply: SEPA has no CoP scheme, and without
 * an account number there is nothing to ask the payee's bank about.
 */
export function checkPayee(details: PayeeDetails): ValidationOutcome | null {
  if (details.currency !== 'GBP' || !details.accountNumber) return null;
  switch (details.accountNumber) {
    case CopSandboxAccount.CLOSE_MATCH:
      return { category: COP_CATEGORY, match: 'CLOSE_MATCH', reasonCode: 'MBAM', accountName: closeMatchName(details.supplierName) };
    case CopSandboxAccount.NO_MATCH:
      return noMatch('ANNM');
    case CopSandboxAccount.ACCOUNT_MISSING:
      return noMatch('AC01');
    case CopSandboxAccount.WRONG_ACCOUNT_TYPE:
      // The name matches but the account type is the other one: a PERSONAL payee is really a
      // business account (BANM), a BUSINESS payee a personal one (PANM). Type is required for GBP,
      // so the untyped case only arises from direct callers; treat it like PERSONAL.
      return noMatch(details.supplierType === 'BUSINESS' ? 'PANM' : 'BANM');
    case CopSandboxAccount.OPTED_OUT:
      return noMatch('OPTO');
    default:
      return { category: COP_CATEGORY, match: 'EXACT_MATCH', reasonCode: null, accountName: null };
  }
}

/** The sandbox responder behind the domain's PayeeCheck port. */
export const sandboxPayeeCheck: PayeeCheck = {
  check: async (payees) => payees.map(checkPayee),
};
