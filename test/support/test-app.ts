import type { Express } from 'express';
import { createApp, type AppDeps } from '../../server/app.js';
import { loadConfig, type Config } from '../../server/config.js';
import { openDatabase } from '../../server/db/client.js';
import { createRedisClients } from '../../server/redis/redis.client.js';
import { testLogger } from './logs.js';

export interface TestApp {
  app: Express;
  deps: AppDeps;
  close(): Promise<void>;
}

/**
 * The real app on the real services, configured from the test environment (global setup) plus
 * any overrides, e.g. `{ REDIS_PORT: '6390' }` to point it at a Redis the test controls.
 */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const config: Config = loadConfig({ ...process.env, ...env });
  const logger = testLogger();
  const database = await openDatabase(config, logger);
  const redis = createRedisClients(config, logger);
  const deps: AppDeps = { config, logger, database, redis };
  return {
    app: createApp(deps),
    deps,
    close: async () => {
      await Promise.allSettled([redis.close(), database.close()]);
    },
  };
}
