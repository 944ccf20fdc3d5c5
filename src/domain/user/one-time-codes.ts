/**
 * Spending a user's one-time code (CONTRACT §7). The port (deps.oneTimeCodes) says whether a code
 * belongs to a secret and to which time step; the rule that a step is spent once per user lives here,
 * in the user's row: the spend is a conditional update inside the caller's transaction, so the check,
 * the record of use and the effect the code unlocks commit together, and of two concurrent requests
 * with the same code the second finds the step spent once the first commits. The code is checked
 * before that transaction (pure computation, no row lock held while it runs).
 */
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
}

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
  return match ? { step: match.step, sealedSecret, resealedSecret: match.resealedSecret ?? null } : null;
}

/**
 * Records the code's step as the user's last used one, if it is later than that and the user's
 * secret is still the one it matched; false when the code was already spent (or the secret changed).
 * A secret an old key opened is replaced by its re-sealed copy in the same update (key rotation,
 * docs/sca.md): only the ciphertext that was read is replaced. A code tied to no step (the
 * sandbox's fixed code) spends nothing.
 */
export async function spendOneTimeCode(tx: Tx, actor: Actor, checked: CheckedCode): Promise<boolean> {
  if (checked.step === null) return true;
  const rows = await tx.$queryRawUnsafe<{ id: string }[]>(
    `UPDATE users SET sca_last_used_step = $3::int, sca_secret = COALESCE($5::text, sca_secret)
      WHERE id = $1::uuid AND buyer_id = $2::uuid AND sca_secret IS NOT DISTINCT FROM $4::text
        AND (sca_last_used_step IS NULL OR sca_last_used_step < $3::int)
      RETURNING id`,
    actor.userId, actor.buyerId, checked.step, checked.sealedSecret, checked.resealedSecret,
  );
  return rows.length === 1;
}
