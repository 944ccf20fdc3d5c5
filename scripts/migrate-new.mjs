// Writes prisma/migrations/<timestamp>_<name>/migration.sql: the SQL that takes the data model as
// committed (git HEAD's prisma/schema.prisma, which the existing migrations produce) to the edited
// prisma/schema.prisma. It is `prisma migrate dev --create-only` done offline with the WASM build of
// Prisma's schema engine. The engine's database-introspecting diff ("from url") is gone from the WASM
// build and its adapter cannot read PostgreSQL's catalog, so the diff is datamodel to datamodel. Every
// test database is built by applying the migrations, so a wrong one fails the suite.
// Usage: npm run migrate:new -- <name> [--from <git ref>]   (needs git; no database)
import { execFileSync } from 'node:child_process';
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import { SchemaEngine } from '@prisma/schema-engine-wasm';

const args = process.argv.slice(2);
const fromFlag = args.indexOf('--from');
const fromRef = fromFlag >= 0 ? args.splice(fromFlag, 2)[1] : 'HEAD';
const name = (args[0] ?? '').replace(/[^a-z0-9_]/gi, '_');
if (!name) throw new Error('usage: npm run migrate:new -- <name> [--from <git ref>]');

const path = 'prisma/schema.prisma';
const before = execFileSync('git', ['show', `${fromRef}:${path}`], { encoding: 'utf8' });
const after = await readFile(path, 'utf8');

// The engine wants an adapter even for a diff that never connects.
const adapter = bindMigrationAwareSqlAdapterFactory(
  new PrismaPg({ connectionString: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' }),
);
const engine = await SchemaEngine.new({ datamodels: [[path, after]] }, () => {}, adapter);
const { stdout } = await engine.diff({
  from: { tag: 'schemaDatamodel', files: [{ path, content: before }] },
  to: { tag: 'schemaDatamodel', files: [{ path, content: after }] },
  script: true,
  exitCode: null,
  filters: { externalTables: [], externalEnums: [] },
});
if (!stdout || /^-- This is an empty migration/.test(stdout.trim())) {
  console.log(`schema.prisma and ${fromRef} agree: nothing to write`);
} else {
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const folder = `prisma/migrations/${stamp}_${name}`;
  await mkdir(folder, { recursive: true });
  await writeFile(`${folder}/migration.sql`, stdout);
  await writeFile('prisma/migrations/migration_lock.toml', 'provider = "postgresql"\n');
  console.log(`wrote ${folder}/migration.sql (from ${fromRef}'s schema.prisma; add hand-written SQL such as triggers below it)`);
}
