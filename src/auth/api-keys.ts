import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Actor } from '../domain/shared/actor.ts';
import type { RawQuery } from '../domain/shared/raw-query.ts';
import type { Role } from '../domain/shared/statuses.ts';

/**
 * API keys for machine clients. A secret reads `prk_<prefix>_<secret>`: the 12-hex-digit prefix is
 * stored in clear and finds the row through a unique index; the whole secret is stored only as
 * HMAC-SHA256 under a server-side pepper. The secret carries 256 random bits, so a fast keyed hash is
 * enough (a slow password hash protects guessable secrets; this one cannot be guessed), and a stolen
 * table without the pepper verifies nothing.
 */
export const API_KEY_SCHEME = 'prk_';
const SECRET_SHAPE = /^prk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

/** lastUsedAt moves at most this often per key: a coarse trace, never a write per request. */
export const LAST_USED_RESOLUTION_MS = 60_000;

export interface NewApiKeySecret {
  readonly prefix: string;
  readonly secret: string;
  readonly secretHash: string;
}

export const isApiKeySecret = (token: string) => token.startsWith(API_KEY_SCHEME);

export function hashApiKeySecret(pepper: string, secret: string): string {
  return createHmac('sha256', pepper).update(secret).digest('hex');
}

export function newApiKeySecret(pepper: string): NewApiKeySecret {
  const prefix = randomBytes(6).toString('hex');
  const secret = `${API_KEY_SCHEME}${prefix}_${randomBytes(32).toString('base64url')}`;
  return { prefix, secret, secretHash: hashApiKeySecret(pepper, secret) };
}

interface KeyRow {
  id: string;
  buyer_id: string;
  owner_id: string;
  secret_hash: string;
  key_roles: Role[];
  owner_roles: Role[];
  sca_enrolled: boolean;
  stale: boolean;
}

/**
 * The actor behind an API key, in one statement: the key must not be revoked and its owner must be
 * active; the roles are those both the key and the owner hold now. Null for anything else, so a
 * revoked key or a deactivated owner answers UNAUTHENTICATED at once.
 */
export async function authenticateApiKey(
  query: RawQuery, prisma: PrismaClient, pepper: string, secret: string,
): Promise<Actor | null> {
  const shape = SECRET_SHAPE.exec(secret);
  if (!shape) return null;
  // Every operation of a key runs this: a prepared statement straight to the driver.
  const rows = await query<KeyRow>(
    `SELECT k.id, k.buyer_id, k.owner_id, k.secret_hash, k.roles::text[] AS key_roles, u.roles::text[] AS owner_roles,
            u.sca_enrolled,
            (k.last_used_at IS NULL OR k.last_used_at < now() - make_interval(secs => $2)) AS stale
       FROM api_keys k JOIN users u ON u.id = k.owner_id AND u.buyer_id = k.buyer_id
      WHERE k.prefix = $1 AND k.revoked_at IS NULL AND u.deactivated_at IS NULL`,
    [shape[1], LAST_USED_RESOLUTION_MS / 1000], 'api_key_actor',
  );
  const row = rows[0];
  if (!row) return null;
  const expected = Buffer.from(row.secret_hash, 'hex');
  const actual = Buffer.from(hashApiKeySecret(pepper, secret), 'hex');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
  if (row.stale) await touchLastUsed(prisma, row.id);
  const ownerRoles = new Set(row.owner_roles);
  return {
    userId: row.owner_id,
    buyerId: row.buyer_id,
    roles: new Set(row.key_roles.filter((role) => ownerRoles.has(role))),
    scaEnrolled: row.sca_enrolled,
    apiKeyId: row.id,
  };
}

/**
 * At most one write per key per minute: the condition makes concurrent requests (here or on other
 * instances) that all saw a stale value write once between them, and the others change nothing.
 */
async function touchLastUsed(prisma: PrismaClient, id: string): Promise<void> {
  await prisma.$executeRawUnsafe(
    `UPDATE api_keys SET last_used_at = now()
      WHERE id = $1::uuid AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))`,
    id, LAST_USED_RESOLUTION_MS / 1000,
  );
}
