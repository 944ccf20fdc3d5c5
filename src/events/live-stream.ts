import type { PrismaClient } from '../generated/prisma/client.ts';
import type { EntityType } from '../domain/shared/statuses.ts';
import { readLogHead, readStatusChanges, type LoggedStatusChange } from './event-log.ts';
import type { EventBus } from './pubsub.ts';

/**
 * A subscriber's view of its buyer's log: first what was logged after its cursor, then live entries,
 * in sequence order, each exactly once. The bus only says "the log grew" (and carries the rows as a
 * shortcut); whenever the rows in hand do not continue exactly where the subscriber is, it reads
 * the gap from PostgreSQL. Memory per subscriber is bounded: at most MAX_PENDING rows are held,
 * beyond that they are dropped and re-read from the log when the consumer gets there.
 */
export interface StreamOptions {
  buyerId: string;
  /** Resume point (exclusive); null → start at the current end of the log (live only). */
  afterSeq: bigint | null;
  paymentRunId?: string | null;
  entityTypes?: readonly EntityType[] | null;
  signal?: AbortSignal;
}

export interface LiveStatusChanges {
  stream(options: StreamOptions): AsyncGenerator<LoggedStatusChange>;
}

const PAGE = 500;
const MAX_PENDING = 1_000;

export function createLiveStatusChanges(prisma: PrismaClient, bus: EventBus): LiveStatusChanges {
  return {
    async *stream(options) {
      const { buyerId } = options;
      let pending: LoggedStatusChange[] = [];
      let knownHead = 0n;
      let wake: (() => void) | null = null;
      const notify = () => {
        wake?.();
        wake = null;
      };

      const unsubscribe = await bus.subscribe(buyerId, (changes) => {
        const last = changes[changes.length - 1];
        if (!last) return;
        if (last.seq > knownHead) knownHead = last.seq;
        pending.push(...changes);
        if (pending.length > MAX_PENDING) pending = []; // re-read from the log instead
        notify();
      });
      const stopResync = bus.onResync(() => {
        readLogHead(prisma, buyerId).then((head) => {
          if (head > knownHead) knownHead = head;
          notify();
        }, () => {});
      });
      const onAbort = () => notify();
      options.signal?.addEventListener('abort', onAbort);

      const matches = (change: LoggedStatusChange) =>
        change.buyerId === buyerId && // never trust a message's routing alone
        (!options.paymentRunId || change.paymentRunId === options.paymentRunId) &&
        (!options.entityTypes?.length || options.entityTypes.includes(change.entityType));

      try {
        // Subscribed first, head read second: anything committed after this read arrives on the bus.
        const head = await readLogHead(prisma, buyerId);
        if (head > knownHead) knownHead = head;
        let lastSeq = options.afterSeq ?? head;

        while (!options.signal?.aborted) {
          if (knownHead <= lastSeq) {
            await new Promise<void>((resolve) => (wake = resolve));
            continue;
          }
          pending = pending.filter((change) => change.seq > lastSeq);
          pending.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
          let batch: LoggedStatusChange[];
          if (pending[0]?.seq === lastSeq + 1n) {
            batch = pending;
            pending = [];
          } else {
            batch = await readStatusChanges(prisma, buyerId, lastSeq, PAGE);
            if (batch.length === 0) {
              // The head was announced before its rows were visible to us: wait for the next signal.
              knownHead = lastSeq;
              continue;
            }
          }
          for (const change of batch) {
            if (change.seq !== lastSeq + 1n) break; // a gap inside the batch: re-read from the log
            lastSeq = change.seq;
            if (matches(change)) yield change;
          }
        }
      } finally {
        options.signal?.removeEventListener('abort', onAbort);
        stopResync();
        unsubscribe();
      }
    },
  };
}
