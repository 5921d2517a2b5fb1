import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '@hub/config';
import { createRootLogger } from '@hub/telemetry';
import { ConsoleConfig } from './config/console.config.js';
import { buildConsoleServer } from './server/console-server.js';

/** dist/apps/console/src/main.js → dist/console, where Vite writes the page. */
const ASSETS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../console');

async function main(): Promise<void> {
  const config = loadConfig(ConsoleConfig);
  const logger = createRootLogger({ app: 'console', level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  const server = await buildConsoleServer(config, ASSETS_DIR, logger);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await server.listen({ port: config.CONSOLE_PORT, host: config.HOST });
  logger.info(`listening on http://127.0.0.1:${config.CONSOLE_PORT}/console/`);
}

main().catch((error: unknown) => {
  const reason = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
  process.stderr.write(`console: cannot start: ${reason}\n`);
  process.exit(1);
});
