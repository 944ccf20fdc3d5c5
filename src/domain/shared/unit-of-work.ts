import type { PrismaClient } from '../../generated/prisma/client.ts';
import type { TenantDb } from '../../db/tenant.ts';
import { writeAuditEvent, type AuditAction, type AuditTarget } from '../audit/audit.ts';
import { recomputeDerived } from '../funding/funding.recompute.ts';
import type { Bank, PayeeCheck, OneTimeCodes } from '../ports.ts';
import { AsyncLocalStorage } from 'node:async_hooks';
import { journalStep } from './effect-journal.ts';
import { appendStatusChanges, type StatusChangeInput } from './event-log-writer.ts';

/** The transaction client Prisma hands to an interactive transaction. */
export type Tx = Omit<TenantDb, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

/** What every domain command needs; built once per app and passed down. */
export interface DomainDeps {
  readonly prisma: PrismaClient;
  readonly tenantDb: (buyerId: string) => TenantDb;
  readonly now: () => Date;
  /**
   * Whether the sandbox-only mutations (simulate*) and the autopilot may play the bank. It chooses
   * no other behaviour: providers are the ports below.
   */
  readonly sandbox: boolean;
  /** Confirmation of Payee (src/domain/ports.ts): COP_PROVIDER chooses it. Never call it inside a unit of work. */
  readonly payeeCheck: PayeeCheck;
  /** The payer's bank (src/domain/ports.ts); the sandbox bank in this gateway. Never call it inside a unit of work. */
  readonly bank: Bank;
  /** One-time SCA codes (src/domain/ports.ts). */
  readonly oneTimeCodes: OneTimeCodes;
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
  /**
   * Notes rows whose change feeds a derived status (a payable's or attempt's batch and group, a
   * group's own flags). The status writer calls it for the moves it makes; commands call it only
   * for non-status facts (a group cancelled, funds received).
   */
  touch(scope: TouchScope): void;
  /**
   * Re-derives batches, groups and runs from what was touched so far. Runs before every commit;
   * call it earlier only where a rule must read a derived status this transaction changed.
   */
  settle(): Promise<void>;
}

export interface TouchScope {
  readonly runId: string;
  readonly batchIds?: readonly string[];
  readonly groupIds?: readonly string[];
}

const TX_OPTIONS = { maxWait: 10_000, timeout: 60_000 } as const;

const insideUnitOfWork = new AsyncLocalStorage<true>();

/**
 * Provider calls (payee checks, the bank) must never run while a transaction holds row locks: the
 * domain calls them through this guard, which throws when it runs inside `inTransaction`.
 */
export function outsideUnitOfWork<T>(what: string, call: () => Promise<T>): Promise<T> {
  if (insideUnitOfWork.getStore()) return Promise.reject(new Error(`${what} must not be called inside a transaction`));
  return call();
}

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
  // Under an idempotency-ref, a transaction an earlier (crashed) attempt committed is not run again.
  const step = journalStep<T>();
  if (step?.replayed) return step.value;
  let logged = 0;
  const result = await deps.tenantDb(buyerId).$transaction((tx) => insideUnitOfWork.run(true, async () => {
    const changes: StatusChangeInput[] = [];
    const touched = new Map<string, { batchIds: Set<string>; groupIds: Set<string> }>();
    let settling = false;
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
      touch(scope) {
        // The derivation's own moves (payables following their group) are already accounted for.
        if (settling) return;
        const entry = touched.get(scope.runId) ?? { batchIds: new Set(), groupIds: new Set() };
        for (const id of scope.batchIds ?? []) entry.batchIds.add(id);
        for (const id of scope.groupIds ?? []) entry.groupIds.add(id);
        touched.set(scope.runId, entry);
      },
      async settle() {
        const pending = [...touched];
        touched.clear();
        settling = true;
        try {
          for (const [runId, scope] of pending) {
            await recomputeDerived(uow, { runId, batchIds: [...scope.batchIds], groupIds: [...scope.groupIds] });
          }
        } finally {
          settling = false;
        }
      },
    };
    const value = await work(uow);
    await uow.settle();
    await appendStatusChanges(tx, buyerId, actorId, changes);
    if (step) await step.record(tx, value);
    logged = changes.length;
    return value;
  }), TX_OPTIONS);
  if (logged > 0) deps.onCommitted();
  return result;
}
