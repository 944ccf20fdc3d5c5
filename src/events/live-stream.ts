import type { PrismaClient } from '../generated/prisma/client.ts';
import { badUserInput, FieldError } from '../domain/shared/errors.ts';
import type { EntityType } from '../domain/shared/statuses.ts';
import { readLogHead, readStatusChanges, type LoggedStatusChange } from './event-log.ts';
import { createHeadWatcher, type HeadWatcher } from './head-watcher.ts';
import type { EventBus } from './pubsub.ts';

/**
 * A subscriber's view of its buyer's log: first what was logged after its cursor, then live entries,
 * in sequence order, each exactly once. The bus only says "the log grew" (and carries the rows as a
 * shortcut); whenever the rows in hand do not continue exactly where the subscriber is, it reads
 * from PostgreSQL. Because sequence numbers commit in order (event-log.ts), every row up to a head
 * that was seen committed is readable, so "read up to the head" never skips a late commit.
 *
 * Memory per subscriber is bounded: at most MAX_PENDING rows are held; beyond that they are dropped
 * and re-read from the log when the consumer gets there. A consumer that stalls therefore costs a
 * bounded buffer, never the server's memory, and never delays the bus or other subscribers (the
 * bus listener only appends and wakes). Identical concurrent log reads (many subscribers woken by
 * the same message) share one query.
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
  /** Streams of this instance that are live (subscribed to the bus, head read): diagnostics, tests, bench. */
  readonly open: number;
  /** Ends every stream of this instance (shutdown): each completes as if its client had left. Returns how many. */
  endAll(): number;
}

export interface LiveOptions {
  /** How often heads are polled while the bus is unhealthy (and, slower, as a safety net). */
  pollIntervalMs?: number;
}

const PAGE = 500;
const MAX_PENDING = 2_000;
const WAKE_SLICE = 100;

export function createLiveStatusChanges(prisma: PrismaClient, bus: EventBus, options: LiveOptions = {}): LiveStatusChanges {
  const heads: HeadWatcher = createHeadWatcher(prisma, bus, options.pollIntervalMs ?? 1_000);
  const sharedReads = new Map<string, Promise<LoggedStatusChange[]>>();
  let open = 0;
  // A message wakes its subscribers WAKE_SLICE at a time, one slice per turn of the event loop:
  // each slice runs to its sockets before the next starts, and HTTP requests and other buyers'
  // events get their turn in between instead of waiting behind one long fan-out.
  const wakeQueue: (() => void)[] = [];
  let draining = false;
  const drainWakes = () => {
    for (const wakeUp of wakeQueue.splice(0, WAKE_SLICE)) wakeUp();
    if (wakeQueue.length) setImmediate(drainWakes);
    else draining = false;
  };
  const scheduleWake = (wakeUp: () => void) => {
    wakeQueue.push(wakeUp);
    if (!draining) {
      draining = true;
      setImmediate(drainWakes);
    }
  };

  /** One query for every stream asking the same question at the same moment. */
  function readShared(buyerId: string, afterSeq: bigint, upto: bigint, options: StreamOptions) {
    const types = options.entityTypes?.length ? [...options.entityTypes].sort().join(',') : '';
    const key = `${buyerId}|${afterSeq}|${upto}|${options.paymentRunId ?? ''}|${types}`;
    let read = sharedReads.get(key);
    if (!read) {
      read = readStatusChanges(prisma, buyerId, afterSeq, PAGE, options, upto).finally(() => sharedReads.delete(key));
      sharedReads.set(key, read);
    }
    return read;
  }

  async function* generate(options: StreamOptions, signal: AbortSignal): AsyncGenerator<LoggedStatusChange> {
    const { buyerId } = options;
    let pending: LoggedStatusChange[] = [];
    let knownHead = 0n;
    let wake: (() => void) | null = null;
    const notify = () => {
      wake?.();
      wake = null;
    };
    const learnHead = (head: bigint) => {
      if (head <= knownHead) return;
      knownHead = head;
      notify();
    };

    const unsubscribe = await bus.subscribe(buyerId, (changes) => {
      // The bus is a hint: rows are taken only when every one is this buyer's and in sequence
      // order. Anything else (unverified, mis-tagged, unordered) may not move the head or take a
      // sequence number: the stream asks the log how far it really is and reads from there.
      if (changes === 'hint' || !changes.every((c, i) => c.buyerId === buyerId && c.seq > 0n && (i === 0 || c.seq > changes[i - 1]!.seq))) {
        heads.refresh();
        return;
      }
      const last = changes[changes.length - 1];
      if (!last) return;
      if (pending.length + changes.length > MAX_PENDING) pending = []; // re-read from the log instead
      else pending.push(...changes);
      if (last.seq <= knownHead) return;
      knownHead = last.seq;
      scheduleWake(notify);
    });
    const unwatch = heads.watch(buyerId, learnHead);
    signal.addEventListener('abort', notify);

    const matches = (change: LoggedStatusChange) =>
      change.buyerId === buyerId && // never trust a message's routing alone
      (!options.paymentRunId || change.paymentRunId === options.paymentRunId) &&
      (!options.entityTypes?.length || options.entityTypes.includes(change.entityType));

    let counted = false;
    try {
      // Subscribed first, head read second: anything committed after this read arrives on the bus.
      const head = await readLogHead(prisma, buyerId);
      if (options.afterSeq !== null && options.afterSeq > head) {
        // Not a position of this buyer's log (another buyer's cursor, or a restored database):
        // waiting for the log to reach it would silently skip everything in between.
        throw badUserInput([{ fieldName: 'after', error: FieldError.RANGE, params: { reason: 'CURSOR_AHEAD_OF_LOG' } }], 'Unknown cursor');
      }
      learnHead(head);
      let lastSeq = options.afterSeq ?? head;
      open += 1;
      counted = true;

      while (!signal.aborted) {
        if (knownHead <= lastSeq) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        pending = pending.filter((change) => change.seq > lastSeq);
        if (pending[0]?.seq === lastSeq + 1n) {
          // Fast path: the bus rows continue exactly where we are.
          const batch = pending;
          pending = [];
          for (const change of batch) {
            if (change.seq !== lastSeq + 1n) break; // a gap inside the batch: the log fills it next round
            lastSeq = change.seq;
            if (matches(change)) {
              if (signal.aborted) return;
              yield change;
            }
          }
          continue;
        }
        // Everything up to `target` is committed; read it (filtered in SQL) and move past it.
        const target = knownHead;
        const rows = await readShared(buyerId, lastSeq, target, options);
        for (const change of rows) {
          if (change.seq <= lastSeq) continue;
          lastSeq = change.seq;
          if (matches(change)) {
            if (signal.aborted) return;
            yield change;
          }
        }
        if (rows.length < PAGE && target > lastSeq) lastSeq = target;
      }
    } finally {
      if (counted) open -= 1;
      signal.removeEventListener('abort', notify);
      unwatch();
      unsubscribe();
    }
  }

  const controllers = new Set<AbortController>();
  return {
    get open() {
      return open;
    },
    endAll() {
      const count = controllers.size;
      for (const controller of [...controllers]) controller.abort();
      return count;
    },
    stream(options) {
      // An async generator cannot be stopped while it awaits: return() would queue behind the
      // pending next() until another event arrives, so an idle subscriber that went away would
      // keep its listener. Aborting first wakes it, so return() takes effect at once.
      const controller = new AbortController();
      controllers.add(controller);
      const release = () => controllers.delete(controller);
      controller.signal.addEventListener('abort', release);
      const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
      const inner = generate(options, signal);
      const iterator: AsyncGenerator<LoggedStatusChange> = {
        next: () => inner.next().then(
          (result) => {
            if (result.done) release();
            return result;
          },
          (error: unknown) => {
            release();
            throw error;
          },
        ),
        return: (value) => {
          controller.abort();
          return inner.return(value);
        },
        throw: (error) => {
          controller.abort();
          return inner.throw(error);
        },
        [Symbol.asyncIterator]() {
          return iterator;
        },
      };
      return iterator;
    },
  };
}
