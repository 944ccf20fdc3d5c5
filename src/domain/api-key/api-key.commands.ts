/**
 * API keys belong to a user and act as that user with the roles both hold (see src/auth/api-keys.ts
 * for the secret's format and storage). Rules:
 * - a user creates keys only for themselves, with roles they hold now: asking for a role one lacks
 *   is a permission question, so it answers INSUFFICIENT_PERMISSIONS (not BAD_USER_INPUT);
 * - a key cannot create keys (revoking a key must never leave a child behind);
 * - a user revokes their own keys; an ADMIN any key of the buyer. Another user's key answers
 *   NOT_FOUND to a non-ADMIN, exactly like a key that does not exist.
 */
import { newApiKeySecret } from '../../auth/api-keys.ts';
import { AuditAction } from '../audit/audit.ts';
import type { Actor } from '../shared/actor.ts';
import { DomainError, ErrorCode, FieldError, invalidState, notFound } from '../shared/errors.ts';
import { FieldRules } from '../shared/input.ts';
import type { Role } from '../shared/statuses.ts';
import { inTransaction, type DomainDeps } from '../shared/unit-of-work.ts';
import { isUniqueViolation } from '../user/user.commands.ts';

export interface CreateApiKeyInput {
  name: string;
  roles: Role[];
}

const keyTarget = (id: string) => ({ type: 'ApiKey', id });

export async function createApiKey(deps: DomainDeps, actor: Actor, input: CreateApiKeyInput, pepper: string) {
  if (actor.apiKeyId) throw new DomainError(ErrorCode.INSUFFICIENT_PERMISSIONS, 'An API key cannot create API keys');
  const rules = new FieldRules();
  rules.text('name', input.name, 1, 100);
  const roles = [...new Set(input.roles)];
  if (roles.length === 0) rules.add({ fieldName: 'roles', error: FieldError.SIZE, params: { min: 1 } });
  rules.throwIfAny();
  const lacking = roles.filter((role) => !actor.roles.has(role));
  if (lacking.length) {
    throw new DomainError(ErrorCode.INSUFFICIENT_PERMISSIONS, 'A key can only hold roles its owner holds', { roles: lacking });
  }
  // The 48-bit prefix is unique by index; a collision is astronomically rare, and simply retried.
  for (let attempt = 0; ; attempt++) {
    const { prefix, secret, secretHash } = newApiKeySecret(pepper);
    try {
      const apiKey = await inTransaction(deps, actor.buyerId, actor, async (uow) => {
        const key = await uow.tx.apiKey.create({
          data: { buyerId: actor.buyerId, ownerId: actor.userId, name: input.name, roles, prefix, secretHash },
        });
        await uow.audit(AuditAction.API_KEY_CREATED, keyTarget(key.id), { name: key.name, roles: key.roles, prefix });
        return key;
      });
      return { apiKey, secret };
    } catch (error) {
      if (!isUniqueViolation(error) || attempt >= 2) throw error;
    }
  }
}

export async function revokeApiKey(deps: DomainDeps, actor: Actor, id: string) {
  return inTransaction(deps, actor.buyerId, actor, async (uow) => {
    const key = await uow.tx.apiKey.findUnique({ where: { id } });
    if (!key || (key.ownerId !== actor.userId && !actor.roles.has('ADMIN'))) throw notFound('API key');
    if (key.revokedAt) throw invalidState('REVOKED', 'revoke an API key');
    const revoked = await uow.tx.apiKey.update({ where: { id }, data: { revokedAt: deps.now() } });
    await uow.audit(AuditAction.API_KEY_REVOKED, keyTarget(id), { name: key.name });
    return revoked;
  });
}
