/**
 * The sandbox bank behind the domain's Bank port: it starts every authorisation at once, hands back
 * a redirect URL on a host that does not exist (nobody approves there: the sandbox's simulate*
 * mutations and the autopilot play the bank's answers) and a reference derived from the attempt.
 */
import type { Bank } from '../domain/ports.ts';

/** Where the user would approve at the (sandbox) bank. */
export const sandboxRedirectUrl = (attemptId: string) => `https://sandbox-bank.example/authorise/${attemptId}`;

/** The sandbox bank's reference for an attempt. */
export const sandboxBankReference = (attemptId: string) => `sandbox-${attemptId}`;

export const sandboxBank: Bank = {
  startAuthorisations: async (requests) =>
    requests.map((r) => ({ redirectUrl: sandboxRedirectUrl(r.authorisationId), providerReference: sandboxBankReference(r.authorisationId) })),
};
