import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { GraphQLError, type ValidationContext } from 'graphql';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { DomainError, ErrorCode } from '../domain/shared/errors.ts';

/**
 * Query shape limits (graphql-armor): deep or alias-heavy documents are refused before they run,
 * with QUERY_TOO_COMPLEX like the cost limit (./cost.ts), which bounds their size. Outside the
 * sandbox, "did you mean" suggestions stop leaking the schema.
 */
export function queryLimitPlugins(limits: { sandbox: boolean; maxQueryDepth: number; maxQueryAliases: number }) {
  const refuse = (what: string) => ({
    exposeLimits: true,
    propagateOnRejection: false,
    onReject: [(context: ValidationContext | null, error: GraphQLError) => {
      context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, `Query too complex (${what}): `), {
        extensions: { code: ErrorCode.QUERY_TOO_COMPLEX },
      }));
    }],
  });
  return [
    maxDepthPlugin({ n: limits.maxQueryDepth, ignoreIntrospection: true, flattenFragments: true, ...refuse('depth') }),
    maxAliasesPlugin({ n: limits.maxQueryAliases, ...refuse('aliases') }),
    ...(limits.sandbox ? [] : [blockFieldSuggestionsPlugin()]),
  ];
}

/**
 * Requests per caller (user, else client address) per minute, counted in Redis when configured so
 * that the limit holds across instances; if Redis is unreachable, each instance counts in memory.
 */
export interface RateLimiter {
  consume(key: string): Promise<void>;
  close(): Promise<void>;
}

export function createRateLimiter(perMinute: number, redisUrl: string | null): RateLimiter {
  if (perMinute <= 0) return { consume: async () => {}, close: async () => {} };
  const memory = new RateLimiterMemory({ points: perMinute, duration: 60, keyPrefix: 'rl' });
  let redis: Redis | null = null;
  let limiter: RateLimiterAbstract = memory;
  if (redisUrl) {
    redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, disableClientInfo: true });
    redis.on('error', () => {}); // the insurance limiter takes over; pub/sub logs Redis trouble already
    limiter = new RateLimiterRedis({ storeClient: redis, points: perMinute, duration: 60, keyPrefix: 'gateway:rl', insuranceLimiter: memory });
  }
  return {
    async consume(key) {
      try {
        await limiter.consume(key);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        throw new DomainError(ErrorCode.RATE_LIMITED, 'Too many requests; slow down', { retryAfterMs: rejection.msBeforeNext });
      }
    },
    async close() {
      redis?.disconnect();
    },
  };
}
