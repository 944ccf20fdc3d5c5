/**
 * Rows the bank's reports need before and inside their transaction. The provider is not a tenant:
 * which buyer a report concerns is read from the object it names (owners never change, so this
 * read needs no lock), and that buyer's transaction then re-reads everything tenant-scoped.
 */
import { isUuid } from '../shared/ids.ts';
import type { DomainDeps, UnitOfWork } from '../shared/unit-of-work.ts';

export const BANK_EVENT_TYPES = ['authorisation.outcome', 'funding_group.funds_received', 'payables.outcomes'] as const;
export type BankEventType = (typeof BANK_EVENT_TYPES)[number];

type Owned = 'authorisations' | 'funding_groups' | 'payables';

/** The buyer owning one row, or null (unknown or malformed id). */
export async function buyerOf(deps: DomainDeps, table: Owned, id: string): Promise<string | null> {
  if (!isUuid(id)) return null;
  const rows = await deps.prisma.$queryRawUnsafe<{ buyer_id: string }[]>(`SELECT buyer_id FROM ${table} WHERE id = $1::uuid`, id);
  return rows[0]?.buyer_id ?? null;
}

/** The buyer of the first payable named: a list is one buyer's (others then answer NOT_FOUND). */
export function buyerOfPayables(deps: DomainDeps, ids: readonly string[]): Promise<string | null> {
  return buyerOf(deps, 'payables', ids[0] ?? '');
}

/**
 * Claims a provider event id in the transaction of its effect. False when it was applied before;
 * a concurrent claim of the same id waits here until the first commits (then false) or rolls back
 * (then this one claims it).
 */
export async function claimEvent(uow: UnitOfWork, eventId: string, type: BankEventType): Promise<boolean> {
  const rows = await uow.tx.$queryRawUnsafe<{ webhook_id: string }[]>(
    `INSERT INTO bank_events (webhook_id, type, buyer_id) VALUES ($1, $2, $3::uuid)
     ON CONFLICT (webhook_id) DO NOTHING RETURNING webhook_id`,
    eventId, type, uow.buyerId,
  );
  return rows.length === 1;
}
