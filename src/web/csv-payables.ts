/**
 * A CSV export of payables → the payables of createPaymentRun, and errors back to the CSV: every
 * problem is reported at its spreadsheet row (the header is row 1) and column. Columns are
 * documented in docs/dashboard.md. Parsing is papaparse's; this module only maps.
 */
import Papa from 'papaparse';
import type { InvalidField } from './api.ts';
import type { PayableInput } from './generated/graphql.ts';

export const CSV_COLUMNS = [
  'externalRef', 'paymentRef', 'reference', 'amount', 'currency', 'supplierName', 'supplierType',
  'accountNumber', 'sortCode', 'secondaryReference', 'iban', 'bic',
  'supplierAddress', 'bankName', 'bankAddress', 'bankCountry',
] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];
type Row = Partial<Record<CsvColumn, string>>;

export interface CellError {
  /** Spreadsheet row: 2 is the first payable (row 1 is the header). */
  row: number;
  column: CsvColumn | null;
  message: string;
}

export interface ParsedCsv {
  /** The known columns the file has, in the file's order. */
  columns: CsvColumn[];
  rows: Row[];
  payables: PayableInput[];
  errors: CellError[];
}

const rowOfIndex = (index: number) => index + 2;
const text = (value: string | undefined) => (value?.trim() ? value.trim() : null);

/** "1,234.5" → 123450 minor units; null when it is not an amount with at most two decimals. */
export function toMinorUnits(raw: string): number | null {
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(raw.trim().replaceAll(',', ''));
  if (!match) return null;
  const minor = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return Number.isSafeInteger(minor) ? minor : null;
}

export function parsePayablesCsv(source: string): ParsedCsv {
  const parsed = Papa.parse<Row>(source, { header: true, skipEmptyLines: 'greedy', transformHeader: (h) => h.trim() });
  const errors: CellError[] = parsed.errors.map((e) => ({ row: (e.row ?? 0) + 2, column: null, message: e.message }));
  const unknown = (parsed.meta.fields ?? []).filter((f) => !(CSV_COLUMNS as readonly string[]).includes(f));
  if (unknown.length) errors.push({ row: 1, column: null, message: `Unknown column${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}` });
  const rows = parsed.data;
  if (rows.length === 0) errors.push({ row: 2, column: null, message: 'The file holds no payables' });
  const payables = rows.map((row, index) => toPayable(row, rowOfIndex(index), errors));
  const columns = (parsed.meta.fields ?? []).filter((f): f is CsvColumn => (CSV_COLUMNS as readonly string[]).includes(f));
  return { columns, rows, payables, errors };
}

function toPayable(row: Row, rowNumber: number, errors: CellError[]): PayableInput {
  const fail = (column: CsvColumn, message: string) => errors.push({ row: rowNumber, column, message });
  const amount = toMinorUnits(row.amount ?? '');
  if (amount === null) fail('amount', 'must be an amount such as 1250.00');
  const currency = text(row.currency)?.toUpperCase();
  if (currency !== 'GBP' && currency !== 'EUR') fail('currency', 'must be GBP or EUR');
  const type = text(row.supplierType)?.toUpperCase();
  if (type && type !== 'PERSONAL' && type !== 'BUSINESS') fail('supplierType', 'must be PERSONAL or BUSINESS');
  const fasterPayments = text(row.accountNumber) || text(row.sortCode);
  const sepa = text(row.iban);
  if (!fasterPayments && !sepa) fail(currency === 'EUR' ? 'iban' : 'accountNumber', 'bank details are required');
  return {
    externalRef: text(row.externalRef),
    paymentRef: text(row.paymentRef),
    reference: row.reference?.trim() ?? '',
    amount: { currency: currency === 'EUR' ? 'EUR' : 'GBP', amount: amount ?? 0 },
    supplier: {
      name: row.supplierName?.trim() ?? '',
      type: type === 'PERSONAL' || type === 'BUSINESS' ? type : null,
      address: text(row.supplierAddress),
      bankName: text(row.bankName),
      bankAddress: text(row.bankAddress),
      bankCountry: text(row.bankCountry),
      bankAccountDetails: fasterPayments
        ? { fasterPayments: { accountNumber: row.accountNumber?.trim() ?? '', sortCode: (row.sortCode ?? '').replace(/[\s-]/g, ''), secondaryReference: text(row.secondaryReference) } }
        : { sepa: { iban: (row.iban ?? '').replace(/\s/g, '').toUpperCase(), bankIdentifierCode: text(row.bic) } },
    },
  };
}

/** Where each field of a PayableInput comes from in the CSV. */
const COLUMN_OF_PATH: Record<string, CsvColumn> = {
  externalRef: 'externalRef', paymentRef: 'paymentRef', reference: 'reference',
  'amount.amount': 'amount', 'amount.currency': 'currency', amount: 'amount',
  'supplier.name': 'supplierName', 'supplier.type': 'supplierType', 'supplier.address': 'supplierAddress',
  'supplier.bankName': 'bankName', 'supplier.bankAddress': 'bankAddress', 'supplier.bankCountry': 'bankCountry',
  'supplier.bankAccountDetails': 'accountNumber',
  'supplier.bankAccountDetails.fasterPayments.accountNumber': 'accountNumber',
  'supplier.bankAccountDetails.fasterPayments.sortCode': 'sortCode',
  'supplier.bankAccountDetails.fasterPayments.secondaryReference': 'secondaryReference',
  'supplier.bankAccountDetails.sepa.iban': 'iban',
  'supplier.bankAccountDetails.sepa.bankIdentifierCode': 'bic',
};

const EXPLAIN: Record<string, (params: Record<string, unknown>) => string> = {
  REQUIRED: () => 'is required',
  SIZE: (p) => (p.min != null && p.min === p.max ? `must be exactly ${p.min} characters` : `must be ${p.min ?? 1}–${p.max ?? '…'} characters`),
  RANGE: (p) => `is out of range${p.min != null ? ` (at least ${p.min})` : ''}`,
  REGEX: () => 'has characters or a format that are not allowed',
  IN: () => 'is not an allowed value',
  CHECKSUM: () => 'fails its check digits',
};

/** The gateway's invalidFields (`payables[3].supplier.name`) at their CSV row and column. */
export function cellErrorsOf(fields: readonly InvalidField[]): CellError[] {
  return fields.map((field) => {
    const match = /^(?:input\.)?payables\[(\d+)\]\.?(.*)$/.exec(field.fieldName);
    const explain = EXPLAIN[field.error]?.(field.params ?? {}) ?? field.error.toLowerCase();
    if (!match) return { row: 1, column: null, message: `${field.fieldName} ${explain}` };
    const path = match[2] ?? '';
    return { row: rowOfIndex(Number(match[1])), column: COLUMN_OF_PATH[path] ?? null, message: explain };
  });
}
