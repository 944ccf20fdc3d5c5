import { describe, expect, it } from 'vitest';
import { FundingLimitExceededError, packFundingGroups, splitIntoBatches } from './funding.packing.ts';

interface Item { id: string; amount: bigint }
const items = (...amounts: bigint[]): Item[] => amounts.map((amount, i) => ({ id: `p${i}`, amount }));
const amountsOf = (groups: Item[][]) => groups.map((g) => g.map((i) => i.amount));
const total = (g: { amount: bigint }[]) => g.reduce((s, i) => s + i.amount, 0n);

/** Reference first-fit-decreasing, the plain O(n·groups) scan, to check the segment tree against. */
function naiveFfd<T extends { amount: bigint }>(input: T[], max: bigint): T[][] {
  const sorted = [...input].sort((a, b) => (a.amount > b.amount ? -1 : a.amount < b.amount ? 1 : 0));
  const groups: { items: T[]; total: bigint }[] = [];
  for (const item of sorted) {
    const g = groups.find((x) => x.total + item.amount <= max);
    if (g) { g.items.push(item); g.total += item.amount; } else groups.push({ items: [item], total: item.amount });
  }
  return groups.map((g) => g.items);
}

/** Deterministic pseudo-random amounts (LCG), so failures are reproducible. */
function randomAmounts(n: number, seed: number, maxAmount: number): bigint[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return BigInt(1 + (x % maxAmount));
  });
}

describe('packFundingGroups', () => {
  it.each([
    {
      name: "contract example: 2.0M,1.5M,1.0M,0.5M,0.4M,0.1M at 2.5M → 3 groups",
      amounts: [2_000_000n, 1_500_000n, 1_000_000n, 500_000n, 400_000n, 100_000n],
      max: 2_500_000n,
      expected: [[2_000_000n, 500_000n], [1_500_000n, 1_000_000n], [400_000n, 100_000n]],
    },
    {
      name: 'contract example in scrambled input order gives the same groups',
      amounts: [100_000n, 1_000_000n, 400_000n, 2_000_000n, 500_000n, 1_500_000n],
      max: 2_500_000n,
      expected: [[2_000_000n, 500_000n], [1_500_000n, 1_000_000n], [400_000n, 100_000n]],
    },
    { name: 'single item exactly at the limit', amounts: [2_500_000n], max: 2_500_000n, expected: [[2_500_000n]] },
    {
      name: 'items summing exactly to the limit share a group',
      amounts: [1_000_000n, 1_500_000n], max: 2_500_000n, expected: [[1_500_000n, 1_000_000n]],
    },
    {
      name: 'one unit over the limit opens a second group',
      amounts: [1_000_001n, 1_500_000n], max: 2_500_000n, expected: [[1_500_000n], [1_000_001n]],
    },
    {
      name: 'first fit, not best fit: a small item goes back to the earliest group with room',
      amounts: [8n, 6n, 3n, 3n, 1n], max: 10n, expected: [[8n, 1n], [6n, 3n], [3n]],
    },
    { name: 'all at the limit → one group each', amounts: [10n, 10n, 10n], max: 10n, expected: [[10n], [10n], [10n]] },
    { name: 'everything fits in one group', amounts: [1n, 2n, 3n], max: 100n, expected: [[3n, 2n, 1n]] },
    { name: 'zero amounts are packed, not rejected', amounts: [0n, 5n], max: 5n, expected: [[5n, 0n]] },
    { name: 'no items → no groups', amounts: [], max: 10n, expected: [] },
  ])('$name', ({ amounts, max, expected }) => {
    expect(amountsOf(packFundingGroups(items(...amounts), max))).toEqual(expected);
  });

  it('is stable: equal amounts keep their input order, across groups too', () => {
    const groups = packFundingGroups(items(3n, 5n, 3n, 3n, 5n), 8n);
    expect(groups.map((g) => g.map((i) => i.id))).toEqual([['p1', 'p0'], ['p4', 'p2'], ['p3']]);
  });

  it('returns the same object references and does not mutate the input', () => {
    const input = items(1n, 3n, 2n);
    const snapshot = [...input];
    const groups = packFundingGroups(input, 4n);
    expect(input).toEqual(snapshot);
    expect(groups.flat().every((i) => input.includes(i))).toBe(true);
  });

  it.each([
    { name: 'single oversized payable', amounts: [2_500_001n], index: 0 },
    { name: 'oversized payable among valid ones reports the first one in input order', amounts: [1n, 3_000_000n, 2_600_000n], index: 1 },
  ])('throws FundingLimitExceededError: $name', ({ amounts, index }) => {
    const input = items(...amounts);
    const err = (() => { try { packFundingGroups(input, 2_500_000n); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(FundingLimitExceededError);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ name: 'FundingLimitExceededError', item: input[index], index, maxGroupTotal: 2_500_000n });
  });

  it.each([
    { name: 'zero limit', amounts: [1n], max: 0n },
    { name: 'negative limit', amounts: [], max: -1n },
    { name: 'negative amount', amounts: [-1n], max: 10n },
  ])('throws RangeError: $name', ({ amounts, max }) => {
    expect(() => packFundingGroups(items(...amounts), max)).toThrow(RangeError);
  });

  it.each([
    { n: 200, seed: 1, maxAmount: 1_000, max: 1_000n },
    { n: 500, seed: 7, maxAmount: 2_500_000, max: 2_500_000n },
    { n: 1_000, seed: 42, maxAmount: 600, max: 1_000n },
    { n: 777, seed: 3, maxAmount: 10, max: 10n },
  ])('matches the naive first-fit-decreasing scan (n=$n, seed=$seed)', ({ n, seed, maxAmount, max }) => {
    const input = items(...randomAmounts(n, seed, maxAmount));
    const groups = packFundingGroups(input, max);
    expect(groups).toEqual(naiveFfd(input, max));
    expect(groups.flat()).toHaveLength(n);
    expect(groups.every((g) => total(g) <= max)).toBe(true);
  });

  it.each([
    { name: 'random amounts', amounts: randomAmounts(10_000, 99, 2_500_000) },
    // The worst case for a linear first-fit scan: every item needs its own group.
    { name: 'every item just over half the limit', amounts: Array.from({ length: 10_000 }, (_, i) => 1_250_001n + BigInt(i % 1_000)) },
  ])('packs 10,000 items: $name', ({ amounts }) => {
    const input = items(...amounts);
    const groups = packFundingGroups(input, 2_500_000n);
    expect(groups.flat()).toHaveLength(10_000);
    expect(new Set(groups.flat()).size).toBe(10_000);
    expect(groups.every((g) => g.length > 0 && total(g) <= 2_500_000n)).toBe(true);
    // Any first-fit leaves at most one group half empty, so it never needs more than this.
    expect(BigInt(groups.length)).toBeLessThanOrEqual(2n * ((total(input) + 2_499_999n) / 2_500_000n));
  });
});

describe('splitIntoBatches', () => {
  const seq = (n: number) => Array.from({ length: n }, (_, i) => i);

  it.each([
    { n: 25, size: 10, sizes: [10, 10, 5] },
    { n: 20, size: 10, sizes: [10, 10] },
    { n: 9, size: 10, sizes: [9] },
    { n: 10, size: 1, sizes: Array<number>(10).fill(1) },
    { n: 0, size: 10, sizes: [] },
    { n: 250, size: 100, sizes: [100, 100, 50] },
  ])('$n items at size $size → $sizes', ({ n, size, sizes }) => {
    const batches = splitIntoBatches(seq(n), size);
    expect(batches.map((b) => b.length)).toEqual(sizes);
    expect(batches.flat()).toEqual(seq(n)); // consecutive chunks, order preserved
  });

  it.each([0, -1, 2.5, Number.NaN])('rejects batch size %s', (size) => {
    expect(() => splitIntoBatches([1], size)).toThrow(RangeError);
  });
});
