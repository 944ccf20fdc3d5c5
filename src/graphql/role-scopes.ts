import { PAYMENT_RUN_ACTION_ROLES, type PaymentRunAction } from '../domain/payment-run/payment-run.permissions.ts';
import type { Role } from '../domain/shared/statuses.ts';

const SCOPE_OF_ROLE = { ADMIN: 'admin', CREATOR: 'creator', CONTROLLER: 'controller' } as const satisfies Record<Role, string>;

/**
 * The auth scopes of a payment-run mutation, read from the domain's role table — the same table
 * PaymentRun.viewerActions answers from, so the offered buttons and the enforced roles cannot drift.
 */
export function scopesFor(action: PaymentRunAction): { $any: Partial<Record<(typeof SCOPE_OF_ROLE)[Role], boolean>> } {
  return { $any: Object.fromEntries(PAYMENT_RUN_ACTION_ROLES[action].map((role) => [SCOPE_OF_ROLE[role], true])) };
}
