/**
 * Reads bound to one buyer, for the GraphQL layer: it never holds the unscoped database client or
 * writes SQL itself. Payable pages (domain/payment-run/payable.queries.ts) read straight from the
 * driver; the status-change log (events/event-log.ts) through Prisma's raw SQL; the acting user
 * (domain/user/user.queries.ts) fresh on every operation. Every statement names buyer_id.
 */
import type { Database } from '../db/database.ts';
import { createPayableLoaders, type PayableLoaders } from '../domain/payment-run/payable.queries.ts';
import type { Actor } from '../domain/shared/actor.ts';
import { loadActor } from '../domain/user/user.queries.ts';
import {
  countStatusChanges, readStatusChanges, readStatusChangesBackward, type LogFilter, type LoggedStatusChange,
} from '../events/event-log.ts';

export interface StatusChangeReads {
  /** In log order after afterSeq (up to uptoSeq when given). */
  page(afterSeq: bigint, limit: number, filter?: LogFilter, uptoSeq?: bigint | null): Promise<LoggedStatusChange[]>;
  /** The newest `limit` between afterSeq and beforeSeq, in log order. */
  pageBackward(afterSeq: bigint, beforeSeq: bigint | null, limit: number, filter?: LogFilter): Promise<LoggedStatusChange[]>;
  count(filter?: LogFilter): Promise<number>;
}

export interface TenantReads {
  /** Per-request batch loaders of payable pages and counts under runs, groups and batches. */
  payables(buyerId: string): PayableLoaders;
  statusChanges(buyerId: string): StatusChangeReads;
  /** The acting user with roles read now; null when the user or the buyer it claims is gone. */
  actor(userId: string, buyerId: string): Promise<Actor | null>;
}

export function createTenantReads(database: Database): TenantReads {
  const { prisma } = database;
  return {
    payables: (buyerId) => createPayableLoaders(database.query, buyerId),
    statusChanges: (buyerId) => ({
      page: (afterSeq, limit, filter = {}, uptoSeq = null) => readStatusChanges(prisma, buyerId, afterSeq, limit, filter, uptoSeq),
      pageBackward: (afterSeq, beforeSeq, limit, filter = {}) => readStatusChangesBackward(prisma, buyerId, afterSeq, beforeSeq, limit, filter),
      count: (filter = {}) => countStatusChanges(prisma, buyerId, filter),
    }),
    actor: (userId, buyerId) => loadActor(prisma, userId, buyerId),
  };
}
