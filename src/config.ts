import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { keyRing, type KeyRing } from './crypto/key-ring.ts';
import { defaultLogFormat, type LogFormat } from './logger.ts';

/** Environment parsed once into a frozen, typed object. Bad values stop the process with a clear message. */
export interface Config {
  port: number;
  host: string;
  /** PostgreSQL URL; null → embedded PGlite in `dataDir`. */
  databaseUrl: string | null;
  dataDir: string;
  /** Redis URL; null → in-process pub/sub (one instance only). */
  redisUrl: string | null;
  apiKey: string | null;
  jwtSecret: string;
  jwtTtlSeconds: number;
  /** Server-side key of the HMAC that API-key secrets are stored as (API_KEY_PEPPER). */
  apiKeyPepper: string;
  sandbox: boolean;
  /** Seed a demo buyer on first start (default: on in embedded mode). */
  seedDemo: boolean;
  autopilot: AutopilotConfig;
  /** How often background work looks for due rows (validation, timers, relay catch-up). */
  pollIntervalMs: number;
  /** Run background work on this instance (false: an API-only instance). */
  runJobs: boolean;
  logLevel: string;
  /** json (production) or pretty (a developer's terminal). */
  logFormat: LogFormat;
  /** OTLP/HTTP collector for traces (OTEL_EXPORTER_OTLP_ENDPOINT); null: tracing off, at no cost. */
  otlpEndpoint: string | null;
  /** service.name of the traces (OTEL_SERVICE_NAME). */
  serviceName: string;
  maxRequestBytes: number;
  /** Requests per caller per minute; 0 disables the limit. */
  rateLimitPerMinute: number;
  /** Serve /metrics on this port only (null: on the main port, beside /graphql). */
  metricsPort: number | null;
  /** An idempotency claim's lease: after a crash its ref is free again within this (CONTRACT §12). */
  idempotencyLeaseMs: number;
  /** Operations one graphql-ws socket may run at once; more answer RATE_LIMITED. */
  maxSubscriptionsPerSocket: number;
  /** How often open streams re-check their credential (token expiry, user, roles); at most 60 s. */
  streamAuthCheckMs: number;
  /** Worst-case score of one operation (page sizes multiplied through nesting); see docs/limits.md. */
  maxQueryCost: number;
  maxQueryDepth: number;
  maxQueryAliases: number;
  /** Origins allowed to call from a browser on another origin; empty → same-origin only; ['*'] → any. */
  corsOrigins: readonly string[];
  webhooks: WebhookConfig;
  sca: ScaConfig;
  /** Confirmation of Payee provider (COP_PROVIDER): the sandbox responder, or none (outcomes say CoP was not performed). */
  copProvider: 'sandbox' | 'none';
  /** Secret of POST /bank/events (BANK_WEBHOOK_SECRET, `whsec_…`); null: the endpoint answers 404. */
  bankWebhookSecret: string | null;
}

/** Strong customer authentication: TOTP secrets (CONTRACT.md §7, docs/sca.md). */
export interface ScaConfig {
  /**
   * AES-256-GCM keys for stored TOTP secrets: SCA_ENCRYPTION_KEY seals, it and
   * SCA_ENCRYPTION_KEY_PREVIOUS open (a rotation in progress, docs/sca.md).
   */
  encryptionKeys: KeyRing;
  /** Where a sandbox without SCA_ENCRYPTION_KEY derived its key from; null: the key was given. */
  keyDerivedFrom: 'JWT_SECRET' | 'a public sandbox label' | null;
  /** The issuer an authenticator app shows beside the account (SCA_ISSUER). */
  issuer: string;
}

/** Webhooks for integrators (CONTRACT.md §9, docs/webhooks.md). */
export interface WebhookConfig {
  /** http:// and loopback / private / link-local receivers allowed (default: only in sandbox). */
  allowPrivateUrls: boolean;
  /** First retry after this long, doubling per failure, at most an hour apart. */
  retryBaseMs: number;
  /** How long one event is retried before the endpoint is DISABLED. */
  retryWindowMs: number;
  /** One delivery attempt gets this long to answer 2xx. */
  timeoutMs: number;
  /** How long a deliverer's claim on an endpoint lasts (renewed while it works). */
  leaseMs: number;
  /** Endpoints delivered to at once by one instance. */
  concurrency: number;
  /** Attempt records older than this are pruned. */
  retentionDays: number;
  /**
   * AES-256-GCM keys for stored signing secrets: WEBHOOK_ENCRYPTION_KEY seals, it and
   * WEBHOOK_ENCRYPTION_KEY_PREVIOUS open (a rotation in progress, docs/webhooks.md).
   */
  encryptionKeys: KeyRing;
}

export interface AutopilotConfig {
  enabled: boolean;
  /** Delay before the sandbox bank acts on each step. */
  stepDelayMs: number;
  /** Share of payables that FAIL (0..1). */
  failureRate: number;
  /** Share of completed payables that are later RETURNED (0..1). */
  returnRate: number;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function int(env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function ratio(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!(value >= 0 && value <= 1)) throw new ConfigError(`${name} must be a number from 0 to 1, got "${raw}"`);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(values as readonly string[]).includes(raw)) throw new ConfigError(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
  return raw as T;
}

function url(env: Env, name: string, protocols: string[]): string | null {
  const raw = env[name];
  if (!raw) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (!protocols.includes(parsed.protocol)) throw new ConfigError(`${name} must start with ${protocols.join(' or ')}`);
  return raw;
}

/** A comma-separated list of origins (`https://app.example.com`), or `*` for any. */
function origins(env: Env, name: string): readonly string[] {
  const raw = env[name]?.trim();
  if (!raw) return Object.freeze([]);
  if (raw === '*') return Object.freeze(['*']);
  const list = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
  for (const entry of list) {
    let parsed: URL;
    try {
      parsed = new URL(entry);
    } catch {
      throw new ConfigError(`${name} must list origins such as https://app.example.com, got "${entry}"`);
    }
    if (parsed.origin !== entry.replace(/\/$/, '')) throw new ConfigError(`${name} entries are origins (scheme://host[:port]), got "${entry}"`);
  }
  return Object.freeze(list.map((entry) => entry.replace(/\/$/, '')));
}

/** A Standard Webhooks secret: `whsec_` and a base64 key of at least 24 bytes. */
function webhookSecret(env: Env, name: string): string | null {
  const raw = env[name];
  if (!raw) return null;
  const key = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(raw)?.[1];
  if (!key || Buffer.from(key, 'base64').length < 24) throw new ConfigError(`${name} must be whsec_ followed by a base64 key of at least 24 bytes`);
  return raw;
}

function positive(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!(value > 0 && Number.isFinite(value))) throw new ConfigError(`${name} must be a positive number, got "${raw}"`);
  return value;
}

/** 32 bytes as 64 hex digits or base64: the format of WEBHOOK_ENCRYPTION_KEY (and its previous keys). */
function hexOrBase64Key(raw: string): Buffer | null {
  const key = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  return key.length === 32 ? key : null;
}

/** 32 bytes in base64 (or base64url): the format of SCA_ENCRYPTION_KEY (and its previous keys). */
function base64Key(raw: string): Buffer | null {
  const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(raw) ? Buffer.from(raw, 'base64') : Buffer.alloc(0);
  return key.length === 32 ? key : null;
}

/**
 * Keys retired by a rotation (`<NAME>_PREVIOUS`): zero or more, comma-separated, each in the current
 * key's format. They only open stored values; `npm run rekey` moves those to the current key, after
 * which the setting can be emptied. The message names the entry's position, never its value.
 */
function previousKeys(env: Env, name: string, parse: (raw: string) => Buffer | null, hint: string): Buffer[] {
  const raw = env[name]?.trim();
  if (!raw) return [];
  return raw.split(',').map((entry, i) => {
    const key = parse(entry.trim());
    if (!key) throw new ConfigError(`${name} must list keys of ${hint}, separated by commas (entry ${i + 1} is not one)`);
    return key;
  });
}

const WEBHOOK_KEY_HINT = '32 bytes, as 64 hex digits or base64';

/**
 * The key that encrypts webhook signing secrets at rest. Standard Webhooks signs with HMAC, so the
 * raw secret must be recoverable: it is encrypted, not hashed. Without WEBHOOK_ENCRYPTION_KEY the key
 * is derived from JWT_SECRET (HKDF-SHA256, below; rotating JWT_SECRET then orphans stored secrets
 * unless the derived key is named in WEBHOOK_ENCRYPTION_KEY_PREVIOUS — docs/webhooks.md prints it),
 * and in a sandbox without either from a fixed, public label: fine for demo data, never for production.
 */
function webhookEncryptionKeys(env: Env, jwtSecret: string | null): KeyRing {
  const previous = previousKeys(env, 'WEBHOOK_ENCRYPTION_KEY_PREVIOUS', hexOrBase64Key, WEBHOOK_KEY_HINT);
  const raw = env.WEBHOOK_ENCRYPTION_KEY?.trim();
  if (raw) {
    const key = hexOrBase64Key(raw);
    if (!key) throw new ConfigError(`WEBHOOK_ENCRYPTION_KEY must be ${WEBHOOK_KEY_HINT}`);
    return keyRing(key, previous);
  }
  const material = jwtSecret ?? 'payment-run-gateway sandbox webhook key (not secret)';
  return keyRing(Buffer.from(hkdfSync('sha256', material, 'webhook-secrets', 'aes-256-gcm v1', 32)), previous);
}

const SCA_KEY_HINT = '32 bytes in base64, e.g. the output of `openssl rand -base64 32`';

/**
 * The key that encrypts TOTP secrets at rest. Required outside the sandbox: a gateway that can move
 * money does not start without it. A sandbox without it derives one (from JWT_SECRET when set, so
 * enrolments survive restarts, else from a fixed public label) and says so in the log at start.
 */
function scaConfig(env: Env, sandbox: boolean, jwtSecret: string | null): ScaConfig {
  const issuer = (env.SCA_ISSUER ?? '').trim() || 'Payment-run gateway';
  if (issuer.includes(':')) throw new ConfigError('SCA_ISSUER must not contain ":" (authenticator apps split the label on it)');
  const previous = previousKeys(env, 'SCA_ENCRYPTION_KEY_PREVIOUS', base64Key, SCA_KEY_HINT);
  const raw = env.SCA_ENCRYPTION_KEY?.trim();
  if (raw) {
    const key = base64Key(raw);
    if (!key) throw new ConfigError(`SCA_ENCRYPTION_KEY must be ${SCA_KEY_HINT}`);
    return Object.freeze({ encryptionKeys: keyRing(key, previous), keyDerivedFrom: null, issuer });
  }
  if (!sandbox) throw new ConfigError(`SCA_ENCRYPTION_KEY is required when SANDBOX=false (${SCA_KEY_HINT})`);
  const material = jwtSecret ?? 'payment-run-gateway sandbox SCA key (not secret)';
  return Object.freeze({
    encryptionKeys: keyRing(Buffer.from(hkdfSync('sha256', material, 'sca-totp-secrets', 'aes-256-gcm v1', 32)), previous),
    keyDerivedFrom: jwtSecret ? 'JWT_SECRET' : 'a public sandbox label',
    issuer,
  });
}

function webhookConfig(env: Env, sandbox: boolean, jwtSecret: string | null): WebhookConfig {
  const timeoutMs = int(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 60_000);
  const leaseMs = int(env, 'WEBHOOK_LEASE_MS', 30_000, 1_000);
  // A claim must outlive the longest request it may still start, or two instances could overlap.
  if (leaseMs < 2 * timeoutMs) throw new ConfigError('WEBHOOK_LEASE_MS must be at least twice WEBHOOK_TIMEOUT_MS');
  return Object.freeze({
    allowPrivateUrls: bool(env, 'WEBHOOK_ALLOW_PRIVATE_URLS', sandbox),
    retryBaseMs: int(env, 'WEBHOOK_RETRY_BASE_MS', 30_000, 1, 3_600_000),
    retryWindowMs: Math.round(positive(env, 'WEBHOOK_RETRY_HOURS', 72) * 3_600_000),
    timeoutMs,
    leaseMs,
    concurrency: int(env, 'WEBHOOK_CONCURRENCY', 16, 1, 1000),
    retentionDays: positive(env, 'WEBHOOK_DELIVERY_RETENTION_DAYS', 30),
    encryptionKeys: webhookEncryptionKeys(env, jwtSecret),
  });
}

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const sandbox = bool(env, 'SANDBOX', true);
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const jwtSecret = env.JWT_SECRET || null;
  const apiKey = env.API_KEY || null;
  if (!sandbox && !jwtSecret) throw new ConfigError('JWT_SECRET is required when SANDBOX=false');
  if (!sandbox && !apiKey) throw new ConfigError('API_KEY is required when SANDBOX=false');
  const sca = scaConfig(env, sandbox, jwtSecret);
  if (jwtSecret && jwtSecret.length < 32) throw new ConfigError('JWT_SECRET must be at least 32 characters');
  if (env.API_KEY_PEPPER && env.API_KEY_PEPPER.length < 32) throw new ConfigError('API_KEY_PEPPER must be at least 32 characters');
  // A random secret means tokens die with the process: fine for a sandbox, never for production.
  const effectiveJwtSecret = jwtSecret ?? randomBytes(32).toString('hex');

  return Object.freeze({
    port: int(env, 'PORT', 4000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    databaseUrl,
    dataDir: env.DATA_DIR || '.data/pglite',
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    // In sandbox a missing key gets a documented default so the demo works out of the box.
    apiKey: apiKey ?? (sandbox ? 'sandbox-operator-key' : null),
    jwtSecret: effectiveJwtSecret,
    // Unset: derived from JWT_SECRET (required outside the sandbox), so keys survive restarts with it.
    apiKeyPepper: env.API_KEY_PEPPER || createHmac('sha256', effectiveJwtSecret).update('api-key-pepper').digest('hex'),
    jwtTtlSeconds: int(env, 'JWT_TTL_SECONDS', 8 * 3600, 60),
    sandbox,
    seedDemo: bool(env, 'SEED_DEMO', databaseUrl === null),
    autopilot: Object.freeze({
      enabled: sandbox && bool(env, 'AUTOPILOT', databaseUrl === null),
      stepDelayMs: int(env, 'AUTOPILOT_STEP_MS', 3000, 0),
      failureRate: ratio(env, 'AUTOPILOT_FAILURE_RATE', 0.05),
      returnRate: ratio(env, 'AUTOPILOT_RETURN_RATE', 0.02),
    }),
    pollIntervalMs: int(env, 'POLL_INTERVAL_MS', 1000, 10),
    runJobs: bool(env, 'RUN_JOBS', true),
    logLevel: env.LOG_LEVEL || 'info',
    logFormat: oneOf(env, 'LOG_FORMAT', ['json', 'pretty'] as const, defaultLogFormat(env)),
    otlpEndpoint: url(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', ['http:', 'https:']),
    serviceName: env.OTEL_SERVICE_NAME || 'payment-run-gateway',
    maxRequestBytes: int(env, 'MAX_REQUEST_BYTES', 16 * 1024 * 1024, 1024),
    rateLimitPerMinute: int(env, 'RATE_LIMIT_PER_MINUTE', 1200, 0),
    metricsPort: env.METRICS_PORT ? int(env, 'METRICS_PORT', 0, 0, 65535) : null,
    idempotencyLeaseMs: int(env, 'IDEMPOTENCY_LEASE_MS', 30_000, 500),
    maxSubscriptionsPerSocket: int(env, 'MAX_SUBSCRIPTIONS_PER_SOCKET', 100, 1),
    streamAuthCheckMs: int(env, 'STREAM_AUTH_CHECK_MS', 30_000, 50, 60_000),
    maxQueryCost: int(env, 'MAX_QUERY_COST', 100_000, 1),
    maxQueryDepth: int(env, 'MAX_QUERY_DEPTH', 12, 1),
    maxQueryAliases: int(env, 'MAX_QUERY_ALIASES', 20, 0),
    corsOrigins: origins(env, 'CORS_ORIGINS'),
    webhooks: webhookConfig(env, sandbox, jwtSecret),
    sca,
    copProvider: oneOf(env, 'COP_PROVIDER', ['sandbox', 'none'] as const, 'sandbox'),
    bankWebhookSecret: webhookSecret(env, 'BANK_WEBHOOK_SECRET'),
  });
}
