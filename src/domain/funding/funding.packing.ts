/**
 * Splitting a funded run into funding groups and batches (CONTRACT.md §4 "Funding").
 * Pure: no I/O, inputs are never mutated.
 */

/**
 * A single item is larger than the institution's `maxFundingAmount`, so no packing exists.
 * Deliberately a plain Error: the service maps it to `FUNDING_LIMIT_EXCEEDED` with whatever
 * payable identifiers it needs, which this module does not know about.
 */
export class FundingLimitExceededError<T extends { amount: bigint } = { amount: bigint }> extends Error {
  /** The first oversized item, in input order. */
  readonly item: T;
  /** Its position in the input array, so callers can name e.g. `payables[index]`. */
  readonly index: number;
  readonly maxGroupTotal: bigint;

  constructor(item: T, index: number, maxGroupTotal: bigint) {
    super(`Amount ${item.amount} at index ${index} exceeds the funding limit ${maxGroupTotal}`);
    this.name = 'FundingLimitExceededError';
    this.item = item;
    this.index = index;
    this.maxGroupTotal = maxGroupTotal;
  }
}

const byAmountDescending = (a: { amount: bigint }, b: { amount: bigint }): number =>
  a.amount > b.amount ? -1 : a.amount < b.amount ? 1 : 0;

/**
 * First-fit-decreasing bin packing: items sorted by amount descending (ties keep input order, as
 * Array#sort is stable), each placed into the first group whose total + amount ≤ maxGroupTotal,
 * else into a new group. Groups come out in opening order, their items in placement order.
 *
 * The naive first-fit scan is O(n·groups), i.e. O(n²) when every item needs its own group (10,000
 * payables just over half the limit). Instead a max segment tree over the remaining capacity of
 * every group slot finds the leftmost group that fits in O(log n). Slots not yet opened hold the
 * full capacity, so "leftmost slot that fits" is exactly first-fit, including "open a new group"
 * — which is always found because no item exceeds the limit.
 *
 * @throws FundingLimitExceededError if any single item exceeds maxGroupTotal.
 * @throws RangeError if maxGroupTotal ≤ 0 or an amount is negative (both would break the packing).
 */
export function packFundingGroups<T extends { amount: bigint }>(items: readonly T[], maxGroupTotal: bigint): T[][] {
  if (maxGroupTotal <= 0n) throw new RangeError(`maxGroupTotal must be positive, got ${maxGroupTotal}`);
  items.forEach((item, index) => {
    if (item.amount < 0n) throw new RangeError(`Amount at index ${index} is negative: ${item.amount}`);
    if (item.amount > maxGroupTotal) throw new FundingLimitExceededError(item, index, maxGroupTotal);
  });
  if (items.length === 0) return [];

  const sorted = [...items].sort(byAmountDescending);

  let leaves = 1;
  while (leaves < sorted.length) leaves *= 2;
  // Node i has children 2i and 2i+1; leaves sit at [leaves, 2·leaves). Every slot starts empty.
  const remaining: bigint[] = new Array<bigint>(2 * leaves).fill(maxGroupTotal);
  const groups: T[][] = [];

  for (const item of sorted) {
    let node = 1;
    while (node < leaves) {
      const left = 2 * node;
      node = remaining[left]! >= item.amount ? left : left + 1;
    }
    const slot = node - leaves;
    if (slot === groups.length) groups.push([]);
    groups[slot]!.push(item);

    remaining[node] = remaining[node]! - item.amount;
    for (node >>= 1; node >= 1; node >>= 1) {
      const l = remaining[2 * node]!;
      const r = remaining[2 * node + 1]!;
      remaining[node] = l >= r ? l : r;
    }
  }
  return groups;
}

/**
 * Consecutive chunks of at most maxBatchSize items, in input order; only the last may be shorter.
 * @throws RangeError unless maxBatchSize is a positive integer.
 */
export function splitIntoBatches<T>(items: readonly T[], maxBatchSize: number): T[][] {
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
    throw new RangeError(`maxBatchSize must be a positive integer, got ${maxBatchSize}`);
  }
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += maxBatchSize) {
    batches.push(items.slice(start, start + maxBatchSize));
  }
  return batches;
}
