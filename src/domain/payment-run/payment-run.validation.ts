/**
 * Creation-time validation of a payment run (CONTRACT.md §4 "Creation"). Categories are checked in
 * a fixed order and the first failing one throws, so a client fixes structural problems (size,
 * currency, scheme, supplier type) before being shown field-level noise; within a category every
 * violation is reported at once.
 */
import { isValidBIC, isValidIBAN } from 'ibantools';
// The package entry registers ~100 locale files we never use; the core module has `isValid`.
import countries from 'i18n-iso-countries/index.js';
import { DomainError, ErrorCode, badUserInput } from '../shared/errors.ts';
import type { FieldError, InvalidField } from '../shared/errors.ts';
import type { Currency } from '../shared/statuses.ts';
import { codePointLength } from '../shared/input.ts';

type Opt<T> = T | null | undefined;

export type SupplierType = 'PERSONAL' | 'BUSINESS';
export interface MoneyInput { currency: string; amount: number }
export interface FasterPaymentsDetailsInput { accountNumber: string; sortCode: string; secondaryReference?: Opt<string> }
export interface SepaDetailsInput { iban: string; bankIdentifierCode?: Opt<string> }
/** GraphQL `@oneOf`: exactly one member must be set, and it must match the payable's currency. */
export interface BankAccountDetailsInput { fasterPayments?: Opt<FasterPaymentsDetailsInput>; sepa?: Opt<SepaDetailsInput> }
export interface SupplierInput {
  name: string; address?: Opt<string>; bankName?: Opt<string>; bankAddress?: Opt<string>;
  bankCountry?: Opt<string>; type?: Opt<SupplierType>; bankAccountDetails: BankAccountDetailsInput;
}
export interface PayableInput {
  externalRef?: Opt<string>; paymentRef?: Opt<string>; amount: MoneyInput; reference: string; supplier: SupplierInput;
}
export interface CreatePaymentRunInput {
  paymentRunRef?: Opt<string>; tag?: Opt<string>; description?: Opt<string>; payables: readonly PayableInput[];
  /** Bundle payables to one beneficiary into one transfer at funding (default false). */
  bundleBySupplier?: Opt<boolean>;
}

export type RunCurrency = Extract<Currency, 'GBP' | 'EUR'>;
export type ValidatedBankDetails =
  | { fasterPayments: { accountNumber: string; sortCode: string; secondaryReference: string | null }; sepa: null }
  | { fasterPayments: null; sepa: { iban: string; bankIdentifierCode: string | null } };
export interface ValidatedSupplier {
  name: string; address: string | null; bankName: string | null; bankAddress: string | null;
  bankCountry: string | null; type: SupplierType | null; bankAccountDetails: ValidatedBankDetails;
}
export interface ValidatedPayable {
  externalRef: string | null; paymentRef: string | null; amount: { currency: RunCurrency; amount: number };
  reference: string; supplier: ValidatedSupplier;
}
export interface ValidatedPaymentRun {
  currency: RunCurrency; totalAmount: bigint;
  paymentRunRef: string | null; tag: string | null; description: string | null;
  bundleBySupplier: boolean;
  payables: ValidatedPayable[];
}

export const MAX_PAYABLES_PER_RUN = 10_000;

const REFERENCE_RE = /^[0-9A-Za-z .-]+$/;
// Faster Payments name charset: ’ is the typographic U+2019; the ASCII apostrophe is not allowed.
const FP_NAME_RE = /^[A-Za-z0-9\/\-?:().,’+#=!"%&*<>;{@\s]+$/;
const ACCOUNT_NUMBER_RE = /^[0-9]{8}$/;
const SORT_CODE_RE = /^[0-9]{6}$/;
const IBAN_RE = /^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/;
const BIC_RE = /^[A-Za-z]{6}[A-Za-z0-9]{2}([A-Za-z0-9]{3})?$/;
const ALPHA2_RE = /^[A-Z]{2}$/;
const SUPPLIER_TYPES: ReadonlySet<unknown> = new Set(['PERSONAL', 'BUSINESS']);
const KNOWN_CURRENCIES: ReadonlySet<unknown> = new Set(['GBP', 'EUR']);
const MAX_TOTAL = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * ibantools' checks are pure but dear (the IBAN's mod-97 builds a digit string per call: ~10 µs), and
 * a run pays the same few suppliers over and over; so answers are remembered per distinct string.
 * Bounded: the map starts afresh once it holds a full run's worth.
 */
function remembered(check: (value: string) => boolean): (value: string) => boolean {
  const known = new Map<string, boolean>();
  return (value) => {
    let ok = known.get(value);
    if (ok === undefined) {
      if (known.size >= 10_000) known.clear();
      ok = check(value);
      known.set(value, ok);
    }
    return ok;
  };
}
const validIban = remembered(isValidIBAN);
const validBic = remembered(isValidBIC);

const SCHEME = { GBP: 'fasterPayments', EUR: 'sepa' } as const;
const LIMITS = {
  GBP: { reference: 18, name: 140, nameRe: FP_NAME_RE },
  EUR: { reference: 35, name: 150, nameRe: null },
} as const;


const isStr = (v: unknown): v is string => typeof v === 'string';
const fe = (fieldName: string, error: FieldError, params?: Record<string, unknown>): InvalidField =>
  params ? { fieldName, error, params } : { fieldName, error };

// Paths are joined only on failure: a valid 10,000-payable run should not build 100k strings.
function required(out: InvalidField[], at: string, field: string, v: unknown, min: number, max: number, re?: RegExp | null): v is string {
  if (!isStr(v)) { out.push(fe(at + field, 'REQUIRED')); return false; }
  const len = codePointLength(v, max);
  if (len < min || len > max) { out.push(fe(at + field, 'SIZE', { min, max })); return false; }
  if (re && !re.test(v)) { out.push(fe(at + field, 'REGEX', { pattern: re.source })); return false; }
  return true;
}

function optional(out: InvalidField[], at: string, field: string, v: unknown, max: number, min = 0): void {
  if (v == null) return;
  const len = isStr(v) ? codePointLength(v, max) : -1;
  if (len < min || len > max) out.push(fe(at + field, 'SIZE', min > 0 ? { min, max } : { max }));
}

function schemeProblem(supplier: Opt<SupplierInput>, currency: RunCurrency): Omit<InvalidField, 'fieldName'> | null {
  const details = supplier?.bankAccountDetails;
  const allowed = [SCHEME[currency]];
  const fp = details?.fasterPayments != null;
  const sepa = details?.sepa != null;
  if (!fp && !sepa) return { error: 'REQUIRED', params: { allowed } };
  if (fp && sepa) return { error: 'SIZE', params: { min: 1, max: 1, allowed } };
  if ((currency === 'GBP') !== fp) return { error: 'IN', params: { allowed, currency } };
  return null;
}

/** Category c for one supplier: the @oneOf member must be set alone and be the currency's scheme. */
export function bankDetailsViolation(supplier: Opt<SupplierInput>, currency: RunCurrency, supplierPath: string): InvalidField | null {
  const p = schemeProblem(supplier, currency);
  return p && { fieldName: `${supplierPath}.bankAccountDetails`, ...p };
}

const missingType = (s: Opt<SupplierInput>, currency: RunCurrency) => currency === 'GBP' && s?.type == null;

/** Category d: Confirmation of Payee needs to know whether the payee is a person or a business. */
export function supplierTypeViolation(supplier: Opt<SupplierInput>, currency: RunCurrency, supplierPath: string): InvalidField | null {
  return missingType(supplier, currency) ? fe(`${supplierPath}.type`, 'REQUIRED') : null;
}

/** Category e for one supplier whose scheme already passed category c; appends to and returns `out`. */
export function validateSupplier(supplier: SupplierInput, currency: RunCurrency, supplierPath: string, out: InvalidField[] = []): InvalidField[] {
  const lim = LIMITS[currency];
  const at = supplierPath + '.';
  // A name of only whitespace names nobody: the bank and Confirmation of Payee need a real one.
  if (required(out, at, 'name', supplier.name, 1, lim.name, lim.nameRe) && supplier.name.trim() === '') {
    out.push(fe(at + 'name', 'REQUIRED'));
  }
  optional(out, at, 'address', supplier.address, 255);
  optional(out, at, 'bankName', supplier.bankName, 255);
  optional(out, at, 'bankAddress', supplier.bankAddress, 255);
  const country = supplier.bankCountry;
  if (country != null && !(isStr(country) && ALPHA2_RE.test(country) && countries.isValid(country))) {
    out.push(fe(at + 'bankCountry', 'IN', { standard: 'ISO 3166-1 alpha-2' }));
  }
  if (supplier.type != null && !SUPPLIER_TYPES.has(supplier.type)) {
    out.push(fe(at + 'type', 'IN', { allowed: [...SUPPLIER_TYPES] }));
  }
  return validateBankAccountDetails(supplier.bankAccountDetails, currency, at + 'bankAccountDetails', out);
}

/** Field rules for one account's details in the currency's scheme (suppliers and linked accounts). */
export function validateBankAccountDetails(details: Opt<BankAccountDetailsInput>, currency: RunCurrency, detailsPath: string, out: InvalidField[] = []): InvalidField[] {
  const at = detailsPath + '.';
  if (currency === 'GBP') {
    const fp = details?.fasterPayments;
    if (!fp) { out.push(fe(at + 'fasterPayments', 'REQUIRED')); return out; }
    const fpAt = at + 'fasterPayments.';
    required(out, fpAt, 'accountNumber', fp.accountNumber, 8, 8, ACCOUNT_NUMBER_RE);
    required(out, fpAt, 'sortCode', fp.sortCode, 6, 6, SORT_CODE_RE);
    optional(out, fpAt, 'secondaryReference', fp.secondaryReference, 18);
    return out;
  }
  const sepa = details?.sepa;
  if (!sepa) { out.push(fe(at + 'sepa', 'REQUIRED')); return out; }
  const sepaAt = at + 'sepa.';
  const iban = sepa.iban;
  // Only emptiness is SIZE; every other malformation is the contract's pattern (REGEX).
  if (!isStr(iban)) out.push(fe(sepaAt + 'iban', 'REQUIRED'));
  else if (iban === '') out.push(fe(sepaAt + 'iban', 'SIZE', { min: 15, max: 34 }));
  else if (!IBAN_RE.test(iban)) out.push(fe(sepaAt + 'iban', 'REGEX', { pattern: IBAN_RE.source }));
  // ibantools checks mod-97 and the country's BBAN structure; either failure means no such IBAN.
  else if (!validIban(iban)) out.push(fe(sepaAt + 'iban', 'CHECKSUM', { algorithm: 'ISO 7064 MOD 97-10' }));
  const bic = sepa.bankIdentifierCode;
  if (bic != null) {
    if (!isStr(bic) || (bic.length !== 8 && bic.length !== 11)) out.push(fe(sepaAt + 'bankIdentifierCode', 'SIZE', { allowedLengths: [8, 11] }));
    else if (!validBic(bic)) out.push(fe(sepaAt + 'bankIdentifierCode', 'REGEX', { pattern: BIC_RE.source }));
  }
  return out;
}

function normaliseSupplier(s: SupplierInput, currency: RunCurrency): ValidatedSupplier {
  const d = s.bankAccountDetails;
  const bankAccountDetails: ValidatedBankDetails = currency === 'GBP'
    ? { fasterPayments: { accountNumber: d.fasterPayments!.accountNumber, sortCode: d.fasterPayments!.sortCode,
        secondaryReference: d.fasterPayments!.secondaryReference ?? null }, sepa: null }
    : { fasterPayments: null, sepa: { iban: d.sepa!.iban, bankIdentifierCode: d.sepa!.bankIdentifierCode ?? null } };
  return {
    name: s.name, address: s.address ?? null, bankName: s.bankName ?? null, bankAddress: s.bankAddress ?? null,
    bankCountry: s.bankCountry ?? null, type: s.type ?? null, bankAccountDetails,
  };
}

const throwIfAny = (code: ErrorCode, message: string, invalidFields: InvalidField[]): void => {
  if (invalidFields.length === 0) return;
  throw new DomainError(code, message, { invalidFields });
};

function checkSchemeAndType(n: number, supplierAt: (i: number) => Opt<SupplierInput>, pathAt: (i: number) => string, currency: RunCurrency): void {
  const scheme: InvalidField[] = [];
  for (let i = 0; i < n; i++) {
    const p = schemeProblem(supplierAt(i), currency);
    if (p) scheme.push({ fieldName: `${pathAt(i)}.bankAccountDetails`, ...p });
  }
  throwIfAny(ErrorCode.INVALID_SUPPLIER_BANK_ACCOUNT_DETAILS,
    `${currency} payables need ${SCHEME[currency]} bank account details, and only those`, scheme);
  const types: InvalidField[] = [];
  for (let i = 0; i < n; i++) {
    if (missingType(supplierAt(i), currency)) types.push(fe(`${pathAt(i)}.type`, 'REQUIRED'));
  }
  throwIfAny(ErrorCode.MISSING_SUPPLIER_TYPE, 'Faster Payments suppliers need a type (PERSONAL or BUSINESS)', types);
}

/** Validates `createPaymentRun` input; throws the first failing category's DomainError. */
export function validateCreatePaymentRun(input: CreatePaymentRunInput, buyer: { supportedCurrencies: readonly string[] }): ValidatedPaymentRun {
  const payables = input.payables ?? [];
  const n = payables.length;
  if (n === 0) throw badUserInput([fe('payables', 'SIZE', { min: 1, max: MAX_PAYABLES_PER_RUN })], 'A payment run needs at least one payable');
  if (n > MAX_PAYABLES_PER_RUN) {
    throw new DomainError(ErrorCode.PAYLOAD_TOO_LARGE, `A payment run holds at most ${MAX_PAYABLES_PER_RUN} payables`,
      { maxPayables: MAX_PAYABLES_PER_RUN, received: n });
  }

  // The first payable fixes the run's currency; any payable that differs is the offender.
  const runCurrency = payables[0]?.amount?.currency;
  const supported = KNOWN_CURRENCIES.has(runCurrency) && buyer.supportedCurrencies.includes(runCurrency as string);
  const allowed = supported ? [runCurrency] : buyer.supportedCurrencies.filter((c) => KNOWN_CURRENCIES.has(c));
  const currencyErrors: InvalidField[] = [];
  for (let i = 0; i < n; i++) {
    if (!supported || payables[i]?.amount?.currency !== runCurrency) {
      currencyErrors.push(fe(`payables[${i}].amount.currency`, 'IN', { allowed }));
    }
  }
  throwIfAny(ErrorCode.UNSUPPORTED_CURRENCY, 'All payables must share one currency that the buyer supports', currencyErrors);
  const currency = runCurrency as RunCurrency;

  checkSchemeAndType(n, (i) => payables[i]?.supplier, (i) => `payables[${i}].supplier`, currency);

  const out: InvalidField[] = [];
  optional(out, '', 'paymentRunRef', input.paymentRunRef, 50, 1);
  optional(out, '', 'tag', input.tag, 50);
  optional(out, '', 'description', input.description, 255);
  const refMax = LIMITS[currency].reference;
  let total = 0n;
  for (let i = 0; i < n; i++) {
    const p = payables[i]!;
    const at = `payables[${i}].`;
    const amount = p.amount.amount;
    if (Number.isSafeInteger(amount) && amount >= 1) total += BigInt(amount);
    else out.push(fe(at + 'amount.amount', 'RANGE', { min: 1 }));
    // Spaces alone are in the charset but name nothing the supplier could match the payment to.
    if (required(out, at, 'reference', p.reference, 1, refMax, REFERENCE_RE) && p.reference.trim() === '') {
      out.push(fe(at + 'reference', 'REQUIRED'));
    }
    optional(out, at, 'externalRef', p.externalRef, 50);
    optional(out, at, 'paymentRef', p.paymentRef, 50);
    validateSupplier(p.supplier, currency, at + 'supplier', out);
  }
  // The run's total is served as a SafeInt Money, so a sum beyond 2^53-1 could never be shown.
  if (out.length === 0 && total > MAX_TOTAL) out.push(fe('payables', 'RANGE', { maxTotalAmount: Number.MAX_SAFE_INTEGER }));
  throwIfAny(ErrorCode.BAD_USER_INPUT, 'Invalid payment run input', out);

  return {
    currency, totalAmount: total,
    paymentRunRef: input.paymentRunRef ?? null, tag: input.tag ?? null, description: input.description ?? null,
    bundleBySupplier: input.bundleBySupplier ?? false,
    payables: payables.map((p) => ({
      externalRef: p.externalRef ?? null, paymentRef: p.paymentRef ?? null,
      amount: { currency, amount: p.amount.amount }, reference: p.reference,
      supplier: normaliseSupplier(p.supplier, currency),
    })),
  };
}

/** `updatePayables`: one replacement supplier, same categories (c, d, e) and rules as creation. */
export function validateSupplierReplacement(supplier: SupplierInput, currency: RunCurrency, path = 'supplier'): ValidatedSupplier {
  checkSchemeAndType(1, () => supplier, () => path, currency);
  throwIfAny(ErrorCode.BAD_USER_INPUT, 'Invalid supplier', validateSupplier(supplier, currency, path));
  return normaliseSupplier(supplier, currency);
}
