import { describe, it, expect } from 'vitest';
import { COP_CATEGORY, checkPayee, closeMatchName, isAccountMissing } from './confirmation-of-payee.ts';
import type { PayeeDetails, ValidationOutcome } from './confirmation-of-payee.ts';

const gbp = (accountNumber: string, supplierType: PayeeDetails['supplierType'] = 'BUSINESS', supplierName = 'Acme Ltd'): PayeeDetails =>
  ({ currency: 'GBP', accountNumber, supplierType, supplierName });
const outcome = (match: ValidationOutcome['match'], reasonCode: ValidationOutcome['reasonCode'], accountName: string | null = null) =>
  ({ category: 'CONFIRMATION_OF_PAYEE', match, reasonCode, accountName });

describe('checkPayee: the contract sandbox table', () => {
  it.each([
    ['11111111 close match', gbp('11111111'), outcome('CLOSE_MATCH', 'MBAM', 'Acme')],
    ['22222222 name mismatch', gbp('22222222'), outcome('NO_MATCH', 'ANNM')],
    ['33333333 account missing', gbp('33333333'), outcome('NO_MATCH', 'AC01')],
    ['44444444 PERSONAL → business account', gbp('44444444', 'PERSONAL'), outcome('NO_MATCH', 'BANM')],
    ['44444444 BUSINESS → personal account', gbp('44444444', 'BUSINESS'), outcome('NO_MATCH', 'PANM')],
    ['44444444 untyped is treated as PERSONAL', gbp('44444444', null), outcome('NO_MATCH', 'BANM')],
    ['55555555 opted out', gbp('55555555'), outcome('NO_MATCH', 'OPTO')],
    ['any other account', gbp('12345678'), outcome('EXACT_MATCH', null)],
    ['a near-magic account', gbp('11111112'), outcome('EXACT_MATCH', null)],
    ['a PERSONAL payee elsewhere', gbp('87654321', 'PERSONAL'), outcome('EXACT_MATCH', null)],
  ])('%s', (_, details, expected) => {
    expect(checkPayee(details)).toEqual(expected);
  });

  it.each([
    ['EUR payables get no outcome', { currency: 'EUR', supplierName: 'Acme GmbH' }],
    ['EUR even with a magic account number', { currency: 'EUR', accountNumber: '33333333', supplierName: 'Acme GmbH' }],
    ['GBP without an account number', { currency: 'GBP', supplierName: 'Acme Ltd', supplierType: 'BUSINESS' }],
  ] as const)('%s → null', (_, details) => {
    expect(checkPayee(details)).toBeNull();
  });

  it('uses the contract category name', () => {
    expect(COP_CATEGORY).toBe('CONFIRMATION_OF_PAYEE');
    expect(checkPayee(gbp('22222222'))?.category).toBe('CONFIRMATION_OF_PAYEE');
  });
});

describe('closeMatchName', () => {
  it.each([
    ['Acme Ltd', 'Acme'],
    ['Acme LTD.', 'Acme'],
    ['Acme Limited', 'Acme'],
    ['Acme Ltd  ', 'Acme'],
    ['Jane Smith', 'Jane Smith Ltd'],
    ['Jane Smith  ', 'Jane Smith Ltd'],
    ['Ltd', 'Ltd Ltd'],
  ])('%j → %j', (name, expected) => {
    expect(closeMatchName(name)).toBe(expected);
    expect(closeMatchName(name)).toBe(closeMatchName(name));
  });

  it('never answers the name it was given', () => {
    for (const name of ['Acme Ltd', 'Jane Smith', 'O’Brien & Co', 'X']) {
      expect(checkPayee(gbp('11111111', 'BUSINESS', name))?.accountName).not.toBe(name);
    }
  });
});

describe('isAccountMissing', () => {
  it.each([
    [outcome('NO_MATCH', 'AC01'), true],
    [outcome('NO_MATCH', 'ANNM'), false],
    [outcome('NO_MATCH', 'OPTO'), false],
    [outcome('CLOSE_MATCH', 'MBAM', 'Acme'), false],
    [outcome('EXACT_MATCH', null), false],
    [null, false],
    [undefined, false],
  ])('%j → %s', (o, expected) => {
    expect(isAccountMissing(o)).toBe(expected);
  });

  it('agrees with checkPayee: only 33333333 blocks a run', () => {
    const blocking = ['11111111', '22222222', '33333333', '44444444', '55555555', '12345678']
      .filter((a) => isAccountMissing(checkPayee(gbp(a))));
    expect(blocking).toEqual(['33333333']);
  });
});
