/**
 * A user's strong customer authentication (CONTRACT §7, docs/sca.md). Lifecycle of a user's device:
 * not enrolled → startScaEnrolment (a new TOTP secret, shown once, stored sealed as pending) →
 * verifyScaEnrolment with a current code (the pending secret becomes the user's) → enrolled, until an
 * ADMIN's resetScaEnrolment. 5 wrong enrolment codes in a row discard the pending secret. An enrolled
 * user cannot start again: a stolen session must not be able to swap the device.
 */
import { AuditAction } from '../audit/audit.ts';
import type { Actor } from '../shared/actor.ts';
import { DomainError, ErrorCode, invalidState, notFound } from '../shared/errors.ts';
import { inTransaction, type DomainDeps } from '../shared/unit-of-work.ts';
import { checkOneTimeCode, sameSecret, sealedValueChanged, type CheckedCode } from './one-time-codes.ts';
import { userTarget } from './user.commands.ts';

/** Wrong verifyScaEnrolment codes in a row that discard the enrolment (CONTRACT §7). */
export const MAX_ENROLMENT_FAILURES = 5;

const ENROLLED = 'ENROLLED';
const NOT_ENROLLED = 'NOT_ENROLLED';

/** What the user's authenticator app needs, answered once: the secret is never readable again. */
export interface ScaEnrolment {
  otpauthUri: string;
  qrCodeSvg: string;
}

export async function startScaEnrolment(deps: DomainDeps, actor: Actor): Promise<ScaEnrolment> {
  const db = deps.tenantDb(actor.buyerId);
  const user = await db.user.findUniqueOrThrow({ where: { id: actor.userId }, select: { email: true, scaEnrolled: true } });
  const refused = () => invalidState(ENROLLED, 'start an SCA enrolment (an ADMIN must reset the current one first)');
  if (user.scaEnrolled) throw refused();
  const { sealedSecret, otpauthUri, qrCodeSvg } = await deps.oneTimeCodes.startEnrolment({ userId: actor.userId, accountName: user.email });
  // A new secret replaces any pending one; the last used step belonged to a secret that is gone.
  const { count } = await db.user.updateMany({
    where: { id: actor.userId, scaEnrolled: false },
    data: { scaPendingSecret: sealedSecret, scaEnrolmentStartedAt: deps.now(), scaEnrolmentFailures: 0, scaLastUsedStep: null },
  });
  if (count === 0) throw refused(); // enrolled meanwhile
  return { otpauthUri, qrCodeSvg };
}

/** Deprecated: starts an enrolment whose secret nobody sees (only the sandbox's 123456 completes it). */
export async function enrolScaDevice(deps: DomainDeps, actor: Actor): Promise<boolean> {
  await startScaEnrolment(deps, actor);
  return true;
}

export async function verifyScaEnrolment(deps: DomainDeps, actor: Actor, code: string) {
  const db = deps.tenantDb(actor.buyerId);
  const user = await db.user.findUniqueOrThrow({ where: { id: actor.userId }, select: { scaEnrolled: true, scaEnrolmentStartedAt: true } });
  if (!user.scaEnrolmentStartedAt) throw invalidState(user.scaEnrolled ? ENROLLED : NOT_ENROLLED, 'verify an enrolment that was not started');
  const checked = await checkOneTimeCode(deps, actor, 'SCA_ENROLMENT', code);
  let enrolled = checked && (await completeEnrolment(deps, actor, checked));
  if (enrolled === RESEALED) {
    // The pending secret was re-sealed (or replaced) between check and completion: a re-seal of the
    // same secret must not fail a correct code, a new secret must. Checked again, outside any transaction.
    const again = await checkOneTimeCode(deps, actor, 'SCA_ENROLMENT', code);
    enrolled = sameSecret(checked!, again) ? await completeEnrolment(deps, actor, again) : null;
  }
  if (enrolled && enrolled !== RESEALED) return enrolled;
  // CONTRACT §7: 5 wrong codes in a row discard the enrolment; it must be started again. The
  // count is one atomic increment so concurrent guesses cannot share an attempt.
  const [counted] = await deps.prisma.$queryRawUnsafe<{ failures: number }[]>(
    `UPDATE users SET sca_enrolment_failures = sca_enrolment_failures + 1
      WHERE id = $1::uuid AND buyer_id = $2::uuid AND sca_enrolment_started_at IS NOT NULL RETURNING sca_enrolment_failures AS failures`,
    actor.userId, actor.buyerId,
  );
  const failures = Number(counted?.failures ?? MAX_ENROLMENT_FAILURES);
  if (failures >= MAX_ENROLMENT_FAILURES) {
    await db.user.updateMany({
      where: { id: actor.userId, scaEnrolled: false },
      data: { scaEnrolmentStartedAt: null, scaPendingSecret: null, scaEnrolmentFailures: 0 },
    });
    throw new DomainError(ErrorCode.SCA_CHALLENGE_INVALID, 'Wrong one-time password; the enrolment was discarded after 5 wrong codes, start it again', {
      attemptsRemaining: 0,
    });
  }
  throw new DomainError(ErrorCode.SCA_CHALLENGE_INVALID, 'Wrong one-time password', { attemptsRemaining: MAX_ENROLMENT_FAILURES - failures });
}

/**
 * The pending secret becomes the user's and the code's step is spent, in one conditional update: it
 * holds only while that enrolment is still pending with the secret the code matched. Null otherwise.
 * A pending secret sealed under an old key (a rotation meanwhile) is stored re-sealed. RESEALED: the
 * pending secret's sealed value changed since the check (the caller checks again).
 */
const RESEALED = 'RESEALED' as const;

async function completeEnrolment(deps: DomainDeps, actor: Actor, checked: CheckedCode) {
  return inTransaction(deps, actor.buyerId, actor, async (uow) => {
    const rows = await uow.tx.$queryRawUnsafe<{ id: string }[]>(
      `UPDATE users SET sca_enrolled = true, sca_secret = COALESCE($5::text, sca_pending_secret), sca_pending_secret = NULL,
              sca_enrolment_started_at = NULL, sca_enrolment_failures = 0,
              sca_last_used_step = COALESCE($3::int, sca_last_used_step)
        WHERE id = $1::uuid AND buyer_id = $2::uuid AND NOT sca_enrolled AND sca_enrolment_started_at IS NOT NULL
          AND sca_pending_secret IS NOT DISTINCT FROM $4::text
          AND ($3::int IS NULL OR sca_last_used_step IS NULL OR sca_last_used_step < $3::int)
        RETURNING id`,
      actor.userId, actor.buyerId, checked.step, checked.sealedSecret, checked.resealedSecret,
    );
    if (rows.length === 0) return (await sealedValueChanged(uow.tx, actor, 'SCA_ENROLMENT', checked)) ? RESEALED : null;
    await uow.audit(AuditAction.SCA_ENROLLED, userTarget(actor.userId));
    return uow.tx.user.findUniqueOrThrow({ where: { id: actor.userId } });
  });
}

/** ADMIN clears a user's SCA enrolment (a lost device): they must enrol again before approving. */
export async function resetScaEnrolment(deps: DomainDeps, actor: Actor, userId: string) {
  return inTransaction(deps, actor.buyerId, actor, async (uow) => {
    const user = await uow.tx.user.findUnique({ where: { id: userId } });
    if (!user) throw notFound('User');
    const updated = await uow.tx.user.update({
      where: { id: userId },
      data: {
        scaEnrolled: false, scaSecret: null, scaPendingSecret: null, scaLastUsedStep: null,
        scaEnrolmentStartedAt: null, scaEnrolmentFailures: 0,
      },
    });
    await uow.audit(AuditAction.SCA_RESET, userTarget(user.id), { wasEnrolled: user.scaEnrolled });
    return updated;
  });
}
