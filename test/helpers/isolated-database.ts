import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { applyMigrations } from '../../src/db/migrations.ts';

/**
 * A database of its own for tests that run gateways on another bus than the shared Redis (the
 * in-process bus, a Redis the test stops). Relay positions live in the database, so such an
 * instance on the shared one would publish other test files' events where their subscribers never
 * look. The gateway applies the migrations when it starts; `drop()` removes the database.
 */
export async function createIsolatedDatabase(label: string) {
  const url = new URL(inject('databaseUrl'));
  const name = `${url.pathname.slice(1)}_${label}_${process.pid}`;
  const admin = new pg.Client({ connectionString: url.href });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/**
 * The same, migrated here already: for tests that read database-wide figures (metrics) or break the
 * schema on purpose, which the shared database cannot allow.
 */
export async function createOwnDatabase(): Promise<{ url: string; query: (sql: string) => Promise<unknown>; drop: () => Promise<void> }> {
  const database = await createIsolatedDatabase(`own_${randomBytes(3).toString('hex')}`);
  const db = new pg.Client({ connectionString: database.url });
  await db.connect();
  await applyMigrations({
    query: async (sql, params) => (await db.query(sql, params)).rows,
    exec: async (sql) => void (await db.query(sql)),
  });
  return {
    url: database.url,
    query: (sql) => db.query(sql),
    async drop() {
      await db.end();
      await database.drop();
    },
  };
}
