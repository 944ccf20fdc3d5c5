import { hashPassword, verifyPassword, DUMMY_PASSWORD_HASH } from '../../auth/password.ts';
import { Prisma } from '../../generated/prisma/client.ts';
import { AuditAction } from '../audit/audit.ts';
import type { Actor } from '../shared/actor.ts';
import { DomainError, ErrorCode, FieldError, invalidState, notFound } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { checkNewUser, FieldRules, normaliseEmail, type NewUserInput } from '../shared/input.ts';
import type { Role } from '../shared/statuses.ts';
import { inTransaction, type DomainDeps, type Tx } from '../shared/unit-of-work.ts';
import { loadActor } from './user.queries.ts';

export const emailTaken = (fieldName: string) =>
  new DomainError(ErrorCode.BAD_USER_INPUT, 'That email is already registered', {
    invalidFields: [{ fieldName, error: FieldError.IN, params: { reason: 'ALREADY_REGISTERED' } }],
  });

export const isUniqueViolation = (error: unknown) =>
  error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';

export const userTarget = (id: string) => ({ type: 'User', id });

/**
 * Wrong email and wrong password answer alike, after the same work, so neither can be probed. A
 * success opens a session (the token's jti, revocable); failures for a known user are audited in a
 * transaction that commits before the error is thrown (an unknown email belongs to no buyer's trail).
 */
export async function login(deps: DomainDeps, email: string, password: string, session: { ttlSeconds: number }) {
  const user = await deps.prisma.user.findUnique({ where: { email: normaliseEmail(email) } });
  const ok = await verifyPassword(password, user?.passwordHash ?? (await DUMMY_PASSWORD_HASH));
  const refused = () => new DomainError(ErrorCode.UNAUTHENTICATED, 'Invalid email or password');
  if (!user) throw refused();
  const active = ok && user.deactivatedAt === null;
  const sessionId = await inTransaction(deps, user.buyerId, active ? user.id : null, async (uow) => {
    if (!active) {
      await uow.audit(AuditAction.LOGIN_FAILED, userTarget(user.id), { reason: ok ? 'DEACTIVATED' : 'WRONG_PASSWORD' });
      return null;
    }
    const id = uuidv7();
    const now = deps.now();
    // Expired sessions of this user go as a new one comes: the table stays small without a job.
    await uow.tx.userSession.deleteMany({ where: { userId: user.id, expiresAt: { lt: now } } });
    await uow.tx.userSession.create({
      data: { id, buyerId: user.buyerId, userId: user.id, expiresAt: new Date(now.getTime() + session.ttlSeconds * 1000) },
    });
    await uow.audit(AuditAction.LOGIN_SUCCEEDED, userTarget(user.id), { sessionId: id });
    return id;
  });
  if (!sessionId) throw refused();
  return { user, sessionId };
}

export async function createUser(deps: DomainDeps, actor: Actor, input: NewUserInput & { roles?: Role[] | null }) {
  const rules = new FieldRules();
  checkNewUser(rules, input);
  rules.throwIfAny();
  const passwordHash = await hashPassword(input.password);
  try {
    return await inTransaction(deps, actor.buyerId, actor, async (uow) => {
      const user = await uow.tx.user.create({
        data: {
          buyerId: actor.buyerId,
          email: normaliseEmail(input.email),
          name: input.name,
          passwordHash,
          roles: [...new Set(input.roles ?? [])],
        },
      });
      await uow.audit(AuditAction.USER_CREATED, userTarget(user.id), { email: user.email, roles: user.roles });
      return user;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw emailTaken('email');
    throw error;
  }
}

/**
 * A buyer keeps at least one active ADMIN. Locks the buyer's admins first, so two admins cannot
 * demote or deactivate each other at the same moment; `leaving` is the admin about to stop counting.
 */
export async function assertAnotherActiveAdmin(tx: Tx, buyerId: string, leaving: string, fieldName: string) {
  await tx.$queryRawUnsafe(`SELECT id FROM users WHERE buyer_id = $1::uuid AND 'ADMIN' = ANY(roles) FOR UPDATE`, buyerId);
  const others = await tx.user.count({ where: { roles: { has: 'ADMIN' }, deactivatedAt: null, id: { not: leaving } } });
  if (others === 0) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, 'A buyer keeps at least one active ADMIN', {
      invalidFields: [{ fieldName, error: FieldError.IN, params: { reason: 'LAST_ADMIN' } }],
    });
  }
}

export async function setUserRoles(deps: DomainDeps, actor: Actor, userId: string, roles: Role[]) {
  return inTransaction(deps, actor.buyerId, actor, async (uow) => {
    const user = await uow.tx.user.findUnique({ where: { id: userId } });
    if (!user) throw notFound('User');
    const unique = [...new Set(roles)];
    if (user.roles.includes('ADMIN') && !unique.includes('ADMIN') && user.deactivatedAt === null) {
      await assertAnotherActiveAdmin(uow.tx, actor.buyerId, user.id, 'roles');
    }
    const updated = await uow.tx.user.update({ where: { id: userId }, data: { roles: unique } });
    await uow.audit(AuditAction.USER_ROLES_CHANGED, userTarget(user.id), { from: user.roles, to: updated.roles });
    return updated;
  });
}

export async function enrolScaDevice(deps: DomainDeps, actor: Actor): Promise<boolean> {
  await deps.tenantDb(actor.buyerId).user.update({
    where: { id: actor.userId },
    data: { scaEnrolmentStartedAt: deps.now() },
  });
  return true;
}

export async function verifyScaEnrolment(deps: DomainDeps, actor: Actor, code: string) {
  return inTransaction(deps, actor.buyerId, actor, async (uow) => {
    const user = await uow.tx.user.findUniqueOrThrow({ where: { id: actor.userId } });
    if (!user.scaEnrolmentStartedAt) throw invalidState(user.scaEnrolled ? 'ENROLLED' : 'NOT_ENROLLED', 'verify an enrolment that was not started');
    if (!(await deps.oneTimeCodes.verify(actor.userId, 'SCA_ENROLMENT', code))) throw new DomainError(ErrorCode.SCA_CHALLENGE_INVALID, 'Wrong one-time password');
    const updated = await uow.tx.user.update({
      where: { id: actor.userId },
      data: { scaEnrolled: true, scaEnrolmentStartedAt: null },
    });
    await uow.audit(AuditAction.SCA_ENROLLED, userTarget(user.id));
    return updated;
  });
}

/** ADMIN clears a user's SCA enrolment (a lost device): they must enrol again before approving. */
export async function resetScaEnrolment(deps: DomainDeps, actor: Actor, userId: string) {
  return inTransaction(deps, actor.buyerId, actor, async (uow) => {
    const user = await uow.tx.user.findUnique({ where: { id: userId } });
    if (!user) throw notFound('User');
    const updated = await uow.tx.user.update({ where: { id: userId }, data: { scaEnrolled: false, scaEnrolmentStartedAt: null } });
    await uow.audit(AuditAction.SCA_RESET, userTarget(user.id), { wasEnrolled: user.scaEnrolled });
    return updated;
  });
}

/**
 * The user with this email as an actor (roles read now), for setting up data without a password:
 * the demo seed. Not reachable through GraphQL.
 */
export async function actorByEmail(deps: DomainDeps, email: string): Promise<Actor | null> {
  const user = await deps.prisma.user.findUnique({ where: { email: normaliseEmail(email) }, select: { id: true, buyerId: true } });
  return user ? loadActor(deps.prisma, user.id, user.buyerId) : null;
}
