import { parse, type ExecutionArgs } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { Role } from '../domain/shared/statuses.ts';
import type { GraphQLContext } from './context.ts';
import { schema } from './schema.ts';
import { shareKey } from './shared-subscriptions.ts';

/** What makes two subscriptions share an execution per event: everything that can change a result, nothing else. */
const viewer = (userId: string, buyerId = 'buyer-1', roles: Role[] = ['CREATOR'], extra: Partial<GraphQLContext> = {}) =>
  ({ actor: { userId, buyerId, roles: new Set(roles), scaEnrolled: false }, isOperator: false, ...extra }) as unknown as GraphQLContext;

const args = (query: string, variableValues: Record<string, unknown>, contextValue: GraphQLContext): ExecutionArgs =>
  ({ schema, document: parse(query), variableValues, contextValue }) as ExecutionArgs;

const COLUMNS = 'subscription S($after: String, $types: [EntityType!]) { statusChanged(after: $after, entityTypes: $types) { cursor toStatus } }';
const ENTITY = 'subscription S($after: String) { statusChanged(after: $after) { cursor entity { id ... on PaymentRun { viewerActions } } } }';
const key = (query: string, variables: Record<string, unknown>, ctx: GraphQLContext) => shareKey(args(query, variables, ctx))?.key ?? null;

describe('shareKey', () => {
  it('ignores the cursor and, for the event\'s own columns, the viewer', () => {
    const a = key(COLUMNS, { after: 'x', types: ['PAYABLE'] }, viewer('u1'));
    expect(a).not.toBeNull();
    expect(key(COLUMNS, { after: 'y', types: ['PAYABLE'] }, viewer('u2', 'buyer-1', ['CONTROLLER']))).toBe(a);
    expect(key(COLUMNS, { types: ['PAYABLE'] }, viewer('u1'))).toBe(a);
  });

  it('separates buyers, documents, filters and operation names', () => {
    const a = key(COLUMNS, { types: ['PAYABLE'] }, viewer('u1'));
    expect(key(COLUMNS, { types: ['PAYABLE'] }, viewer('u1', 'buyer-2'))).not.toBe(a);
    expect(key(COLUMNS, { types: ['PAYMENT_RUN'] }, viewer('u1'))).not.toBe(a);
    expect(key(COLUMNS.replace('cursor toStatus', 'cursor fromStatus'), { types: ['PAYABLE'] }, viewer('u1'))).not.toBe(a);
    expect(key(COLUMNS.replace('subscription S', 'subscription T'), { types: ['PAYABLE'] }, viewer('u1'))).not.toBe(a);
  });

  it('keys a selection that reaches the viewer by user, roles and credential', () => {
    const a = key(ENTITY, { after: 'x' }, viewer('u1'));
    expect(key(ENTITY, { after: 'y' }, viewer('u1'))).toBe(a);
    expect(key(ENTITY, {}, viewer('u2'))).not.toBe(a);
    expect(key(ENTITY, {}, viewer('u1', 'buyer-1', ['CREATOR', 'CONTROLLER']))).not.toBe(a);
    expect(key(ENTITY, {}, viewer('u1', 'buyer-1', ['CREATOR'], { isOperator: true } as Partial<GraphQLContext>))).not.toBe(a);
    const withKey = viewer('u1');
    (withKey.actor as { apiKeyId?: string }).apiKeyId = 'key-1';
    expect(key(ENTITY, {}, withKey)).not.toBe(a);
    // Through a fragment, the same holds.
    const viaFragment = 'subscription S($after: String) { ...F } fragment F on Subscription { statusChanged(after: $after) { cursor actor { id } } }';
    expect(key(viaFragment, {}, viewer('u1'))).not.toBe(key(viaFragment, {}, viewer('u2')));
  });

  it('keeps a variable in the key when it is used anywhere but the root field\'s after', () => {
    const twice = 'subscription S($c: String) { statusChanged(after: $c) { cursor } other: statusChanged(after: $c) { cursor } }';
    expect(shareKey(args(twice, { c: 'x' }, viewer('u1')))).toBeNull(); // not one root field: not shared at all
    const reused = 'subscription S($c: String) { statusChanged(after: $c) { cursor entity { ... on PaymentRun { payables(first: 1, after: $c) { totalCount } } } } }';
    expect(key(reused, { c: 'x' }, viewer('u1'))).not.toBe(key(reused, { c: 'y' }, viewer('u1')));
    const literal = 'subscription S { statusChanged(after: "abc") { cursor } }';
    expect(key(literal, {}, viewer('u1'))).not.toBe(key(literal.replace('abc', 'abd'), {}, viewer('u1')));
  });

  it('does not share what it cannot reason about', () => {
    expect(key(COLUMNS, {}, { actor: null } as unknown as GraphQLContext)).toBeNull();
    expect(key('query Q { __typename }', {}, viewer('u1'))).toBeNull();
    expect(key('subscription S { statusChanged @include(if: true) { cursor } }', {}, viewer('u1'))).toBeNull();
  });
});
