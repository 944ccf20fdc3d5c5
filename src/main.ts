import { ConfigError, loadConfig } from './config.ts';
import { startTracing } from './observability/tracing.ts';

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

// Tracing first, the app after: the instrumentations patch pg, ioredis and http as they are imported.
const tracing = config.otlpEndpoint ? await startTracing({ serviceName: config.serviceName }) : null;
const { buildApp } = await import('./app.ts');
const { seedDemo } = await import('./sandbox/demo-seed.ts');

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
logger.info({ url, database: app.services.database.kind, pubsub: app.services.bus.kind, sandbox: config.sandbox, tracing: Boolean(tracing) }, 'gateway listening');
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
      await tracing?.shutdown();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'unclean shutdown');
      process.exit(1);
    }
  });
}
