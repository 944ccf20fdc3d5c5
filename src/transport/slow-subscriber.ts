import type { WebSocket } from 'ws';

/**
 * Slow-consumer protection for a graphql-ws socket. graphql-ws awaits each send per subscription,
 * and ws calls a send back only once the frame reached the kernel, so a client that stops reading
 * already holds back its own streams (whose buffers are bounded, see live-stream.ts) instead of
 * growing ours. What is left is to notice it and say so: when nothing queued on the socket has been
 * flushed for `stallMs`, or more than `maxBufferedBytes` wait in user space, the socket is closed
 * with 4008 and a reason the client can act on (resubscribe with `after` = its last cursor). Codes
 * 44xx belong to graphql-ws; 4008 mirrors WebSocket's 1008 "policy violation".
 *
 * The close frame queues behind the data already buffered, so a client that is merely slow still
 * receives everything sent before the close; one that never reads is cut off after `terminateMs`.
 */
export const SLOW_SUBSCRIBER = { code: 4008, reason: 'Subscriber too slow: resume with your last cursor' } as const;

export interface SlowSubscriberLimits {
  /** No send flushed for this long while something is queued → too slow. */
  stallMs: number;
  /** Bytes waiting in user space before a new send → too slow (one large message alone is fine). */
  maxBufferedBytes: number;
  /** After the 4008 close, how long the close handshake may take before the socket is destroyed. */
  terminateMs: number;
}

export const DEFAULT_SLOW_SUBSCRIBER_LIMITS: SlowSubscriberLimits = {
  stallMs: 10_000,
  maxBufferedBytes: 1024 * 1024,
  terminateMs: 5_000,
};

type SendCallback = (error?: Error) => void;

export interface GuardOptions extends Partial<SlowSubscriberLimits> {
  /** Told once when the socket is closed for being too slow (for logs and metrics). */
  onTooSlow?: (why: 'stalled' | 'buffered') => void;
}

export function guardSlowSubscriber(socket: WebSocket, options: GuardOptions = {}): void {
  const limits: SlowSubscriberLimits = { ...DEFAULT_SLOW_SUBSCRIBER_LIMITS, ...options };
  const send = socket.send.bind(socket) as (data: unknown, options: object, cb?: SendCallback) => void;
  let unflushed = 0;
  let stallTimer: NodeJS.Timeout | null = null;
  let closing = false;

  const tooSlow = (why: 'stalled' | 'buffered') => {
    if (closing) return;
    closing = true;
    options.onTooSlow?.(why);
    if (stallTimer) clearTimeout(stallTimer);
    socket.close(SLOW_SUBSCRIBER.code, SLOW_SUBSCRIBER.reason);
    const cut = setTimeout(() => socket.terminate(), limits.terminateMs);
    cut.unref();
    socket.once('close', () => clearTimeout(cut));
  };

  const flushed = () => {
    unflushed -= 1;
    if (!stallTimer) return;
    if (unflushed === 0) {
      clearTimeout(stallTimer);
      stallTimer = null;
    } else {
      stallTimer.refresh(); // progress: the client reads, only slowly so far
    }
  };

  socket.once('close', () => {
    closing = true;
    if (stallTimer) clearTimeout(stallTimer);
  });

  // Same signature as ws's send: (data, cb) or (data, options, cb).
  socket.send = ((data: unknown, optionsOrCb?: object | SendCallback, maybeCb?: SendCallback) => {
    const cb = typeof optionsOrCb === 'function' ? optionsOrCb : maybeCb;
    const options = typeof optionsOrCb === 'function' || optionsOrCb === undefined ? {} : optionsOrCb;
    if (closing || socket.readyState !== socket.OPEN) {
      // Dropped, not failed: the stream ends with the socket and resumes from its cursor.
      if (cb) queueMicrotask(() => cb());
      return;
    }
    if (socket.bufferedAmount > limits.maxBufferedBytes) {
      tooSlow('buffered');
      if (cb) queueMicrotask(() => cb());
      return;
    }
    unflushed += 1;
    if (!stallTimer) {
      stallTimer = setTimeout(() => tooSlow('stalled'), limits.stallMs);
      stallTimer.unref();
    }
    send(data, options, (error?: Error) => {
      flushed();
      cb?.(error);
    });
  }) as typeof socket.send;
}
