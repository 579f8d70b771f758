import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { LiveBus } from './live.bus.js';
import { LiveHub } from './live.hub.js';
import { liveKeys, type LiveKeys } from './live.keys.js';
import { createLiveMetrics } from './live.metrics.js';
import { createLivePublisher, type LiveUpdatesPublisher } from './live.publisher.js';

/**
 * Live updates of one server instance (DESIGN.md, "Live updates"): the publisher the write path
 * calls after each commit, the instance's one subscription, and the hub of its open streams.
 */
export interface Live {
  publisher: LiveUpdatesPublisher;
  hub: LiveHub;
  redis: Redis;
  keys: LiveKeys;
  /** Ends open streams with a reconnect hint (shutdown); new ones are refused from then on. */
  endStreams(): void;
  close(): Promise<void>;
}

export function createLive(config: Pick<Config, 'redis' | 'live'>, redis: Redis, logger: Logger, registry: Registry): Live {
  const keys = liveKeys(config.redis.prefix);
  const metrics = createLiveMetrics(registry);
  const log = logger.child({ component: 'live' });
  const publisher = createLivePublisher(redis, keys, log, metrics);
  let hub: LiveHub | undefined;
  // The bus reports to the hub, and the hub reads the bus's watermark.
  const bus = new LiveBus(redis, keys, log, metrics, {
    batch: (b) => hub?.batch(b),
    revoked: (id) => hub?.revoked(id),
    gap: () => hub?.gap(),
  });
  hub = new LiveHub(bus, metrics, log, config.live);
  return {
    publisher,
    hub,
    redis,
    keys,
    endStreams: () => hub.close(),
    async close() {
      hub.close();
      await bus.close();
    },
  };
}
