import { linkAccount, unlinkAccount } from '../../domain/linked-account/linked-account.commands.ts';
import { builder } from '../builder.ts';
import { idOf } from '../ids.ts';
import { BankAccountDetails, BankAccountDetailsInput, CurrencyEnum } from './common.ts';

export const Institution = builder.prismaNode('Institution', {
  id: { field: 'id' },
  fields: (t) => ({
    code: t.exposeString('code'),
    displayName: t.exposeString('displayName'),
    currency: t.field({ type: CurrencyEnum, resolve: (i) => i.currency }),
    maxFundingAmount: t.field({ type: 'SafeInt', description: 'A funding group never exceeds this total.', resolve: (i) => i.maxFundingAmount }),
    maxBatchSize: t.exposeInt('maxBatchSize', { description: 'A batch never holds more payables than this.' }),
    requiresMultiAuth: t.exposeBoolean('requiresMultiAuth', { description: 'Authorisations need a second signatory.' }),
  }),
});

const LinkedAccountStatusEnum = builder.enumType('LinkedAccountStatus', { values: ['LINKED', 'UNLINKED'] as const });

export const LinkedAccount = builder.prismaNode('LinkedAccount', {
  id: { field: 'id' },
  fields: (t) => ({
    friendlyName: t.exposeString('friendlyName', { nullable: true }),
    currency: t.field({ type: CurrencyEnum, resolve: (a) => a.currency }),
    status: t.field({ type: LinkedAccountStatusEnum, resolve: (a) => a.status }),
    institution: t.relation('institution'),
    accountIdentification: t.field({
      type: BankAccountDetails,
      select: { accountNumber: true, sortCode: true, secondaryReference: true, iban: true, bankIdentifierCode: true },
      resolve: (a) => a,
    }),
  }),
});

builder.queryFields((t) => ({
  institutions: t.prismaField({
    type: ['Institution'],
    description: 'Reference data: the banks accounts can be linked at, with their limits.',
    authScopes: { authenticated: true },
    resolve: (query, _root, _args, ctx) => ctx.db!.institution.findMany({ ...query, orderBy: { code: 'asc' } }),
  }),
  linkedAccounts: t.prismaField({
    type: ['LinkedAccount'],
    authScopes: { authenticated: true },
    resolve: (query, _root, _args, ctx) => ctx.db!.linkedAccount.findMany({ ...query, orderBy: { id: 'asc' } }),
  }),
}));

const LinkAccountInput = builder.inputType('LinkAccountInput', {
  fields: (t) => ({
    institutionCode: t.string(),
    friendlyName: t.string({ required: false }),
    accountIdentification: t.field({ type: BankAccountDetailsInput }),
  }),
});

builder.mutationFields((t) => ({
  linkAccount: t.prismaField({
    type: 'LinkedAccount',
    authScopes: { controller: true },
    args: { input: t.arg({ type: LinkAccountInput }) },
    resolve: async (query, _root, { input }, ctx) => {
      const account = await linkAccount(ctx.services.domain, ctx.actor!, input);
      return ctx.db!.linkedAccount.findUniqueOrThrow({ ...query, where: { id: account.id } });
    },
  }),
  unlinkAccount: t.prismaField({
    type: 'LinkedAccount',
    authScopes: { controller: true },
    args: { id: t.arg.id() },
    resolve: async (query, _root, args, ctx) => {
      const account = await unlinkAccount(ctx.services.domain, ctx.actor!, idOf('LinkedAccount', args.id));
      return ctx.db!.linkedAccount.findUniqueOrThrow({ ...query, where: { id: account.id } });
    },
  }),
}));
