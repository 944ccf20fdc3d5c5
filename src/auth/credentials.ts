import type { AppServices } from '../app-services.ts';
import type { Actor } from '../domain/shared/actor.ts';
import { isUuid } from '../domain/shared/ids.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { loadSessionActor } from '../domain/user/user.queries.ts';
import { authenticateApiKey, isApiKeySecret } from './api-keys.ts';
import { bearerToken } from './tokens.ts';

/**
 * One entry point for every credential a caller may present as `Authorization: Bearer …` (HTTP, SSE
 * and graphql-ws connectionParams): an API key (`prk_…`) or a session token (JWT). Each is checked
 * against the database in one statement that also reads the roles, so revocation (revoked key,
 * logout, password change, deactivated user) takes effect on the next operation.
 */
export async function authenticateCredential(services: AppServices, authorization: string | null | undefined): Promise<Authenticated | null> {
  const token = bearerToken(authorization);
  if (!token) return null;
  const prisma = services.database.prisma;
  if (isApiKeySecret(token)) {
    const actor = await authenticateApiKey(services.database.query, prisma, services.config.apiKeyPepper, token);
    // A key lives until it is revoked: open streams learn of that through revokedCredentials.
    return actor ? { actor, expiresAt: null } : null;
  }
  const claims = await services.tokens.verify(token);
  // Every token we issue names its session; one without (or of an unknown session) is not accepted.
  if (!claims?.sessionId) return null;
  const actor = await loadSessionActor(services.database.query, claims.userId, claims.buyerId, claims.sessionId);
  return actor ? { actor, expiresAt: claims.expiresAt } : null;
}

/** Who a credential acts as (roles read now), and when it stops being valid by itself (null: never). */
export interface Authenticated {
  readonly actor: Actor;
  readonly expiresAt: Date | null;
}

/**
 * For long-lived streams re-checking their caller: true while the credential still authenticates
 * and its actor holds at least one role (a key's roles are the intersection with its owner's).
 */
export async function isCredentialValid(services: AppServices, authorization: string | null | undefined): Promise<boolean> {
  const authenticated = await authenticateCredential(services, authorization);
  return authenticated !== null && authenticated.actor.roles.size > 0;
}

/** What a long-lived stream was opened with (structurally what a stream re-check watches). */
export interface WatchedCredential {
  readonly userId: string;
  readonly buyerId: string;
  readonly apiKeyId?: string | null;
  readonly sessionId?: string | null;
}

/**
 * Batched revocation check for open streams: which of the watched credentials were revoked since
 * (API key revoked, session signed out or revoked by a password change, user deactivated). Three
 * indexed queries for any number of streams; expiry and lost roles are the stream re-check's own.
 */
export async function revokedCredentials<K>(
  prisma: PrismaClient, watched: ReadonlyMap<K, WatchedCredential>,
): Promise<Map<K, 'revoked'>> {
  const revoked = new Map<K, 'revoked'>();
  if (watched.size === 0) return revoked;
  const all = [...watched.values()];
  const ids = (pick: (c: WatchedCredential) => string | null | undefined) => [...new Set(all.map(pick).filter(isUuid))];
  const [users, keys, sessions] = await Promise.all([
    prisma.$queryRawUnsafe<{ id: string }[]>(
      `SELECT id::text AS id FROM users WHERE id = ANY($1::uuid[]) AND deactivated_at IS NULL`, ids((c) => c.userId)),
    prisma.$queryRawUnsafe<{ id: string }[]>(
      `SELECT id::text AS id FROM api_keys WHERE id = ANY($1::uuid[]) AND revoked_at IS NULL`, ids((c) => c.apiKeyId)),
    prisma.$queryRawUnsafe<{ id: string }[]>(
      `SELECT id::text AS id FROM user_sessions WHERE id = ANY($1::uuid[]) AND revoked_at IS NULL`, ids((c) => c.sessionId)),
  ]);
  const active = (rows: { id: string }[]) => new Set(rows.map((row) => row.id));
  const [activeUsers, activeKeys, activeSessions] = [active(users), active(keys), active(sessions)];
  for (const [watchId, credential] of watched) {
    const gone = !activeUsers.has(credential.userId)
      || (credential.apiKeyId != null && !activeKeys.has(credential.apiKeyId))
      || (credential.sessionId != null && !activeSessions.has(credential.sessionId));
    if (gone) revoked.set(watchId, 'revoked');
  }
  return revoked;
}
