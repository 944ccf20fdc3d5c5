import type { PrismaClient } from '../../generated/prisma/client.ts';
import type { TenantDb } from '../../db/tenant.ts';
import { appendStatusChanges, type StatusChangeInput } from '../../events/event-log.ts';
import { journalStep } from './effect-journal.ts';

/** The transaction client Prisma hands to an interactive transaction. */
export type Tx = Omit<TenantDb, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

/** What every domain command needs; built once per app and passed down. */
export interface DomainDeps {
  readonly prisma: PrismaClient;
  readonly tenantDb: (buyerId: string) => TenantDb;
  readonly now: () => Date;
  readonly sandbox: boolean;
  /** Called after each commit that logged status changes (wakes the outbox relay). */
  readonly onCommitted: () => void;
  /** Called after a commit that created work for background jobs (e.g. a QUEUED run). */
  readonly onWorkQueued: () => void;
}

export interface UnitOfWork {
  readonly tx: Tx;
  readonly buyerId: string;
  readonly actorId: string | null;
  /** Logs a status change; rows are written just before commit, in one statement. */
  record(change: StatusChangeInput): void;
  recordAll(changes: Iterable<StatusChangeInput>): void;
}

const TX_OPTIONS = { maxWait: 10_000, timeout: 60_000 } as const;

/**
 * One transition = one transaction: the caller's reads, locks and writes, then the StatusChange rows
 * (which take the buyer's sequence lock last, so it is held only for the commit), then commit.
 * Publishing happens after commit, from the log (see events/outbox-relay.ts).
 */
export async function inTransaction<T>(
  deps: DomainDeps,
  buyerId: string,
  actorId: string | null,
  work: (uow: UnitOfWork) => Promise<T>,
): Promise<T> {
  // Under an idempotency-ref, a transaction an earlier (crashed) attempt committed is not run again.
  const step = journalStep<T>();
  if (step?.replayed) return step.value;
  let logged = 0;
  const result = await deps.tenantDb(buyerId).$transaction(async (tx) => {
    const changes: StatusChangeInput[] = [];
    const uow: UnitOfWork = {
      tx,
      buyerId,
      actorId,
      record: (change) => void changes.push(change),
      recordAll(list) {
        for (const change of list) changes.push(change);
      },
    };
    const value = await work(uow);
    await appendStatusChanges(tx, buyerId, actorId, changes);
    if (step) await step.record(tx, value);
    logged = changes.length;
    return value;
  }, TX_OPTIONS);
  if (logged > 0) deps.onCommitted();
  return result;
}
