import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { loadConfig } from '../config.js';
import { createMetrics, type Metrics } from '../metrics/metrics.js';
import { createRedis, quitRedis } from '../redis/redis.client.js';
import { testLogger } from '../../test/support/logs.js';
import { createCache, type CacheKey } from './cache.js';

/**
 * DESIGN rule 4: once a write is acknowledged (committed, then invalidated), no read that starts
 * afterwards may return the value from before it. Readers and writers on two cache instances
 * (two connections, as two server processes would have) hammer a few keys of an in-memory
 * versioned table whose loader stalls at random points, before and after it reads the row.
 */
const Row = z.strictObject({ id: z.number().int(), version: z.number().int() });

const logger = testLogger('warn');
// The client's own command timeout is raised with the cache's: these suites test coordination,
// and a busy machine's latency must not turn into a fail-open that they would count as a miss.
const config = loadConfig({ ...process.env, REDIS_COMMAND_TIMEOUT_MS: '10000' });
const IDS = [1, 2, 3];

interface RaceResult {
  reads: number;
  writes: number;
  stale: { id: number; read: number; acknowledged: number }[];
  refusedFills: number;
}

const pause = (maxMs: number) =>
  new Promise<void>((resolve) => {
    const ms = Math.floor(Math.random() * (maxMs + 1));
    if (ms === 0) setImmediate(resolve);
    else setTimeout(resolve, ms);
  });
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const keyOf = (id: number): CacheKey => ({ namespace: 'record', id });

async function counter(metrics: Metrics, name: string): Promise<number> {
  const metric = metrics.registry.getSingleMetric(`crewplots_cache_${name}`)!;
  return (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);
}

interface RaceOptions {
  unsafeSkipFillGuard: boolean;
  /** Stop after this many acknowledged writes... */
  writes: number;
  /** ...or this long, whichever comes first (a busy machine gets through fewer). */
  maxMs: number;
  stopAtFirstStale: boolean;
}

async function race(clients: Redis[], options: RaceOptions): Promise<RaceResult> {
  const prefix = `${config.redis.prefix}race-${randomBytes(3).toString('hex')}:`;
  const instances = clients.map((client) => {
    const metrics = createMetrics({ processMetrics: false });
    const cache = createCache({ main: client, store: client, prefix, logger, metrics: metrics.cache, opTimeoutMs: 10_000, unsafeSkipFillGuard: options.unsafeSkipFillGuard });
    return { cache, metrics };
  });
  await Promise.all(instances.map((i) => i.cache.ready));

  const table = new Map(IDS.map((id) => [id, 0]));
  const acknowledged = new Map(IDS.map((id) => [id, 0]));
  const result: RaceResult = { reads: 0, writes: 0, stale: [], refusedFills: 0 };
  const deadline = Date.now() + options.maxMs;
  const running = () => result.writes < options.writes && Date.now() < deadline && !(options.stopAtFirstStale && result.stale.length > 0);

  const load = (id: number) => async () => {
    await pause(3);
    const version = table.get(id)!;
    await pause(8);
    return { id, version };
  };

  const writer = async (cache: (typeof instances)[number]['cache']) => {
    while (running()) {
      const id = pick(IDS);
      const version = table.get(id)! + 1;
      table.set(id, version); // the commit
      await pause(2);
      await cache.invalidate([keyOf(id)]);
      acknowledged.set(id, Math.max(acknowledged.get(id)!, version));
      result.writes += 1;
      await pause(6);
    }
  };

  const reader = async (cache: (typeof instances)[number]['cache']) => {
    while (running()) {
      const id = pick(IDS);
      const floor = acknowledged.get(id)!;
      const hit = await cache.getOrLoad({ key: keyOf(id), ttl: 'LONG', schema: Row, load: load(id) });
      result.reads += 1;
      const read = hit!.value().version;
      if (read < floor) result.stale.push({ id, read, acknowledged: floor });
      await pause(1);
    }
  };

  await Promise.all(
    instances.flatMap(({ cache }) => [
      ...Array.from({ length: 2 }, () => writer(cache)),
      ...Array.from({ length: 8 }, () => reader(cache)),
    ]),
  );
  for (const { cache, metrics } of instances) {
    result.refusedFills += await counter(metrics, 'stale_fill_rejections_total');
    await cache.close();
  }
  return result;
}

describe('concurrent readers and writers on two instances', () => {
  let clients: Redis[];
  beforeAll(() => {
    clients = ['race-a', 'race-b'].map((role) => createRedis(config, logger, { role }));
  });
  afterAll(() => Promise.all(clients.map((c) => quitRedis(c))));

  it('never read a value older than the last acknowledged write', async () => {
    const result = await race(clients, { unsafeSkipFillGuard: false, writes: 800, maxMs: 15_000, stopAtFirstStale: false });

    expect(result.stale).toEqual([]);
    expect(result.writes).toBeGreaterThan(100);
    expect(result.reads).toBeGreaterThan(result.writes);
    // The race did happen, and the lease refused the late fills it would have made stale.
    expect(result.refusedFills).toBeGreaterThan(0);
  });

  it('do read stale values with the fill guard switched off, so the test above can fail', async () => {
    const result = await race(clients, { unsafeSkipFillGuard: true, writes: Infinity, maxMs: 15_000, stopAtFirstStale: true });

    expect(result.stale.length).toBeGreaterThan(0);
    expect(result.stale[0]!.read).toBeLessThan(result.stale[0]!.acknowledged);
  });
});
