import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { loadConfig } from '../config.js';
import { createMetrics, type Metrics } from '../metrics/metrics.js';
import { createRedis, quitRedis } from '../redis/redis.client.js';
import { testLogger } from '../../test/support/logs.js';
import { createCache, type Cache, type CacheOptions } from './cache.js';
import { entryKey, leaseKey } from './cache.keys.js';

const Venue = z.strictObject({ id: z.number().int(), name: z.string() });

const logger = testLogger('warn');
// The client's own command timeout is raised with the cache's: these suites test coordination,
// and a busy machine's latency must not turn into a fail-open that they would count as a miss.
const config = loadConfig({ ...process.env, REDIS_COMMAND_TIMEOUT_MS: '10000' });

describe('a cold key read by many at once', () => {
  let clients: Redis[];
  const caches: Cache[] = [];
  const metricsOf = new Map<Cache, Metrics>();
  let prefix: string;

  beforeAll(() => {
    clients = ['stampede-a', 'stampede-b'].map((role) => createRedis(config, logger, { role }));
  });
  afterEach(() => Promise.all(caches.splice(0).map((c) => c.close())));
  afterAll(() => Promise.all(clients.map((c) => quitRedis(c))));

  async function open(client: Redis, overrides: Partial<CacheOptions> = {}): Promise<Cache> {
    const metrics = createMetrics({ processMetrics: false });
    // A busy machine must not turn a wait for the lease holder into a second load.
    const cache = createCache({
      main: client,
      store: client,
      prefix,
      logger,
      metrics: metrics.cache,
      opTimeoutMs: 10_000,
      leaseMs: 10_000,
      fillWaitMs: 5_000,
      ...overrides,
    });
    caches.push(cache);
    metricsOf.set(cache, metrics);
    await cache.ready;
    return cache;
  }

  /** A loader that takes `ms` and counts its calls. */
  function slowVenue(id: number, ms: number) {
    const calls = { count: 0 };
    const load = async () => {
      calls.count += 1;
      await new Promise((r) => setTimeout(r, ms));
      return { id, name: `Venue ${id}` };
    };
    return { calls, load };
  }

  beforeAll(() => {
    prefix = `${config.redis.prefix}stampede-${randomBytes(3).toString('hex')}:`;
  });

  it('loads once for 500 concurrent reads in one instance', async () => {
    const cache = await open(clients[0]!);
    const { calls, load } = slowVenue(1, 30);

    const results = await Promise.all(Array.from({ length: 500 }, () => cache.getOrLoad({ key: { namespace: 'venue', id: 1 }, ttl: 'MEDIUM', schema: Venue, load })));

    expect(calls.count).toBe(1);
    expect(new Set(results.map((r) => String(r!.json)))).toEqual(new Set(['{"id":1,"name":"Venue 1"}']));
  });

  it('loads once for 500 concurrent reads split over two instances, through the fill lease', async () => {
    const [a, b] = [await open(clients[0]!), await open(clients[1]!)];
    for (const id of [2, 3, 4]) {
      const { calls, load } = slowVenue(id, 30);
      const read = (cache: Cache) => cache.getOrLoad({ key: { namespace: 'venue', id }, ttl: 'MEDIUM', schema: Venue, load });

      const results = await Promise.all(Array.from({ length: 500 }, (_, i) => read(i % 2 ? a : b)));

      const refused = await Promise.all([a, b].map(async (c) => (await metricsOf.get(c)!.registry.getSingleMetric('crewplots_cache_stale_fill_rejections_total')!.get()).values));
      expect({ id, loads: calls.count, refused, a: a.status(), b: b.status() }).toMatchObject({ id, loads: 1 });
      expect(results.every((r) => r!.value().id === id)).toBe(true);
    }
    // The other instance's readers got the fill in time: no wait ran out.
    const expired = await Promise.all([a, b].map(async (c) => (await metricsOf.get(c)!.registry.getSingleMetric('crewplots_cache_fill_waits_expired_total')!.get()).values));
    expect(expired).toEqual([[], []]);
  });

  it('takes over at once when the instance holding the lease fails its load', async () => {
    const [a, b] = [await open(clients[0]!), await open(clients[1]!)];
    let calls = 0;
    let failFirst!: () => void;
    const firstMayFail = new Promise<void>((resolve) => (failFirst = resolve));
    const load = async () => {
      calls += 1;
      if (calls === 1) {
        await firstMayFail;
        throw new Error('first load fails');
      }
      return { id: 5, name: 'Venue 5' };
    };
    const read = (cache: Cache) => cache.getOrLoad({ key: { namespace: 'venue', id: 5 }, ttl: 'MEDIUM', schema: Venue, load });
    const until = async (condition: () => Promise<boolean>) => {
      while (!(await condition())) await new Promise((r) => setTimeout(r, 2));
    };

    // a holds the lease and is loading...
    const first = expect(read(a)).rejects.toThrow('first load fails');
    await until(async () => (await clients[1]!.exists(leaseKey(prefix, entryKey(prefix, { namespace: 'venue', id: 5 })))) === 1);
    // ...b has seen that and waits for it...
    const started = Date.now();
    const second = read(b);
    await until(async () => (await metricsOf.get(b)!.registry.getSingleMetric('crewplots_cache_misses_total')!.get()).values.length > 0);
    // ...and a's load fails.
    failFirst();

    await first;
    expect((await second)!.value().name).toBe('Venue 5');
    expect(calls).toBe(2);
    // Long before its 5 s wait ran out, and holding the lease: it stored the value.
    expect(Date.now() - started).toBeLessThan(3_000);
    expect((await read(a))!.value().name).toBe('Venue 5');
    expect(calls).toBe(2);
  });

  it('waits at most fillWaitMs for a lease holder that never fills, then loads without storing', async () => {
    const cache = await open(clients[0]!, { fillWaitMs: 300 });
    const key = entryKey(prefix, { namespace: 'venue', id: 6 });
    // A holder that died mid-load: its lease outlives it until it expires.
    await clients[1]!.set(leaseKey(prefix, key), 'crashed-instance.1', 'PX', 5_000);
    const { calls, load } = slowVenue(6, 0);

    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 50 }, () => cache.getOrLoad({ key: { namespace: 'venue', id: 6 }, ttl: 'MEDIUM', schema: Venue, load })));
    const took = Date.now() - started;

    expect(results.every((r) => r!.value().id === 6)).toBe(true);
    expect(calls.count).toBe(1);
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(2_000);
    expect(await clients[0]!.exists(key)).toBe(0);
    // The one wait that ran out is counted (50 readers, one flight).
    const expired = await metricsOf.get(cache)!.registry.getSingleMetric('crewplots_cache_fill_waits_expired_total')!.get();
    expect(expired.values).toEqual([{ value: 1, labels: { namespace: 'venue' } }]);
  });
});
