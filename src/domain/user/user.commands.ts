import { hashPassword, HashingBusy, verifyPassword, DUMMY_PASSWORD_HASH } from '../../auth/password.ts';
import { Prisma } from '../../generated/prisma/client.ts';
import { AuditAction } from '../audit/audit.ts';
import type { Actor } from '../shared/actor.ts';
import { DomainError, ErrorCode, FieldError, notFound } from '../shared/errors.ts';
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

/** CONTRACT §10: this many failed logins for one email within the window lock it for LOGIN_LOCK_MS. */
export const LOGIN_MAX_FAILURES = 5;
export const LOGIN_WINDOW_MS = 15 * 60 * 1000;
export const LOGIN_LOCK_MS = 15 * 60 * 1000;

/**
 * Wrong email and wrong password answer alike, after the same work, so neither can be probed; the
 * lockout applies to unknown emails too, for the same reason. The throttle lives in the database,
 * so it holds on every instance, and a locked email costs no hash. A success opens a session (the
 * token's jti, revocable); failures for a known user are audited in a transaction that commits
 * before the error is thrown (an unknown email belongs to no buyer's trail).
 */
export async function login(deps: DomainDeps, email: string, password: string, session: { ttlSeconds: number }) {
  const key = normaliseEmail(email);
  const now = deps.now();
  const throttle = await deps.prisma.loginThrottle.findUnique({ where: { email: key } });
  if (throttle?.lockedUntil && throttle.lockedUntil > now) {
    throw new DomainError(ErrorCode.RATE_LIMITED, 'Too many failed sign-ins for this email; try again later', {
      retryAfterMs: throttle.lockedUntil.getTime() - now.getTime(),
    });
  }
  const user = await deps.prisma.user.findUnique({ where: { email: key } });
  let ok: boolean;
  try {
    ok = await verifyPassword(password, user?.passwordHash ?? (await DUMMY_PASSWORD_HASH));
  } catch (error) {
    if (error instanceof HashingBusy) throw new DomainError(ErrorCode.RATE_LIMITED, 'Too many sign-ins in progress; try again shortly', { retryAfterMs: 1_000 });
    throw error;
  }
  const refused = () => new DomainError(ErrorCode.UNAUTHENTICATED, 'Invalid email or password');
  const active = !!user && ok && user.deactivatedAt === null;
  if (!active) await recordLoginFailure(deps, key, now);
  else if (throttle) await deps.prisma.loginThrottle.deleteMany({ where: { email: key } });
  if (!user) throw refused();
  const sessionId = await inTransaction(deps, user.buyerId, active ? user.id : null, async (uow) => {
    if (!active) {
      await uow.audit(AuditAction.LOGIN_FAILED, userTarget(user.id), { reason: ok ? 'DEACTIVATED' : 'WRONG_PASSWORD' });
      return null;
    }
    const id = uuidv7();
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

/** One atomic upsert per failure (concurrent failures all count); the 5th in the window locks. */
async function recordLoginFailure(deps: DomainDeps, email: string, now: Date) {
  const windowStart = new Date(now.getTime() - LOGIN_WINDOW_MS);
  const [row] = await deps.prisma.$queryRawUnsafe<{ failures: number }[]>(
    `INSERT INTO login_throttles (email, failures, window_starts_at) VALUES ($1, 1, $2::timestamptz)
     ON CONFLICT (email) DO UPDATE SET
       failures = CASE WHEN login_throttles.window_starts_at <= $3::timestamptz THEN 1 ELSE login_throttles.failures + 1 END,
       window_starts_at = CASE WHEN login_throttles.window_starts_at <= $3::timestamptz THEN $2::timestamptz ELSE login_throttles.window_starts_at END
     RETURNING failures`,
    email, now, windowStart,
  );
  if (Number(row?.failures ?? 0) >= LOGIN_MAX_FAILURES) {
    await deps.prisma.loginThrottle.update({
      where: { email },
      data: { failures: 0, windowStartsAt: now, lockedUntil: new Date(now.getTime() + LOGIN_LOCK_MS) },
    });
  }
}

/** Housekeeping: throttles whose window and lock are both over are forgotten (a job runner task). */
export async function deleteStaleLoginThrottles(deps: DomainDeps): Promise<number> {
  const now = deps.now();
  const { count } = await deps.prisma.loginThrottle.deleteMany({
    where: {
      windowStartsAt: { lte: new Date(now.getTime() - LOGIN_WINDOW_MS) },
      OR: [{ lockedUntil: null }, { lockedUntil: { lte: now } }],
    },
  });
  return count;
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

/**
 * The user with this email as an actor (roles read now), for setting up data without a password:
 * the demo seed. Not reachable through GraphQL.
 */
export async function actorByEmail(deps: DomainDeps, email: string): Promise<Actor | null> {
  const user = await deps.prisma.user.findUnique({ where: { email: normaliseEmail(email) }, select: { id: true, buyerId: true } });
  return user ? loadActor(deps.prisma, user.id, user.buyerId) : null;
}
