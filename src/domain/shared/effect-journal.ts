import { AsyncLocalStorage } from 'node:async_hooks';
import type { Tx } from './unit-of-work.ts';

/**
 * What a request with an `idempotency-ref` has committed so far, so that a retry after a crash
 * replays it instead of doing it twice (CONTRACT §12). Each domain transaction the request runs
 * appends its result to the claim's row *in that same transaction*: either both the effect and its
 * journal entry commit, or neither. A retry that takes over the claim (its owner died) runs the
 * request again; the first k transactions then return their journalled results without running,
 * so the resolver reloads and answers from what was committed.
 *
 * Only plain JSON results can be replayed; a transaction returning anything else (a Date, a class
 * instance) is journalled as unreplayable and runs again on a retry.
 */
export interface EffectJournal {
  /** The idempotency record (row id) the entries are appended to. */
  readonly recordId: string;
  /** Entries committed by an earlier attempt, in order. */
  readonly replay: readonly unknown[];
  /** Index of the next domain transaction of this request. */
  next: number;
  /** Transactions this attempt committed (so a failure after them must not release the claim). */
  committed: number;
}

export const UNREPLAYABLE = { $unreplayable: true } as const;

const journals = new AsyncLocalStorage<EffectJournal>();

export const runWithJournal = <T>(journal: EffectJournal, fn: () => T): T => journals.run(journal, fn);

function isPlainJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isPlainJson);
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value as object).every(isPlainJson);
  }
  return false;
}

export type JournalStep<T> = { replayed: true; value: T } | { replayed: false; record: (tx: Tx, value: T) => Promise<void> };

/** Called by inTransaction before it runs: a journalled result to return, or how to journal this one. */
export function journalStep<T>(): JournalStep<T> | null {
  const journal = journals.getStore();
  if (!journal) return null;
  const index = journal.next++;
  if (index < journal.replay.length) {
    const entry = journal.replay[index];
    const replayable = !(entry && typeof entry === 'object' && '$unreplayable' in entry);
    if (replayable) return { replayed: true, value: (entry === null ? undefined : entry) as T };
  }
  return {
    replayed: false,
    async record(tx, value) {
      const entry = value === undefined ? null : isPlainJson(value) ? value : UNREPLAYABLE;
      // effects[index] = entry (an unreplayable entry being re-run overwrites itself in place).
      await tx.$executeRawUnsafe(
        `UPDATE idempotency_records
            SET effects = CASE WHEN jsonb_array_length(COALESCE(effects, '[]'::jsonb)) > $2
                               THEN jsonb_set(effects, ARRAY[$2::text], $3::jsonb)
                               ELSE COALESCE(effects, '[]'::jsonb) || jsonb_build_array($3::jsonb) END
          WHERE id = $1::uuid`,
        journal.recordId, index, JSON.stringify(entry),
      );
      journal.committed += 1;
    },
  };
}
