/**
 * Signing secrets. Standard Webhooks signs with HMAC-SHA256, so the sender needs the raw key back:
 * secrets are encrypted at rest (AES-256-GCM, the endpoint id as associated data so a ciphertext
 * copied onto another row does not decrypt), never hashed. The key comes from config
 * (WEBHOOK_ENCRYPTION_KEY, see src/config.ts). The plain secret is shown once, when made.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';
const FORMAT = 'v1';

/** `whsec_` + base64 of 32 random bytes: the format Standard Webhooks libraries accept as is. */
export const newSigningSecret = () => SECRET_PREFIX + randomBytes(32).toString('base64');

export function encryptSecret(key: Buffer, endpointId: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(endpointId));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return `${FORMAT}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
}

export function decryptSecret(key: Buffer, endpointId: string, stored: string): string {
  const [format, data] = stored.split(':');
  if (format !== FORMAT || !data) throw new Error('unknown webhook secret format');
  const raw = Buffer.from(data, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(endpointId));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}
