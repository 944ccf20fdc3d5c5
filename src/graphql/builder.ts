import SchemaBuilder from '@pothos/core';
import ComplexityPlugin from '@pothos/plugin-complexity';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { DateTimeResolver, SafeIntResolver } from 'graphql-scalars';
import type PrismaTypes from '../generated/pothos-types.ts';
import { getDatamodel } from '../generated/pothos-types.ts';
import { DomainError, ErrorCode } from '../domain/shared/errors.ts';
import type { GraphQLContext } from './context.ts';
import { fieldCost } from './cost.ts';
import { decodeGlobalId, encodeGlobalId } from './ids.ts';
import { resolveNodeOrNotFound } from './node.ts';

/** Plugins, scalars and auth scopes. No types are defined here (see ./types). */
export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  PrismaTypes: PrismaTypes;
  AuthScopes: { authenticated: boolean; person: boolean; admin: boolean; creator: boolean; controller: boolean; operator: boolean };
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    SafeInt: { Input: number; Output: number | bigint };
    ID: { Input: string; Output: string | number | bigint };
  };
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: true;
}>({
  defaultFieldNullability: false,
  defaultInputFieldRequiredness: true,
  plugins: [ScopeAuthPlugin, PrismaPlugin, RelayPlugin, ComplexityPlugin],
  // Costs only: the limit is checked at validation, with the request's variables (./cost.ts).
  complexity: { disabled: true, fieldComplexity: fieldCost as never },
  prisma: {
    // Resolvers only ever get the viewer's tenant-scoped client (src/db/tenant.ts).
    client: (ctx) => {
      if (!ctx.db) throw new DomainError(ErrorCode.UNAUTHENTICATED, 'Sign in first');
      return ctx.db;
    },
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    onUnusedQuery: process.env.NODE_ENV === 'production' ? null : 'warn',
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodesQueryOptions: false,
    nodeQueryOptions: { resolve: (_root, args, _ctx, info, resolveNode) => resolveNodeOrNotFound(args.id, info, async () => resolveNode(args.id)) },
    encodeGlobalID: (typename, id) => encodeGlobalId(typename, id),
    decodeGlobalID: (globalId) => decodeGlobalId(globalId),
  },
  scopeAuth: {
    // Check a subscription's scopes once, when it starts (SSE has no connection_init to refuse at).
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      authenticated: ctx.actor !== null,
      // Signed in as a person (a session token), not a machine acting through an API key.
      person: ctx.actor !== null && !ctx.actor.apiKeyId,
      admin: ctx.actor?.roles.has('ADMIN') ?? false,
      creator: ctx.actor?.roles.has('CREATOR') ?? false,
      controller: ctx.actor?.roles.has('CONTROLLER') ?? false,
      operator: ctx.isOperator,
    }),
    // scope-auth's own errors carry no code: answer with the contract's.
    unauthorizedError: (_parent, ctx, info) => {
      // An operator-only field says what is wrong with the operator key, not "Sign in first".
      const field = info.parentType.getFields()[info.fieldName];
      const scopes = (field?.extensions?.pothosOptions as { authScopes?: { operator?: boolean } } | undefined)?.authScopes;
      // (Codes as before: a missing or wrong key is UNAUTHENTICATED, a signed-in user without one
      // INSUFFICIENT_PERMISSIONS; only the messages now say what is wrong.)
      if (scopes?.operator && !ctx.isOperator) {
        if (ctx.operatorKeyGiven) return new DomainError(ErrorCode.UNAUTHENTICATED, 'The x-api-key header is not the operator key');
        return ctx.actor
          ? new DomainError(ErrorCode.INSUFFICIENT_PERMISSIONS, 'This operation needs the operator key (header x-api-key); a user sign-in is not enough')
          : new DomainError(ErrorCode.UNAUTHENTICATED, 'This operation needs the operator key (header x-api-key)');
      }
      return ctx.actor || ctx.isOperator
        ? new DomainError(ErrorCode.INSUFFICIENT_PERMISSIONS, 'Your roles do not allow this')
        : new DomainError(ErrorCode.UNAUTHENTICATED, 'Sign in first (Authorization: Bearer <token>)');
    },
  },
});

builder.addScalarType('DateTime', DateTimeResolver);
builder.addScalarType('SafeInt', SafeIntResolver as never, {
  // Money is stored as BIGINT; every amount we serve fits in 2^53-1 (validated on the way in).
  serialize: (value) => SafeIntResolver.serialize(typeof value === 'bigint' ? Number(value) : value),
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
