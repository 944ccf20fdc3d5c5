import { ACTIVE_ATTEMPT_STATUSES } from '../../domain/funding/funding.states.ts';
import { PaymentRunAction, viewerActions } from '../../domain/payment-run/payment-run.permissions.ts';
import type { BatchStatus } from '../../domain/shared/statuses.ts';
import { builder } from '../builder.ts';
import { loaders, PayableStatusEnum } from './payable.ts';

/**
 * What the dashboard needs beyond the contract's fields: the actions the viewer may take (from the
 * domain's own rules, so the page never repeats one) and payable counts by status for progress bars.
 */
const PaymentRunActionEnum = builder.enumType('PaymentRunAction', {
  values: Object.values(PaymentRunAction),
  description: 'An action on a payment run, as offered to a viewer by PaymentRun.viewerActions.',
});

const PayableStatusCount = builder.objectRef<{ status: string; count: number }>('PayableStatusCount').implement({
  fields: (t) => ({
    status: t.field({ type: PayableStatusEnum, resolve: (c) => c.status as never }),
    count: t.exposeInt('count'),
  }),
});

builder.prismaObjectFields('PaymentRun', (t) => ({
  viewerActions: t.field({
    type: [PaymentRunActionEnum],
    description: 'The actions the viewer may take on this run now: their roles and the run\'s state, by the same rules the mutations enforce.',
    select: { id: true, status: true, createdById: true, confirmedById: true },
    resolve: async (run, _args, ctx) => {
      const db = ctx.db!;
      const [buyer, fundingGroupCount, batches] = await Promise.all([
        db.buyer.findUniqueOrThrow({ where: { id: ctx.actor!.buyerId }, select: { requireDualControl: true } }),
        db.fundingGroup.count({ where: { paymentRunId: run.id } }),
        db.batch.findMany({
          where: { paymentRunId: run.id },
          select: { status: true, _count: { select: { authorisations: { where: { status: { in: [...ACTIVE_ATTEMPT_STATUSES] } } } } } },
        }),
      ]);
      return viewerActions(ctx.actor!, {
        run,
        buyer,
        fundingGroupCount,
        batches: batches.map((b) => ({ status: b.status as BatchStatus, activeAttempts: b._count.authorisations })),
      });
    },
  }),
  payableCountsByStatus: t.field({
    type: [PayableStatusCount],
    description: 'How many of the run\'s payables are in each status (statuses with none are left out).',
    select: { id: true },
    resolve: (run, _args, ctx) => loaders(ctx).statusCounts(run.id),
  }),
}));
