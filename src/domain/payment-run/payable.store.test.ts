import { describe, expect, it } from 'vitest';
import { DomainError } from '../shared/errors.ts';
import { validateReplacements } from './payable.store.ts';
import type { SupplierInput } from './payment-run.validation.ts';

const fp = (accountNumber = '12345678', sortCode = '123456'): SupplierInput =>
  ({ name: 'Acme Ltd', type: 'BUSINESS', bankAccountDetails: { fasterPayments: { accountNumber, sortCode } } });

function failure(suppliers: SupplierInput[]): DomainError {
  try {
    validateReplacements(suppliers, 'GBP');
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('validateReplacements', () => {
  it('normalises valid suppliers in order', () => {
    const [a, b] = validateReplacements([fp('11111111'), fp('22222222')], 'GBP');
    expect(a!.bankAccountDetails.fasterPayments?.accountNumber).toBe('11111111');
    expect(b!.bankAccountDetails.fasterPayments?.secondaryReference).toBeNull();
  });

  it('reports every field violation of every supplier at once, with its index', () => {
    const error = failure([fp('1'), fp(), fp('12345678', '12')]);
    expect(error.code).toBe('BAD_USER_INPUT');
    expect((error.extensions.invalidFields as { fieldName: string }[]).map((f) => f.fieldName)).toEqual([
      'payables[0].supplier.bankAccountDetails.fasterPayments.accountNumber',
      'payables[2].supplier.bankAccountDetails.fasterPayments.sortCode',
    ]);
  });

  it('lets the first failing category win across suppliers, as at creation', () => {
    const sepa: SupplierInput = { name: 'X', type: 'BUSINESS', bankAccountDetails: { sepa: { iban: 'DE89370400440532013000' } } };
    const untyped: SupplierInput = { ...fp(), type: null };
    expect(failure([fp('1'), untyped, sepa])).toMatchObject({
      code: 'INVALID_SUPPLIER_BANK_ACCOUNT_DETAILS',
      extensions: { invalidFields: [{ fieldName: 'payables[2].supplier.bankAccountDetails' }] },
    });
    expect(failure([fp('1'), untyped])).toMatchObject({
      code: 'MISSING_SUPPLIER_TYPE', extensions: { invalidFields: [{ fieldName: 'payables[1].supplier.type' }] },
    });
  });
});
