import { isObjectType, type GraphQLResolveInfo } from 'graphql';
import { Prisma } from '../generated/prisma/client.ts';
import { notFound } from '../domain/shared/errors.ts';

/**
 * `node(id:)` answers NOT_FOUND — never a masked failure — for every id the viewer cannot see: of a
 * type that is not a Node (Money, Query, made up), of another buyer (the tenant client finds no
 * row, and the type's loader would otherwise throw Prisma's "not found"), or that never existed.
 * All answer the same message, so nothing tells them apart.
 */
export async function resolveNodeOrNotFound(
  id: { typename: string },
  info: GraphQLResolveInfo,
  resolveNode: () => Promise<unknown>,
): Promise<unknown> {
  const type = info.schema.getType(id.typename);
  if (!isObjectType(type) || !type.getInterfaces().some((i) => i.name === 'Node')) throw notFound();
  let node: unknown;
  try {
    node = await resolveNode();
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2025') throw notFound();
    throw error;
  }
  if (node == null) throw notFound();
  return node;
}
