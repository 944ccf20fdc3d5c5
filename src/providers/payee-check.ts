/**
 * The Confirmation-of-Payee provider a deployment chooses (COP_PROVIDER): `sandbox`, the scripted
 * responder of src/sandbox; or `none`, no CoP at all. With `none` every payee CoP would apply to
 * (GBP with an account number) gets one stored outcome saying so — category COP_NOT_PERFORMED, no
 * match, no reason code, no account name — so nobody mistakes "not asked" for a verdict; payees CoP
 * does not apply to (EUR) get none, as with the responder. A real CoP provider implements the same
 * PayeeCheck port (src/domain/ports.ts) and is added here.
 */
import { COP_NOT_PERFORMED, type PayeeCheck, type PayeeDetails, type ValidationOutcome } from '../domain/ports.ts';
import { sandboxPayeeCheck } from '../sandbox/confirmation-of-payee.ts';

export const COP_PROVIDERS = ['sandbox', 'none'] as const;
export type CopProvider = (typeof COP_PROVIDERS)[number];

const notPerformed = (payee: PayeeDetails): ValidationOutcome | null =>
  payee.currency === 'GBP' && payee.accountNumber
    ? { category: COP_NOT_PERFORMED, match: null, reasonCode: null, accountName: null }
    : null;

export const noPayeeCheck: PayeeCheck = {
  check: async (payees) => payees.map(notPerformed),
};

export function payeeCheckFor(provider: CopProvider): PayeeCheck {
  return provider === 'none' ? noPayeeCheck : sandboxPayeeCheck;
}
