import { PAYMENT_RUN_ACTIONS } from '../../domain/payment-run/payment-run.states.ts';
import { startsFrom } from '../../domain/shared/state-machine.ts';
import { PaymentRunStatus, type PayableStatus } from '../../domain/shared/statuses.ts';
import { builder } from '../builder.ts';
import { CurrencyEnum, Money } from './common.ts';
import { Payable, PayableConnection, PayableStatusEnum, resolvePayablePage } from './payable.ts';
import { checkIdCursors, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './pagination.ts';
import { StatusChange, StatusChangeConnection, resolveStatusChangePage } from './status-change.ts';

export const PaymentRunStatusEnum = builder.enumType('PaymentRunStatus', { values: Object.values(PaymentRunStatus) });

const ScaChallenge = builder.objectRef<{ expiresAt: Date; attemptsRemaining: number }>('ScaChallenge').implement({
  fields: (t) => ({
    expiresAt: t.field({ type: 'DateTime', resolve: (c) => c.expiresAt }),
    attemptsRemaining: t.exposeInt('attemptsRemaining'),
  }),
});

export const PaymentRun = builder.prismaNode('PaymentRun', {
  id: { field: 'id' },
  select: { id: true },
  fields: (t) => ({
    paymentRunRef: t.exposeString('paymentRunRef', { nullable: true }),
    tag: t.exposeString('tag', { nullable: true }),
    description: t.exposeString('description', { nullable: true }),
    status: t.field({ type: PaymentRunStatusEnum, select: { status: true }, resolve: (r) => r.status }),
    statusReason: t.exposeString('statusReason', { nullable: true }),
    currency: t.field({ type: CurrencyEnum, select: { currency: true }, resolve: (r) => r.currency }),
    totalAmount: t.field({
      type: Money,
      select: { currency: true, totalAmount: true },
      resolve: (r) => ({ currency: r.currency, amount: r.totalAmount }),
    }),
    payableCount: t.exposeInt('payableCount'),
    bundleBySupplier: t.exposeBoolean('bundleBySupplier'),
    createdBy: t.relation('createdBy'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    payables: t.connection(
      {
        type: Payable,
        args: { status: t.arg({ type: [PayableStatusEnum], required: false }) },
        resolve: (run, args, ctx, info) =>
          resolvePayablePage(ctx, 'payment_run_id', run.id, args as { status?: PayableStatus[] | null }, info) as never,
      },
      PayableConnection,
    ),
    fundingGroups: t.relation('fundingGroups', { query: { orderBy: { position: 'asc' } } }),
    // The run's transfers a page at a time: a 10,000-payable run can hold thousands, and a page
    // (the dashboard's list) should not read them all through every batch's unpaged list.
    payableGroups: t.relatedConnection('payableGroups', {
      cursor: 'id',
      query: (args) => {
        checkIdCursors(args);
        return { orderBy: { position: 'asc' } };
      },
      totalCount: true,
      maxSize: MAX_PAGE_SIZE,
      defaultSize: DEFAULT_PAGE_SIZE,
    }, { name: 'PayableGroupConnection' }, { name: 'PayableGroupEdge' }),
    challenge: t.field({
      type: ScaChallenge,
      nullable: true,
      description: 'Present while PENDING_CHALLENGE.',
      select: { status: true, challengeExpiresAt: true, challengeAttemptsRemaining: true },
      resolve: (r) =>
        startsFrom(PAYMENT_RUN_ACTIONS.passChallenge, r.status) && r.challengeExpiresAt
          ? { expiresAt: r.challengeExpiresAt, attemptsRemaining: r.challengeAttemptsRemaining ?? 0 }
          : null,
    }),
    statusChanges: t.connection(
      { type: StatusChange, resolve: (run, args, ctx) => resolveStatusChangePage(ctx, run.id, args) as never },
      StatusChangeConnection,
    ),
  }),
});

