import { loadConfig } from '../config.js';
import { startupFailure } from '../startup-error.js';
import { createLogger } from '../logger.js';
import { openDatabase } from './client.js';
import { runMigrations } from './migrate.js';
import { seedDemo } from './seed.js';

/** `npm run seed`: migrate, then load the demo data unless it is there already. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config);
  if (config.isProduction && !process.argv.includes('--allow-production')) {
    logger.error('refusing to load demo data with NODE_ENV=production; pass --allow-production to mean it');
    process.exitCode = 1;
    return;
  }
  const database = await openDatabase(config, logger);
  try {
    await runMigrations(database, logger);
    await seedDemo(database.db, logger);
  } finally {
    await database.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${startupFailure(err)}\n`);
  process.exit(1);
});
