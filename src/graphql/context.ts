import type { AppServices } from '../app-services.ts';
import type { TenantDb } from '../db/tenant.ts';
import type { Actor } from '../domain/shared/actor.ts';
import type { PayableLoaders } from './loaders.ts';

/** Built per operation (HTTP request or WebSocket subscribe) by src/graphql/context-factory.ts. */
export interface GraphQLContext {
  readonly services: AppServices;
  /** The acting user, roles read fresh; null when unauthenticated. */
  actor: Actor | null;
  /** When the request's credential expires (open streams end then); null when unauthenticated. */
  readonly credentialExpiresAt: Date | null;
  /** The viewer's tenant-scoped client; null when unauthenticated. */
  db: TenantDb | null;
  /** The request carried the operator's x-api-key. */
  readonly isOperator: boolean;
  /** An x-api-key header was sent (right or wrong): errors then say the key is wrong, not missing. */
  readonly operatorKeyGiven: boolean;
  /** The caller's key in the rate limiter (user, else client address). */
  readonly rateLimitKey: string;
  /** `login` fields resolved so far in this request (each beyond the first costs a rate-limit point). */
  loginFields?: number;
  /** Per-request batch loaders (created on first use). */
  payableLoaders?: PayableLoaders;
}
