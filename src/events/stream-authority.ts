import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';

/**
 * Open streams must not outlive the authority they started with (CONTRACT §10): a subscription
 * ends within 60 s after its token expires, its user is removed or loses every role, or its API
 * key or session is revoked. Each instance re-checks all its open streams together every `intervalMs`:
 * expiry locally, users with one query for all of them, then any extra checks plugged in (API key
 * revocation can add one without touching the streams). A revoked stream is told once.
 */
export interface StreamCredential {
  userId: string;
  buyerId: string;
  /** When the token (or key) stops being valid; null if it does not expire by itself. */
  expiresAt: Date | null;
  /** For the revocation check: the API key or the session (token jti) the stream was opened with. */
  apiKeyId?: string | null;
  sessionId?: string | null;
}

export type RevocationReason = 'expired' | 'user-removed' | 'no-roles' | 'revoked';

/** Returns the reason for each watched credential that lost its authority (by watch id). */
export type RevocationCheck = (watched: ReadonlyMap<number, StreamCredential>) => Promise<Map<number, RevocationReason>>;

export interface StreamAuthority {
  /** Calls `onRevoked` once when the credential loses its authority; returns an unwatch. */
  watch(credential: StreamCredential, onRevoked: (reason: RevocationReason) => void): () => void;
  /** One round now (tests; the timer calls it too). */
  check(): Promise<void>;
  addCheck(check: RevocationCheck): void;
  readonly watched: number;
  stop(): void;
}

export function createStreamAuthority(prisma: PrismaClient, options: { intervalMs: number; now: () => Date; logger: Logger }): StreamAuthority {
  const watched = new Map<number, { credential: StreamCredential; onRevoked: (reason: RevocationReason) => void }>();
  const checks: RevocationCheck[] = [usersStillEntitled(prisma)];
  let nextId = 1;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  const revoke = (id: number, reason: RevocationReason) => {
    const entry = watched.get(id);
    if (!entry) return;
    watched.delete(id);
    entry.onRevoked(reason);
  };

  async function round() {
    const now = options.now();
    for (const [id, { credential }] of watched) if (credential.expiresAt && credential.expiresAt <= now) revoke(id, 'expired');
    if (!watched.size) return;
    const snapshot = new Map([...watched].map(([id, entry]) => [id, entry.credential]));
    for (const check of checks) {
      for (const [id, reason] of await check(snapshot)) revoke(id, reason);
    }
  }

  const check = () => {
    // One round at a time; a round asked for meanwhile shares the one in flight.
    running ??= round()
      .catch((error: unknown) => options.logger.warn({ err: error }, 'stream authority check failed; streams keep running until the next round'))
      .finally(() => (running = null));
    return running;
  };

  return {
    watch(credential, onRevoked) {
      const id = nextId++;
      watched.set(id, { credential, onRevoked });
      if (!timer) {
        timer = setInterval(() => void check(), options.intervalMs);
        timer.unref();
      }
      return () => {
        watched.delete(id);
        if (!watched.size && timer) {
          clearInterval(timer);
          timer = null;
        }
      };
    },
    check,
    addCheck: (extra) => void checks.push(extra),
    get watched() {
      return watched.size;
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}

/** The user still exists, in the same buyer, with at least one role: one query for every stream. */
function usersStillEntitled(prisma: PrismaClient): RevocationCheck {
  return async (watched) => {
    const ids = [...new Set([...watched.values()].map((c) => c.userId))];
    const rows = await prisma.$queryRawUnsafe<{ id: string; buyer_id: string; roles: number }[]>(
      `SELECT id::text AS id, buyer_id::text AS buyer_id, cardinality(roles) AS roles FROM users WHERE id = ANY($1::uuid[])`,
      ids,
    );
    const users = new Map(rows.map((row) => [row.id, row]));
    const revoked = new Map<number, RevocationReason>();
    for (const [id, credential] of watched) {
      const user = users.get(credential.userId);
      if (!user || user.buyer_id !== credential.buyerId) revoked.set(id, 'user-removed');
      else if (Number(user.roles) === 0) revoked.set(id, 'no-roles');
    }
    return revoked;
  };
}

export const REVOKED: unique symbol = Symbol('stream authority revoked');

/**
 * Wraps a stream so it ends when its credential loses authority: it yields REVOKED once (the
 * subscription's resolver turns that into an UNAUTHENTICATED error for the client), then completes.
 */
export function guardStream<T>(inner: AsyncGenerator<T>, authority: StreamAuthority, credential: StreamCredential): AsyncGenerator<T | typeof REVOKED> {
  let revoked = false;
  let done = false;
  let signalRevoked!: () => void;
  const revocation = new Promise<typeof REVOKED>((resolve) => (signalRevoked = () => resolve(REVOKED)));
  const unwatch = authority.watch(credential, () => {
    revoked = true;
    signalRevoked();
  });
  const finish = async () => {
    if (done) return;
    done = true;
    unwatch();
    await inner.return(undefined);
  };
  const iterator: AsyncGenerator<T | typeof REVOKED> = {
    async next() {
      if (done) return { done: true, value: undefined };
      const result = revoked ? REVOKED : await Promise.race([inner.next(), revocation]);
      if (result === REVOKED) {
        await finish();
        return { done: false, value: REVOKED };
      }
      if (result.done) {
        done = true;
        unwatch();
      }
      return result;
    },
    async return(value) {
      await finish();
      return { done: true, value };
    },
    async throw(error) {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
