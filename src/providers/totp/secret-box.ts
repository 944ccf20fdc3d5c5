/**
 * TOTP secrets at rest: AES-256-GCM under SCA_ENCRYPTION_KEY, with the user's id as associated data
 * so a ciphertext copied onto another user's row does not open. TOTP needs the raw secret back to
 * compute codes, so it is encrypted, never hashed. Format: `v1:` + base64(iv 12 | tag 16 | body).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const FORMAT = 'v1';
const aad = (userId: string) => Buffer.from(`sca-totp:${userId}`);

export function sealSecret(key: Buffer, userId: string, secret: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad(userId));
  const body = Buffer.concat([cipher.update(secret), cipher.final()]);
  return `${FORMAT}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
}

/** The raw secret, or null when the value is not ours to open (another key, another user, damaged). */
export function openSecret(key: Buffer, userId: string, sealed: string): Buffer | null {
  const [format, data] = sealed.split(':');
  if (format !== FORMAT || !data) return null;
  const raw = Buffer.from(data, 'base64');
  if (raw.length <= 28) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAAD(aad(userId));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
  } catch {
    return null;
  }
}
