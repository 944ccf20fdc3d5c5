// Writes prisma/migrations/<timestamp>_<name>/migration.sql: the SQL that takes a database with every
// existing migration applied to the current prisma/schema.prisma. It is `prisma migrate dev
// --create-only` done offline: the WASM build of Prisma's schema engine diffs a scratch PostgreSQL
// database (created here, migrated, then dropped) against the schema.
// Usage: npm run migrate:new -- <name>   (needs PostgreSQL; DATABASE_URL or the local default)
import { readFile, readdir, mkdir, writeFile } from 'node:fs/promises';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import { SchemaEngine } from '@prisma/schema-engine-wasm';
import pg from 'pg';

const name = (process.argv[2] ?? '').replace(/[^a-z0-9_]/gi, '_');
if (!name) throw new Error('usage: npm run migrate:new -- <name>');

const serverUrl = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
const scratch = `migrate_scratch_${process.pid}`;
const admin = new pg.Client({ connectionString: serverUrl.href });
await admin.connect();
await admin.query(`CREATE DATABASE ${scratch}`);
const scratchUrl = new URL(serverUrl.href);
scratchUrl.pathname = `/${scratch}`;

try {
  const dir = 'prisma/migrations';
  const existing = (await readdir(dir).catch(() => [])).filter((d) => /^\d+_/.test(d)).sort();
  const db = new pg.Client({ connectionString: scratchUrl.href });
  await db.connect();
  for (const migration of existing) await db.query(await readFile(`${dir}/${migration}/migration.sql`, 'utf8'));
  await db.end();

  const schema = await readFile('prisma/schema.prisma', 'utf8');
  // The engine expects Prisma's error-capturing wrapper around the adapter factory.
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg({ connectionString: scratchUrl.href }));
  const engine = await SchemaEngine.new({ datamodels: [['prisma/schema.prisma', schema]] }, () => {}, adapter);
  const { stdout } = await engine.diff({
    from: existing.length ? { tag: 'url', url: scratchUrl.href } : { tag: 'empty' },
    to: { tag: 'schemaDatamodel', files: [{ path: 'prisma/schema.prisma', content: schema }] },
    script: true,
    exitCode: null,
    filters: { externalTables: [], externalEnums: [] },
  });
  if (!stdout || /^-- This is an empty migration/.test(stdout.trim())) {
    console.log('schema and migrations agree: nothing to write');
  } else {
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    const folder = `${dir}/${stamp}_${name}`;
    await mkdir(folder, { recursive: true });
    await writeFile(`${folder}/migration.sql`, stdout);
    await writeFile(`${dir}/migration_lock.toml`, 'provider = "postgresql"\n');
    console.log(`wrote ${folder}/migration.sql`);
  }
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
  await admin.end();
}
