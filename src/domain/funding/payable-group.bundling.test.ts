import { describe, expect, it } from 'vitest';
import { bundleKey, formTransfers, normaliseSupplierName, transferReference, type BundlePayable } from './payable-group.bundling.ts';

const fp = (position: number, name: string, over: Partial<BundlePayable> = {}): BundlePayable => ({
  position, amount: 100n, currency: 'GBP', reference: `INV${position}`, supplierName: name,
  sortCode: '040004', accountNumber: '12345678', secondaryReference: null, iban: null, ...over,
});

describe('normaliseSupplierName', () => {
  it('trims, collapses inner whitespace and ignores case', () => {
    expect(normaliseSupplierName('  ACME \t  Supplies\nLtd ')).toBe('acme supplies ltd');
  });
  it('keeps punctuation', () => {
    expect(normaliseSupplierName('ACME Ltd.')).not.toBe(normaliseSupplierName('ACME Ltd'));
  });
});

describe('formTransfers', () => {
  it('bundles by currency, bank details and normalised name, in order of first member', () => {
    const payables = [
      fp(0, 'ACME Ltd'), fp(1, 'Bolt plc', { accountNumber: '87654321' }), fp(2, ' acme  LTD'),
      fp(3, 'ACME Ltd', { secondaryReference: 'ROLL1' }), fp(4, 'ACME Ltd', { sortCode: '040005' }),
      fp(5, 'ACME Ltd', { secondaryReference: '' }), fp(6, 'bolt PLC', { accountNumber: '87654321' }),
    ];
    const transfers = formTransfers(payables, true);
    expect(transfers.map((t) => t.members.map((m) => m.position))).toEqual([[0, 2, 5], [1, 6], [3], [4]]);
    expect(transfers.map((t) => t.amount)).toEqual([300n, 200n, 100n, 100n]);
  });

  it('keys SEPA payables by IBAN, whatever the case of its letters', () => {
    const sepa = (position: number, iban: string) =>
      fp(position, 'Müller GmbH', { currency: 'EUR', sortCode: null, accountNumber: null, iban });
    expect(bundleKey(sepa(0, 'DE89370400440532013000'))).toBe(bundleKey(sepa(1, 'de89370400440532013000')));
    expect(bundleKey(sepa(0, 'DE89370400440532013000'))).not.toBe(bundleKey(sepa(1, 'DE02120300000000202051')));
  });

  it('makes every payable a transfer of its own without bundling', () => {
    const transfers = formTransfers([fp(1, 'A'), fp(0, 'A')], false);
    expect(transfers.map((t) => t.members.map((m) => m.position))).toEqual([[0], [1]]);
  });
});

describe('transferReference', () => {
  it('keeps a single payable\'s reference', () => {
    expect(transferReference('GBP', ['INVOICE-2026-00001'])).toBe('INVOICE-2026-00001');
  });
  it('joins distinct member references when they fit the scheme', () => {
    expect(transferReference('GBP', ['INV1', 'INV2', 'INV1', 'INV3'])).toBe('INV1 INV2 INV3');
  });
  it('otherwise names the first reference and how many more, within 18 characters for Faster Payments', () => {
    const reference = transferReference('GBP', ['INV-2026-0001', 'INV-2026-0002', 'INV-2026-0003']);
    expect(reference).toBe('INV-2026-00 2 MORE');
    expect(reference.length).toBeLessThanOrEqual(18);
    expect(reference).toMatch(/^[0-9A-Za-z .-]+$/);
  });
  it('uses SEPA\'s 35 characters', () => {
    expect(transferReference('EUR', ['RE-2026-0001', 'RE-2026-0002'])).toBe('RE-2026-0001 RE-2026-0002');
    const long = transferReference('EUR', ['RE-2026-0001', 'RE-2026-0002', 'RE-2026-0003']);
    expect(long).toBe('RE-2026-0001 2 MORE');
    expect(long.length).toBeLessThanOrEqual(35);
  });
});
