import { createHmac, timingSafeEqual } from 'node:crypto';
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

/**
 * Rows a bus message carried (verified: published by a gateway of this deployment for this
 * buyer), or 'hint' for a message that could not be verified: it says at most "the log may have
 * grown", and the listener reads the log instead of trusting it.
 */
export type BusListener = (changes: LoggedStatusChange[] | 'hint') => void;

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

/**
 * Anyone who can reach Redis can publish on a buyer's channel, so a message is only believed when
 * it carries an HMAC (key derived from the deployment's JWT secret, which every instance shares)
 * over its channel and body: `v1.<base64url signature>.<body>`. Anything else is a hint.
 */
export function createBusSigner(secret: string) {
  const key = createHmac('sha256', secret).update('gateway bus messages v1').digest();
  const sign = (channel: string, body: string) => createHmac('sha256', key).update(channel).update('\n').update(body).digest();
  return {
    seal: (channel: string, body: string) => `v1.${sign(channel, body).toString('base64url')}.${body}`,
    /** The body if the message is sealed for this channel, else null. */
    open(channel: string, message: string): string | null {
      const match = /^v1\.([A-Za-z0-9_-]{43})\.([\s\S]*)$/.exec(message);
      if (!match) return null;
      const given = Buffer.from(match[1]!, 'base64url');
      const expected = sign(channel, match[2]!);
      return given.length === expected.length && timingSafeEqual(given, expected) ? match[2]! : null;
    },
  };
}

function parseChanges(body: string): LoggedStatusChange[] | null {
  try {
    const rows = (JSON.parse(body) as WireChange[]).map(fromWire);
    return Array.isArray(rows) && rows.every((row) => typeof row.buyerId === 'string') ? rows : null;
  } catch {
    return null;
  }
}

/**
 * Redis pub/sub with the subscriptions managed here rather than by ioredis, because ioredis emits
 * `ready` before its automatic re-SUBSCRIBE is acknowledged: a resync fired then could read the
 * head just before a commit whose message arrives before the channel is live again, leaving that
 * event waiting for the next one. Here every (re)subscription is awaited first, then listeners
 * resync. Nothing is ever queued offline (enableOfflineQueue: false): while Redis is away, publish
 * fails at once (the relay keeps its position) and subscribe returns at once (the stream's head
 * watcher and the resync on reconnect cover the gap), so no request waits on Redis.
 */
export async function createRedisBus(url: string, logger: Logger, secret: string): Promise<EventBus> {
  const signer = createBusSigner(secret);
  let warnedUnverified = false;
  // disableClientInfo + waiting for 'ready' avoids a SUBSCRIBE racing the connection handshake.
  const base = {
    disableClientInfo: true,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
  };
  const publisher = new Redis(url, { ...base, commandTimeout: 2_000 });
  const subscriber = new Redis(url, { ...base, autoResubscribe: false });
  const channels = new Map<string, Channel>();
  const resyncListeners = new Set<() => void>();
  let everReady = false;
  let startedDown = false;

  for (const [name, client] of [['publisher', publisher], ['subscriber', subscriber]] as const) {
    // One line per outage and one per recovery, not one per reconnection attempt.
    let down = false;
    client.on('error', (error) => {
      if (!down) logger.warn({ err: error.message, client: name }, 'redis unavailable; live delivery falls back to polling the log');
      down = true;
    });
    client.on('ready', () => {
      if (down) logger.info({ client: name }, 'redis is back');
      down = false;
    });
  }

  let publisherEverReady = false;
  publisher.on('ready', () => {
    // The relay held its backlog while it could not publish: wake it (and the streams) right away.
    if (publisherEverReady) for (const listener of resyncListeners) listener();
    publisherEverReady = true;
  });
  subscriber.on('ready', () => {
    // A first 'ready' after starting without Redis is a recovery too: streams opened meanwhile resync.
    const wasReady = everReady || startedDown;
    everReady = true;
    const names = [...channels.keys()].map((buyerId) => CHANNEL_PREFIX + buyerId);
    // Messages published while we were away are gone: once the channels are live again, listeners
    // read what they missed from the log.
    const resubscribed = names.length ? subscriber.subscribe(...names).then(() => true, () => false) : Promise.resolve(true);
    void resubscribed.then((ok) => {
      if (ok && wasReady) for (const listener of resyncListeners) listener();
    });
  });
  subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
    const name = channel.toString();
    const buyerId = name.slice(CHANNEL_PREFIX.length);
    const entry = channels.get(buyerId);
    if (!entry?.listeners.size) return;
    const body = signer.open(name, message.toString());
    const changes = body === null ? null : parseChanges(body);
    if (!changes && !warnedUnverified) {
      // Once per process: a foreign publisher, or instances configured with different JWT secrets.
      warnedUnverified = true;
      logger.warn({ channel: name }, 'unverifiable pub/sub message: treated as a hint, subscribers read the log');
    }
    for (const listener of entry.listeners) listener(changes ?? 'hint');
  });

  // Redis down at start is an outage like any other: the instance starts and serves, ioredis keeps
  // retrying, and the 'ready' handlers above subscribe and resync once it answers.
  await Promise.all([publisher.connect(), subscriber.connect()]).catch((error: Error) => {
    startedDown = true;
    logger.warn({ err: error.message }, 'redis unreachable at start; serving without it until it answers');
  });

  return {
    kind: 'redis',
    async publish(buyerId, changes) {
      const channel = CHANNEL_PREFIX + buyerId;
      await publisher.publish(channel, signer.seal(channel, JSON.stringify(changes.map(toWire))));
    },
    async subscribe(buyerId, listener) {
      let entry = channels.get(buyerId);
      if (!entry) {
        entry = { listeners: new Set(), active: null };
        channels.set(buyerId, entry);
      }
      entry.listeners.add(listener);
      // Every subscriber of a channel waits for the same SUBSCRIBE, not only the first one.
      if (!entry.active && subscriber.status === 'ready') {
        entry.active = subscriber.subscribe(CHANNEL_PREFIX + buyerId).then(() => {}, () => {});
      }
      if (entry.active) await entry.active;
      return () => {
        const current = channels.get(buyerId);
        if (!current?.listeners.delete(listener) || current.listeners.size > 0) return;
        channels.delete(buyerId);
        if (subscriber.status === 'ready') subscriber.unsubscribe(CHANNEL_PREFIX + buyerId).catch(() => {});
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

interface Channel {
  listeners: Set<BusListener>;
  /** The SUBSCRIBE for this channel (settled once Redis answered or the connection dropped). */
  active: Promise<void> | null;
}
