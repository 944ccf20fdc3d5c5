import { Kind, type GraphQLResolveInfo } from 'graphql';
import { Role } from '../../domain/shared/statuses.ts';
import type { User as UserRow } from '../../generated/prisma/client.ts';
import { enrolScaDevice, resetScaEnrolment, startScaEnrolment, verifyScaEnrolment } from '../../domain/user/sca.commands.ts';
import { createUser, login, setUserRoles } from '../../domain/user/user.commands.ts';
import { changePassword, deactivateUser, logout } from '../../domain/user/user.lifecycle.ts';
import { builder } from '../builder.ts';
import { idOf } from '../ids.ts';
import { NewUserInput, RoleEnum } from './common.ts';

export const User = builder.prismaNode('User', {
  id: { field: 'id' },
  fields: (t) => ({
    email: t.exposeString('email'),
    name: t.exposeString('name'),
    roles: t.field({ type: [RoleEnum], resolve: (user) => user.roles }),
    scaEnrolled: t.exposeBoolean('scaEnrolled'),
    deactivatedAt: t.expose('deactivatedAt', {
      type: 'DateTime', nullable: true, description: 'Set once an ADMIN deactivated the user: they can no longer sign in or act.',
    }),
    buyer: t.relation('buyer'),
  }),
});

/**
 * True when a selection reads nothing but the id (and __typename): the actor read for this
 * operation already proved the user exists and is active, so the row need not be read again.
 * Cached per field node (one parsed document answers many requests).
 */
const idOnlyByNode = new WeakMap<object, boolean>();
function selectsOnlyId(info: GraphQLResolveInfo): boolean {
  const node = info.fieldNodes[0]!;
  let known = idOnlyByNode.get(node);
  if (known === undefined) {
    known = info.fieldNodes.length === 1 && (node.selectionSet?.selections.every((selection) =>
      selection.kind === Kind.FIELD && !selection.directives?.length && (selection.name.value === 'id' || selection.name.value === '__typename')) ?? false);
    idOnlyByNode.set(node, known);
  }
  return known;
}

builder.queryFields((t) => ({
  viewer: t.prismaField({
    type: 'User',
    authScopes: { authenticated: true },
    resolve: (query, _root, _args, ctx, info) => selectsOnlyId(info)
      ? ({ id: ctx.actor!.userId } as UserRow)
      : ctx.db!.user.findUniqueOrThrow({ ...query, where: { id: ctx.actor!.userId } }),
  }),
  users: t.prismaField({
    type: ['User'],
    description: "The viewer's buyer's users, oldest first.",
    authScopes: { authenticated: true },
    resolve: (query, _root, _args, ctx) => ctx.db!.user.findMany({ ...query, orderBy: { id: 'asc' } }),
  }),
}));

/** A new authenticator secret, answered once (startScaEnrolment); the gateway never shows it again. */
const ScaEnrolment = builder.objectRef<{ otpauthUri: string; qrCodeSvg: string }>('ScaEnrolment').implement({
  fields: (t) => ({
    otpauthUri: t.exposeString('otpauthUri'),
    qrCodeSvg: t.exposeString('qrCodeSvg'),
  }),
});

const AuthPayload = builder.objectRef<{ token: string; userId: string }>('AuthPayload').implement({
  fields: (t) => ({
    token: t.exposeString('token'),
    user: t.prismaField({
      type: 'User',
      resolve: (query, payload, _args, ctx) => ctx.db!.user.findUniqueOrThrow({ ...query, where: { id: payload.userId } }),
    }),
  }),
});

builder.mutationFields((t) => ({
  login: t.field({
    type: AuthPayload,
    args: { email: t.arg.string(), password: t.arg.string() },
    resolve: async (_root, { email, password }, ctx) => {
      const { services } = ctx;
      // The request's own point covers one login; every further (aliased) login field counts too.
      ctx.loginFields = (ctx.loginFields ?? 0) + 1;
      if (ctx.loginFields > 1) await services.rateLimiter.consume(ctx.rateLimitKey);
      const { user, sessionId } = await login(services.domain, email, password, { ttlSeconds: services.config.jwtTtlSeconds });
      // The rest of this response is read as the user who just signed in.
      ctx.actor = await services.reads.actor(user.id, user.buyerId);
      ctx.db = services.domain.tenantDb(user.buyerId);
      return { token: await services.tokens.issue(user.id, user.buyerId, sessionId), userId: user.id };
    },
  }),
  createUser: t.prismaField({
    type: 'User',
    authScopes: { admin: true },
    args: { input: t.arg({ type: NewUserInput }) },
    resolve: async (query, _root, { input }, ctx) => {
      const user = await createUser(ctx.services.domain, ctx.actor!, input);
      return ctx.db!.user.findUniqueOrThrow({ ...query, where: { id: user.id } });
    },
  }),
  setUserRoles: t.prismaField({
    type: 'User',
    authScopes: { admin: true },
    args: { userId: t.arg.id(), roles: t.arg({ type: [RoleEnum] }) },
    resolve: async (query, _root, args, ctx) => {
      const user = await setUserRoles(ctx.services.domain, ctx.actor!, idOf('User', args.userId), args.roles as Role[]);
      return ctx.db!.user.findUniqueOrThrow({ ...query, where: { id: user.id } });
    },
  }),
  startScaEnrolment: t.field({
    type: ScaEnrolment,
    authScopes: { person: true },
    resolve: (_root, _args, ctx) => startScaEnrolment(ctx.services.domain, ctx.actor!),
  }),
  enrolScaDevice: t.boolean({
    deprecationReason: 'Use startScaEnrolment: this one starts an enrolment whose secret nobody can read, so only the sandbox code 123456 completes it.',
    authScopes: { person: true },
    resolve: (_root, _args, ctx) => enrolScaDevice(ctx.services.domain, ctx.actor!),
  }),
  verifyScaEnrolment: t.prismaField({
    type: 'User',
    authScopes: { person: true },
    args: { code: t.arg.string() },
    resolve: async (query, _root, { code }, ctx) => {
      await verifyScaEnrolment(ctx.services.domain, ctx.actor!, code);
      return ctx.db!.user.findUniqueOrThrow({ ...query, where: { id: ctx.actor!.userId } });
    },
  }),
  resetScaEnrolment: t.prismaField({
    type: 'User',
    description: 'Clears a user\'s SCA enrolment (a lost device); they must enrol again before approving.\n\nRoles: ADMIN. Allowed when: always.',
    authScopes: { admin: true },
    args: { userId: t.arg.id() },
    resolve: async (query, _root, args, ctx) => {
      const user = await resetScaEnrolment(ctx.services.domain, ctx.actor!, idOf('User', args.userId));
      return ctx.db!.user.findUniqueOrThrow({ ...query, where: { id: user.id } });
    },
  }),
  changePassword: t.boolean({
    description: 'Changes the viewer\'s password (the current one is required). Every other session is signed out; this one stays.\n\nRoles: any signed-in person (not an API key). Allowed when: always.',
    authScopes: { person: true },
    args: { currentPassword: t.arg.string(), newPassword: t.arg.string() },
    resolve: (_root, args, ctx) => changePassword(ctx.services.domain, ctx.actor!, args.currentPassword, args.newPassword),
  }),
  logout: t.boolean({
    description: 'Revokes the token this request was sent with.\n\nRoles: any signed-in person (not an API key). Allowed when: always.',
    authScopes: { person: true },
    resolve: (_root, _args, ctx) => logout(ctx.services.domain, ctx.actor!),
  }),
  deactivateUser: t.prismaField({
    type: 'User',
    description: 'The user can no longer sign in; their tokens, API keys and streams stop working.\n\nRoles: ADMIN. Allowed when: the buyer keeps at least one other active ADMIN.',
    authScopes: { admin: true },
    args: { userId: t.arg.id() },
    resolve: async (query, _root, args, ctx) => {
      const user = await deactivateUser(ctx.services.domain, ctx.actor!, idOf('User', args.userId));
      return ctx.db!.user.findUniqueOrThrow({ ...query, where: { id: user.id } });
    },
  }),
}));
