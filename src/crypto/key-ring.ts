/**
 * Secrets that must come back in clear (TOTP seeds, webhook signing keys) are sealed with
 * AES-256-GCM under a key ring: the current key seals, the current and previous keys open, so an
 * operator can rotate a key without downtime (docs/sca.md, docs/webhooks.md "Rotating the key").
 *
 * Formats:
 *   v2:<keyId>:base64(iv 12 | tag 16 | body)   keyId = first 8 hex digits of SHA-256 of the key
 *   v1:base64(iv 12 | tag 16 | body)           before key ids; still opened (current key first)
 * The key id only says which key to try: the GCM tag still decides, so a forged id opens nothing.
 * Associated data (the row's owner) is the caller's, so a value copied onto another row does not open.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface KeyRing {
  /** Seals every new value. */
  readonly current: Buffer;
  /** Open values sealed before a rotation; never seal. */
  readonly previous: readonly Buffer[];
  /** keyId of current, then of each previous key: computed once, not on every open. */
  readonly ids: readonly string[];
}

/** What opening found: the plaintext, and whether it was sealed under the current key. */
export interface Opened {
  readonly plaintext: Buffer;
  /** false: an old key opened it, re-seal it (under ring.current) when convenient. */
  readonly current: boolean;
  /** true: a `v1:` value (before key ids); rekey re-seals it as v2 even under the current key. */
  readonly legacy?: true;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Short public fingerprint of a key: names it in sealed values and in the rekey report. */
export const keyId = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 8);

export function keyRing(current: Buffer, previous: readonly Buffer[] = []): KeyRing {
  for (const key of [current, ...previous]) if (key.length !== 32) throw new Error('encryption keys must be 32 bytes');
  const others = Object.freeze(previous.filter((key) => !key.equals(current)));
  return Object.freeze({ current, previous: others, ids: Object.freeze([current, ...others].map(keyId)) });
}

export function seal(ring: KeyRing, associatedData: Buffer, plaintext: Buffer): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', ring.current, iv);
  cipher.setAAD(associatedData);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return `v2:${ring.ids[0]}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
}

/** The plaintext, or null when no key of the ring opens it (another key, another owner, damaged). */
export function open(ring: KeyRing, associatedData: Buffer, sealed: string): Opened | null {
  const parts = sealed.split(':');
  let data: string | undefined;
  let candidates: Buffer[];
  if (parts[0] === 'v2' && parts.length === 3) {
    data = parts[2];
    candidates = [ring.current, ...ring.previous].filter((_, i) => ring.ids[i] === parts[1]);
  } else if (parts[0] === 'v1' && parts.length === 2) {
    data = parts[1];
    candidates = [ring.current, ...ring.previous];
  } else {
    return null;
  }
  const raw = Buffer.from(data ?? '', 'base64');
  if (raw.length <= IV_BYTES + TAG_BYTES) return null;
  for (const key of candidates) {
    const plaintext = decrypt(key, associatedData, raw);
    if (plaintext) return parts[0] === 'v1' ? { plaintext, current: key === ring.current, legacy: true } : { plaintext, current: key === ring.current };
  }
  return null;
}

function decrypt(key: Buffer, associatedData: Buffer, raw: Buffer): Buffer | null {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(associatedData);
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    return null;
  }
}
