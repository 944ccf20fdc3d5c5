/**
 * Process entry of the rekey command: `npm run rekey [-- --batch-size=500] [--dry-run] [--embedded]`
 * (scripts/rekey.ts) in a checkout, `node dist/ops/rekey-main.js` in the production image. After a
 * key rotation it re-seals every stored TOTP secret and webhook signing secret that a previous key
 * opens under the current key (rekey.ts). Reads the gateway's own settings (DATABASE_URL,
 * SCA_ENCRYPTION_KEY[_PREVIOUS], WEBHOOK_ENCRYPTION_KEY[_PREVIOUS], …) and is safe to run while
 * gateways serve from PostgreSQL. It never migrates: on a schema behind this release it refuses.
 * Prints counts, never a secret. Exit codes: 0 done; 1 configuration or database error; 2 unknown
 * argument; 3 finished, but some values were unreadable or changed meanwhile (the last line says so).
 */
import { ConfigError, loadConfig } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { createLogger } from '../logger.ts';
import { describeRekey, rekeyIncomplete, rekeySecrets } from './rekey.ts';

const USAGE = 'usage: rekey [--batch-size=N] [--dry-run] [--embedded]';

class UsageError extends Error {}

interface Arguments { batchSize: number; dryRun: boolean; embedded: boolean }

function parseArguments(args: string[]): Arguments {
  const parsed: Arguments = { batchSize: 500, dryRun: false, embedded: false };
  for (const arg of args) {
    if (arg === '--dry-run') parsed.dryRun = true;
    else if (arg === '--embedded') parsed.embedded = true;
    else if (arg.startsWith('--batch-size=')) {
      const value = Number(arg.slice('--batch-size='.length));
      if (!Number.isInteger(value) || value < 1 || value > 10_000) throw new UsageError('--batch-size must be an integer from 1 to 10000');
      parsed.batchSize = value;
    } else {
      throw new UsageError(`unknown argument ${JSON.stringify(arg.slice(0, 40))}`);
    }
  }
  return parsed;
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArguments(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`rekey: ${error.message} (${USAGE})`);
    return 2;
  }
  let config;
  try {
    config = loadConfig();
    if (!config.databaseUrl && !args.embedded) {
      // PGlite is single-process: opening its data folder while a gateway has it open damages it.
      throw new ConfigError(`DATABASE_URL is not set: this would open the embedded database in ${config.dataDir}; stop the gateway first, then run again with --embedded`);
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`Configuration error: ${error.message}`);
    return 1;
  }
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, undefined, config.logFormat);
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, logger, poolSize: 2, migrate: false });
  try {
    const keys = { sca: config.sca.encryptionKeys, webhooks: config.webhooks.encryptionKeys };
    const report = await rekeySecrets({ prisma: database.prisma, keys, batchSize: args.batchSize, dryRun: args.dryRun });
    for (const line of describeRekey(keys, report, { dryRun: args.dryRun })) console.log(line);
    return rekeyIncomplete(report) ? 3 : 0;
  } finally {
    await database.close();
  }
}

process.exitCode = await main().catch((error: unknown) => {
  console.error(`rekey failed: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
});
