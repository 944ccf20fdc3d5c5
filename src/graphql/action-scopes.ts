import type { ActionRule } from '../domain/shared/state-machine.ts';
import type { Role } from '../domain/shared/statuses.ts';

const SCOPE_OF: Record<Role, 'admin' | 'creator' | 'controller'> = { ADMIN: 'admin', CREATOR: 'creator', CONTROLLER: 'controller' };

/**
 * The scope-auth rule of a mutation, read off its action's row in the domain's tables (the
 * `*.states.ts` files): any of the row's roles; the bank's actions (simulate*) need any signed-in
 * user. Roles are therefore written once, in the domain.
 */
export function actionScopes(rule: ActionRule<string>) {
  if (rule.roles === 'SYSTEM') throw new Error('A system action has no mutation');
  if (rule.roles === 'BANK') return { authenticated: true } as const;
  return { $any: Object.fromEntries(rule.roles.map((role) => [SCOPE_OF[role], true])) as Partial<Record<'admin' | 'creator' | 'controller', true>> };
}
