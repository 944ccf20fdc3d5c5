import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { applyMigrations } from '../../src/db/migrations.ts';

/**
 * A migrated database of the test's own, on the run's PostgreSQL server: for tests that read
 * database-wide figures (metrics) or break the schema on purpose, which the shared one cannot allow.
 */
export async function createOwnDatabase(): Promise<{ url: string; query: (sql: string) => Promise<unknown>; drop: () => Promise<void> }> {
  const shared = new URL(inject('databaseUrl'));
  const name = `gateway_own_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: shared.href });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(shared.href);
  url.pathname = `/${name}`;
  const db = new pg.Client({ connectionString: url.href });
  await db.connect();
  await applyMigrations({
    query: async (sql, params) => (await db.query(sql, params)).rows,
    exec: async (sql) => void (await db.query(sql)),
  });
  return {
    url: url.href,
    query: (sql) => db.query(sql),
    async drop() {
      await db.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}
