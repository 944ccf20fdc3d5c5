import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { seedDemo } from './sandbox/demo-seed.ts';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Configuration error: ${error.message}`);
    process.exit(1);
  }
  throw error;
}

let app;
try {
  app = await buildApp(config);
} catch (error) {
  // A setting that only fails on use (an unreachable DATABASE_URL) is still a configuration error.
  if (error instanceof ConfigError) {
    console.error(`Configuration error: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
const { logger } = app.services;
// Ready means ready: with a demo seed, /ready answers 503 until the demo users can sign in.
const url = await app.start({ ready: !config.seedDemo });
logger.info({ url, database: app.services.database.kind, pubsub: app.services.bus.kind, sandbox: config.sandbox }, 'gateway listening');
if (config.seedDemo) {
  await seedDemo(app.services, url);
  app.markReady();
}

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    try {
      await app.stop();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'unclean shutdown');
      process.exit(1);
    }
  });
}
