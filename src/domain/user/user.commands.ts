import { hashPassword, HashingBusy, verifyPassword, DUMMY_PASSWORD_HASH } from '../../auth/password.ts';
import { Prisma } from '../../generated/prisma/client.ts';
import { isValidOneTimePassword } from '../../sandbox/sca.ts';
import type { Actor } from '../shared/actor.ts';
import { DomainError, ErrorCode, FieldError, invalidState, notFound } from '../shared/errors.ts';
import { checkNewUser, FieldRules, normaliseEmail, type NewUserInput } from '../shared/input.ts';
import type { Role } from '../shared/statuses.ts';
import type { DomainDeps } from '../shared/unit-of-work.ts';

export const emailTaken = (fieldName: string) =>
  new DomainError(ErrorCode.BAD_USER_INPUT, 'That email is already registered', {
    invalidFields: [{ fieldName, error: FieldError.IN, params: { reason: 'ALREADY_REGISTERED' } }],
  });

export const isUniqueViolation = (error: unknown) =>
  error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';

/** CONTRACT §10: this many failed logins for one email within the window lock it for LOGIN_LOCK_MS. */
export const LOGIN_MAX_FAILURES = 5;
export const LOGIN_WINDOW_MS = 15 * 60 * 1000;
export const LOGIN_LOCK_MS = 15 * 60 * 1000;

/**
 * Wrong email and wrong password answer alike, after the same work, so neither can be probed; the
 * lockout applies to unknown emails too, for the same reason. The throttle lives in the database,
 * so it holds on every instance, and a locked email costs no hash.
 */
export async function login(deps: DomainDeps, email: string, password: string) {
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
  if (user && ok) {
    if (throttle) await deps.prisma.loginThrottle.deleteMany({ where: { email: key } });
    return user;
  }
  await recordLoginFailure(deps, key, now);
  throw new DomainError(ErrorCode.UNAUTHENTICATED, 'Invalid email or password');
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
    return await deps.tenantDb(actor.buyerId).user.create({
      data: {
        buyerId: actor.buyerId,
        email: normaliseEmail(input.email),
        name: input.name,
        passwordHash,
        roles: [...new Set(input.roles ?? [])],
      },
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw emailTaken('email');
    throw error;
  }
}

export async function setUserRoles(deps: DomainDeps, actor: Actor, userId: string, roles: Role[]) {
  const db = deps.tenantDb(actor.buyerId);
  return db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: userId } });
    if (!user) throw notFound('User');
    const unique = [...new Set(roles)];
    if (user.roles.includes('ADMIN') && !unique.includes('ADMIN')) {
      // Lock the buyer's admins so two admins cannot demote each other at the same moment.
      await tx.$queryRawUnsafe(
        `SELECT id FROM users WHERE buyer_id = $1::uuid AND 'ADMIN' = ANY(roles) FOR UPDATE`,
        actor.buyerId,
      );
      const admins = await tx.user.count({ where: { roles: { has: 'ADMIN' } } });
      if (admins <= 1) {
        throw new DomainError(ErrorCode.BAD_USER_INPUT, 'A buyer keeps at least one ADMIN', {
          invalidFields: [{ fieldName: 'roles', error: FieldError.IN, params: { reason: 'LAST_ADMIN' } }],
        });
      }
    }
    return tx.user.update({ where: { id: userId }, data: { roles: unique } });
  });
}

/** Wrong verifyScaEnrolment codes in a row that discard the enrolment (CONTRACT §7). */
export const MAX_ENROLMENT_FAILURES = 5;

export async function enrolScaDevice(deps: DomainDeps, actor: Actor): Promise<boolean> {
  await deps.tenantDb(actor.buyerId).user.update({
    where: { id: actor.userId },
    data: { scaEnrolmentStartedAt: deps.now(), scaEnrolmentFailures: 0 },
  });
  return true;
}

export async function verifyScaEnrolment(deps: DomainDeps, actor: Actor, code: string) {
  const db = deps.tenantDb(actor.buyerId);
  const user = await db.user.findUniqueOrThrow({ where: { id: actor.userId } });
  if (!user.scaEnrolmentStartedAt) throw invalidState(user.scaEnrolled ? 'ENROLLED' : 'NOT_ENROLLED', 'verify an enrolment that was not started');
  if (!isValidOneTimePassword(code)) {
    // CONTRACT §7: 5 wrong codes in a row discard the enrolment; it must be started again. The
    // count is one atomic increment so concurrent guesses cannot share an attempt.
    const [counted] = await deps.prisma.$queryRawUnsafe<{ failures: number }[]>(
      `UPDATE users SET sca_enrolment_failures = sca_enrolment_failures + 1
        WHERE id = $1::uuid AND buyer_id = $2::uuid AND sca_enrolment_started_at IS NOT NULL RETURNING sca_enrolment_failures AS failures`,
      actor.userId, actor.buyerId,
    );
    const failures = Number(counted?.failures ?? MAX_ENROLMENT_FAILURES);
    if (failures >= MAX_ENROLMENT_FAILURES) {
      await db.user.update({ where: { id: actor.userId }, data: { scaEnrolmentStartedAt: null, scaEnrolmentFailures: 0 } });
      throw new DomainError(ErrorCode.SCA_CHALLENGE_INVALID, 'Wrong one-time password; the enrolment was discarded after 5 wrong codes, start it again', {
        attemptsRemaining: 0,
      });
    }
    throw new DomainError(ErrorCode.SCA_CHALLENGE_INVALID, 'Wrong one-time password', { attemptsRemaining: MAX_ENROLMENT_FAILURES - failures });
  }
  return db.user.update({
    where: { id: actor.userId },
    data: { scaEnrolled: true, scaEnrolmentStartedAt: null, scaEnrolmentFailures: 0 },
  });
}
