/**
 * Tenant-scoped reads of payables, for the GraphQL layer (src/reads/tenant-reads.ts binds them to
 * the viewer's buyer and the database driver; every statement names buyer_id).
 */
import DataLoader from 'dataloader';
import type { Payable } from '../../generated/prisma/client.ts';
import type { PayableStatus } from '../shared/statuses.ts';

/**
 * Pages of payables for many parents at once (runs, funding groups, batches or payable groups): one LATERAL query
 * per distinct (parent kind, page arguments) per request, reading at most `first + 1` rows per
 * parent. A 10,000-payable run is never loaded whole to answer a page, and a list of 50 runs with 20
 * payables each costs one statement, not 50.
 */
export type PayableParent = 'payment_run_id' | 'funding_group_id' | 'batch_id' | 'payable_group_id';

export interface PayablePageArgs {
  size: number;
  afterPosition: number | null;
  beforePosition: number | null;
  /** Read from the end (last/before); rows still come back in position order. */
  backward: boolean;
  statuses: readonly PayableStatus[] | null;
}

export interface PayablePage {
  rows: Payable[];
  /** Rows lay beyond the page in the direction read. */
  more: boolean;
}

const COLUMNS = `p.id, p.buyer_id AS "buyerId", p.payment_run_id AS "paymentRunId", p.position, p.status,
  p.status_reason AS "statusReason", p.external_ref AS "externalRef", p.payment_ref AS "paymentRef", p.currency,
  p.amount, p.reference, p.supplier_name AS "supplierName", p.supplier_address AS "supplierAddress",
  p.supplier_bank_name AS "supplierBankName", p.supplier_bank_address AS "supplierBankAddress",
  p.supplier_bank_country AS "supplierBankCountry", p.supplier_type AS "supplierType",
  p.account_number AS "accountNumber", p.sort_code AS "sortCode", p.secondary_reference AS "secondaryReference",
  p.iban, p.bank_identifier_code AS "bankIdentifierCode", p.validation_outcomes AS "validationOutcomes",
  p.funding_group_id AS "fundingGroupId", p.batch_id AS "batchId", p.payable_group_id AS "payableGroupId",
  p.supplier_changed_at AS "supplierChangedAt"`;

/** Raw rows straight from the driver (no ORM mapping: the dashboard's read is bound by it). */
export type RawQuery = <T>(sql: string, params: unknown[]) => Promise<T[]>;

export function createPayableLoaders(query: RawQuery, buyerId: string) {
  const pages = new Map<string, DataLoader<string, PayablePage>>();
  const counts = new Map<string, DataLoader<string, number>>();

  function pageLoader(parent: PayableParent, args: PayablePageArgs) {
    const key = `${parent}|${args.size}|${args.afterPosition}|${args.beforePosition}|${args.backward}|${args.statuses?.join(',') ?? ''}`;
    let loader = pages.get(key);
    if (!loader) {
      loader = new DataLoader(async (parentIds) => {
        const rows = await query<Payable & { parent: string }>(
          `SELECT parent.id AS parent, ${COLUMNS}
             FROM unnest($1::uuid[]) AS parent(id)
             CROSS JOIN LATERAL (
               SELECT * FROM payables p
                WHERE p.${parent} = parent.id AND p.buyer_id = $2::uuid
                  AND ($3::int IS NULL OR p.position > $3::int)
                  AND ($4::text[] IS NULL OR p.status::text = ANY($4::text[]))
                  AND ($6::int IS NULL OR p.position < $6::int)
                ORDER BY p.position ${args.backward ? 'DESC' : 'ASC'}
                LIMIT $5
             ) p`,
          [parentIds, buyerId, args.afterPosition, args.statuses?.length ? args.statuses : null, args.size + 1, args.beforePosition],
        );
        const byParent = new Map<string, Payable[]>();
        for (const { parent: id, ...row } of rows) {
          row.amount = BigInt(row.amount);
          const list = byParent.get(id) ?? [];
          list.push(row as Payable);
          byParent.set(id, list);
        }
        return parentIds.map((id) => {
          const list = byParent.get(id) ?? [];
          const rows = list.slice(0, args.size);
          return { rows: args.backward ? rows.reverse() : rows, more: list.length > args.size };
        });
      });
      pages.set(key, loader);
    }
    return loader;
  }

  function countLoader(parent: PayableParent, statuses: readonly PayableStatus[] | null) {
    const key = `${parent}|${statuses?.join(',') ?? ''}`;
    let loader = counts.get(key);
    if (!loader) {
      loader = new DataLoader(async (parentIds) => {
        const rows = await query<{ parent: string; n: bigint | string }>(
          `SELECT ${parent} AS parent, count(*) AS n FROM payables
            WHERE ${parent} = ANY($1::uuid[]) AND buyer_id = $2::uuid
              AND ($3::text[] IS NULL OR status::text = ANY($3::text[]))
            GROUP BY ${parent}`,
          [parentIds, buyerId, statuses?.length ? statuses : null],
        );
        const byParent = new Map(rows.map((row) => [row.parent, Number(row.n)]));
        return parentIds.map((id) => byParent.get(id) ?? 0);
      });
      counts.set(key, loader);
    }
    return loader;
  }

  /** Payables of many runs counted by status: one GROUP BY for the whole list (the progress bars). */
  const statusCounts = new DataLoader<string, { status: PayableStatus; count: number }[]>(async (runIds) => {
    const rows = await query<{ parent: string; status: PayableStatus; n: bigint | string }>(
      `SELECT payment_run_id AS parent, status::text AS status, count(*) AS n FROM payables
        WHERE payment_run_id = ANY($1::uuid[]) AND buyer_id = $2::uuid
        GROUP BY payment_run_id, status`,
      [runIds, buyerId],
    );
    const byRun = new Map<string, { status: PayableStatus; count: number }[]>();
    for (const row of rows) {
      const list = byRun.get(row.parent) ?? [];
      list.push({ status: row.status, count: Number(row.n) });
      byRun.set(row.parent, list);
    }
    return runIds.map((id) => byRun.get(id) ?? []);
  });

  return {
    statusCounts: (runId: string) => statusCounts.load(runId),
    page: (parent: PayableParent, parentId: string, args: PayablePageArgs) => pageLoader(parent, args).load(parentId),
    count: (parent: PayableParent, parentId: string, statuses: readonly PayableStatus[] | null) =>
      countLoader(parent, statuses).load(parentId),
  };
}

export type PayableLoaders = ReturnType<typeof createPayableLoaders>;
