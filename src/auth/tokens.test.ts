import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTokenService } from './tokens.ts';

const SECRET = 'a-test-secret-that-is-at-least-32-characters';
const USER = '0190a0a0-0000-7000-8000-000000000001';
const BUYER = '0190a0a0-0000-7000-8000-000000000002';
const SESSION = '0190a0a0-0000-7000-8000-000000000003';

afterEach(() => vi.useRealTimers());

describe('token verification (verified tokens are remembered per process)', () => {
  it('answers a remembered token with the same claims, and a fresh copy each time', async () => {
    const tokens = createTokenService(SECRET, 60);
    const token = await tokens.issue(USER, BUYER, SESSION);
    const first = await tokens.verify(token);
    const again = await tokens.verify(token);
    expect(first).toEqual({ userId: USER, buyerId: BUYER, sessionId: SESSION, expiresAt: expect.any(Date) });
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
  });

  it('refuses a remembered token once it has expired, exactly as an unremembered one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
    const tokens = createTokenService(SECRET, 60);
    const token = await tokens.issue(USER, BUYER, SESSION);
    expect(await tokens.verify(token)).not.toBeNull();
    vi.setSystemTime(new Date('2026-01-01T00:00:59.999Z'));
    expect(await tokens.verify(token)).not.toBeNull();
    vi.setSystemTime(new Date('2026-01-01T00:01:00Z'));
    expect(await tokens.verify(token)).toBeNull();
    // A service that never saw the token (nothing remembered) answers the same.
    expect(await createTokenService(SECRET, 60).verify(token)).toBeNull();
  });

  it('never remembers a token that failed: a forged signature stays refused', async () => {
    const tokens = createTokenService(SECRET, 60);
    const forged = await createTokenService('another-secret-that-is-at-least-32-characters', 60).issue(USER, BUYER, SESSION);
    expect(await tokens.verify(forged)).toBeNull();
    expect(await tokens.verify(forged)).toBeNull();
  });
});
