import { hashPassword, verifyPassword, DUMMY_PASSWORD_HASH } from '../../auth/password.ts';
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

/** Wrong email and wrong password answer alike, after the same work, so neither can be probed. */
export async function login(deps: DomainDeps, email: string, password: string) {
  const user = await deps.prisma.user.findUnique({ where: { email: normaliseEmail(email) } });
  const ok = await verifyPassword(password, user?.passwordHash ?? (await DUMMY_PASSWORD_HASH));
  if (!user || !ok) throw new DomainError(ErrorCode.UNAUTHENTICATED, 'Invalid email or password');
  return user;
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
