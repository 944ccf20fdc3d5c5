import { Currency, Role } from '../../domain/shared/statuses.ts';
import { builder } from '../builder.ts';

export const RoleEnum = builder.enumType('Role', { values: Object.values(Role) });
export const CurrencyEnum = builder.enumType('Currency', { values: Object.values(Currency) });
export const SupplierTypeEnum = builder.enumType('SupplierType', { values: ['PERSONAL', 'BUSINESS'] as const });

export interface MoneyValue {
  currency: Currency;
  amount: bigint | number;
}

export const Money = builder.objectRef<MoneyValue>('Money').implement({
  description: 'An amount in minor units (1000 GBP = £10.00) with its currency.',
  fields: (t) => ({
    currency: t.field({ type: CurrencyEnum, resolve: (money) => money.currency }),
    amount: t.field({ type: 'SafeInt', resolve: (money) => money.amount }),
  }),
});

export interface BankDetailsValue {
  accountNumber?: string | null;
  sortCode?: string | null;
  secondaryReference?: string | null;
  iban?: string | null;
  bankIdentifierCode?: string | null;
}

const FasterPaymentsBankDetails = builder.objectRef<BankDetailsValue>('FasterPaymentsBankDetails').implement({
  fields: (t) => ({
    accountNumber: t.string({ resolve: (d) => d.accountNumber! }),
    sortCode: t.string({ resolve: (d) => d.sortCode! }),
    secondaryReference: t.string({ nullable: true, resolve: (d) => d.secondaryReference ?? null }),
  }),
});

const SepaBankDetails = builder.objectRef<BankDetailsValue>('SepaBankDetails').implement({
  fields: (t) => ({
    iban: t.string({ resolve: (d) => d.iban! }),
    bankIdentifierCode: t.string({ nullable: true, resolve: (d) => d.bankIdentifierCode ?? null }),
  }),
});

export const BankAccountDetails = builder.unionType('BankAccountDetails', {
  types: [FasterPaymentsBankDetails, SepaBankDetails],
  resolveType: (details) => (details.iban ? SepaBankDetails : FasterPaymentsBankDetails),
});

export const FasterPaymentsDetailsInput = builder.inputType('FasterPaymentsDetailsInput', {
  fields: (t) => ({
    accountNumber: t.string(),
    sortCode: t.string(),
    secondaryReference: t.string({ required: false }),
  }),
});

export const SepaDetailsInput = builder.inputType('SepaDetailsInput', {
  fields: (t) => ({
    iban: t.string(),
    bankIdentifierCode: t.string({ required: false }),
  }),
});

export const BankAccountDetailsInput = builder.inputType('BankAccountDetailsInput', {
  isOneOf: true,
  fields: (t) => ({
    fasterPayments: t.field({ type: FasterPaymentsDetailsInput, required: false }),
    sepa: t.field({ type: SepaDetailsInput, required: false }),
  }),
});

export const MoneyInput = builder.inputType('MoneyInput', {
  fields: (t) => ({
    currency: t.field({ type: CurrencyEnum }),
    amount: t.field({ type: 'SafeInt' }),
  }),
});

export const NewUserInput = builder.inputType('NewUserInput', {
  fields: (t) => ({
    email: t.string(),
    name: t.string(),
    password: t.string(),
    roles: t.field({ type: [RoleEnum], required: false }),
  }),
});
