import type { PrismaClient } from '../generated/prisma/client.ts';
import { createJobRunner } from '../jobs/job-runner.ts';
import type { Logger } from '../logger.ts';
import { readStatusChanges } from './event-log.ts';
import type { EventBus } from './pubsub.ts';

/**
 * Transactional outbox: commits write log rows; this relay publishes committed rows to the bus and
 * records how far it got per buyer (event_relay_positions). Each buyer's position row is locked
 * with SKIP LOCKED, so with several instances every range is published by one of them, and the
 * position only advances after a successful publish: when Redis is down nothing is lost, the relay
 * simply catches up when it returns. A crash between publish and commit republishes a range;
 * subscribers drop sequence numbers they have already delivered. While the bus reports itself
 * unhealthy the relay does not even try (no transaction held open to fail); the bus's resync after
 * a reconnect wakes it, so the backlog goes out as soon as Redis is back.
 */
export interface OutboxRelay {
  /** Wake the relay now (after a local commit). */
  kick(): void;
  /** Publish everything pending; resolves when nothing is left (used by tests and shutdown). */
  drain(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

const BUYERS_PER_ROUND = 20;
const ROWS_PER_ROUND = 5_000;
const ROWS_PER_MESSAGE = 500;

export function createOutboxRelay(deps: {
  prisma: PrismaClient;
  bus: EventBus;
  logger: Logger;
  pollIntervalMs: number;
  onFailure?: (task: string) => void;
}): OutboxRelay {
  const { prisma, bus, logger } = deps;

  /** One round; returns true when it published something (there may be more). */
  async function round(): Promise<boolean> {
    if (!bus.healthy()) return false;
    return prisma.$transaction(async (tx) => {
      const due = await tx.$queryRawUnsafe<{ buyer_id: string; published_seq: bigint; event_seq: bigint }[]>(
        `SELECT p.buyer_id, p.published_seq, b.event_seq
           FROM event_relay_positions p JOIN buyers b ON b.id = p.buyer_id
          WHERE b.event_seq > p.published_seq
          ORDER BY p.buyer_id
          LIMIT ${BUYERS_PER_ROUND}
            FOR UPDATE OF p SKIP LOCKED`,
      );
      for (const position of due) {
        const rows = await readStatusChanges(tx, position.buyer_id, BigInt(position.published_seq), ROWS_PER_ROUND);
        for (let i = 0; i < rows.length; i += ROWS_PER_MESSAGE) {
          await bus.publish(position.buyer_id, rows.slice(i, i + ROWS_PER_MESSAGE));
        }
        // No rows below a committed head means they were removed: move on rather than spin.
        const publishedSeq = rows.length ? rows[rows.length - 1]!.seq : BigInt(position.event_seq);
        await tx.$executeRawUnsafe(
          'UPDATE event_relay_positions SET published_seq = $2::bigint WHERE buyer_id = $1::uuid',
          position.buyer_id,
          publishedSeq.toString(),
        );
      }
      return due.length > 0;
    }, { timeout: 30_000 });
  }

  // The same single-flight, kick-or-poll loop as every background task (src/jobs/job-runner.ts).
  const runner = createJobRunner(
    [{ name: 'outbox-relay', run: async () => ((await round()) ? 1 : 0), failureLevel: 'warn' }],
    { pollIntervalMs: deps.pollIntervalMs, logger, onFailure: deps.onFailure },
  );
  bus.onResync(() => runner.kick());

  return {
    kick: () => runner.kick(),
    drain: () => runner.drain(),
    start: () => runner.start(),
    stop: () => runner.stop(),
  };
}
