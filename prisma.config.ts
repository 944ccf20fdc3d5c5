import { defineConfig } from 'prisma/config';

// Prisma 7 reads the connection from here. Migrations are created with `npm run migrate:new`
// (offline, WASM engine) and applied by the app at start; online, `prisma migrate deploy` works too.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' },
});
