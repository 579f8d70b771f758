import type { Config } from './config.js';
import { createCache, type Cache, type CacheTimings } from './cache/cache.js';
import { openDatabase, type DatabaseHandle } from './db/client.js';
import type { Logger } from './logger.js';
import { createLive, type Live } from './live/live.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { createRedisClients, type RedisClients } from './redis/redis.client.js';

/**
 * The connected dependencies of one server instance. index.ts opens them for the process; tests
 * open them for each app they build. `close` releases everything in the right order.
 */
export interface Runtime {
  config: Config;
  logger: Logger;
  database: DatabaseHandle;
  redis: RedisClients;
  metrics: Metrics;
  cache: Cache;
  /** Live updates: `live.publisher` after each commit, and this instance's event streams. */
  live: Live;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  processMetrics?: boolean;
  /**
   * The cache's own bounds, for a test that measures something else under a load its process
   * cannot answer in time (a stampede of hundreds of requests in the test's own process).
   */
  cacheTimings?: Partial<CacheTimings>;
}

export async function openRuntime(config: Config, logger: Logger, options: RuntimeOptions = {}): Promise<Runtime> {
  const redis = createRedisClients(config, logger);
  const database = await openDatabase(config, logger);
  const metrics = createMetrics({ processMetrics: options.processMetrics });
  const cache = createCache({
    main: redis.main,
    store: redis.cache,
    prefix: config.redis.prefix,
    logger,
    metrics: metrics.cache,
    disabled: config.cacheDisabled,
    ...options.cacheTimings,
  });
  const live = createLive(config, redis.main, logger, metrics.registry);
  return {
    config,
    logger,
    database,
    redis,
    metrics,
    cache,
    live,
    close: async () => {
      await live.close();
      await cache.close();
      await Promise.allSettled([redis.close(), database.close()]);
    },
  };
}
