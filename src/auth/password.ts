import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Passwords are hashed with scrypt (memory-hard, in node:crypto: no native addon to build).
 * N=2^15, r=8 uses 32 MiB per hash, about 60 ms here. Parameters are stored with the hash so they
 * can be raised later without invalidating existing ones.
 */
const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

/**
 * Hashing is the one CPU lever an anonymous caller holds (every `login` costs a hash). At most
 * MAX_CONCURRENT_HASHES run at once, in libuv's pool, never on the event loop; others wait in a
 * queue of at most MAX_QUEUED_HASHES, beyond which a hash is refused at once (the caller answers
 * RATE_LIMITED). So a flood of logins costs at most this many cores, and other requests keep theirs.
 */
export const MAX_CONCURRENT_HASHES = 2;
export const MAX_QUEUED_HASHES = 200;

export class HashingBusy extends Error {
  constructor() {
    super('Too many password checks in progress');
    this.name = 'HashingBusy';
  }
}

let active = 0;
let highWater = 0;
const waiting: (() => void)[] = [];

/** Diagnostics (tests, metrics): hashes running now and the most ever run at once. */
export const hashingStats = () => ({ active, queued: waiting.length, highWater });

async function withHashSlot<T>(work: () => Promise<T>): Promise<T> {
  if (active >= MAX_CONCURRENT_HASHES) {
    if (waiting.length >= MAX_QUEUED_HASHES) throw new HashingBusy();
    await new Promise<void>((resolve) => waiting.push(resolve));
  } else {
    active += 1;
  }
  highWater = Math.max(highWater, active);
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next(); // the slot passes straight to the next waiter
    else active -= 1;
  }
}

function scrypt(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return withHashSlot(() => new Promise((resolve, reject) =>
    scryptCallback(password, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key))),
  ));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_LENGTH, { N, r: R, p: P, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024,
  });
  return timingSafeEqual(actual, expected);
}

/** A hash to compare against when the email is unknown, so both paths take the same time. */
export const DUMMY_PASSWORD_HASH = hashPassword(randomBytes(16).toString('hex'));
