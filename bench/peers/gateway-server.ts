// The gateway in its own process for `npm run bench:peers`: configured from the environment the
// driver passes, prints `LISTENING <url>` once it serves, stops on SIGTERM.
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';

const app = await buildApp(loadConfig(process.env), { logger: createLogger('error') });
console.log(`LISTENING ${await app.start()}`);
process.on('SIGTERM', () => void app.stop().finally(() => process.exit(0)));
