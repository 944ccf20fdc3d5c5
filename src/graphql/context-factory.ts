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

/** A session token or an API key (src/auth/credentials.ts). */
export const authenticate = authenticateCredential;

export function createContextFactory(services: AppServices) {
  return async (initial: InitialContext): Promise<GraphQLContext> => {
    const authorization =
      initial.request?.headers.get('authorization') ??
      (typeof initial.connectionParams?.authorization === 'string' ? initial.connectionParams.authorization : null);
    const actor = await authenticate(services, authorization);
    // A key has its own budget, apart from its owner's interactive use.
    const caller = actor?.apiKeyId ? `key:${actor.apiKeyId}` : actor ? `user:${actor.userId}` : null;
    await services.rateLimiter.consume(caller ?? `ip:${initial.req?.socket?.remoteAddress ?? 'unknown'}`);
    return {
      services,
      actor,
      db: actor ? services.domain.tenantDb(actor.buyerId) : null,
      isOperator: sameSecret(initial.request?.headers.get('x-api-key'), services.config.apiKey),
    };
  };
}
