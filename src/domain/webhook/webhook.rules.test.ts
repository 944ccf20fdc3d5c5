import { describe, expect, it } from 'vitest';
import { reachableStates } from '../shared/state-machine.ts';
import { checkEndpointUrl, isPrivateAddress } from './webhook.address.ts';
import { MAX_RETRY_DELAY_MS, retryDelayMs } from './webhook.retry.ts';
import { keyId, keyRing } from '../../crypto/key-ring.ts';
import { decryptSecret, encryptSecret, newSigningSecret } from './webhook.secrets.ts';
import { webhookEndpointStates } from './webhook.states.ts';

describe('retry schedule', () => {
  it('starts at the base, doubles, and never waits more than an hour', () => {
    const none = () => 0;
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 30_000, none))).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(retryDelayMs(8, 30_000, none)).toBe(MAX_RETRY_DELAY_MS);
    expect(retryDelayMs(500, 30_000, () => 1)).toBe(MAX_RETRY_DELAY_MS);
  });

  it('adds at most 25% of jitter', () => {
    expect(retryDelayMs(1, 30_000, () => 0.999)).toBeLessThanOrEqual(37_500);
    expect(retryDelayMs(1, 30_000, () => 0.5)).toBe(33_750);
  });
});

describe('endpoint states', () => {
  it('reaches every state and can always come back', () => {
    expect(reachableStates(webhookEndpointStates)).toEqual(new Set(['ENABLED', 'DISABLED']));
    expect(webhookEndpointStates.isTerminal('DISABLED')).toBe(false);
    expect(webhookEndpointStates.canTransition('DISABLED', 'ENABLED')).toBe(true);
  });
});

describe('secrets at rest', () => {
  const key = Buffer.alloc(32, 7);
  const ring = keyRing(key);
  it('round-trips, and a ciphertext only opens for its own endpoint and key', () => {
    const secret = newSigningSecret();
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    const stored = encryptSecret(ring, 'endpoint-a', secret);
    expect(stored).not.toContain(secret.slice(6));
    expect(stored.startsWith(`v2:${keyId(key)}:`)).toBe(true);
    expect(decryptSecret(ring, 'endpoint-a', stored)).toEqual({ secret, current: true });
    expect(() => decryptSecret(ring, 'endpoint-b', stored)).toThrow(/opens with none of the configured keys/);
    expect(() => decryptSecret(keyRing(Buffer.alloc(32, 8)), 'endpoint-a', stored)).toThrow();
  });

  it('opens under a previous key (current: false) and under the current key again once re-sealed', () => {
    const secret = newSigningSecret();
    const rotated = keyRing(Buffer.alloc(32, 8), [key]);
    const old = decryptSecret(rotated, 'endpoint-a', encryptSecret(ring, 'endpoint-a', secret));
    expect(old).toEqual({ secret, current: false });
    const resealed = encryptSecret(rotated, 'endpoint-a', old.secret);
    expect(decryptSecret(keyRing(Buffer.alloc(32, 8)), 'endpoint-a', resealed)).toEqual({ secret, current: true });
  });
});

describe('receiver addresses', () => {
  it('knows private, loopback, link-local and special addresses from public ones', () => {
    for (const ip of ['127.0.0.1', '10.1.1.1', '172.31.0.1', '192.168.0.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd12::1', 'fe80::1', '::ffff:127.0.0.1', '[::1]']) {
      expect(isPrivateAddress(ip), ip).toBe(true);
    }
    for (const ip of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isPrivateAddress(ip), ip).toBe(false);
  });

  it('allows http and private hosts only when told to', () => {
    expect(checkEndpointUrl('http://127.0.0.1:8080/in', true)).toEqual([]);
    expect(checkEndpointUrl('https://hooks.example.com/in', false)).toEqual([]);
    expect(checkEndpointUrl('http://hooks.example.com/in', false)[0]?.params).toEqual({ reason: 'HTTPS_REQUIRED' });
    expect(checkEndpointUrl('https://[::1]/in', false)[0]?.params).toEqual({ reason: 'PRIVATE_ADDRESS' });
    expect(checkEndpointUrl('ftp://hooks.example.com/', true)[0]?.params).toEqual({ reason: 'HTTPS_REQUIRED' });
  });
});
