import { describe, expect, it } from 'vitest';
import { isUuid, uuidv7, uuidv7Timestamp } from './ids.ts';

const LAYOUT = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  it('has the RFC 9562 layout: version 7, variant 0b10', () => {
    for (let i = 0; i < 1000; i++) expect(uuidv7()).toMatch(LAYOUT);
  });

  it('is unique and sorts in creation order, also within one millisecond', () => {
    const ids = Array.from({ length: 20_000 }, () => uuidv7());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('keeps order when the clock stands still or goes backwards', () => {
    const base = Date.UTC(2031, 5, 1);
    const ids = [uuidv7(base + 10), uuidv7(base + 10), uuidv7(base + 5), uuidv7(base + 10), uuidv7(base + 11)];
    expect([...ids].sort()).toEqual(ids);
    expect(uuidv7Timestamp(ids[2]!)).toBeGreaterThanOrEqual(base + 10);
  });

  it('borrows the next millisecond when the counter runs out', () => {
    const base = Date.UTC(2032, 0, 1);
    const ids = Array.from({ length: 5000 }, () => uuidv7(base));
    expect([...ids].sort()).toEqual(ids);
    expect(uuidv7Timestamp(ids.at(-1)!)).toBeGreaterThan(base);
  });

  // Last: a clock far ahead moves this process's generator to that time for good.
  it('encodes the millisecond timestamp in the first 48 bits', () => {
    const ms = Date.UTC(2040, 0, 2, 3, 4, 5, 678);
    expect(uuidv7Timestamp(uuidv7(ms))).toBe(ms);
    const max = 2 ** 48 - 1;
    expect(uuidv7Timestamp(uuidv7(max))).toBe(max);
  });
});

describe('isUuid', () => {
  it.each([
    ['0190f5b2-7c4e-7a3b-9c2d-1e2f3a4b5c6d', true],
    ['0190F5B2-7C4E-7A3B-9C2D-1E2F3A4B5C6D', true],
    ['not-a-uuid', false],
    ['0190f5b27c4e7a3b9c2d1e2f3a4b5c6d', false],
    ['', false],
    [42, false],
  ])('%s → %s', (value, expected) => {
    expect(isUuid(value)).toBe(expected);
  });
});
