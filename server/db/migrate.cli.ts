import { loadConfig } from '../config.js';
import { startupFailure } from '../startup-error.js';
import { createLogger } from '../logger.js';
import { openDatabase } from './client.js';
import { runMigrations } from './migrate.js';

/** `npm run db:migrate`: apply committed migrations (the server also does this on start). */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config);
  const database = await openDatabase(config, logger);
  try {
    await runMigrations(database, logger);
  } finally {
    await database.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${startupFailure(err)}\n`);
  process.exit(1);
});
