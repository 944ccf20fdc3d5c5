import { describe, expect, it } from 'vitest';
import { boundedJson } from './cost.ts';

describe('boundedJson (the cost limit cache key)', () => {
  it('is JSON.stringify for variables within the limit', () => {
    const values: unknown[] = [
      {}, [], 'text', 12.5, null, true,
      { a: 1, b: [1, 'x', null, { c: false }], skipped: undefined, quote: 'q"\\\u0000' },
      [undefined, { nested: [[], {}] }],
      { date: new Date(0) },
    ];
    for (const value of values) expect(boundedJson(value, 2048)).toBe(JSON.stringify(value));
  });

  it('gives up (null) as soon as the text would pass the limit', () => {
    expect(boundedJson({ big: 'x'.repeat(3000) }, 2048)).toBeNull();
    const many = { payables: Array.from({ length: 10_000 }, (_, i) => ({ reference: `INV ${i}` })) };
    expect(boundedJson(many, 2048)).toBeNull();
    expect(boundedJson({ a: 'x'.repeat(10) }, 2048)).toBe(JSON.stringify({ a: 'x'.repeat(10) }));
  });
});
