import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openSecret, sealSecret } from '../providers/totp/secret-box.ts';
import { sealV1 } from '../../test/helpers/sealed-values.ts';
import { keyId, keyRing, open, seal } from './key-ring.ts';

const [a, b, c] = [Buffer.alloc(32, 1), Buffer.alloc(32, 2), Buffer.alloc(32, 3)];
const userId = '0192f000-0000-7000-8000-000000000001';
const secret = Buffer.from('12345678901234567890', 'latin1');

describe('sealed values', () => {
  it('name their key: v2:<first 8 hex digits of SHA-256 of the key>:…, and never contain the plaintext', () => {
    expect(keyId(a)).toBe(createHash('sha256').update(a).digest('hex').slice(0, 8));
    const sealed = sealSecret(keyRing(a), userId, secret);
    expect(sealed).toMatch(new RegExp(`^v2:${keyId(a)}:[A-Za-z0-9+/]+=*$`));
    expect(sealed).not.toContain(secret.toString('base64'));
    expect(sealSecret(keyRing(a), userId, secret)).not.toBe(sealed); // a fresh IV each time
  });

  it('v1 values (sealed before key ids) still open, under the current key or a previous one', () => {
    const v1 = sealV1(a, Buffer.from(`sca-totp:${userId}`), secret);
    expect(openSecret(keyRing(a), userId, v1)).toEqual({ plaintext: secret, current: true, legacy: true });
    expect(openSecret(keyRing(b, [c, a]), userId, v1)).toEqual({ plaintext: secret, current: false, legacy: true });
    expect(openSecret(keyRing(b, [c]), userId, v1)).toBeNull();
  });

  it('do not open for another user id (associated data)', () => {
    const other = '0192f000-0000-7000-8000-000000000002';
    expect(openSecret(keyRing(a), other, sealSecret(keyRing(a), userId, secret))).toBeNull();
    expect(openSecret(keyRing(a), other, sealV1(a, Buffer.from(`sca-totp:${userId}`), secret))).toBeNull();
  });

  it('open with the key their id names: current or previous, and report which', () => {
    const underA = sealSecret(keyRing(a), userId, secret);
    expect(openSecret(keyRing(b, [c, a]), userId, underA)).toEqual({ plaintext: secret, current: false });
    expect(openSecret(keyRing(a, [b]), userId, underA)).toEqual({ plaintext: secret, current: true });
    expect(openSecret(keyRing(b, [c]), userId, underA)).toBeNull();
    // The id picks the key: relabelled with another key's id, the value is not tried with its own key.
    const relabelled = underA.replace(keyId(a), keyId(b));
    expect(openSecret(keyRing(b, [a]), userId, relabelled)).toBeNull();
    // The id alone opens nothing: a key that only shares the id would still fail the GCM tag.
    expect(open(keyRing(a), Buffer.from('x'), `v2:${keyId(a)}:${Buffer.alloc(40).toString('base64')}`)).toBeNull();
  });

  it('refuse damaged and unknown formats', () => {
    const sealed = seal(keyRing(a), Buffer.from('x'), secret);
    const [format, id, data] = sealed.split(':');
    const flipped = Buffer.from(data!, 'base64');
    flipped.writeUInt8(flipped.readUInt8(flipped.length - 1) ^ 1, flipped.length - 1);
    for (const bad of [`${format}:${id}:${flipped.toString('base64')}`, `v3:${id}:${data}`, `v2:${data}`, `v1:${id}:${data}`, '', 'v2::', `${format}:${id}:AAAA`]) {
      expect(open(keyRing(a), Buffer.from('x'), bad), bad).toBeNull();
    }
  });

  it('key rings take 32-byte keys only and drop a previous key equal to the current one', () => {
    expect(() => keyRing(Buffer.alloc(16))).toThrow(/32 bytes/);
    expect(() => keyRing(a, [Buffer.alloc(31)])).toThrow(/32 bytes/);
    expect(keyRing(a, [a, b]).previous).toEqual([b]);
    expect(keyRing(a, [a, b]).ids).toEqual([keyId(a), keyId(b)]);
  });
});
