/**
 * TOTP secrets at rest: sealed under the SCA key ring (SCA_ENCRYPTION_KEY, and while rotating
 * SCA_ENCRYPTION_KEY_PREVIOUS; src/crypto/key-ring.ts), with the user's id as associated data so a
 * ciphertext copied onto another user's row does not open. TOTP needs the raw secret back to compute
 * codes, so it is encrypted, never hashed.
 */
import { open, seal, type KeyRing, type Opened } from '../../crypto/key-ring.ts';

const aad = (userId: string) => Buffer.from(`sca-totp:${userId}`);

export function sealSecret(ring: KeyRing, userId: string, secret: Buffer): string {
  return seal(ring, aad(userId), secret);
}

/** The raw secret (and whether the current key sealed it), or null when no key of the ring opens it. */
export function openSecret(ring: KeyRing, userId: string, sealed: string): Opened | null {
  return open(ring, aad(userId), sealed);
}
