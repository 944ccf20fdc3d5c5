import type { TokenService } from './auth/tokens.ts';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import type { DomainDeps } from './domain/shared/unit-of-work.ts';
import type { LiveStatusChanges } from './events/live-stream.ts';
import type { OutboxRelay } from './events/outbox-relay.ts';
import type { EventBus } from './events/pubsub.ts';
import type { StreamAuthority } from './events/stream-authority.ts';
import type { RateLimiter } from './graphql/limits.ts';
import type { SharedSubscriptions } from './graphql/shared-subscriptions.ts';
import type { JobRunner } from './jobs/job-runner.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './observability/metrics.ts';
import type { TenantReads } from './reads/tenant-reads.ts';

/** Long-lived services of one gateway instance, shared by every request. */
export interface AppServices {
  readonly config: Readonly<Config>;
  readonly logger: Logger;
  readonly database: Database;
  readonly domain: DomainDeps;
  readonly tokens: TokenService;
  readonly bus: EventBus;
  readonly relay: OutboxRelay;
  readonly jobs: JobRunner;
  readonly rateLimiter: RateLimiter;
  readonly live: LiveStatusChanges;
  /** One execution (and one serialised frame) per event for subscribers whose results cannot differ. */
  readonly sharedSubscriptions: SharedSubscriptions;
  readonly metrics: Metrics;
  /** Reads bound to one buyer, for the GraphQL layer. */
  readonly reads: TenantReads;
  /** Re-checks the credentials of open streams (CONTRACT §10). */
  readonly streamAuthority: StreamAuthority;
  /** /ready answers 200 only while true (set by App.start / markReady, cleared by stop). */
  readonly readiness: { ready: boolean };
}
