import type { PrismaClient } from '../../generated/prisma/client.ts';
import type { TenantDb } from '../../db/tenant.ts';
import { appendStatusChanges, type StatusChangeInput } from '../../events/event-log.ts';
import { writeAuditEvent, type AuditAction, type AuditTarget } from '../audit/audit.ts';

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

/** Who a transaction acts for: a user id, or a user acting through an API key, or nobody (jobs). */
export type ActingAs = string | { readonly userId: string; readonly apiKeyId?: string | null } | null;

export interface UnitOfWork {
  readonly tx: Tx;
  readonly buyerId: string;
  readonly actorId: string | null;
  /** The API key the actor acts through, if any (audit events name it). */
  readonly apiKeyId: string | null;
  /** Logs a status change; rows are written just before commit, in one statement. */
  record(change: StatusChangeInput): void;
  recordAll(changes: Iterable<StatusChangeInput>): void;
  /** Appends an audit event now, in this transaction: it commits or rolls back with the change. */
  audit(action: AuditAction, target: AuditTarget | null, details?: Record<string, unknown> | null): Promise<void>;
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
  actingAs: ActingAs,
  work: (uow: UnitOfWork) => Promise<T>,
): Promise<T> {
  const actorId = typeof actingAs === 'string' ? actingAs : (actingAs?.userId ?? null);
  const apiKeyId = typeof actingAs === 'object' ? (actingAs?.apiKeyId ?? null) : null;
  let logged = 0;
  const result = await deps.tenantDb(buyerId).$transaction(async (tx) => {
    const changes: StatusChangeInput[] = [];
    const uow: UnitOfWork = {
      tx,
      buyerId,
      actorId,
      apiKeyId,
      audit: (action, target, details) => writeAuditEvent(tx, buyerId, { userId: actorId, apiKeyId }, action, target, details),
      record: (change) => void changes.push(change),
      recordAll(list) {
        for (const change of list) changes.push(change);
      },
    };
    const value = await work(uow);
    await appendStatusChanges(tx, buyerId, actorId, changes);
    logged = changes.length;
    return value;
  }, TX_OPTIONS);
  if (logged > 0) deps.onCommitted();
  return result;
}
