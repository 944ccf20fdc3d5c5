import { readLogHeads, type RawSql } from './event-log.ts';
import type { EventBus } from './pubsub.ts';

/**
 * Tells live streams how far their buyer's log has grown when the bus cannot: after a reconnect
 * (messages published meanwhile are gone) and, while the bus is unhealthy, every poll interval, so
 * subscribers keep receiving events from the log during a Redis outage, only a little later. One
 * query serves every stream of the instance, whatever their number. With Redis up it also polls
 * rarely as a safety net against a silently dead subscription connection.
 */
export interface HeadWatcher {
  /** `onHead` receives committed heads of the buyer's log (possibly ones it already knows). */
  watch(buyerId: string, onHead: (head: bigint) => void): () => void;
  /** Reads the heads now (coalesced with any read in flight): a bus hint said the log may have grown. */
  refresh(): void;
}

const SAFETY_NET_MS = 15_000;
const BUYERS_PER_QUERY = 1_000;

export function createHeadWatcher(db: RawSql, bus: EventBus, pollIntervalMs: number): HeadWatcher {
  const watchers = new Map<string, Set<(head: bigint) => void>>();
  let timer: NodeJS.Timeout | null = null;
  let checking = false;
  let again = false;
  let lastCheck = Date.now();

  async function check(): Promise<void> {
    if (checking) {
      again = true;
      return;
    }
    checking = true;
    try {
      do {
        again = false;
        lastCheck = Date.now();
        const ids = [...watchers.keys()];
        for (let i = 0; i < ids.length; i += BUYERS_PER_QUERY) {
          const heads = await readLogHeads(db, ids.slice(i, i + BUYERS_PER_QUERY));
          for (const [buyerId, head] of heads) for (const onHead of watchers.get(buyerId) ?? []) onHead(head);
        }
      } while (again);
    } catch {
      // Database unavailable: the next tick (or resync) tries again; streams keep what they have.
    } finally {
      checking = false;
    }
  }

  function tick() {
    const due = !bus.healthy() || (bus.kind === 'redis' && Date.now() - lastCheck >= SAFETY_NET_MS);
    if (due) void check();
  }

  bus.onResync(() => void check());

  return {
    refresh: () => void check(),
    watch(buyerId, onHead) {
      let set = watchers.get(buyerId);
      if (!set) {
        set = new Set();
        watchers.set(buyerId, set);
      }
      set.add(onHead);
      if (!timer) {
        timer = setInterval(tick, pollIntervalMs);
        timer.unref();
      }
      return () => {
        const current = watchers.get(buyerId);
        if (!current?.delete(onHead) || current.size > 0) return;
        watchers.delete(buyerId);
        if (watchers.size === 0 && timer) {
          clearInterval(timer);
          timer = null;
        }
      };
    },
  };
}
