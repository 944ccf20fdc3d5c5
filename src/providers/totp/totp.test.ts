import { randomBytes } from 'node:crypto';
import { Secret, TOTP, URI } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { keyRing } from '../../crypto/key-ring.ts';
import { openSecret, sealSecret } from './secret-box.ts';
import { createTotpOneTimeCodes } from './totp.ts';

const key = randomBytes(32);
const ring = keyRing(key);
const codes = createTotpOneTimeCodes({ keys: ring, issuer: 'Test issuer' });
const userId = '0192f000-0000-7000-8000-000000000001';
// RFC 6238 appendix B: the SHA-1 secret, and its code at T = 59 s (8 digits 94287082, so 6 digits 287082).
const RFC_SECRET = Buffer.from('12345678901234567890', 'latin1');
const sealed = sealSecret(ring, userId, RFC_SECRET);
const check = (code: string, seconds: number, overrides: Partial<Parameters<typeof codes.verify>[0]> = {}) =>
  codes.verify({ userId, purpose: 'PAYMENT_RUN_CHALLENGE', code, sealedSecret: sealed, at: new Date(seconds * 1000), ...overrides });

describe('TOTP one-time codes', () => {
  it('computes RFC 6238 codes: the test vector at T = 59 s is step 1', async () => {
    expect(await check('287082', 59)).toEqual({ step: 1, secretFingerprint: expect.any(Buffer) });
  });

  it('accepts a code one step either side, naming its own step, and nothing further', async () => {
    expect(await check('287082', 59 + 30)).toEqual({ step: 1, secretFingerprint: expect.any(Buffer) });
    expect(await check('287082', 59 - 30)).toEqual({ step: 1, secretFingerprint: expect.any(Buffer) });
    expect(await check('287082', 59 + 60)).toBeNull();
  });

  it('refuses malformed codes, a missing secret, another user\'s secret and another key', async () => {
    for (const code of ['28708', '2870822', ' 287082', '28708a']) expect(await check(code, 59), code).toBeNull();
    expect(await check('287082', 59, { sealedSecret: null })).toBeNull();
    expect(await check('287082', 59, { userId: '0192f000-0000-7000-8000-000000000002' })).toBeNull();
    const otherKey = createTotpOneTimeCodes({ keys: keyRing(randomBytes(32)), issuer: 'x' });
    expect(await otherKey.verify({ userId, purpose: 'SCA_ENROLMENT', code: '287082', sealedSecret: sealed, at: new Date(59_000) })).toBeNull();
  });

  it('starts an enrolment: a 160-bit secret in an otpauth URI and an SVG QR code, stored only sealed', async () => {
    const enrolment = await codes.startEnrolment({ userId, accountName: 'casey@example.com' });
    const totp = URI.parse(enrolment.otpauthUri) as TOTP;
    expect(totp).toBeInstanceOf(TOTP);
    expect(totp).toMatchObject({ issuer: 'Test issuer', label: 'casey@example.com', algorithm: 'SHA1', digits: 6, period: 30 });
    expect(totp.secret.bytes.length).toBe(20);
    expect(enrolment.qrCodeSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    expect(enrolment.sealedSecret).not.toContain(totp.secret.base32);
    expect(openSecret(ring, userId, enrolment.sealedSecret)?.plaintext.equals(Buffer.from(totp.secret.bytes))).toBe(true);
    const now = new Date();
    expect(await codes.verify({ userId, purpose: 'SCA_ENROLMENT', code: totp.generate({ timestamp: now.getTime() }), sealedSecret: enrolment.sealedSecret, at: now }))
      .toEqual({ step: Math.floor(now.getTime() / 30_000), secretFingerprint: expect.any(Buffer) });
  });

  it('during a key rotation: a secret sealed under a previous key still checks, and comes back re-sealed under the current one', async () => {
    const next = randomBytes(32);
    const unread: string[] = [];
    const rotated = createTotpOneTimeCodes({ keys: keyRing(next, [key]), issuer: 'x', onUnreadable: (id) => unread.push(id) });
    const match = await rotated.verify({ userId, purpose: 'PAYMENT_RUN_CHALLENGE', code: '287082', sealedSecret: sealed, at: new Date(59_000) });
    expect(match).toMatchObject({ step: 1, resealedSecret: expect.stringMatching(/^v2:/) });
    const resealed = match!.resealedSecret!;
    expect(openSecret(keyRing(next), userId, resealed)).toEqual({ plaintext: RFC_SECRET, current: true });
    // Under the current key nothing is re-sealed; a wrong code re-seals nothing either.
    expect(await rotated.verify({ userId, purpose: 'PAYMENT_RUN_CHALLENGE', code: '287082', sealedSecret: resealed, at: new Date(59_000) })).toEqual({ step: 1, secretFingerprint: expect.any(Buffer) });
    expect(await rotated.verify({ userId, purpose: 'PAYMENT_RUN_CHALLENGE', code: '000000', sealedSecret: sealed, at: new Date(59_000) })).toBeNull();
    // Without the old key it is unreadable: refused, and the operator is told which user (never the secret).
    const withoutOld = createTotpOneTimeCodes({ keys: keyRing(next), issuer: 'x', onUnreadable: (id) => unread.push(id) });
    expect(await withoutOld.verify({ userId, purpose: 'PAYMENT_RUN_CHALLENGE', code: '287082', sealedSecret: sealed, at: new Date(59_000) })).toBeNull();
    expect(unread).toEqual([userId]);
  });

  it('fingerprints the secret a code came from: the same for a re-sealed copy, another for another secret', async () => {
    const rotated = createTotpOneTimeCodes({ keys: keyRing(randomBytes(32), [key]), issuer: 'x' });
    const under = (sealedSecret: string) => rotated.verify({ userId, purpose: 'PAYMENT_RUN_CHALLENGE', code: '287082', sealedSecret, at: new Date(59_000) });
    const old = await under(sealed);
    const resealed = await under(old!.resealedSecret!);
    expect(resealed!.secretFingerprint!.equals(old!.secretFingerprint!)).toBe(true);
    expect(resealed!.secretFingerprint!.equals(RFC_SECRET)).toBe(false);
    // Another secret whose code happens to be accepted still has another fingerprint.
    const other = Buffer.from('another secret 20 b.', 'latin1');
    const otherCode = new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: new Secret({ buffer: Uint8Array.from(other).buffer }) }).generate({ timestamp: 59_000 });
    const otherMatch = await rotated.verify({ userId, purpose: 'PAYMENT_RUN_CHALLENGE', code: otherCode, sealedSecret: sealSecret(keyRing(key), userId, other), at: new Date(59_000) });
    expect(otherMatch!.secretFingerprint!.equals(old!.secretFingerprint!)).toBe(false);
  });
});
