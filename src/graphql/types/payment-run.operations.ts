import * as commands from '../../domain/payment-run/payment-run.commands.ts';
import { notFound } from '../../domain/shared/errors.ts';
import type { PaymentRunStatus } from '../../domain/shared/statuses.ts';
import type { Prisma } from '../../generated/prisma/client.ts';
import { PAYMENT_RUN_ACTIONS } from '../../domain/payment-run/payment-run.states.ts';
import { actionScopes } from '../action-scopes.ts';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';
import { idOf } from '../ids.ts';
import { scopesFor } from '../role-scopes.ts';
import { BankAccountDetailsInput, MoneyInput, SupplierTypeEnum } from './common.ts';
import { checkIdCursors, pageSize } from './pagination.ts';
import { PaymentRunStatusEnum } from './payment-run.ts';

const SupplierInput = builder.inputType('SupplierInput', {
  fields: (t) => ({
    name: t.string(),
    address: t.string({ required: false }),
    bankName: t.string({ required: false }),
    bankAddress: t.string({ required: false }),
    bankCountry: t.string({ required: false }),
    type: t.field({ type: SupplierTypeEnum, required: false }),
    bankAccountDetails: t.field({ type: BankAccountDetailsInput }),
  }),
});

const PayableInput = builder.inputType('PayableInput', {
  fields: (t) => ({
    externalRef: t.string({ required: false }),
    paymentRef: t.string({ required: false }),
    amount: t.field({ type: MoneyInput }),
    reference: t.string(),
    supplier: t.field({ type: SupplierInput }),
  }),
});

const CreatePaymentRunInput = builder.inputType('CreatePaymentRunInput', {
  fields: (t) => ({
    paymentRunRef: t.string({ required: false }),
    tag: t.string({ required: false }),
    description: t.string({ required: false }),
    payables: t.field({ type: [PayableInput] }),
    bundleBySupplier: t.boolean({ required: false, defaultValue: false }),
  }),
});

const UpdatePayableInput = builder.inputType('UpdatePayableInput', {
  fields: (t) => ({ payableId: t.id(), supplier: t.field({ type: SupplierInput }) }),
});

const PaymentRunFilter = builder.inputType('PaymentRunFilter', {
  fields: (t) => ({
    status: t.field({ type: [PaymentRunStatusEnum], required: false }),
    tag: t.stringList({ required: false }),
    paymentRunRef: t.string({ required: false }),
    minAmount: t.field({ type: 'SafeInt', required: false }),
    maxAmount: t.field({ type: 'SafeInt', required: false }),
  }),
});

type Filter = typeof PaymentRunFilter.$inferInput;

function runWhere(filter: Filter | null | undefined): Prisma.PaymentRunWhereInput {
  if (!filter) return {};
  const amount: Prisma.BigIntFilter = {};
  if (filter.minAmount != null) amount.gte = BigInt(filter.minAmount);
  if (filter.maxAmount != null) amount.lte = BigInt(filter.maxAmount);
  return {
    ...(filter.status?.length ? { status: { in: filter.status as PaymentRunStatus[] } } : {}),
    ...(filter.tag?.length ? { tag: { in: filter.tag } } : {}),
    ...(filter.paymentRunRef != null ? { paymentRunRef: filter.paymentRunRef } : {}),
    ...(filter.minAmount != null || filter.maxAmount != null ? { totalAmount: amount } : {}),
  };
}

/** Reload after a command, with exactly what the client asked for. */
const reloadRun = (ctx: GraphQLContext, query: object, id: string) =>
  ctx.db!.paymentRun.findUniqueOrThrow({ ...query, where: { id } });

const runId = (id: string) => idOf('PaymentRun', id);

builder.queryFields((t) => ({
  paymentRun: t.prismaField({
    type: 'PaymentRun',
    nullable: true,
    authScopes: { authenticated: true },
    args: { id: t.arg.id() },
    resolve: async (query, _root, args, ctx) => {
      const run = await ctx.db!.paymentRun.findUnique({ ...query, where: { id: runId(args.id) } });
      if (!run) throw notFound('Payment run');
      return run;
    },
  }),
  paymentRuns: t.prismaConnection(
    {
      type: 'PaymentRun',
      cursor: 'id',
      description: 'The buyer\'s payment runs, newest first.',
      authScopes: { authenticated: true },
      args: { filter: t.arg({ type: PaymentRunFilter, required: false }) },
      resolve: (query, _root, args, ctx) => {
        pageSize(args.first);
        checkIdCursors(args);
        return ctx.db!.paymentRun.findMany({ ...query, where: runWhere(args.filter), orderBy: { id: 'desc' } });
      },
      totalCount: (_root, args, ctx) => ctx.db!.paymentRun.count({ where: runWhere(args.filter) }),
    },
    { name: 'PaymentRunConnection' },
  ),
}));

builder.mutationFields((t) => ({
  createPaymentRun: t.prismaField({
    type: 'PaymentRun',
    authScopes: actionScopes(PAYMENT_RUN_ACTIONS.create),
    args: { input: t.arg({ type: CreatePaymentRunInput }) },
    resolve: async (query, _root, { input }, ctx) => {
      const { id } = await commands.createPaymentRun(ctx.services.domain, ctx.actor!, input);
      return reloadRun(ctx, query, id);
    },
  }),
  updatePayables: t.prismaField({
    type: 'PaymentRun',
    authScopes: actionScopes(PAYMENT_RUN_ACTIONS.updatePayables),
    args: { paymentRunId: t.arg.id(), payables: t.arg({ type: [UpdatePayableInput] }) },
    resolve: async (query, _root, args, ctx) => {
      const id = runId(args.paymentRunId);
      const updates = args.payables.map((p) => ({ payableId: idOf('Payable', p.payableId), supplier: p.supplier }));
      await commands.updatePayables(ctx.services.domain, ctx.actor!, id, updates);
      return reloadRun(ctx, query, id);
    },
  }),
  cancelPayables: t.prismaField({
    type: 'PaymentRun',
    authScopes: actionScopes(PAYMENT_RUN_ACTIONS.cancelPayables),
    args: { paymentRunId: t.arg.id(), payableIds: t.arg.idList() },
    resolve: async (query, _root, args, ctx) => {
      const id = runId(args.paymentRunId);
      await commands.cancelPayables(ctx.services.domain, ctx.actor!, id, args.payableIds.map((p) => idOf('Payable', String(p))));
      return reloadRun(ctx, query, id);
    },
  }),
  cancelPaymentRun: t.prismaField({
    type: 'PaymentRun',
    authScopes: actionScopes(PAYMENT_RUN_ACTIONS.cancel),
    args: { id: t.arg.id() },
    resolve: async (query, _root, args, ctx) => {
      await commands.cancelPaymentRun(ctx.services.domain, ctx.actor!, runId(args.id));
      return reloadRun(ctx, query, runId(args.id));
    },
  }),
  confirmPaymentRun: t.prismaField({
    type: 'PaymentRun',
    authScopes: actionScopes(PAYMENT_RUN_ACTIONS.confirm),
    args: { id: t.arg.id() },
    resolve: async (query, _root, args, ctx) => {
      await commands.confirmPaymentRun(ctx.services.domain, ctx.actor!, runId(args.id));
      return reloadRun(ctx, query, runId(args.id));
    },
  }),
  verifyPaymentRunChallenge: t.prismaField({
    type: 'PaymentRun',
    authScopes: actionScopes(PAYMENT_RUN_ACTIONS.passChallenge),
    args: { id: t.arg.id(), code: t.arg.string() },
    resolve: async (query, _root, args, ctx) => {
      await commands.verifyPaymentRunChallenge(ctx.services.domain, ctx.actor!, runId(args.id), args.code);
      return reloadRun(ctx, query, runId(args.id));
    },
  }),
  restartPaymentRun: t.prismaField({
    type: 'PaymentRun',
    authScopes: actionScopes(PAYMENT_RUN_ACTIONS.restart),
    args: { id: t.arg.id() },
    resolve: async (query, _root, args, ctx) => {
      await commands.restartPaymentRun(ctx.services.domain, ctx.actor!, runId(args.id));
      return reloadRun(ctx, query, runId(args.id));
    },
  }),
}));
