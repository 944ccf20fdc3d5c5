/**
 * Signing secrets. Standard Webhooks signs with HMAC-SHA256, so the sender needs the raw key back:
 * secrets are sealed at rest under the webhook key ring (WEBHOOK_ENCRYPTION_KEY, and while rotating
 * WEBHOOK_ENCRYPTION_KEY_PREVIOUS; src/crypto/key-ring.ts), with the endpoint id as associated data
 * so a ciphertext copied onto another row does not open, never hashed. The plain secret is shown
 * once, when made.
 */
import { randomBytes } from 'node:crypto';
import { open, seal, type KeyRing } from '../../crypto/key-ring.ts';

export const SECRET_PREFIX = 'whsec_';

/** `whsec_` + base64 of 32 random bytes: the format Standard Webhooks libraries accept as is. */
export const newSigningSecret = () => SECRET_PREFIX + randomBytes(32).toString('base64');

export function encryptSecret(keys: KeyRing, endpointId: string, secret: string): string {
  return seal(keys, Buffer.from(endpointId), Buffer.from(secret, 'utf8'));
}

export interface OpenedSigningSecret {
  readonly secret: string;
  /** false: an old key of the ring opened it; re-seal it under the current one. */
  readonly current: boolean;
  /** A `v1:` value (before key ids): rekey upgrades it. */
  readonly legacy?: true;
}

/** The secret; throws (naming no secret) when no key of the ring opens it. */
export function decryptSecret(keys: KeyRing, endpointId: string, stored: string): OpenedSigningSecret {
  const opened = open(keys, Buffer.from(endpointId), stored);
  if (!opened) throw new Error('the webhook signing secret opens with none of the configured keys (WEBHOOK_ENCRYPTION_KEY, WEBHOOK_ENCRYPTION_KEY_PREVIOUS)');
  return opened.legacy ? { secret: opened.plaintext.toString('utf8'), current: opened.current, legacy: true } : { secret: opened.plaintext.toString('utf8'), current: opened.current };
}
