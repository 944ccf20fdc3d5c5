import type { PrismaClient } from '../generated/prisma/client.ts';

/**
 * Tenant isolation by construction: the client handed to resolvers and domain commands is bound to
 * the viewer's buyer, and every model operation on tenant-owned data gets `buyerId` added to its
 * filter (reads, updates, deletes) or checked on its data (creates). A foreign id then simply does
 * not match, which answers exactly like an id that never existed. Raw SQL is not covered: every raw
 * statement in src/ names buyer_id itself.
 */
const TENANT_MODELS = new Set([
  'User', 'LinkedAccount', 'PaymentRun', 'Payable', 'FundingGroup', 'Batch', 'Authorisation', 'StatusChange', 'PayableGroup',
  'ApiKey', 'AuditEvent', 'UserSession',
  'WebhookEndpoint', 'WebhookDelivery',
]);

const FILTERED = new Set([
  'findUnique', 'findUniqueOrThrow', 'findFirst', 'findFirstOrThrow', 'findMany', 'count', 'aggregate',
  'groupBy', 'update', 'updateMany', 'updateManyAndReturn', 'delete', 'deleteMany',
]);
const CREATES = new Set(['create', 'createMany', 'createManyAndReturn']);

export class TenantViolation extends Error {}

function scopedArgs(model: string, operation: string, args: Record<string, any>, buyerId: string) {
  if (model === 'Buyer') {
    // AND, not an overwrite: asked for another buyer's id, the viewer's own buyer must not answer.
    if (FILTERED.has(operation)) return { ...args, where: { ...args.where, AND: [{ id: buyerId }, ...(args.where?.AND ? [{ AND: args.where.AND }] : [])] } };
    throw new TenantViolation(`Buyer.${operation} is not allowed through a tenant client`);
  }
  if (!TENANT_MODELS.has(model)) return args;
  if (FILTERED.has(operation)) return { ...args, where: { ...args.where, buyerId } };
  if (CREATES.has(operation)) {
    const rows = Array.isArray(args.data) ? args.data : [args.data];
    for (const row of rows) {
      if (row.buyerId !== buyerId) throw new TenantViolation(`${model}.${operation} for another buyer`);
    }
    return args;
  }
  throw new TenantViolation(`${model}.${operation} is not allowed through a tenant client`);
}

function extend(prisma: PrismaClient, buyerId: string) {
  return prisma.$extends({
    name: 'tenant',
    query: {
      $allModels: {
        $allOperations({ model, operation, args, query }) {
          return query(scopedArgs(model, operation, (args ?? {}) as Record<string, any>, buyerId));
        },
      },
    },
  });
}

/** The extended client keeps PrismaClient's model API; we type it as such for callers. */
export type TenantDb = PrismaClient;

/** Clients per buyer are cached (extending a client is cheap but not free on a hot path). */
export function createTenantDbFactory(prisma: PrismaClient, maxCached = 1000) {
  const cache = new Map<string, TenantDb>();
  return (buyerId: string): TenantDb => {
    let db = cache.get(buyerId);
    if (db) return db;
    db = extend(prisma, buyerId) as unknown as TenantDb;
    if (cache.size >= maxCached) cache.delete(cache.keys().next().value!);
    cache.set(buyerId, db);
    return db;
  };
}
