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
    expect(loadConfig({ ...production, SCA_ENCRYPTION_KEY: key.toString('base64') }).sca).toMatchObject({ encryptionKey: key, keyDerivedFrom: null });
    expect(loadConfig({ ...production, SCA_ENCRYPTION_KEY: key.toString('base64url') }).sca.encryptionKey).toEqual(key);
  });

  it('is derived in a sandbox without one: from JWT_SECRET when set (stable across restarts), else from a public label', () => {
    const fromJwt = loadConfig({ JWT_SECRET: production.JWT_SECRET }).sca;
    expect(fromJwt.keyDerivedFrom).toBe('JWT_SECRET');
    expect(fromJwt.encryptionKey).toHaveLength(32);
    expect(loadConfig({ JWT_SECRET: production.JWT_SECRET }).sca.encryptionKey).toEqual(fromJwt.encryptionKey);
    const fromLabel = loadConfig({}).sca;
    expect(fromLabel.keyDerivedFrom).toBe('a public sandbox label');
    expect(fromLabel.encryptionKey).not.toEqual(fromJwt.encryptionKey);
  });

  it('SCA_ISSUER names the issuer; a colon would break the label', () => {
    expect(loadConfig({}).sca.issuer).toBe('Payment-run gateway');
    expect(loadConfig({ SCA_ISSUER: 'Acme Payments' }).sca.issuer).toBe('Acme Payments');
    expect(() => loadConfig({ SCA_ISSUER: 'Acme: Payments' })).toThrow(/SCA_ISSUER/);
  });
});
