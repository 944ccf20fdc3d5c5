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
  /**
   * The properties the caller will read (see PAYABLE_COLUMNS); null reads whole rows. id and
   * position always come. A page read for `{ id status amount }` then never parses the JSON
   * outcomes, the supplier's bank columns or anything else nobody asked for.
   */
  columns?: readonly PayableProperty[] | null;
}

export interface PayablePage {
  rows: Payable[];
  /** Rows lay beyond the page in the direction read. */
  more: boolean;
}

/**
 * Each property of a payable row and the SQL that reads it. amount is BIGINT, read as float8 (exact
 * below 2^53, which every amount is: validated on the way in) so the driver hands over a number and
 * nobody converts a string per row; Money serialises numbers and bigints alike.
 */
export const PAYABLE_COLUMNS = {
  id: 'p.id',
  buyerId: 'p.buyer_id',
  paymentRunId: 'p.payment_run_id',
  position: 'p.position',
  status: 'p.status',
  statusReason: 'p.status_reason',
  externalRef: 'p.external_ref',
  paymentRef: 'p.payment_ref',
  currency: 'p.currency',
  amount: 'p.amount::float8',
  reference: 'p.reference',
  supplierName: 'p.supplier_name',
  supplierAddress: 'p.supplier_address',
  supplierBankName: 'p.supplier_bank_name',
  supplierBankAddress: 'p.supplier_bank_address',
  supplierBankCountry: 'p.supplier_bank_country',
  supplierType: 'p.supplier_type',
  accountNumber: 'p.account_number',
  sortCode: 'p.sort_code',
  secondaryReference: 'p.secondary_reference',
  iban: 'p.iban',
  bankIdentifierCode: 'p.bank_identifier_code',
  validationOutcomes: 'p.validation_outcomes',
  fundingGroupId: 'p.funding_group_id',
  batchId: 'p.batch_id',
  payableGroupId: 'p.payable_group_id',
  supplierChangedAt: 'p.supplier_changed_at',
} as const satisfies Partial<Record<keyof Payable, string>>;

export type PayableProperty = keyof typeof PAYABLE_COLUMNS;

const ALL_PROPERTIES = Object.keys(PAYABLE_COLUMNS) as PayableProperty[];

/** The SELECT list for some properties (id and position always), in a stable order. */
function selectList(properties: readonly PayableProperty[] | null | undefined): { key: string; sql: string } {
  const wanted = new Set<PayableProperty>(properties ?? ALL_PROPERTIES);
  wanted.add('id');
  wanted.add('position');
  const chosen = ALL_PROPERTIES.filter((property) => wanted.has(property));
  return { key: chosen.join(','), sql: chosen.map((property) => `${PAYABLE_COLUMNS[property]} AS "${property}"`).join(', ') };
}

/** Raw rows straight from the driver (no ORM mapping: the dashboard's read is bound by it). */
export type { RawQuery } from '../shared/raw-query.ts';
import type { RawQuery } from '../shared/raw-query.ts';

export function createPayableLoaders(query: RawQuery, buyerId: string) {
  const pages = new Map<string, DataLoader<string, PayablePage>>();
  const counts = new Map<string, DataLoader<string, number>>();

  function pageLoader(parent: PayableParent, args: PayablePageArgs) {
    const select = selectList(args.columns);
    const key = `${parent}|${args.size}|${args.afterPosition}|${args.beforePosition}|${args.backward}|${args.statuses?.join(',') ?? ''}|${select.key}`;
    let loader = pages.get(key);
    if (!loader) {
      loader = new DataLoader(async (parentIds) => {
        // Rows are used as the driver builds them (the parent id rides along as one more property):
        // no per-row copies.
        const rows = await query<Payable & { parent: string }>(
          `SELECT parent.id AS parent, ${select.sql}
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
        for (const row of rows) {
          const list = byParent.get(row.parent);
          if (list) list.push(row);
          else byParent.set(row.parent, [row]);
        }
        return parentIds.map((id) => {
          const list = byParent.get(id) ?? [];
          const more = list.length > args.size;
          if (more) list.length = args.size;
          return { rows: args.backward ? list.reverse() : list, more };
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
