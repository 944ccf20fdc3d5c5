import { PayableGroupStatus } from '../../domain/shared/statuses.ts';
import { builder } from '../builder.ts';
import { Money } from './common.ts';
import { Payable, PayableConnection, Supplier, resolvePayablePage } from './payable.ts';

export const PayableGroupStatusEnum = builder.enumType('PayableGroupStatus', { values: Object.values(PayableGroupStatus) });

// Full rows (no select mode): Batch.payableGroups loads them in one query per batch list, and the
// supplier is read off the row's own columns.
export const PayableGroup = builder.prismaNode('PayableGroup', {
  id: { field: 'id' },
  fields: (t) => ({
    reference: t.exposeString('reference'),
    status: t.field({ type: PayableGroupStatusEnum, resolve: (g) => g.status }),
    totalAmount: t.field({ type: Money, resolve: (g) => ({ currency: g.currency, amount: g.totalAmount }) }),
    payableCount: t.exposeInt('payableCount'),
    supplier: t.field({ type: Supplier, resolve: (g) => g }),
    batch: t.relation('batch'),
    payables: t.connection(
      { type: Payable, resolve: (g, args, ctx) => resolvePayablePage(ctx, 'payable_group_id', g.id, args) as never },
      PayableConnection,
    ),
  }),
});
