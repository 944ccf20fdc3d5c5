import { describe, expect, it } from 'vitest';
import { redactBankDetails } from './audit.ts';

describe('redactBankDetails', () => {
  it('keeps the last 4 characters of account numbers, sort codes and IBANs at any depth, and nothing else changes', () => {
    const details = {
      name: 'Supplier Ltd',
      before: { accountNumber: '12345678', sortCode: '400000', iban: null },
      after: [{ iban: 'DE89370400440532013000', account_number: '87654321', sort_code: '112233', bankIdentifierCode: 'COBADEFFXXX' }],
    };
    expect(redactBankDetails(details)).toEqual({
      name: 'Supplier Ltd',
      before: { accountNumber: '****5678', sortCode: '****0000', iban: null },
      after: [{ iban: '****3000', account_number: '****4321', sort_code: '****2233', bankIdentifierCode: 'COBADEFFXXX' }],
    });
  });
});
