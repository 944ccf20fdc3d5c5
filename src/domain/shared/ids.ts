/**
 * UUIDv7 (RFC 9562 §5.7) for rows inserted with raw SQL, where Prisma's `uuid(7)` default does not
 * apply (bulk payables) — and Node 20 has no `crypto.randomUUIDv7`.
 *
 * Layout: 48-bit Unix milliseconds | ver 7 | 12-bit rand_a | var 0b10 | 62-bit rand_b.
 * rand_a doubles as a per-millisecond counter (RFC 9562 §6.2, method 1), so ids made by this process
 * sort in creation order even when thousands share a millisecond; "newest first" relies on that.
 */
import { getRandomValues } from 'node:crypto';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Random bytes are drawn in blocks: one getRandomValues call per id costs more than the id itself.
const POOL = new Uint8Array(16 * 512);
let poolAt = POOL.length;

function random8(): Uint8Array {
  if (poolAt + 8 > POOL.length) {
    getRandomValues(POOL);
    poolAt = 0;
  }
  const out = POOL.subarray(poolAt, poolAt + 8);
  poolAt += 8;
  return out;
}

let lastMs = -1;
let counter = 0;

/** A new UUIDv7; `nowMs` is for tests. */
export function uuidv7(nowMs: number = Date.now()): string {
  let ms = nowMs;
  if (ms > lastMs) {
    lastMs = ms;
    // Start low in the 12-bit space so the counter rarely overflows within one millisecond.
    counter = random8()[0]! << 2;
  } else {
    ms = lastMs;
    counter++;
    if (counter > 0xfff) {
      // Out of counter space: borrow the next millisecond rather than break ordering (§6.2).
      ms = ++lastMs;
      counter = 0;
    }
  }
  const r = random8();
  const b = new Uint8Array(16);
  // 48-bit big-endian timestamp without bitwise ops (they truncate to 32 bits).
  const high = Math.floor(ms / 0x1_0000_0000);
  const low = ms >>> 0;
  b[0] = (high >>> 8) & 0xff;
  b[1] = high & 0xff;
  b[2] = low >>> 24;
  b[3] = (low >>> 16) & 0xff;
  b[4] = (low >>> 8) & 0xff;
  b[5] = low & 0xff;
  b[6] = 0x70 | (counter >>> 8);
  b[7] = counter & 0xff;
  b[8] = 0x80 | (r[0]! & 0x3f);
  for (let i = 1; i < 8; i++) b[8 + i] = r[i]!;
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += HEX[b[i]!];
  }
  return s;
}

/** Ids reach raw SQL as `$n::uuid`; anything else would be a masked cast error instead of NOT_FOUND. */
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID_RE.test(value);

/** The creation time encoded in a UUIDv7 (for tests and diagnostics). */
export function uuidv7Timestamp(id: string): number {
  return Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);
}
