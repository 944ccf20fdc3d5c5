/**
 * A user's life after creation: changing one's password, signing out, and an ADMIN deactivating a
 * user. Revocation works through sessions (a token's jti names one): a revoked session or a
 * deactivated user fails the one query that reads the actor's roles, so the next operation of every
 * token, key and stream re-check of that user answers UNAUTHENTICATED.
 */
import { hashPassword, verifyPassword } from '../../auth/password.ts';
import { AuditAction } from '../audit/audit.ts';
import type { Actor } from '../shared/actor.ts';
import { DomainError, ErrorCode, FieldError, invalidState, notFound } from '../shared/errors.ts';
import { FieldRules } from '../shared/input.ts';
import { inTransaction, type DomainDeps } from '../shared/unit-of-work.ts';
import { assertAnotherActiveAdmin, userTarget } from './user.commands.ts';

/** Keys and SCA-less machine callers cannot manage the person's own account. */
function requirePerson(actor: Actor, action: string) {
  if (actor.apiKeyId) throw new DomainError(ErrorCode.INSUFFICIENT_PERMISSIONS, `An API key cannot ${action}`);
}

/**
 * The current password is required (a stolen token alone cannot take the account over). Every other
 * session of the user is revoked; the calling one stays signed in.
 */
export async function changePassword(deps: DomainDeps, actor: Actor, currentPassword: string, newPassword: string) {
  requirePerson(actor, 'change a password');
  const rules = new FieldRules();
  rules.text('newPassword', newPassword, 12, 128);
  rules.throwIfAny();
  const user = await deps.tenantDb(actor.buyerId).user.findUniqueOrThrow({ where: { id: actor.userId } });
  if (!(await verifyPassword(currentPassword, user.passwordHash))) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, 'The current password is wrong', {
      invalidFields: [{ fieldName: 'currentPassword', error: FieldError.IN, params: { reason: 'WRONG_PASSWORD' } }],
    });
  }
  const passwordHash = await hashPassword(newPassword);
  return inTransaction(deps, actor.buyerId, actor, async (uow) => {
    await uow.tx.user.update({ where: { id: actor.userId }, data: { passwordHash } });
    const { count } = await uow.tx.userSession.updateMany({
      where: { userId: actor.userId, revokedAt: null, ...(actor.sessionId ? { id: { not: actor.sessionId } } : {}) },
      data: { revokedAt: deps.now() },
    });
    await uow.audit(AuditAction.PASSWORD_CHANGED, userTarget(actor.userId), { otherSessionsRevoked: count });
    return true;
  });
}

/** Revokes the calling session's token. */
export async function logout(deps: DomainDeps, actor: Actor) {
  requirePerson(actor, 'sign out (revoke the key instead)');
  if (!actor.sessionId) return true;
  return inTransaction(deps, actor.buyerId, actor, async (uow) => {
    await uow.tx.userSession.updateMany({ where: { id: actor.sessionId!, userId: actor.userId, revokedAt: null }, data: { revokedAt: deps.now() } });
    await uow.audit(AuditAction.LOGGED_OUT, userTarget(actor.userId), { sessionId: actor.sessionId });
    return true;
  });
}

/**
 * ADMIN deactivates a user of the buyer: the user cannot sign in, and their sessions and API keys
 * stop working at once (both are checked against `deactivated_at` on every operation; sessions are
 * revoked too, so a later reactivation would not revive old tokens). The last active ADMIN stays.
 */
export async function deactivateUser(deps: DomainDeps, actor: Actor, userId: string) {
  return inTransaction(deps, actor.buyerId, actor, async (uow) => {
    const user = await uow.tx.user.findUnique({ where: { id: userId } });
    if (!user) throw notFound('User');
    if (user.deactivatedAt) throw invalidState('DEACTIVATED', 'deactivate a user');
    if (user.roles.includes('ADMIN')) await assertAnotherActiveAdmin(uow.tx, actor.buyerId, user.id, 'userId');
    const now = deps.now();
    const updated = await uow.tx.user.update({ where: { id: userId }, data: { deactivatedAt: now } });
    const sessions = await uow.tx.userSession.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now } });
    const keys = await uow.tx.apiKey.updateMany({ where: { ownerId: userId, revokedAt: null }, data: { revokedAt: now } });
    await uow.audit(AuditAction.USER_DEACTIVATED, userTarget(userId), { sessionsRevoked: sessions.count, apiKeysRevoked: keys.count });
    return updated;
  });
}
