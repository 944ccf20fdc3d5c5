import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import type { LoggedStatusChange } from './event-log.ts';

/**
 * Fan-out of committed log entries to every gateway instance. Messages are only a fast path: the
 * log in PostgreSQL is the truth, and subscribers fill any gap from it (see live-stream.ts). So a
 * lost message costs latency, never an event.
 */
export interface EventBus {
  readonly kind: 'redis' | 'in-process';
  publish(buyerId: string, changes: readonly LoggedStatusChange[]): Promise<void>;
  /** Resolves once the subscription is active, so nothing published afterwards can be missed. */
  subscribe(buyerId: string, listener: BusListener): Promise<() => void>;
  /** Called after the bus may have dropped messages (a reconnect): listeners should resync from the log. */
  onResync(listener: () => void): () => void;
  healthy(): boolean;
  close(): Promise<void>;
}

export type BusListener = (changes: LoggedStatusChange[]) => void;

export function createInProcessBus(): EventBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    kind: 'in-process',
    async publish(buyerId, changes) {
      // Copy so listeners never share a mutable array with the publisher.
      emitter.emit(buyerId, [...changes]);
    },
    async subscribe(buyerId, listener) {
      emitter.on(buyerId, listener);
      return () => void emitter.off(buyerId, listener);
    },
    onResync: () => () => {},
    healthy: () => true,
    async close() {
      emitter.removeAllListeners();
    },
  };
}

const CHANNEL_PREFIX = 'gateway:status-changes:';

interface WireChange extends Omit<LoggedStatusChange, 'seq' | 'occurredAt'> {
  seq: string;
  occurredAt: string;
}

const toWire = (c: LoggedStatusChange): WireChange => ({ ...c, seq: c.seq.toString(), occurredAt: c.occurredAt.toISOString() });
const fromWire = (c: WireChange): LoggedStatusChange => ({ ...c, seq: BigInt(c.seq), occurredAt: new Date(c.occurredAt) });

export async function createRedisBus(url: string, logger: Logger): Promise<EventBus> {
  // disableClientInfo + waiting for 'ready' avoids a SUBSCRIBE racing the connection handshake.
  const options = { disableClientInfo: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true };
  const publisher = new Redis(url, options);
  const subscriber = new Redis(url, { ...options, maxRetriesPerRequest: null, enableOfflineQueue: true });
  const listeners = new Map<string, Set<BusListener>>();
  const resyncListeners = new Set<() => void>();
  let everReady = false;

  for (const [name, client] of [['publisher', publisher], ['subscriber', subscriber]] as const) {
    client.on('error', (error) => logger.warn({ err: error.message, client: name }, 'redis error'));
  }
  subscriber.on('ready', () => {
    // ioredis re-subscribes on reconnect, but messages published meanwhile are gone.
    if (everReady) for (const listener of resyncListeners) listener();
    everReady = true;
  });
  subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
    const buyerId = channel.toString().slice(CHANNEL_PREFIX.length);
    const set = listeners.get(buyerId);
    if (!set?.size) return;
    let changes: LoggedStatusChange[];
    try {
      changes = (JSON.parse(message.toString()) as WireChange[]).map(fromWire);
    } catch (error) {
      logger.error({ err: error, channel: channel.toString() }, 'unreadable pub/sub message dropped');
      return;
    }
    for (const listener of set) listener(changes);
  });

  await Promise.all([publisher.connect(), subscriber.connect()]);

  return {
    kind: 'redis',
    async publish(buyerId, changes) {
      await publisher.publish(CHANNEL_PREFIX + buyerId, JSON.stringify(changes.map(toWire)));
    },
    async subscribe(buyerId, listener) {
      let set = listeners.get(buyerId);
      if (!set) {
        set = new Set();
        listeners.set(buyerId, set);
      }
      set.add(listener);
      if (set.size === 1) await subscriber.subscribe(CHANNEL_PREFIX + buyerId);
      return () => {
        const current = listeners.get(buyerId);
        if (!current?.delete(listener) || current.size > 0) return;
        listeners.delete(buyerId);
        subscriber.unsubscribe(CHANNEL_PREFIX + buyerId).catch(() => {});
      };
    },
    onResync(listener) {
      resyncListeners.add(listener);
      return () => void resyncListeners.delete(listener);
    },
    healthy: () => publisher.status === 'ready' && subscriber.status === 'ready',
    async close() {
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}
