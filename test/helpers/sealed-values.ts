import { createCipheriv, randomBytes } from 'node:crypto';

/** A value exactly as releases before key ids sealed it (`v1:` + base64(iv | tag | body)). */
export function sealV1(key: Buffer, associatedData: Buffer, plaintext: Buffer) {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(associatedData);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return `v1:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
}

/** The associated data of a user's TOTP secret (src/providers/totp/secret-box.ts). */
export const totpAad = (userId: string) => Buffer.from(`sca-totp:${userId}`);
