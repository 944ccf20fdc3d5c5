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
  validateSupplierReplacement, type RunCurrency, type SupplierInput, type ValidatedPaymentRun, type ValidatedSupplier,
} from './payment-run.validation.ts';

/** Supplier columns in the order supplierArrays fills them; supplier_type needs its enum cast. */
const SUPPLIER_COLUMNS = [
  'supplier_name', 'supplier_address', 'supplier_bank_name', 'supplier_bank_address', 'supplier_bank_country',
  'supplier_type', 'account_number', 'sort_code', 'secondary_reference', 'iban', 'bank_identifier_code',
] as const;

const castColumn = (column: string, from: string) =>
  column === 'supplier_type' ? `${from}.${column}::"SupplierType"` : `${from}.${column}`;

function supplierArrays(suppliers: readonly ValidatedSupplier[]): (string | null)[][] {
  const n = suppliers.length;
  const cols = SUPPLIER_COLUMNS.map(() => new Array<string | null>(n));
  for (let i = 0; i < n; i++) {
    const s = suppliers[i]!;
    const fp = s.bankAccountDetails.fasterPayments;
    const sepa = s.bankAccountDetails.sepa;
    const values = [
      s.name, s.address, s.bankName, s.bankAddress, s.bankCountry, s.type,
      fp?.accountNumber ?? null, fp?.sortCode ?? null, fp?.secondaryReference ?? null,
      sepa?.iban ?? null, sepa?.bankIdentifierCode ?? null,
    ];
    for (let c = 0; c < values.length; c++) cols[c]![i] = values[c]!;
  }
  return cols;
}

/** `$first::text[], $first+1::text[], …` for the supplier arrays. */
const supplierParams = (first: number) => SUPPLIER_COLUMNS.map((_, k) => `$${first + k}::text[]`).join(', ');

/** Inserts every payable of a new run (their initial status, positions 0..n-1) in one statement; returns ids in position order. */
export async function insertPayables(uow: UnitOfWork, runId: string, run: ValidatedPaymentRun): Promise<string[]> {
  const n = run.payables.length;
  const ids = new Array<string>(n);
  const amounts = new Array<number>(n);
  const references = new Array<string>(n);
  const externalRefs = new Array<string | null>(n);
  const paymentRefs = new Array<string | null>(n);
  for (let i = 0; i < n; i++) {
    const p = run.payables[i]!;
    ids[i] = uuidv7();
    amounts[i] = p.amount.amount;
    references[i] = p.reference;
    externalRefs[i] = p.externalRef;
    paymentRefs[i] = p.paymentRef;
  }
  const columns = SUPPLIER_COLUMNS.join(', ');
  await uow.tx.$executeRawUnsafe(
    `INSERT INTO payables (id, buyer_id, payment_run_id, position, status, currency, amount, reference, external_ref, payment_ref, ${columns})
     SELECT t.id, $1::uuid, $2::uuid, (t.ord - 1)::int, $${9 + SUPPLIER_COLUMNS.length}::"PayableStatus", $3::"Currency", t.amount, t.reference, t.external_ref, t.payment_ref,
            ${SUPPLIER_COLUMNS.map((c) => castColumn(c, 't')).join(', ')}
       FROM unnest($4::uuid[], $5::bigint[], $6::text[], $7::text[], $8::text[], ${supplierParams(9)})
            WITH ORDINALITY AS t(id, amount, reference, external_ref, payment_ref, ${columns}, ord)`,
    uow.buyerId, runId, run.currency, ids, amounts, references, externalRefs, paymentRefs,
    ...supplierArrays(run.payables.map((p) => p.supplier)), payableStates.initial,
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
            validation_outcomes = v.outcomes, updated_at = now()
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
