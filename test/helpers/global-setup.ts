import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { applyMigrations } from '../../src/db/migrations.ts';

/**
 * One fresh PostgreSQL database per test run, migrated once, dropped at the end (only the one we
 * created). Test files share it; every test makes its own buyer, so tenants keep them apart.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    redisUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const server = new URL(process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
  const name = `gateway_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server.href });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(server.href);
  url.pathname = `/${name}`;

  const db = new pg.Client({ connectionString: url.href });
  await db.connect();
  await applyMigrations({
    query: async (sql, params) => (await db.query(sql, params)).rows,
    exec: async (sql) => void (await db.query(sql)),
  });
  await db.end();

  project.provide('databaseUrl', url.href);
  project.provide('redisUrl', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

  return async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  };
}
