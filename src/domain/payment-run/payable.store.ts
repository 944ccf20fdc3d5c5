/**
 * Bulk reads and writes of a run's payables. A run holds up to 10,000 of them, so every statement
 * here handles any number of rows at once: arrays are sent as parameters and unnested server-side
 * (one round trip, no statement-size limits). Raw SQL is not tenant-scoped by the client; every
 * statement names buyer_id.
 */
import type { ValidationOutcome } from '../ports.ts';
import { DomainError, ErrorCode, type InvalidField } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import type { PayableStatus } from '../shared/statuses.ts';
import type { UnitOfWork } from '../shared/unit-of-work.ts';
import { payableStates } from './payable.states.ts';
import {
  validateSupplierReplacement, type RunCurrency, type SupplierInput, type ValidatedPayable, type ValidatedPaymentRun,
  type ValidatedSupplier,
} from './payment-run.validation.ts';

/** Supplier columns and how each is read from a validated supplier; supplier_type needs its enum cast. */
type SupplierColumn = readonly [column: string, read: (s: ValidatedSupplier) => string | null];
const SUPPLIER: readonly SupplierColumn[] = [
  ['supplier_name', (s) => s.name],
  ['supplier_address', (s) => s.address],
  ['supplier_bank_name', (s) => s.bankName],
  ['supplier_bank_address', (s) => s.bankAddress],
  ['supplier_bank_country', (s) => s.bankCountry],
  ['supplier_type', (s) => s.type],
  ['account_number', (s) => s.bankAccountDetails.fasterPayments?.accountNumber ?? null],
  ['sort_code', (s) => s.bankAccountDetails.fasterPayments?.sortCode ?? null],
  ['secondary_reference', (s) => s.bankAccountDetails.fasterPayments?.secondaryReference ?? null],
  ['iban', (s) => s.bankAccountDetails.sepa?.iban ?? null],
  ['bank_identifier_code', (s) => s.bankAccountDetails.sepa?.bankIdentifierCode ?? null],
];
const SUPPLIER_COLUMNS = SUPPLIER.map(([column]) => column);

const castColumn = (column: string, from: string) =>
  column === 'supplier_type' ? `${from}.${column}::"SupplierType"` : `${from}.${column}`;

function supplierArrays(suppliers: readonly ValidatedSupplier[]): (string | null)[][] {
  return SUPPLIER.map(([, read]) => suppliers.map(read));
}

/** `$first::text[], $first+1::text[], …` for the supplier arrays. */
const supplierParams = (first: number) => SUPPLIER_COLUMNS.map((_, k) => `$${first + k}::text[]`).join(', ');

type PayableColumn = readonly [column: string, sqlType: string, read: (p: ValidatedPayable) => string | number | null];
/** The per-payable columns of an insert; id and position are added by insertPayables. */
const PAYABLE: readonly PayableColumn[] = [
  ['amount', 'bigint', (p) => p.amount.amount],
  ['reference', 'text', (p) => p.reference],
  ['external_ref', 'text', (p) => p.externalRef],
  ['payment_ref', 'text', (p) => p.paymentRef],
  ...SUPPLIER.map(([column, read]): PayableColumn => [column, column === 'supplier_type' ? '"SupplierType"' : 'text', (p) => read(p.supplier)]),
];

/**
 * Inserts every payable of a new run (their initial status, positions 0..n-1) in one statement; returns ids in
 * position order. A 10,000-payable run would send 16 arrays of 10,000, most of them all NULL (a GBP
 * run has no IBANs, most have no addresses) or one repeated value (the supplier type): such columns
 * go as one scalar or not at all, so the driver escapes and PostgreSQL parses only what varies.
 */
export async function insertPayables(uow: UnitOfWork, runId: string, run: ValidatedPaymentRun): Promise<string[]> {
  const payables = run.payables;
  const n = payables.length;
  const ids = new Array<string>(n);
  for (let i = 0; i < n; i++) ids[i] = uuidv7();
  const params: unknown[] = [uow.buyerId, runId, run.currency, ids, payableStates.initial];
  const columns = ['id', 'buyer_id', 'payment_run_id', 'position', 'status', 'currency'];
  const values = ['t.id', '$1::uuid', '$2::uuid', '(t.ord - 1)::int', '$5::"PayableStatus"', '$3::"Currency"'];
  const unnested = ['$4::uuid[]'];
  const names = ['id'];
  for (const [column, sqlType, read] of PAYABLE) {
    const first = read(payables[0]!);
    let constant = true;
    for (let i = 1; i < n && constant; i++) constant = read(payables[i]!) === first;
    if (constant && first === null) continue; // the column's default is NULL
    params.push(constant ? first : payables.map(read));
    columns.push(column);
    if (constant) {
      values.push(`$${params.length}::${sqlType}`);
    } else {
      // Arrays of an enum travel as text[]; the cast applies per element after unnest.
      unnested.push(`$${params.length}::${sqlType === 'bigint' ? 'bigint' : 'text'}[]`);
      names.push(column);
      values.push(sqlType.startsWith('"') ? `t.${column}::${sqlType}` : `t.${column}`);
    }
  }
  await uow.tx.$executeRawUnsafe(
    `INSERT INTO payables (${columns.join(', ')})
     SELECT ${values.join(', ')}
       FROM unnest(${unnested.join(', ')}) WITH ORDINALITY AS t(${names.join(', ')}, ord)`,
    ...params,
  );
  return ids;
}

export interface LockedPayable {
  readonly id: string;
  readonly status: PayableStatus;
  readonly position: number;
}

/** Locks the named payables of one run; ids of other runs or buyers are simply absent. */
export async function lockPayables(uow: UnitOfWork, runId: string, ids: readonly string[]): Promise<Map<string, LockedPayable>> {
  const rows = await uow.tx.$queryRawUnsafe<LockedPayable[]>(
    `SELECT id, status::text AS status, position FROM payables
      WHERE buyer_id = $1::uuid AND payment_run_id = $2::uuid AND id = ANY($3::uuid[])
      ORDER BY position
      FOR UPDATE`,
    uow.buyerId, runId, ids,
  );
  return new Map(rows.map((row) => [row.id, { ...row, position: Number(row.position) }]));
}

const CATEGORY_ORDER: readonly string[] = [
  ErrorCode.INVALID_SUPPLIER_BANK_ACCOUNT_DETAILS, ErrorCode.MISSING_SUPPLIER_TYPE, ErrorCode.BAD_USER_INPUT,
];

/**
 * Validates replacement suppliers with creation's rules. As at creation, the first failing category
 * wins and every violation of that category is reported at once, across all suppliers.
 */
export function validateReplacements(suppliers: readonly SupplierInput[], currency: RunCurrency): ValidatedSupplier[] {
  const failures = new Map<string, { message: string; fields: InvalidField[] }>();
  const valid = suppliers.map((supplier, i) => {
    try {
      return validateSupplierReplacement(supplier, currency, `payables[${i}].supplier`);
    } catch (error) {
      if (!(error instanceof DomainError) || !CATEGORY_ORDER.includes(error.code)) throw error;
      const entry = failures.get(error.code) ?? { message: error.message, fields: [] };
      entry.fields.push(...((error.extensions.invalidFields as InvalidField[] | undefined) ?? []));
      failures.set(error.code, entry);
      return null;
    }
  });
  for (const code of CATEGORY_ORDER) {
    const failure = failures.get(code);
    if (failure) throw new DomainError(code as ErrorCode, failure.message, { invalidFields: failure.fields });
  }
  return valid as ValidatedSupplier[];
}

const outcomeJson = (outcome: ValidationOutcome | null) => JSON.stringify(outcome ? [outcome] : []);

/** New suppliers and their fresh CoP outcomes for the given payables, in one statement. */
export async function replaceSuppliers(
  uow: UnitOfWork, runId: string, ids: readonly string[], suppliers: readonly ValidatedSupplier[],
  outcomes: readonly (ValidationOutcome | null)[],
): Promise<void> {
  const columns = SUPPLIER_COLUMNS.join(', ');
  await uow.tx.$executeRawUnsafe(
    `UPDATE payables p
        SET ${SUPPLIER_COLUMNS.map((c) => `${c} = ${castColumn(c, 'v')}`).join(', ')},
            validation_outcomes = v.outcomes, updated_at = now(), supplier_changed_at = now()
       FROM unnest($3::uuid[], $4::text[]::jsonb[], ${supplierParams(5)}) AS v(id, outcomes, ${columns})
      WHERE p.id = v.id AND p.buyer_id = $1::uuid AND p.payment_run_id = $2::uuid`,
    uow.buyerId, runId, ids, outcomes.map(outcomeJson), ...supplierArrays(suppliers),
  );
}

/** Writes CoP outcomes (and, for payables that cannot be paid, a reason) in one statement. */
export async function storeValidationOutcomes(
  uow: UnitOfWork, runId: string, rows: readonly { id: string; outcome: ValidationOutcome | null; reason: string | null }[],
): Promise<void> {
  if (rows.length === 0) return;
  await uow.tx.$executeRawUnsafe(
    `UPDATE payables p
        SET validation_outcomes = v.outcomes, status_reason = COALESCE(v.reason, p.status_reason), updated_at = now()
       FROM unnest($3::uuid[], $4::text[]::jsonb[], $5::text[]) AS v(id, outcomes, reason)
      WHERE p.id = v.id AND p.buyer_id = $1::uuid AND p.payment_run_id = $2::uuid`,
    uow.buyerId, runId, rows.map((r) => r.id), rows.map((r) => outcomeJson(r.outcome)), rows.map((r) => r.reason),
  );
}
