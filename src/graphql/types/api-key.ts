import { createApiKey, revokeApiKey } from '../../domain/api-key/api-key.commands.ts';
import type { Role } from '../../domain/shared/statuses.ts';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';
import { idOf } from '../ids.ts';
import { RoleEnum } from './common.ts';

/** A non-ADMIN sees only their own keys; an ADMIN every key of the buyer (the tenant client adds the buyer). */
const visibleKeys = (ctx: GraphQLContext) => (ctx.actor?.roles.has('ADMIN') ? {} : { ownerId: ctx.actor?.userId ?? '' });

export const ApiKey = builder.prismaNode('ApiKey', {
  id: { field: 'id' },
  description: 'A machine client\'s key: acts as its owner with the roles both hold. Its secret is shown once, at creation.',
  findUnique: (id, ctx) => ({ id, ...visibleKeys(ctx) }),
  fields: (t) => ({
    name: t.exposeString('name'),
    roles: t.field({ type: [RoleEnum], description: 'The roles the key may use, if its owner still holds them.', resolve: (k) => k.roles }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true, description: 'Coarse: updated at most once a minute.' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
    owner: t.relation('owner'),
  }),
});

const ApiKeySecret = builder.objectRef<{ apiKeyId: string; secret: string }>('ApiKeySecret').implement({
  fields: (t) => ({
    apiKey: t.prismaField({
      type: 'ApiKey',
      resolve: (query, payload, _args, ctx) => ctx.db!.apiKey.findUniqueOrThrow({ ...query, where: { id: payload.apiKeyId } }),
    }),
    secret: t.exposeString('secret', { description: 'Send as `Authorization: Bearer prk_…`. Shown once; only a hash is kept.' }),
  }),
});

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  fields: (t) => ({
    name: t.string(),
    roles: t.field({ type: [RoleEnum], description: 'A subset of the creating user\'s roles.' }),
  }),
});

builder.queryFields((t) => ({
  apiKeys: t.prismaField({
    type: ['ApiKey'],
    description: 'The viewer\'s API keys (an ADMIN: every key of the buyer), newest first, revoked ones included.',
    authScopes: { authenticated: true },
    resolve: (query, _root, _args, ctx) => ctx.db!.apiKey.findMany({ ...query, where: visibleKeys(ctx), orderBy: { id: 'desc' } }),
  }),
}));

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: ApiKeySecret,
    description: 'Creates a key for the viewer with some of their roles; the secret is shown once.\n\nRoles: any signed-in person (not an API key), granting only roles they hold. Allowed when: always.',
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: CreateApiKeyInput }) },
    resolve: async (_root, { input }, ctx) => {
      const { apiKey, secret } = await createApiKey(
        ctx.services.domain, ctx.actor!, { name: input.name, roles: input.roles as Role[] }, ctx.services.config.apiKeyPepper,
      );
      return { apiKeyId: apiKey.id, secret };
    },
  }),
  revokeApiKey: t.prismaField({
    type: 'ApiKey',
    description: 'Revokes a key; it stops working at once, open streams included.\n\nRoles: the key\'s owner, or an ADMIN for any key of the buyer. Allowed when: the key is not revoked yet (INVALID_STATE after).',
    authScopes: { authenticated: true },
    args: { id: t.arg.id() },
    resolve: async (query, _root, args, ctx) => {
      const key = await revokeApiKey(ctx.services.domain, ctx.actor!, idOf('ApiKey', args.id));
      return ctx.db!.apiKey.findUniqueOrThrow({ ...query, where: { id: key.id } });
    },
  }),
}));
