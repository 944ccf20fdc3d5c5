import { AuthorisationStatus, BatchStatus, FundingGroupStatus } from '../../domain/shared/statuses.ts';
import { builder } from '../builder.ts';
import { Money } from './common.ts';
import { Payable, PayableConnection, resolvePayablePage } from './payable.ts';

export const FundingGroupStatusEnum = builder.enumType('FundingGroupStatus', { values: Object.values(FundingGroupStatus) });
export const BatchStatusEnum = builder.enumType('BatchStatus', { values: Object.values(BatchStatus) });
export const AuthorisationStatusEnum = builder.enumType('AuthorisationStatus', { values: Object.values(AuthorisationStatus) });

export const FundingGroup = builder.prismaNode('FundingGroup', {
  id: { field: 'id' },
  select: { id: true },
  fields: (t) => ({
    reference: t.exposeString('reference', { description: 'Unique within the run.' }),
    paymentRun: t.relation('paymentRun'),
    linkedAccount: t.relation('linkedAccount'),
    status: t.field({ type: FundingGroupStatusEnum, select: { status: true }, resolve: (g) => g.status }),
    totalAmount: t.field({
      type: Money,
      select: { currency: true, totalAmount: true },
      resolve: (g) => ({ currency: g.currency, amount: g.totalAmount }),
    }),
    fundingDate: t.expose('fundingDate', { type: 'DateTime', nullable: true }),
    payables: t.connection({ type: Payable, resolve: (g, args, ctx, info) => resolvePayablePage(ctx, 'funding_group_id', g.id, args, info) as never }, PayableConnection),
    batches: t.relation('batches', { query: { orderBy: { position: 'asc' } } }),
  }),
});

export const Batch = builder.prismaNode('Batch', {
  id: { field: 'id' },
  select: { id: true },
  fields: (t) => ({
    fundingGroup: t.relation('fundingGroup'),
    status: t.field({ type: BatchStatusEnum, select: { status: true }, resolve: (b) => b.status }),
    payableCount: t.exposeInt('payableCount'),
    totalAmount: t.field({
      type: Money,
      select: { currency: true, totalAmount: true },
      resolve: (b) => ({ currency: b.currency, amount: b.totalAmount }),
    }),
    payables: t.connection({ type: Payable, resolve: (b, args, ctx, info) => resolvePayablePage(ctx, 'batch_id', b.id, args, info) as never }, PayableConnection),
    authorisations: t.relation('authorisations', { query: { orderBy: { createdAt: 'asc' } } }),
    payableGroups: t.relation('payableGroups', { query: { orderBy: { position: 'asc' } } }),
  }),
});

export const Authorisation = builder.prismaNode('Authorisation', {
  id: { field: 'id' },
  select: { id: true },
  fields: (t) => ({
    batch: t.relation('batch'),
    status: t.field({ type: AuthorisationStatusEnum, select: { status: true }, resolve: (a) => a.status }),
    initiatedBy: t.relation('initiatedBy'),
    redirectUrl: t.exposeString('redirectUrl', { nullable: true, description: 'Where the user would approve at the bank.' }),
    failureReason: t.exposeString('failureReason', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});
