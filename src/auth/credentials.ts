import type { AppServices } from '../app-services.ts';
import type { Actor } from '../domain/shared/actor.ts';
import { loadSessionActor } from '../domain/user/user.queries.ts';
import { authenticateApiKey, isApiKeySecret } from './api-keys.ts';
import { bearerToken } from './tokens.ts';

/**
 * One entry point for every credential a caller may present as `Authorization: Bearer …` (HTTP, SSE
 * and graphql-ws connectionParams): an API key (`prk_…`) or a session token (JWT). Each is checked
 * against the database in one statement that also reads the roles, so revocation (revoked key,
 * logout, password change, deactivated user) takes effect on the next operation.
 */
export async function authenticateCredential(services: AppServices, authorization: string | null | undefined): Promise<Actor | null> {
  const token = bearerToken(authorization);
  if (!token) return null;
  const prisma = services.database.prisma;
  if (isApiKeySecret(token)) return authenticateApiKey(prisma, services.config.apiKeyPepper, token);
  const claims = await services.tokens.verify(token);
  // Every token we issue names its session; one without (or of an unknown session) is not accepted.
  if (!claims?.sessionId) return null;
  return loadSessionActor(prisma, claims.userId, claims.buyerId, claims.sessionId);
}

/**
 * For long-lived streams re-checking their caller: true while the credential still authenticates
 * and its actor holds at least one role (a key's roles are the intersection with its owner's).
 */
export async function isCredentialValid(services: AppServices, authorization: string | null | undefined): Promise<boolean> {
  const actor = await authenticateCredential(services, authorization);
  return actor !== null && actor.roles.size > 0;
}
