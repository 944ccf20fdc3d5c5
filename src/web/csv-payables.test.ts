import { describe, expect, it } from 'vitest';
import { cellErrorsOf, parsePayablesCsv, toMinorUnits } from './csv-payables.ts';

const HEADER = 'externalRef,reference,amount,currency,supplierName,supplierType,accountNumber,sortCode,iban,bic';

describe('CSV payables', () => {
  it('turns rows into payables: amounts to minor units, the scheme from the columns filled', () => {
    const { payables, errors } = parsePayablesCsv([
      HEADER,
      'A-1,INV 1,"1,250.5",GBP,"Smith, Jones & Co",business,12345678,40-00-00,,',
      'A-2,Rechnung 2,99,eur,Müller GmbH,,,,DE89 3704 0044 0532 0130 00,COBADEFFXXX',
    ].join('\n'));
    expect(errors).toEqual([]);
    expect(payables[0]).toMatchObject({
      amount: { currency: 'GBP', amount: 125050 },
      supplier: { name: 'Smith, Jones & Co', type: 'BUSINESS', bankAccountDetails: { fasterPayments: { accountNumber: '12345678', sortCode: '400000' } } },
    });
    expect(payables[1]).toMatchObject({
      amount: { currency: 'EUR', amount: 9900 },
      supplier: { type: null, bankAccountDetails: { sepa: { iban: 'DE89370400440532013000', bankIdentifierCode: 'COBADEFFXXX' } } },
    });
  });

  it('reports what cannot be sent at its spreadsheet row and column', () => {
    const { errors } = parsePayablesCsv([HEADER, 'A-1,INV 1,12.345,GBP,X,ALIEN,12345678,400000,,', 'A-2,INV 2,1,USD,Y,BUSINESS,,,,'].join('\n'));
    expect(errors).toEqual([
      { row: 2, column: 'amount', message: expect.any(String) },
      { row: 2, column: 'supplierType', message: expect.any(String) },
      { row: 3, column: 'currency', message: expect.any(String) },
      { row: 3, column: 'accountNumber', message: expect.any(String) },
    ]);
  });

  it('maps the gateway\'s invalidFields back to rows and columns', () => {
    expect(cellErrorsOf([
      { fieldName: 'payables[0].supplier.bankAccountDetails.fasterPayments.sortCode', error: 'SIZE', params: { min: 6, max: 6 } },
      { fieldName: 'payables[41].reference', error: 'REGEX' },
      { fieldName: 'payables[2].supplier.bankAccountDetails.sepa.iban', error: 'CHECKSUM' },
      { fieldName: 'paymentRunRef', error: 'SIZE', params: { max: 64 } },
    ])).toEqual([
      { row: 2, column: 'sortCode', message: 'must be exactly 6 characters' },
      { row: 43, column: 'reference', message: expect.any(String) },
      { row: 4, column: 'iban', message: 'fails its check digits' },
      { row: 1, column: null, message: expect.stringContaining('paymentRunRef') },
    ]);
  });

  it('reads amounts exactly, never through floating point', () => {
    expect(toMinorUnits('0.29')).toBe(29);
    expect(toMinorUnits('1,000,000.01')).toBe(100000001);
    expect(toMinorUnits('1.234')).toBeNull();
    expect(toMinorUnits('-5')).toBeNull();
  });
});
