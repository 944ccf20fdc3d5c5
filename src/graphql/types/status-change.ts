import { brandWithType } from '@pothos/core';
import { DomainError, ErrorCode, FieldError, notFound } from '../../domain/shared/errors.ts';
import { EntityType } from '../../domain/shared/statuses.ts';
import { decodeLogCursor, encodeLogCursor, type LoggedStatusChange } from '../../events/event-log.ts';
import { guardStream, REVOKED } from '../../events/stream-authority.ts';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';
import { encodeGlobalId, idOf } from '../ids.ts';
import { pageInfo, pageWindow, type PageArgs } from './pagination.ts';

export const EntityTypeEnum = builder.enumType('EntityType', { values: Object.values(EntityType) });

const MODEL_OF = {
  PAYMENT_RUN: ['paymentRun', 'PaymentRun'],
  FUNDING_GROUP: ['fundingGroup', 'FundingGroup'],
  PAYABLE: ['payable', 'Payable'],
  BATCH: ['batch', 'Batch'],
  AUTHORISATION: ['authorisation', 'Authorisation'],
  PAYABLE_GROUP: ['payableGroup', 'PayableGroup'],
} as const;

async function loadEntity(ctx: GraphQLContext, change: LoggedStatusChange) {
  const [model, typename] = MODEL_OF[change.entityType];
  const delegate = ctx.db![model] as unknown as { findUnique(args: object): Promise<object | null> };
  const entity = await delegate.findUnique({ where: { id: change.entityId } });
  // Branding (in place) tells the Node interface which type this row is.
  if (entity) brandWithType(entity, typename as never);
  return entity;
}

export const StatusChange = builder.objectRef<LoggedStatusChange>('StatusChange').implement({
  description: 'One entry of the buyer\'s durable event log.',
  fields: (t) => ({
    cursor: t.string({ description: 'Position in the buyer\'s event log; resume with `after`.', resolve: (c) => encodeLogCursor(c.seq) }),
    entityType: t.field({ type: EntityTypeEnum, resolve: (c) => c.entityType }),
    entityId: t.id({ resolve: (c) => encodeGlobalId(MODEL_OF[c.entityType][1], c.entityId) }),
    entity: t.field({ type: builder.nodeInterfaceRef(), nullable: true, resolve: (c, _a, ctx) => loadEntity(ctx, c) as never }),
    paymentRunId: t.id({ resolve: (c) => encodeGlobalId('PaymentRun', c.paymentRunId) }),
    fromStatus: t.string({ nullable: true, resolve: (c) => c.fromStatus }),
    toStatus: t.string({ resolve: (c) => c.toStatus }),
    occurredAt: t.field({ type: 'DateTime', resolve: (c) => c.occurredAt }),
    actor: t.prismaField({
      type: 'User',
      nullable: true,
      resolve: (query, c, _a, ctx) => (c.actorId ? ctx.db!.user.findUnique({ ...query, where: { id: c.actorId } }) : null),
    }),
  }),
});

export function parseLogCursor(after: string | null | undefined, fieldName = 'after'): bigint | null {
  if (after == null) return null;
  const seq = decodeLogCursor(after);
  if (seq === null) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, 'Unknown cursor', {
      invalidFields: [{ fieldName, error: FieldError.REGEX, params: { reason: 'NOT_A_CURSOR' } }],
    });
  }
  return seq;
}

/** A run filter must name one of the viewer's runs: a foreign run answers NOT_FOUND. */
export async function runFilter(ctx: GraphQLContext, paymentRunId: string | null | undefined) {
  if (paymentRunId == null) return null;
  const id = idOf('PaymentRun', paymentRunId);
  const run = await ctx.db!.paymentRun.findUnique({ where: { id }, select: { id: true } });
  if (!run) throw notFound('Payment run');
  return id;
}

export const StatusChangeConnection = builder.connectionObject({
  type: StatusChange,
  name: 'StatusChangeConnection',
  fields: (t) => ({
    totalCount: t.int({ resolve: (connection) => (connection as unknown as { totalCount: () => Promise<number> }).totalCount() }),
  }),
});

/**
 * A page of the buyer's log (optionally one run's), shared by the root query and
 * PaymentRun.statusChanges: forward with first/after, backward from the newest with last/before,
 * both bounded by after and before when given.
 */
export async function resolveStatusChangePage(ctx: GraphQLContext, paymentRunId: string | null, args: PageArgs) {
  const buyerId = ctx.actor!.buyerId;
  const after = parseLogCursor(args.after) ?? 0n;
  const before = parseLogCursor(args.before, 'before');
  const { size, backward } = pageWindow(args);
  const log = ctx.services.reads.statusChanges(buyerId);
  const rows = backward
    ? await log.pageBackward(after, before, size + 1, { paymentRunId })
    : await log.page(after, size + 1, { paymentRunId }, before === null ? null : before - 1n);
  const more = rows.length > size;
  const page = backward ? rows.slice(rows.length - Math.min(rows.length, size)) : rows.slice(0, size);
  const cursorOf = (node: LoggedStatusChange) => encodeLogCursor(node.seq);
  return {
    totalCount: () => log.count({ paymentRunId }),
    edges: page.map((node) => ({ cursor: cursorOf(node), node })),
    pageInfo: pageInfo(page, cursorOf, args, backward, more),
  };
}

builder.queryField('statusChanges', (t) =>
  t.connection(
    {
      type: StatusChange,
      description: 'The buyer\'s status-change log (optionally one run\'s), in log order.',
      authScopes: { authenticated: true },
      args: { paymentRunId: t.arg.id({ required: false }) },
      resolve: async (_root, args, ctx) => resolveStatusChangePage(ctx, await runFilter(ctx, args.paymentRunId), args) as never,
    },
    StatusChangeConnection,
  ),
);

builder.subscriptionField('statusChanged', (t) =>
  t.field({
    type: StatusChange,
    description:
      'Every status change of the viewer\'s buyer (optionally one run\'s), in log order. With `after`, first replays what was logged after that cursor, then goes live: no gap, no repeat.',
    authScopes: { authenticated: true },
    args: {
      paymentRunId: t.arg.id({ required: false }),
      entityTypes: t.arg({ type: [EntityTypeEnum], required: false }),
      after: t.arg.string({ required: false }),
    },
    subscribe: async (_root, args, ctx) => {
      const afterSeq = parseLogCursor(args.after);
      const paymentRunId = await runFilter(ctx, args.paymentRunId);
      const stream = ctx.services.live.stream({
        buyerId: ctx.actor!.buyerId,
        afterSeq,
        paymentRunId,
        entityTypes: args.entityTypes,
      });
      // The stream ends (UNAUTHENTICATED, then complete) once the token expires or the user is
      // removed or loses every role (CONTRACT §10).
      const { userId, buyerId } = ctx.actor!;
      return guardStream(stream, ctx.services.streamAuthority, {
        userId, buyerId, expiresAt: ctx.credentialExpiresAt, apiKeyId: ctx.actor!.apiKeyId ?? null, sessionId: ctx.actor!.sessionId ?? null,
      });
    },
    resolve: (change) => {
      if (change === REVOKED) throw new DomainError(ErrorCode.UNAUTHENTICATED, 'Your sign-in no longer allows this subscription; sign in again and resubscribe');
      return change;
    },
  }),
);
