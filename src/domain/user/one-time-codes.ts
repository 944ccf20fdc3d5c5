/**
 * Spending a user's one-time code (CONTRACT §7). The port (deps.oneTimeCodes) says whether a code
 * belongs to a secret and to which time step; the rule that a step is spent once per user lives here,
 * in the user's row: the spend is a conditional update inside the caller's transaction, so the check,
 * the record of use and the effect the code unlocks commit together, and of two concurrent requests
 * with the same code the second finds the step spent once the first commits. The code is checked
 * before that transaction (pure computation, no row lock held while it runs).
 */
import { timingSafeEqual } from 'node:crypto';
import type { OneTimeCodeMatch, OneTimeCodePurpose } from '../ports.ts';
import type { Actor } from '../shared/actor.ts';
import type { DomainDeps, Tx } from '../shared/unit-of-work.ts';

/** A code that matched the user's secret: which secret and step, for spendOneTimeCode. */
export interface CheckedCode {
  readonly step: number | null;
  /** The sealed secret it matched; the spend holds only while the row still has that secret. */
  readonly sealedSecret: string | null;
  /** That secret sealed under the current key, when an old one opened it: stored with the spend. */
  readonly resealedSecret: string | null;
  /** The port's fingerprint of the secret behind the sealed value (see sameSecret). */
  readonly secretFingerprint: Buffer | null;
}

/**
 * Why a spend did not happen: the step was used already (or the enrolment is no longer pending), or
 * the row's sealed value is no longer the one checked. The latter may be a re-seal of the same
 * secret (`npm run rekey`, or another request of the user re-sealing on use), which must not make a
 * correct code fail: the caller checks the code again, outside its transaction, and retries once if
 * the secret behind the new value is the same one (sameSecret).
 */
export type SpendRefusal = 'SPENT' | 'SEALED_VALUE_CHANGED';

/** Checks a code against the user's enrolled secret (or the pending one while enrolling). */
export async function checkOneTimeCode(
  deps: DomainDeps, actor: Actor, purpose: OneTimeCodePurpose, code: string,
): Promise<CheckedCode | null> {
  const user = await deps.tenantDb(actor.buyerId).user.findUnique({
    where: { id: actor.userId },
    select: { scaSecret: true, scaPendingSecret: true },
  });
  if (!user) return null;
  const sealedSecret = purpose === 'SCA_ENROLMENT' ? user.scaPendingSecret : user.scaSecret;
  const match: OneTimeCodeMatch = await deps.oneTimeCodes.verify({ userId: actor.userId, purpose, code, sealedSecret, at: deps.now() });
  return match
    ? { step: match.step, sealedSecret, resealedSecret: match.resealedSecret ?? null, secretFingerprint: match.secretFingerprint ?? null }
    : null;
}

/** Both checks matched the very same secret (a re-sealed copy counts; a new enrolment does not). */
export function sameSecret(first: CheckedCode, second: CheckedCode | null): second is CheckedCode {
  const [a, b] = [first.secretFingerprint, second?.secretFingerprint];
  return !!a && !!b && a.length === b.length && timingSafeEqual(a, b);
}

/**
 * After a spend matched no row: whether the row's sealed value changed since the check (a retry may
 * be due) rather than the code being spent. Read in the spending transaction, holding no lock.
 */
export async function sealedValueChanged(tx: Tx, actor: Actor, purpose: OneTimeCodePurpose, checked: CheckedCode): Promise<boolean> {
  const column = purpose === 'SCA_ENROLMENT' ? 'sca_pending_secret' : 'sca_secret';
  const [row] = await tx.$queryRawUnsafe<{ sealed: string | null }[]>(
    `SELECT ${column} AS sealed FROM users WHERE id = $1::uuid AND buyer_id = $2::uuid`, actor.userId, actor.buyerId,
  );
  return !!row && row.sealed !== null && row.sealed !== checked.sealedSecret;
}

/**
 * Records the code's step as the user's last used one, if it is later than that and the user's
 * secret is still the one it matched; null when spent, else why not (SpendRefusal).
 * A secret an old key opened is replaced by its re-sealed copy in the same update (key rotation,
 * docs/sca.md): only the ciphertext that was read is replaced. A code tied to no step (the
 * sandbox's fixed code) spends nothing.
 */
export async function spendOneTimeCode(tx: Tx, actor: Actor, checked: CheckedCode): Promise<SpendRefusal | null> {
  if (checked.step === null) return null;
  const rows = await tx.$queryRawUnsafe<{ id: string }[]>(
    `UPDATE users SET sca_last_used_step = $3::int, sca_secret = COALESCE($5::text, sca_secret)
      WHERE id = $1::uuid AND buyer_id = $2::uuid AND sca_secret IS NOT DISTINCT FROM $4::text
        AND (sca_last_used_step IS NULL OR sca_last_used_step < $3::int)
      RETURNING id`,
    actor.userId, actor.buyerId, checked.step, checked.sealedSecret, checked.resealedSecret,
  );
  if (rows.length === 1) return null;
  return (await sealedValueChanged(tx, actor, 'PAYMENT_RUN_CHALLENGE', checked)) ? 'SEALED_VALUE_CHANGED' : 'SPENT';
}
