import { ConfigError } from '../config.ts';
import { mkdir } from 'node:fs/promises';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import { applyMigrations, pendingMigrations, type SqlRunner } from './migrations.ts';

export type { PrismaClient };

/**
 * The database the gateway runs on: PostgreSQL when a URL is given, otherwise an embedded
 * PostgreSQL (PGlite) in a local folder, so a newcomer needs nothing installed. Both run the same
 * migrations at start-up and expose the same Prisma client.
 */
export interface Database {
  readonly kind: 'postgres' | 'embedded';
  readonly prisma: PrismaClient;
  /**
   * Read-only SQL straight to the driver, for hot paths where Prisma's result mapping costs more
   * than the query (payable pages, the actor read on every operation). Callers name buyer_id
   * themselves. BIGINT columns come back as strings. With a `name`, PostgreSQL keeps the statement
   * prepared per connection (parsed and planned once, not per call); one name, one SQL text.
   */
  query<T>(sql: string, params?: unknown[], name?: string): Promise<T[]>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  url: string | null;
  dataDir: string;
  logger: Logger;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
  /** Sees every SQL statement sent to PostgreSQL (tests count them to catch N+1 queries). */
  onQuery?: (sql: string) => void;
  /**
   * false: never change the schema; refuse (ConfigError) when migrations of this release are missing.
   * For maintenance commands (`npm run rekey`) that must not migrate a database gateways serve from.
   */
  migrate?: boolean;
}

async function refuseSchemaBehind(runner: SqlRunner) {
  const pending = await pendingMigrations(runner);
  if (pending.length > 0) {
    throw new ConfigError(`the database schema is behind this release (${pending.length} migration(s) not applied, first ${pending[0]}): start a gateway of this release first, which migrates it`);
  }
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  return options.url ? openPostgres(options.url, options) : openEmbedded(options.dataDir, options);
}

async function openPostgres(url: string, { logger, poolSize = 10, onQuery, migrate = true }: OpenDatabaseOptions): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5_000 });
  if (onQuery) {
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      client.query = ((...args: unknown[]) => {
        const first = args[0] as string | { text?: string };
        onQuery(typeof first === 'string' ? first : (first?.text ?? ''));
        return query(...args);
      }) as typeof client.query;
    });
  }
  pool.on('error', (error) => logger.warn({ err: error }, 'idle database connection failed'));

  let connection: pg.PoolClient;
  try {
    connection = await pool.connect();
  } catch (error) {
    await pool.end().catch(() => {});
    // The usual cause is the setting itself (host, port, user, database name): say so in one line.
    const where = new URL(url);
    throw new ConfigError(`DATABASE_URL: cannot connect to ${where.hostname}:${where.port || 5432}${where.pathname} (${(error as Error).message || (error as NodeJS.ErrnoException).code})`);
  }
  try {
    const runner: SqlRunner = {
      query: async (sql, params) => (await connection.query(sql, params)).rows,
      exec: async (sql) => void (await connection.query(sql)),
    };
    if (migrate) {
      const applied = await applyMigrations(runner);
      if (applied.length) logger.info({ applied }, 'database migrated');
    } else {
      await refuseSchemaBehind(runner);
    }
  } catch (error) {
    connection.release();
    await pool.end().catch(() => {});
    throw error;
  }
  connection.release();

  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    kind: 'postgres',
    prisma,
    query: async <T,>(sql: string, params?: unknown[], name?: string) =>
      (await (name ? pool.query({ name, text: sql, values: params }) : pool.query(sql, params))).rows as T[],
    ping: () => ping(prisma),
    async close() {
      await prisma.$disconnect();
      await pool.end().catch(() => {});
    },
  };
}

async function openEmbedded(dataDir: string, { logger, migrate = true }: OpenDatabaseOptions): Promise<Database> {
  // Loaded lazily: the embedded engine is a large WASM module that production never needs.
  const [{ PGlite }, { PrismaPGlite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('pglite-prisma-adapter'),
  ]);
  const inMemory = dataDir === 'memory://';
  if (!inMemory) await mkdir(dataDir, { recursive: true });
  const pglite = await PGlite.create(inMemory ? undefined : dataDir);
  const runner: SqlRunner = {
    query: async <T,>(sql: string, params?: unknown[]) => (await pglite.query<T>(sql, params)).rows,
    exec: async (sql) => void (await pglite.exec(sql)),
  };
  if (migrate) {
    const applied = await applyMigrations(runner);
    if (applied.length) logger.info({ applied, dataDir }, 'embedded database migrated');
  } else {
    await refuseSchemaBehind(runner).catch(async (error: unknown) => {
      await pglite.close().catch(() => {});
      throw error;
    });
  }

  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    kind: 'embedded',
    prisma,
    query: async <T,>(sql: string, params?: unknown[]) => (await pglite.query<T>(sql, params)).rows,
    ping: () => ping(prisma),
    async close() {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}

async function ping(prisma: PrismaClient): Promise<boolean> {
  try {
    await prisma.$queryRaw`SELECT 1`;
    return true;
  } catch {
    return false;
  }
}
