import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

const production = { SANDBOX: 'false', JWT_SECRET: 'a-production-secret-of-at-least-32-characters', API_KEY: 'key' };
const key = Buffer.alloc(32, 3);

describe('SCA_ENCRYPTION_KEY', () => {
  it('is required when SANDBOX=false', () => {
    expect(() => loadConfig(production)).toThrow(ConfigError);
    expect(() => loadConfig(production)).toThrow(/SCA_ENCRYPTION_KEY is required when SANDBOX=false/);
  });

  it('must be 32 bytes of base64 (or base64url)', () => {
    for (const bad of [Buffer.alloc(31).toString('base64'), Buffer.alloc(33).toString('base64'), key.toString('hex'), 'not base64!']) {
      expect(() => loadConfig({ ...production, SCA_ENCRYPTION_KEY: bad }), bad).toThrow(/SCA_ENCRYPTION_KEY must be 32 bytes in base64/);
    }
    expect(loadConfig({ ...production, SCA_ENCRYPTION_KEY: key.toString('base64') }).sca).toMatchObject({ encryptionKeys: { current: key, previous: [] }, keyDerivedFrom: null });
    expect(loadConfig({ ...production, SCA_ENCRYPTION_KEY: key.toString('base64url') }).sca.encryptionKeys.current).toEqual(key);
  });

  it('is derived in a sandbox without one: from JWT_SECRET when set (stable across restarts), else from a public label', () => {
    const fromJwt = loadConfig({ JWT_SECRET: production.JWT_SECRET }).sca;
    expect(fromJwt.keyDerivedFrom).toBe('JWT_SECRET');
    expect(fromJwt.encryptionKeys.current).toHaveLength(32);
    expect(loadConfig({ JWT_SECRET: production.JWT_SECRET }).sca.encryptionKeys.current).toEqual(fromJwt.encryptionKeys.current);
    const fromLabel = loadConfig({}).sca;
    expect(fromLabel.keyDerivedFrom).toBe('a public sandbox label');
    expect(fromLabel.encryptionKeys.current).not.toEqual(fromJwt.encryptionKeys.current);
  });

  it('SCA_ENCRYPTION_KEY_PREVIOUS: zero or more old keys, comma-separated, in the same format; they only open', () => {
    const [a, b] = [Buffer.alloc(32, 4), Buffer.alloc(32, 5)];
    const withKey = { ...production, SCA_ENCRYPTION_KEY: key.toString('base64') };
    expect(loadConfig(withKey).sca.encryptionKeys.previous).toEqual([]);
    expect(loadConfig({ ...withKey, SCA_ENCRYPTION_KEY_PREVIOUS: ` ${a.toString('base64')} , ${b.toString('base64url')}` }).sca.encryptionKeys)
      .toMatchObject({ current: key, previous: [a, b] });
    // The current key repeated among the previous ones is harmless (a half-finished edit): it is dropped.
    expect(loadConfig({ ...withKey, SCA_ENCRYPTION_KEY_PREVIOUS: key.toString('base64') }).sca.encryptionKeys.previous).toEqual([]);
    for (const bad of [`${a.toString('base64')},${a.toString('hex')}`, 'not a key', `${a.toString('base64')},,`]) {
      const refused = () => loadConfig({ ...withKey, SCA_ENCRYPTION_KEY_PREVIOUS: bad });
      expect(refused, bad).toThrow(ConfigError);
      expect(refused, bad).toThrow(/^SCA_ENCRYPTION_KEY_PREVIOUS must list keys of 32 bytes in base64.*\(entry \d is not one\)$/);
    }
    // A message never repeats the value it refused.
    expect(() => loadConfig({ ...withKey, SCA_ENCRYPTION_KEY_PREVIOUS: 'c2VjcmV0LWtleS1tYXRlcmlhbA' })).toThrow(/^(?!.*c2VjcmV0)/);
  });

  it('WEBHOOK_ENCRYPTION_KEY_PREVIOUS: the same for webhook signing secrets, in its key\'s format (hex or base64)', () => {
    const [a, b] = [Buffer.alloc(32, 4), Buffer.alloc(32, 5)];
    const config = loadConfig({ WEBHOOK_ENCRYPTION_KEY: key.toString('hex'), WEBHOOK_ENCRYPTION_KEY_PREVIOUS: `${a.toString('hex')},${b.toString('base64')}` });
    expect(config.webhooks.encryptionKeys).toMatchObject({ current: key, previous: [a, b] });
    expect(() => loadConfig({ WEBHOOK_ENCRYPTION_KEY_PREVIOUS: Buffer.alloc(16).toString('hex') }))
      .toThrow(/^WEBHOOK_ENCRYPTION_KEY_PREVIOUS must list keys of 32 bytes, as 64 hex digits or base64, separated by commas \(entry 1 is not one\)$/);
  });

  it('SCA_ISSUER names the issuer; a colon would break the label', () => {
    expect(loadConfig({}).sca.issuer).toBe('Payment-run gateway');
    expect(loadConfig({ SCA_ISSUER: 'Acme Payments' }).sca.issuer).toBe('Acme Payments');
    expect(() => loadConfig({ SCA_ISSUER: 'Acme: Payments' })).toThrow(/SCA_ISSUER/);
  });
});
