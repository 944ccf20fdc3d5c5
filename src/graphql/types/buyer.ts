import { createBuyer } from '../../domain/buyer/buyer.commands.ts';
import { builder } from '../builder.ts';
import { CurrencyEnum, NewUserInput } from './common.ts';

export const Buyer = builder.prismaNode('Buyer', {
  id: { field: 'id' },
  fields: (t) => ({
    name: t.exposeString('name'),
    supportedCurrencies: t.field({ type: [CurrencyEnum], resolve: (buyer) => buyer.supportedCurrencies }),
    requireDualControl: t.exposeBoolean('requireDualControl'),
  }),
});

const CreateBuyerInput = builder.inputType('CreateBuyerInput', {
  fields: (t) => ({
    name: t.string(),
    supportedCurrencies: t.field({ type: [CurrencyEnum] }),
    requireDualControl: t.boolean({ required: false }),
    admin: t.field({ type: NewUserInput }),
  }),
});

builder.mutationField('createBuyer', (t) =>
  t.field({
    type: Buyer,
    description: 'Operator only (header x-api-key): a new buyer and its first user, who holds every role.',
    authScopes: { operator: true },
    args: { input: t.arg({ type: CreateBuyerInput }) },
    resolve: (_root, { input }, ctx) => createBuyer(ctx.services.domain, input),
  }),
);
