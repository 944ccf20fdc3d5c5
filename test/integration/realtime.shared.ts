import pg from 'pg';
import { inject } from 'vitest';

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
