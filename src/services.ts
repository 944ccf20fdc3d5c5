import type { AppServices } from './app-services.ts';
import { createTokenService } from './auth/tokens.ts';
import type { Config } from './config.ts';
import { openDatabase } from './db/database.ts';
import { createTenantDbFactory } from './db/tenant.ts';
import { countParked } from './domain/shared/job-attempts.ts';
import type { DomainDeps } from './domain/shared/unit-of-work.ts';
import { createLiveStatusChanges } from './events/live-stream.ts';
import { createOutboxRelay } from './events/outbox-relay.ts';
import { createInProcessBus, createRedisBus } from './events/pubsub.ts';
import { createStreamAuthority } from './events/stream-authority.ts';
import { revokedCredentials } from './auth/credentials.ts';
import { createRateLimiter } from './graphql/limits.ts';
import { encodeGlobalId } from './graphql/ids.ts';
import { createWebhookDeliverer, type WebhookDeliveryOutcome } from './domain/webhook/webhook.delivery.ts';
import { createWebhookSender } from './transport/webhook-sender.ts';
import { createJobRunner } from './jobs/job-runner.ts';
import { backgroundTasks, VALIDATION_TASK, WEBHOOK_DELIVERY_TASK } from './jobs/tasks.ts';
import type { Logger } from './logger.ts';
import { createSharedSubscriptions, type SharedSubscriptions } from './graphql/shared-subscriptions.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import type { PrismaClient } from './generated/prisma/client.ts';
import { createTenantReads } from './reads/tenant-reads.ts';
import { withSandboxCode } from './sandbox/sca.ts';
import { createTotpOneTimeCodes } from './providers/totp/totp.ts';
import { keyId, type KeyRing } from './crypto/key-ring.ts';
import { payeeCheckFor } from './providers/payee-check.ts';
import { sandboxBank } from './sandbox/bank.ts';
import { guardProviders } from './domain/shared/providers.ts';

export interface ServiceOptions {
  logger: Logger;
  now?: () => Date;
  /** Sees every SQL statement (tests use it to count queries). */
  onQuery?: (sql: string) => void;
  /** Called once per webhook attempt outcome (e.g. to count gateway_webhook_deliveries_total{outcome}). */
  onWebhookDelivery?: (outcome: WebhookDeliveryOutcome) => void;
}

/** Opens the database and pub/sub and wires the long-lived services of one instance; starts nothing. */
export async function createServices(config: Readonly<Config>, options: ServiceOptions): Promise<AppServices> {
  const { logger } = options;
  logKeyRotation(config, logger);
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, logger, onQuery: options.onQuery });
  const bus = config.redisUrl ? await createRedisBus(config.redisUrl, logger, config.jwtSecret) : createInProcessBus();
  const prisma = database.prisma;
  const sharedSubscriptions = createSharedSubscriptions();
  const metrics = createGatewayMetrics(prisma, logger, sharedSubscriptions);
  const relay = createOutboxRelay({ prisma, bus, logger, pollIntervalMs: config.pollIntervalMs, onFailure: metrics.onJobFailure });
  const domain: DomainDeps = {
    prisma,
    tenantDb: createTenantDbFactory(prisma),
    now: options.now ?? (() => new Date()),
    sandbox: config.sandbox,
    // The providers behind the domain's ports (src/domain/ports.ts), guarded so that none is ever
    // called inside a transaction. The bank is the sandbox one; real ones report through /bank/events.
    ...guardProviders({ payeeCheck: payeeCheckFor(config.copProvider), bank: sandboxBank }),
    oneTimeCodes: createOneTimeCodes(config, logger),
    onCommitted: () => {
      relay.kick();
      jobs.kick(WEBHOOK_DELIVERY_TASK);
    },
    onWorkQueued: () => jobs.kick(VALIDATION_TASK),
  };
  const webhooks = createWebhookDeliverer({
    ...config.webhooks,
    db: prisma,
    sender: createWebhookSender({ timeoutMs: config.webhooks.timeoutMs, allowPrivateAddresses: config.webhooks.allowPrivateUrls }),
    globalId: encodeGlobalId,
    logger,
    wake: () => jobs.kick(WEBHOOK_DELIVERY_TASK),
    onDelivery: (outcome: WebhookDeliveryOutcome) => {
      metrics.onWebhookDelivery(outcome);
      options.onWebhookDelivery?.(outcome);
    },
  });
  const jobs = createJobRunner(backgroundTasks(domain, config, { webhooks }), {
    pollIntervalMs: config.pollIntervalMs, logger, parkedCounts: () => countParked(domain), onFailure: metrics.onJobFailure,
  });
  const streamAuthority = createStreamAuthority(prisma, { intervalMs: config.streamAuthCheckMs, now: domain.now, logger });
  // Revoked API keys and sessions (logout, password change, deactivation) end open streams too.
  streamAuthority.addCheck((watched) => revokedCredentials(prisma, watched));
  return {
    config,
    logger,
    database,
    domain,
    tokens: createTokenService(config.jwtSecret, config.jwtTtlSeconds),
    bus,
    relay,
    jobs,
    rateLimiter: createRateLimiter(config.rateLimitPerMinute, config.redisUrl),
    readiness: { ready: false },
    streamAuthority,
    live: createLiveStatusChanges(prisma, bus, { pollIntervalMs: config.pollIntervalMs }),
    sharedSubscriptions,
    metrics,
    reads: createTenantReads(database),
  };
}

/** Real TOTP everywhere; the sandbox also accepts its fixed code (CONTRACT.md §7, docs/sca.md). */
function createOneTimeCodes(config: Readonly<Config>, logger: Logger) {
  const totp = createTotpOneTimeCodes({
    keys: config.sca.encryptionKeys,
    issuer: config.sca.issuer,
    // The user is told "wrong code" as before; the operator learns why (a key missing from the ring).
    onUnreadable: (userId) =>
      logger.warn({ userId }, 'a stored TOTP secret opens with none of the configured keys (SCA_ENCRYPTION_KEY, SCA_ENCRYPTION_KEY_PREVIOUS): the user cannot pass SCA'),
  });
  if (config.sca.keyDerivedFrom) {
    logger.warn(
      { derivedFrom: config.sca.keyDerivedFrom },
      'SCA_ENCRYPTION_KEY is not set: TOTP secrets are encrypted with a key derived for the sandbox only (required when SANDBOX=false)',
    );
  }
  return config.sandbox ? withSandboxCode(totp) : totp;
}

/** During a key rotation, which keys this instance holds (fingerprints only), so a rollout can be checked. */
function logKeyRotation(config: Readonly<Config>, logger: Logger) {
  const rings = { sca: config.sca.encryptionKeys, webhooks: config.webhooks.encryptionKeys };
  if (rings.sca.previous.length + rings.webhooks.previous.length === 0) return;
  const ids = (ring: KeyRing) => ({ current: keyId(ring.current), previous: ring.previous.map(keyId) });
  logger.info({ sca: ids(rings.sca), webhooks: ids(rings.webhooks) }, 'encryption keys: previous keys configured (a rotation in progress; `npm run rekey` moves stored secrets to the current keys)');
}

/** Metrics whose database gauges are read at scrape time; a failed read shows NaN, not a 500. */
function createGatewayMetrics(prisma: PrismaClient, logger: Logger, shared: SharedSubscriptions): Metrics {
  const orNaN = async (what: string, read: () => Promise<number>) => {
    try {
      return await read();
    } catch (error) {
      logger.warn({ err: error, gauge: what }, 'metrics: gauge could not be read');
      return Number.NaN;
    }
  };
  return createMetrics({
    subscriptionFanout: () => shared.stats,
    outboxLag: () =>
      orNaN('outbox lag', async () => {
        const [row] = await prisma.$queryRawUnsafe<{ lag: bigint | null }[]>(
          'SELECT SUM(b.event_seq - p.published_seq) AS lag FROM event_relay_positions p JOIN buyers b ON b.id = p.buyer_id',
        );
        return Number(row?.lag ?? 0);
      }),
    idempotencyClaimsInProgress: () =>
      orNaN('idempotency claims', () => prisma.idempotencyRecord.count({ where: { state: 'IN_PROGRESS', expiresAt: { gt: new Date() } } })),
  });
}
