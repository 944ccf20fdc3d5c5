/**
 * The domain's OneTimeCodes port as real TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps), the
 * kind every authenticator app reads from a QR code; a code is accepted for its step and one step
 * either side (clock drift, a code typed as the step turns). `otpauth` computes and compares the
 * codes, `qrcode` draws the URI as SVG. Secrets are 20 random bytes (RFC 4226's recommended 160 bits),
 * stored only sealed (secret-box.ts). Which steps were used is the domain's to remember. A secret
 * that an old key of the ring opened comes back re-sealed under the current one with the match.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import type { KeyRing } from '../../crypto/key-ring.ts';
import type { OneTimeCodes } from '../../domain/ports.ts';
import { openSecret, sealSecret } from './secret-box.ts';

export const TOTP_PARAMETERS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;
/** Steps accepted either side of the current one. */
export const TOTP_WINDOW = 1;

export interface TotpOptions {
  /** AES-256-GCM keys: the current one seals, the previous ones still open (a rotation in progress). */
  readonly keys: KeyRing;
  /** Shown by authenticator apps beside the account name. */
  readonly issuer: string;
  /** A stored secret that no key of the ring opens (told once per check; never the secret). */
  readonly onUnreadable?: (userId: string) => void;
}

const CODE = /^\d{6}$/;
/** otpauth wants an ArrayBuffer of the secret alone: Node's small Buffers share a pooled one. */
const secretOf = (raw: Buffer) => new Secret({ buffer: Uint8Array.from(raw).buffer });

export function createTotpOneTimeCodes({ keys, issuer, onUnreadable }: TotpOptions): OneTimeCodes {
  // Fingerprints compare secrets within this process only: keyed by a key that never leaves it.
  const fingerprintKey = randomBytes(32);
  const fingerprint = (raw: Buffer) => createHmac('sha256', fingerprintKey).update(raw).digest();
  return {
    async startEnrolment({ userId, accountName }) {
      const raw = randomBytes(20);
      const totp = new TOTP({ ...TOTP_PARAMETERS, issuer, label: accountName, secret: secretOf(raw) });
      const otpauthUri = totp.toString();
      const qrCodeSvg = await QRCode.toString(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
      return { sealedSecret: sealSecret(keys, userId, raw), otpauthUri, qrCodeSvg };
    },
    async verify({ userId, code, sealedSecret, at }) {
      if (!sealedSecret || !CODE.test(code)) return null;
      const opened = openSecret(keys, userId, sealedSecret);
      if (!opened) {
        onUnreadable?.(userId);
        return null;
      }
      const totp = new TOTP({ ...TOTP_PARAMETERS, secret: secretOf(opened.plaintext) });
      const timestamp = at.getTime();
      const delta = totp.validate({ token: code, timestamp, window: TOTP_WINDOW });
      if (delta === null) return null;
      const step = totp.counter({ timestamp }) + delta;
      const secretFingerprint = fingerprint(opened.plaintext);
      return opened.current ? { step, secretFingerprint } : { step, secretFingerprint, resealedSecret: sealSecret(keys, userId, opened.plaintext) };
    },
  };
}
