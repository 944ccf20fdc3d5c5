import type { PrismaClient } from '../../generated/prisma/client.ts';
import type { Actor } from '../shared/actor.ts';
import type { RawQuery } from '../shared/raw-query.ts';
import { isUuid } from '../shared/ids.ts';
import type { Role } from '../shared/statuses.ts';

/**
 * The acting user, read fresh for every operation: a role removed a moment ago no longer works,
 * whatever the token says. Null when the user (or the buyer it claims) no longer exists or is
 * deactivated.
 */
export async function loadActor(prisma: PrismaClient, userId: string, buyerId: string): Promise<Actor | null> {
  const user = await prisma.user.findFirst({
    where: { id: userId, buyerId, deactivatedAt: null },
    select: { id: true, buyerId: true, roles: true, scaEnrolled: true },
  });
  if (!user) return null;
  return { userId: user.id, buyerId: user.buyerId, roles: new Set(user.roles), scaEnrolled: user.scaEnrolled };
}

/**
 * The actor behind a session token, in one statement: the user must be active and the session (the
 * token's jti) neither revoked (logout, password change, deactivation) nor past its expiry. It runs
 * on every operation, so it goes straight to the driver as a prepared statement (no ORM round of
 * query building and result mapping); it still reads the database every time.
 */
export async function loadSessionActor(
  query: RawQuery, userId: string, buyerId: string, sessionId: string,
): Promise<Actor | null> {
  if (!isUuid(userId) || !isUuid(buyerId) || !isUuid(sessionId)) return null;
  const rows = await query<{ roles: Role[]; sca_enrolled: boolean }>(
    `SELECT u.roles::text[] AS roles, u.sca_enrolled
       FROM users u JOIN user_sessions s ON s.user_id = u.id
      WHERE u.id = $1::uuid AND u.buyer_id = $2::uuid AND u.deactivated_at IS NULL
        AND s.id = $3::uuid AND s.buyer_id = $2::uuid AND s.revoked_at IS NULL AND s.expires_at > now()`,
    [userId, buyerId, sessionId], 'session_actor',
  );
  const row = rows[0];
  if (!row) return null;
  return { userId, buyerId, roles: new Set(row.roles), scaEnrolled: row.sca_enrolled, sessionId };
}
