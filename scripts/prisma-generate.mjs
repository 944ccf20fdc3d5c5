// `prisma generate` offline: the CLI insists on locating a schema engine binary even though
// generation never runs it, and downloading one is impossible here. Any existing file satisfies it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// A production install (`npm ci --omit=dev`) generates nothing: `npm run build` generated the client
// and compiled it into dist/, and the schema need not ship. (The CLI may still be present there, as
// a peer dependency of @prisma/client, so its absence is not the test.)
function resolveCli() {
  try {
    return createRequire(import.meta.url).resolve('prisma/build/index.js');
  } catch {
    return null;
  }
}
const cli = resolveCli();
// npm sets NODE_ENV=production for install scripts when it omits dev dependencies (and omits them
// by default when NODE_ENV=production), so either sign marks a production install.
const productionInstall =
  process.env.NODE_ENV === 'production' || (process.env.npm_config_omit ?? '').split(/[\s,]+/).includes('dev');
if (productionInstall || !cli) {
  const built = existsSync(new URL('../dist/generated/prisma/client.js', import.meta.url));
  console.log(`prisma generate skipped (production install): ${built ? 'the client compiled into dist/ is used' : 'run `npm run build` where dev dependencies are installed'}`);
  process.exit(0);
}

const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(import.meta.url);
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
const result = spawnSync(process.execPath, [cli, 'generate'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
