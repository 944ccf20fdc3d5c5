import type { PrismaClient } from '../../generated/prisma/client.ts';
import type { Actor } from '../shared/actor.ts';

/**
 * The acting user, read fresh for every operation: a role removed a moment ago no longer works,
 * whatever the token says. Null when the user (or the buyer it claims) no longer exists.
 */
export async function loadActor(prisma: PrismaClient, userId: string, buyerId: string): Promise<Actor | null> {
  const user = await prisma.user.findFirst({
    where: { id: userId, buyerId },
    select: { id: true, buyerId: true, roles: true, scaEnrolled: true },
  });
  if (!user) return null;
  return { userId: user.id, buyerId: user.buyerId, roles: new Set(user.roles), scaEnrolled: user.scaEnrolled };
}
