import { timingSafeEqual } from 'node:crypto';
import { authenticateCredential } from '../auth/credentials.ts';
import type { AppServices } from '../app-services.ts';
import type { GraphQLContext } from './context.ts';

/** What yoga hands over: an HTTP request, or (over graphql-ws) the socket's connectionParams. */
export interface InitialContext {
  request?: Request;
  /** Node's request (HTTP only): the client address keys the rate limit of anonymous callers. */
  req?: { socket?: { remoteAddress?: string } };
  connectionParams?: Record<string, unknown>;
}

function sameSecret(given: string | null | undefined, expected: string | null): boolean {
  if (!given || !expected) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A session token or an API key (src/auth/credentials.ts): the actor, and when the credential expires. */
export const authenticate = authenticateCredential;

export function createContextFactory(services: AppServices) {
  return async (initial: InitialContext): Promise<GraphQLContext> => {
    const authorization =
      initial.request?.headers.get('authorization') ??
      (typeof initial.connectionParams?.authorization === 'string' ? initial.connectionParams.authorization : null);
    const authenticated = await authenticate(services, authorization);
    const actor = authenticated?.actor ?? null;
    // A key has its own budget, apart from its owner's interactive use.
    const rateLimitKey = actor?.apiKeyId ? `key:${actor.apiKeyId}` : actor ? `user:${actor.userId}` : `ip:${initial.req?.socket?.remoteAddress ?? 'unknown'}`;
    await services.rateLimiter.consume(rateLimitKey);
    return {
      rateLimitKey,
      services,
      actor,
      credentialExpiresAt: authenticated?.expiresAt ?? null,
      db: actor ? services.domain.tenantDb(actor.buyerId) : null,
      isOperator: sameSecret(initial.request?.headers.get('x-api-key'), services.config.apiKey),
      operatorKeyGiven: Boolean(initial.request?.headers.get('x-api-key')),
    };
  };
}
