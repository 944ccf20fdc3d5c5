import {
  createWebhookEndpoint, deleteWebhookEndpoint, disableWebhookEndpoint, enableWebhookEndpoint, rotateWebhookSecret,
  type WebhookSettings,
} from '../../domain/webhook/webhook.commands.ts';
import { encodeLogCursor } from '../../events/event-log.ts';
import { WEBHOOK_DELIVERY_TASK } from '../../jobs/tasks.ts';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';
import { encodeGlobalId, idOf } from '../ids.ts';
import { EntityTypeEnum, runFilter } from './status-change.ts';
import { checkIdCursors } from './pagination.ts';

const settings = (ctx: GraphQLContext): WebhookSettings => ctx.services.config.webhooks;

const WebhookEndpointStatusEnum = builder.enumType('WebhookEndpointStatus', { values: ['ENABLED', 'DISABLED'] as const });

export const WebhookDelivery = builder.prismaObject('WebhookDelivery', {
  description: 'One attempt to deliver one event to an endpoint.',
  fields: (t) => ({
    id: t.id({ resolve: (d) => encodeGlobalId('WebhookDelivery', d.id) }),
    eventCursor: t.string({ description: 'The event\'s cursor, sent as the `webhook-id` header.', resolve: (d) => encodeLogCursor(d.eventSeq) }),
    attempt: t.exposeInt('attempt', { description: '1 for the first attempt at this event, 2 for its first retry…' }),
    statusCode: t.exposeInt('statusCode', { nullable: true, description: 'The receiver\'s HTTP status; null when no answer came.' }),
    error: t.exposeString('error', { nullable: true }),
    durationMs: t.exposeInt('durationMs'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const WebhookEndpoint = builder.prismaNode('WebhookEndpoint', {
  id: { field: 'id' },
  // Endpoints are ADMIN business, through `node(id:)` too.
  authScopes: { admin: true },
  fields: (t) => ({
    url: t.exposeString('url'),
    description: t.exposeString('description', { nullable: true }),
    entityTypes: t.field({
      type: [EntityTypeEnum],
      nullable: true,
      description: 'The entity types sent; null sends every type.',
      resolve: (e) => (e.entityTypes.length ? e.entityTypes : null),
    }),
    status: t.field({ type: WebhookEndpointStatusEnum, resolve: (e) => e.status }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    deliveries: t.relatedConnection('deliveries', {
      description: 'Delivery attempts, newest first (older records are pruned).',
      cursor: 'id',
      query: (args) => {
        checkIdCursors(args);
        return { orderBy: { id: 'desc' } };
      },
      args: {},
      maxSize: 500,
      defaultSize: 50,
    }, { name: 'WebhookDeliveryConnection' }, { name: 'WebhookDeliveryEdge' }),
  }),
});

const WebhookEndpointSecret = builder.objectRef<{ endpointId: string; secret: string }>('WebhookEndpointSecret').implement({
  fields: (t) => ({
    endpoint: t.prismaField({
      type: 'WebhookEndpoint',
      resolve: (query, parent, _args, ctx) => ctx.db!.webhookEndpoint.findUniqueOrThrow({ ...query, where: { id: parent.endpointId } }),
    }),
    secret: t.exposeString('secret', { description: 'The signing secret (`whsec_…`). Shown this once: store it now.' }),
  }),
});

const CreateWebhookEndpointInput = builder.inputType('CreateWebhookEndpointInput', {
  fields: (t) => ({
    url: t.string(),
    entityTypes: t.field({ type: [EntityTypeEnum], required: false, description: 'Omitted or empty: every entity type.' }),
    paymentRunId: t.id({ required: false, description: 'Only this run\'s status changes.' }),
    description: t.string({ required: false }),
  }),
});

builder.queryField('webhookEndpoints', (t) =>
  t.prismaField({
    type: ['WebhookEndpoint'],
    description: 'The buyer\'s webhook endpoints, oldest first.',
    authScopes: { admin: true },
    resolve: (query, _root, _args, ctx) => ctx.db!.webhookEndpoint.findMany({ ...query, orderBy: { id: 'asc' } }),
  }),
);

builder.mutationFields((t) => ({
  createWebhookEndpoint: t.field({
    type: WebhookEndpointSecret,
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateWebhookEndpointInput }) },
    resolve: async (_root, { input }, ctx) => {
      const paymentRunId = await runFilter(ctx, input.paymentRunId);
      const { endpoint, secret } = await createWebhookEndpoint(ctx.services.domain, settings(ctx), ctx.actor!, { ...input, paymentRunId });
      return { endpointId: endpoint.id, secret };
    },
  }),
  rotateWebhookSecret: t.field({
    type: WebhookEndpointSecret,
    description: 'A new secret; the previous one keeps signing too (a second signature) for 24 hours.',
    authScopes: { admin: true },
    args: { id: t.arg.id() },
    resolve: async (_root, args, ctx) => {
      const { endpoint, secret } = await rotateWebhookSecret(ctx.services.domain, settings(ctx), ctx.actor!, idOf('WebhookEndpoint', args.id));
      return { endpointId: endpoint.id, secret };
    },
  }),
  disableWebhookEndpoint: t.prismaField({
    type: 'WebhookEndpoint',
    authScopes: { admin: true },
    args: { id: t.arg.id() },
    resolve: async (query, _root, args, ctx) => {
      const endpoint = await disableWebhookEndpoint(ctx.services.domain, ctx.actor!, idOf('WebhookEndpoint', args.id));
      return ctx.db!.webhookEndpoint.findUniqueOrThrow({ ...query, where: { id: endpoint.id } });
    },
  }),
  enableWebhookEndpoint: t.prismaField({
    type: 'WebhookEndpoint',
    description: 'Resumes delivery from the first event not yet delivered (also clears any retry wait).',
    authScopes: { admin: true },
    args: { id: t.arg.id() },
    resolve: async (query, _root, args, ctx) => {
      const endpoint = await enableWebhookEndpoint(ctx.services.domain, ctx.actor!, idOf('WebhookEndpoint', args.id));
      ctx.services.jobs.kick(WEBHOOK_DELIVERY_TASK);
      return ctx.db!.webhookEndpoint.findUniqueOrThrow({ ...query, where: { id: endpoint.id } });
    },
  }),
  deleteWebhookEndpoint: t.boolean({
    authScopes: { admin: true },
    args: { id: t.arg.id() },
    resolve: (_root, args, ctx) => deleteWebhookEndpoint(ctx.services.domain, ctx.actor!, idOf('WebhookEndpoint', args.id)),
  }),
}));
