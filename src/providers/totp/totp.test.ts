import { randomBytes } from 'node:crypto';
import { TOTP, URI } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { openSecret, sealSecret } from './secret-box.ts';
import { createTotpOneTimeCodes } from './totp.ts';

const key = randomBytes(32);
const codes = createTotpOneTimeCodes({ encryptionKey: key, issuer: 'Test issuer' });
const userId = '0192f000-0000-7000-8000-000000000001';
// RFC 6238 appendix B: the SHA-1 secret, and its code at T = 59 s (8 digits 94287082, so 6 digits 287082).
const RFC_SECRET = Buffer.from('12345678901234567890', 'latin1');
const sealed = sealSecret(key, userId, RFC_SECRET);
const check = (code: string, seconds: number, overrides: Partial<Parameters<typeof codes.verify>[0]> = {}) =>
  codes.verify({ userId, purpose: 'PAYMENT_RUN_CHALLENGE', code, sealedSecret: sealed, at: new Date(seconds * 1000), ...overrides });

describe('TOTP one-time codes', () => {
  it('computes RFC 6238 codes: the test vector at T = 59 s is step 1', async () => {
    expect(await check('287082', 59)).toEqual({ step: 1 });
  });

  it('accepts a code one step either side, naming its own step, and nothing further', async () => {
    expect(await check('287082', 59 + 30)).toEqual({ step: 1 });
    expect(await check('287082', 59 - 30)).toEqual({ step: 1 });
    expect(await check('287082', 59 + 60)).toBeNull();
  });

  it('refuses malformed codes, a missing secret, another user\'s secret and another key', async () => {
    for (const code of ['28708', '2870822', ' 287082', '28708a']) expect(await check(code, 59), code).toBeNull();
    expect(await check('287082', 59, { sealedSecret: null })).toBeNull();
    expect(await check('287082', 59, { userId: '0192f000-0000-7000-8000-000000000002' })).toBeNull();
    const otherKey = createTotpOneTimeCodes({ encryptionKey: randomBytes(32), issuer: 'x' });
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
    expect(openSecret(key, userId, enrolment.sealedSecret)?.equals(Buffer.from(totp.secret.bytes))).toBe(true);
    const now = new Date();
    expect(await codes.verify({ userId, purpose: 'SCA_ENROLMENT', code: totp.generate({ timestamp: now.getTime() }), sealedSecret: enrolment.sealedSecret, at: now }))
      .toEqual({ step: Math.floor(now.getTime() / 30_000) });
  });
});
