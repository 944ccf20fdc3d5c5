import type { WebSocket } from 'ws';
import { sharedFrameOf, type SharedFrame } from '../graphql/shared-subscriptions.ts';

/**
 * One serialised frame per event for the subscribers that share a result
 * (src/graphql/shared-subscriptions.ts). graphql-ws builds every `next` message with
 * JSON.stringify, which would serialise the same result once per subscriber. For a shared result
 * onNext hands graphql-ws a marker instead, whose toJSON notes the result and serialises as `0`;
 * the message graphql-ws then sends, synchronously, ends in `"payload":0}`, and the socket's send
 * below swaps in the result's frame: built once per subscription id (`{"id":…,"type":"next",
 * "payload":` + the result's JSON + `}`) and sent as the same bytes to every socket. Nothing else
 * graphql-ws sends can end that way (a next's payload is an object, an error's an array).
 */
const TAIL = '"payload":0}';
let noted: SharedFrame | null = null;

/** What onNext returns for a shared result (undefined: graphql-ws serialises as usual). */
export function sharedFrameMarker(result: unknown): object | undefined {
  const frame = sharedFrameOf(result);
  if (!frame) return undefined;
  return {
    toJSON() {
      noted = frame;
      return 0;
    },
  };
}

type SendCallback = (error?: Error) => void;
const TEXT = { binary: false } as const;

export function sendSharedFrames(socket: WebSocket): void {
  const send = socket.send.bind(socket) as (data: unknown, options: object, cb?: SendCallback) => void;
  socket.send = ((data: unknown, optionsOrCb?: object | SendCallback, maybeCb?: SendCallback) => {
    const cb = (typeof optionsOrCb === 'function' ? optionsOrCb : maybeCb) as SendCallback | undefined;
    const options = typeof optionsOrCb === 'function' || optionsOrCb === undefined ? undefined : optionsOrCb;
    const frame = noted;
    if (frame && typeof data === 'string' && data.endsWith(TAIL)) {
      noted = null;
      const prefix = data.slice(0, data.length - 2); // up to and including `"payload":`
      let bytes = frame.frames.get(prefix);
      if (!bytes) {
        bytes = Buffer.from(`${prefix}${frame.json}}`);
        frame.frames.set(prefix, bytes);
      }
      return send(bytes, options ? { ...options, binary: false } : TEXT, cb);
    }
    return send(data, options ?? {}, cb);
  }) as typeof socket.send;
}
