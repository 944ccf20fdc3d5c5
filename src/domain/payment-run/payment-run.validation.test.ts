import { describe, it, expect } from 'vitest';
import { DomainError } from '../shared/errors.ts';
import type { InvalidField } from '../shared/errors.ts';
import {
  MAX_PAYABLES_PER_RUN, bankDetailsViolation, supplierTypeViolation, validateCreatePaymentRun,
  validateSupplier, validateSupplierReplacement,
} from './payment-run.validation.ts';
import type { CreatePaymentRunInput, PayableInput, SupplierInput } from './payment-run.validation.ts';

const buyer = { supportedCurrencies: ['GBP', 'EUR'] as const };
const gbpOnly = { supportedCurrencies: ['GBP'] };
const IBAN = 'DE89370400440532013000';

const gbpSupplier = (): SupplierInput => ({
  name: 'Acme Ltd', type: 'BUSINESS', bankAccountDetails: { fasterPayments: { accountNumber: '12345678', sortCode: '123456' } },
});
const eurSupplier = (): SupplierInput => ({
  name: 'Acme GmbH', bankAccountDetails: { sepa: { iban: IBAN, bankIdentifierCode: 'COBADEFFXXX' } },
});
const gbp = (amount = 1000): PayableInput => ({ amount: { currency: 'GBP', amount }, reference: 'INV-001', supplier: gbpSupplier() });
const eur = (amount = 1000): PayableInput => ({ amount: { currency: 'EUR', amount }, reference: 'INV-001', supplier: eurSupplier() });
const run = (...payables: PayableInput[]): CreatePaymentRunInput => ({ payables });

function set(target: object, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = target as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>;
  o[keys.at(-1)!] = value;
}

function thrown(fn: () => unknown): DomainError {
  try { fn(); } catch (e) { expect(e).toBeInstanceOf(DomainError); return e as DomainError; }
  throw new Error('expected a DomainError');
}

const x = (n: number, c = 'x') => c.repeat(n);
const FP = 'supplier.bankAccountDetails.fasterPayments';
const SEPA = 'supplier.bankAccountDetails.sepa';

type Case = [currency: 'GBP' | 'EUR', path: string, value: unknown, expected: Omit<InvalidField, 'fieldName'> | null];
const fieldCases: Case[] = [
  ['GBP', 'amount.amount', 1, null],
  ['GBP', 'amount.amount', Number.MAX_SAFE_INTEGER - 1000, null], // with the other payable's 1000: total exactly 2^53-1
  ...[0, -5, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN, Infinity].map(
    (v): Case => ['GBP', 'amount.amount', v, { error: 'RANGE', params: { min: 1 } }]),
  ['GBP', 'reference', 'A', null],
  ['GBP', 'reference', x(18), null],
  ['GBP', 'reference', ' INV 001-A.b ', null],
  ['GBP', 'reference', x(19), { error: 'SIZE', params: { min: 1, max: 18 } }],
  ['GBP', 'reference', '', { error: 'SIZE', params: { min: 1, max: 18 } }],
  ['GBP', 'reference', '   ', { error: 'REQUIRED' }],
  ['EUR', 'reference', ' ', { error: 'REQUIRED' }],
  ['GBP', 'reference', 'INV_001', { error: 'REGEX', params: { pattern: '^[0-9A-Za-z .-]+$' } }],
  ['GBP', 'reference', 'inv/1', { error: 'REGEX', params: { pattern: '^[0-9A-Za-z .-]+$' } }],
  ['GBP', 'reference', 'Café', { error: 'REGEX', params: { pattern: '^[0-9A-Za-z .-]+$' } }],
  ['EUR', 'reference', x(35), null],
  ['EUR', 'reference', x(36), { error: 'SIZE', params: { min: 1, max: 35 } }],
  ['EUR', 'reference', 'a&b', { error: 'REGEX', params: { pattern: '^[0-9A-Za-z .-]+$' } }],
  ['GBP', 'supplier.name', x(140), null],
  ['GBP', 'supplier.name', 'O’Brien & Sons (UK) Ltd.', null],
  ['GBP', 'supplier.name', 'A-Z/a-z 0-9 ?:().,’+#=!"%&*<>;{@\t\n', null],
  ['GBP', 'supplier.name', x(141), { error: 'SIZE', params: { min: 1, max: 140 } }],
  ['GBP', 'supplier.name', '', { error: 'SIZE', params: { min: 1, max: 140 } }],
  ...["O'Brien", 'Café', 'Acme ~', 'Acme [UK]', 'a}b'].map((v): Case => ['GBP', 'supplier.name', v, { error: 'REGEX' }]),
  ['EUR', 'supplier.name', x(150), null],
  ['EUR', 'supplier.name', "O'Brien Café ~ [x] 😀", null],
  ['EUR', 'supplier.name', x(150, '😀'), null],
  ['EUR', 'supplier.name', x(151), { error: 'SIZE', params: { min: 1, max: 150 } }],
  ['EUR', 'supplier.name', '', { error: 'SIZE', params: { min: 1, max: 150 } }],
  ...(['address', 'bankName', 'bankAddress'] as const).flatMap((f): Case[] => [
    ['GBP', `supplier.${f}`, x(255), null],
    ['GBP', `supplier.${f}`, null, null],
    ['EUR', `supplier.${f}`, x(256), { error: 'SIZE', params: { max: 255 } }],
  ]),
  ['GBP', 'supplier.bankCountry', 'GB', null],
  ['EUR', 'supplier.bankCountry', 'DE', null],
  ['GBP', 'supplier.bankCountry', null, null],
  ...['gb', 'GBR', 'XX', 'UK', '826', '', 'G'].map(
    (v): Case => ['GBP', 'supplier.bankCountry', v, { error: 'IN', params: { standard: 'ISO 3166-1 alpha-2' } }]),
  ['EUR', 'supplier.type', 'PERSONAL', null],
  ['GBP', 'supplier.type', 'OTHER', { error: 'IN', params: { allowed: ['PERSONAL', 'BUSINESS'] } }],
  ['GBP', `${FP}.accountNumber`, '00000000', null],
  ...['1234567', '123456789', ''].map((v): Case => ['GBP', `${FP}.accountNumber`, v, { error: 'SIZE', params: { min: 8, max: 8 } }]),
  ...['1234567a', ' 1234567', '1234-567'].map((v): Case => ['GBP', `${FP}.accountNumber`, v, { error: 'REGEX', params: { pattern: '^[0-9]{8}$' } }]),
  ['GBP', `${FP}.sortCode`, '000000', null],
  ...['12-34-56', '12345', ''].map((v): Case => ['GBP', `${FP}.sortCode`, v, { error: 'SIZE', params: { min: 6, max: 6 } }]),
  ...['12345a', '12 345'].map((v): Case => ['GBP', `${FP}.sortCode`, v, { error: 'REGEX', params: { pattern: '^[0-9]{6}$' } }]),
  ['GBP', `${FP}.secondaryReference`, x(18), null],
  ['GBP', `${FP}.secondaryReference`, x(19), { error: 'SIZE', params: { max: 18 } }],
  ...['FR1420041010050500013M02606', 'NL91ABNA0417164300', 'GB82WEST12345698765432'].map((v): Case => ['EUR', `${SEPA}.iban`, v, null]),
  ['EUR', `${SEPA}.iban`, '', { error: 'SIZE', params: { min: 15, max: 34 } }],
  ...['DE89 3704 0044 0532 0130 00', IBAN.toLowerCase(), 'DE8937040044', `${IBAN} `, 'D989370400440532013000', `DE89${x(31, '0')}`].map(
    (v): Case => ['EUR', `${SEPA}.iban`, v, { error: 'REGEX', params: { pattern: '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$' } }]),
  ...['DE88370400440532013000', 'DE89370400440532013001', 'NL91ABNA0417164301'].map(
    (v): Case => ['EUR', `${SEPA}.iban`, v, { error: 'CHECKSUM', params: { algorithm: 'ISO 7064 MOD 97-10' } }]),
  ...['COBADEFF', 'COBADEFFXXX', null].map((v): Case => ['EUR', `${SEPA}.bankIdentifierCode`, v, null]),
  ...['COBADEF', 'COBADEFFXX', '', 'COBADEFFXXXX'].map(
    (v): Case => ['EUR', `${SEPA}.bankIdentifierCode`, v, { error: 'SIZE', params: { allowedLengths: [8, 11] } }]),
  ...['COBA1EFF', 'COBAZZFF', 'COBADE F'].map((v): Case => ['EUR', `${SEPA}.bankIdentifierCode`, v, { error: 'REGEX' }]),
  ...(['externalRef', 'paymentRef'] as const).flatMap((f): Case[] => [
    ['GBP', f, x(50), null], ['GBP', f, '', null], ['GBP', f, x(51), { error: 'SIZE', params: { max: 50 } }],
  ]),
];

describe('validateCreatePaymentRun: field rules', () => {
  it.each(fieldCases)('%s payables[0].%s = %j → %j', (currency, path, value, expected) => {
    const make = currency === 'GBP' ? gbp : eur;
    const payable = make();
    set(payable, path, value);
    const input = run(make(), payable);
    if (expected === null) {
      expect(() => validateCreatePaymentRun(input, buyer)).not.toThrow();
      return;
    }
    const err = thrown(() => validateCreatePaymentRun(input, buyer));
    expect(err.code).toBe('BAD_USER_INPUT');
    expect(err.extensions.invalidFields).toEqual([expect.objectContaining({ fieldName: `payables[1].${path}`, ...expected })]);
  });

  const runCases: [string, unknown, InvalidField | null][] = [
    ['paymentRunRef', 'R', null], ['paymentRunRef', x(50), null], ['paymentRunRef', null, null],
    ['paymentRunRef', x(51), { fieldName: 'paymentRunRef', error: 'SIZE', params: { min: 1, max: 50 } }],
    ['paymentRunRef', '', { fieldName: 'paymentRunRef', error: 'SIZE', params: { min: 1, max: 50 } }],
    ['tag', x(50), null], ['tag', x(51), { fieldName: 'tag', error: 'SIZE', params: { max: 50 } }],
    ['description', x(255), null], ['description', x(256), { fieldName: 'description', error: 'SIZE', params: { max: 255 } }],
  ];
  it.each(runCases)('%s = %j', (field, value, expected) => {
    const input = { ...run(gbp()), [field]: value };
    if (!expected) expect(validateCreatePaymentRun(input, buyer)[field as 'tag']).toBe(value ?? null);
    else expect(thrown(() => validateCreatePaymentRun(input, buyer)).extensions.invalidFields).toEqual([expected]);
  });

  it('reports every violation across all payables at once, in payable order', () => {
    const ps = [gbp(0), gbp(), gbp(), gbp()];
    set(ps[1]!, 'reference', 'bad_ref');
    set(ps[1]!, 'supplier.name', '');
    set(ps[3]!, `${FP}.sortCode`, '12345x');
    const err = thrown(() => validateCreatePaymentRun({ tag: x(51), payables: ps }, buyer));
    expect(err.code).toBe('BAD_USER_INPUT');
    expect((err.extensions.invalidFields as InvalidField[]).map((f) => [f.fieldName, f.error])).toEqual([
      ['tag', 'SIZE'],
      ['payables[0].amount.amount', 'RANGE'],
      ['payables[1].reference', 'REGEX'],
      ['payables[1].supplier.name', 'SIZE'],
      ['payables[3].supplier.bankAccountDetails.fasterPayments.sortCode', 'REGEX'],
    ]);
  });

  it('rejects a run whose total cannot be served as a SafeInt', () => {
    const err = thrown(() => validateCreatePaymentRun(run(gbp(Number.MAX_SAFE_INTEGER), gbp(1)), buyer));
    expect(err.extensions.invalidFields).toEqual([{ fieldName: 'payables', error: 'RANGE', params: { maxTotalAmount: Number.MAX_SAFE_INTEGER } }]);
  });
});

describe('validateCreatePaymentRun: size', () => {
  it('rejects an empty run', () => {
    const err = thrown(() => validateCreatePaymentRun(run(), buyer));
    expect(err.code).toBe('BAD_USER_INPUT');
    expect(err.extensions.invalidFields).toEqual([{ fieldName: 'payables', error: 'SIZE', params: { min: 1, max: 10_000 } }]);
  });

  // Speed is measured by `npm run bench`, not asserted here: a loaded CI machine would make it flaky.
  it('accepts 10,000 payables and sums with bigint', () => {
    const big = Math.floor(Number.MAX_SAFE_INTEGER / 20_000);
    const input = run(...Array.from({ length: MAX_PAYABLES_PER_RUN }, () => gbp(big)));
    const result = validateCreatePaymentRun(input, buyer);
    expect(result.payables).toHaveLength(10_000);
    expect(result.totalAmount).toBe(BigInt(big) * 10_000n);
  });

  it('accepts 10,000 SEPA payables', () => {
    const input = run(...Array.from({ length: MAX_PAYABLES_PER_RUN }, () => eur()));
    const result = validateCreatePaymentRun(input, buyer);
    expect(result.payables).toHaveLength(10_000);
  });

  it('answers PAYLOAD_TOO_LARGE above 10,000, before any other check', () => {
    const input = run(...Array.from({ length: 10_001 }, () => eur()));
    const err = thrown(() => validateCreatePaymentRun(input, gbpOnly));
    expect(err.code).toBe('PAYLOAD_TOO_LARGE');
    expect(err.extensions).toEqual({ maxPayables: 10_000, received: 10_001 });
  });
});

describe('validateCreatePaymentRun: currency, scheme and supplier type', () => {
  const currencyOf = (i: number) => `payables[${i}].amount.currency`;
  it.each([
    ['unsupported by buyer', run(eur(), eur()), gbpOnly, [0, 1], ['GBP']],
    ['mixed: later payables differing from the first', run(gbp(), eur(), gbp(), eur()), buyer, [1, 3], ['GBP']],
    ['unknown currency', run({ ...gbp(), amount: { currency: 'USD', amount: 1 } }), { supportedCurrencies: ['USD', 'GBP'] }, [0], ['GBP']],
  ] as const)('%s → UNSUPPORTED_CURRENCY', (_, input, b, offending, allowed) => {
    const err = thrown(() => validateCreatePaymentRun(input, b));
    expect(err.code).toBe('UNSUPPORTED_CURRENCY');
    expect(err.extensions.invalidFields).toEqual(offending.map((i) => ({ fieldName: currencyOf(i), error: 'IN', params: { allowed } })));
  });

  const scheme = (p: PayableInput, details: unknown) => { set(p, 'supplier.bankAccountDetails', details); return p; };
  const fp = { accountNumber: '12345678', sortCode: '123456' };
  const sepa = { iban: IBAN };
  it.each([
    ['GBP with sepa', scheme(gbp(), { sepa }), { error: 'IN', params: { allowed: ['fasterPayments'], currency: 'GBP' } }],
    ['EUR with fasterPayments', scheme(eur(), { fasterPayments: fp }), { error: 'IN', params: { allowed: ['sepa'], currency: 'EUR' } }],
    ['both set', scheme(gbp(), { fasterPayments: fp, sepa }), { error: 'SIZE', params: { min: 1, max: 1, allowed: ['fasterPayments'] } }],
    ['neither set', scheme(gbp(), {}), { error: 'REQUIRED', params: { allowed: ['fasterPayments'] } }],
    ['both null', scheme(eur(), { fasterPayments: null, sepa: null }), { error: 'REQUIRED', params: { allowed: ['sepa'] } }],
  ] as const)('%s → INVALID_SUPPLIER_BANK_ACCOUNT_DETAILS', (_, bad, expected) => {
    const good = bad.amount.currency === 'GBP' ? gbp : eur;
    const err = thrown(() => validateCreatePaymentRun(run(good(), good(), bad, good()), buyer));
    expect(err.code).toBe('INVALID_SUPPLIER_BANK_ACCOUNT_DETAILS');
    expect(err.extensions.invalidFields).toEqual([{ fieldName: 'payables[2].supplier.bankAccountDetails', ...expected }]);
  });

  it('lists every missing Faster Payments supplier type; SEPA needs none', () => {
    const a = gbp(); delete a.supplier.type;
    const b = gbp(); set(b, 'supplier.type', null);
    const err = thrown(() => validateCreatePaymentRun(run(a, gbp(), b), buyer));
    expect(err.code).toBe('MISSING_SUPPLIER_TYPE');
    expect(err.extensions.invalidFields).toEqual([
      { fieldName: 'payables[0].supplier.type', error: 'REQUIRED' },
      { fieldName: 'payables[2].supplier.type', error: 'REQUIRED' },
    ]);
    expect(() => validateCreatePaymentRun(run(eur()), buyer)).not.toThrow();
  });

  it('applies categories in order: currency, scheme, type, fields', () => {
    const fieldBad = gbp(0);
    const typeBad = gbp(); set(typeBad, 'supplier.type', null);
    const schemeBad = scheme(gbp(), { sepa });
    const codeOf = (...ps: PayableInput[]) => thrown(() => validateCreatePaymentRun(run(...ps), buyer)).code;
    expect(codeOf(fieldBad, typeBad, schemeBad, eur())).toBe('UNSUPPORTED_CURRENCY');
    expect(codeOf(fieldBad, typeBad, schemeBad)).toBe('INVALID_SUPPLIER_BANK_ACCOUNT_DETAILS');
    expect(codeOf(fieldBad, typeBad)).toBe('MISSING_SUPPLIER_TYPE');
    expect(codeOf(fieldBad)).toBe('BAD_USER_INPUT');
  });
});

describe('validateCreatePaymentRun: result', () => {
  it('normalises optionals to null and keeps values as given', () => {
    const p = gbp(250); p.reference = ' INV 1 '; p.externalRef = 'EXT-1';
    const r = validateCreatePaymentRun({ paymentRunRef: 'RUN-1', payables: [p, gbp(750)] }, gbpOnly);
    expect(r.currency).toBe('GBP');
    expect(r.totalAmount).toBe(1000n);
    expect(r).toMatchObject({ paymentRunRef: 'RUN-1', tag: null, description: null });
    expect(r.payables[0]).toEqual({
      externalRef: 'EXT-1', paymentRef: null, amount: { currency: 'GBP', amount: 250 }, reference: ' INV 1 ',
      supplier: {
        name: 'Acme Ltd', address: null, bankName: null, bankAddress: null, bankCountry: null, type: 'BUSINESS',
        bankAccountDetails: { fasterPayments: { accountNumber: '12345678', sortCode: '123456', secondaryReference: null }, sepa: null },
      },
    });
  });

  it('accepts a single payable of 2^53-1', () => {
    expect(validateCreatePaymentRun(run(gbp(Number.MAX_SAFE_INTEGER)), buyer).totalAmount).toBe(BigInt(Number.MAX_SAFE_INTEGER));
  });

  it('normalises SEPA details', () => {
    const r = validateCreatePaymentRun(run(eur()), buyer);
    expect(r.currency).toBe('EUR');
    expect(r.payables[0]!.supplier.bankAccountDetails).toEqual({ fasterPayments: null, sepa: { iban: IBAN, bankIdentifierCode: 'COBADEFFXXX' } });
  });
});

describe('supplier helpers (updatePayables)', () => {
  it('validateSupplier returns field violations under the given prefix', () => {
    expect(validateSupplier(gbpSupplier(), 'GBP', 'supplier')).toEqual([]);
    const s = gbpSupplier(); s.name = ''; set(s, 'bankAccountDetails.fasterPayments.accountNumber', '1');
    expect(validateSupplier(s, 'GBP', 'payables[4].supplier').map((f) => f.fieldName)).toEqual([
      'payables[4].supplier.name', 'payables[4].supplier.bankAccountDetails.fasterPayments.accountNumber',
    ]);
  });

  it('bankDetailsViolation and supplierTypeViolation check one supplier', () => {
    expect(bankDetailsViolation(gbpSupplier(), 'GBP', 's')).toBeNull();
    expect(bankDetailsViolation(gbpSupplier(), 'EUR', 's')).toMatchObject({ fieldName: 's.bankAccountDetails', error: 'IN' });
    expect(supplierTypeViolation({ ...gbpSupplier(), type: null }, 'GBP', 's')).toEqual({ fieldName: 's.type', error: 'REQUIRED' });
    expect(supplierTypeViolation({ ...eurSupplier(), type: null }, 'EUR', 's')).toBeNull();
  });

  it('validateSupplierReplacement throws in category order and returns the normalised supplier', () => {
    const codeOf = (s: SupplierInput, c: 'GBP' | 'EUR') => thrown(() => validateSupplierReplacement(s, c, 'payables[0].supplier')).code;
    const typeless = { ...gbpSupplier(), type: null, name: '' };
    expect(codeOf(typeless, 'EUR')).toBe('INVALID_SUPPLIER_BANK_ACCOUNT_DETAILS');
    expect(codeOf(typeless, 'GBP')).toBe('MISSING_SUPPLIER_TYPE');
    const err = thrown(() => validateSupplierReplacement({ ...gbpSupplier(), name: '' }, 'GBP', 'payables[0].supplier'));
    expect(err.code).toBe('BAD_USER_INPUT');
    expect(err.extensions.invalidFields).toEqual([{ fieldName: 'payables[0].supplier.name', error: 'SIZE', params: { min: 1, max: 140 } }]);
    expect(validateSupplierReplacement(eurSupplier(), 'EUR')).toMatchObject({ name: 'Acme GmbH', type: null, bankCountry: null });
  });
});
