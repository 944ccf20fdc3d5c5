/**
 * Process entry of the rekey command: `npm run rekey [-- --batch-size=500]` (scripts/rekey.ts) in a
 * checkout, `node dist/ops/rekey-main.js` in the production image. After a key rotation it re-seals
 * every stored TOTP secret and webhook signing secret that a previous key opens under the current
 * key (rekey.ts). Reads the gateway's own settings (DATABASE_URL, SCA_ENCRYPTION_KEY[_PREVIOUS],
 * WEBHOOK_ENCRYPTION_KEY[_PREVIOUS], …) and is safe to run while gateways serve. Prints counts, never
 * a secret; exits 1 on a configuration or database error.
 */
import { ConfigError, loadConfig } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { createLogger } from '../logger.ts';
import { describeRekey, rekeySecrets } from './rekey.ts';

function batchSize(args: string[]): number {
  const flag = args.find((arg) => arg.startsWith('--batch-size='));
  if (!flag) return 500;
  const value = Number(flag.slice('--batch-size='.length));
  if (!Number.isInteger(value) || value < 1 || value > 10_000) throw new ConfigError('--batch-size must be an integer from 1 to 10000');
  return value;
}

async function main(): Promise<number> {
  let config;
  let size;
  try {
    config = loadConfig();
    size = batchSize(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`Configuration error: ${error.message}`);
    return 1;
  }
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, undefined, config.logFormat);
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, logger, poolSize: 2 });
  try {
    const keys = { sca: config.sca.encryptionKeys, webhooks: config.webhooks.encryptionKeys };
    const report = await rekeySecrets({ prisma: database.prisma, keys, batchSize: size });
    for (const line of describeRekey(keys, report)) console.log(line);
    return 0;
  } finally {
    await database.close();
  }
}

process.exitCode = await main().catch((error: unknown) => {
  console.error(`rekey failed: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
});
