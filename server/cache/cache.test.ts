import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { loadConfig } from '../config.js';
import { createMetrics, type Metrics } from '../metrics/metrics.js';
import { createRedis, quitRedis } from '../redis/redis.client.js';
import { testLogger } from '../../test/support/logs.js';
import { keysMatching } from '../../test/support/redis-keys.js';
import { CacheShapeError, createCache, type Cache, type CacheKey, type CacheOptions } from './cache.js';
import { encodeEnvelope, entryKey, epochKey, leaseKey } from './cache.keys.js';

const Person = z.strictObject({ id: z.number().int(), name: z.string(), updatedAt: z.iso.datetime() });
type Person = z.infer<typeof Person>;

const logger = testLogger('warn');
// The client's own command timeout is raised with the cache's: these suites test coordination,
// and a busy machine's latency must not turn into a fail-open that they would count as a miss.
const config = loadConfig({ ...process.env, REDIS_COMMAND_TIMEOUT_MS: '10000' });

/** A fresh key prefix under this run's, so each test sees only its own keys and epoch. */
const testPrefix = (tag: string) => `${config.redis.prefix}${tag}-${randomBytes(3).toString('hex')}:`;

describe('the cache on the shared Redis', () => {
  let redis: Redis;
  const caches: Cache[] = [];

  beforeAll(() => {
    redis = createRedis(config, logger, { role: 'cache-test' });
  });
  afterEach(async () => {
    await Promise.all(caches.splice(0).map((c) => c.close()));
  });
  afterAll(() => quitRedis(redis));

  async function open(overrides: Partial<CacheOptions> = {}): Promise<{ cache: Cache; metrics: Metrics; prefix: string }> {
    const metrics = createMetrics({ processMetrics: false });
    const prefix = overrides.prefix ?? testPrefix('cache');
    // Bounds far above any busy machine's stall: a lease that lapses between load and fill would
    // (rightly) leave the entry unstored and turn an expected hit into a miss.
    const cache = createCache({ main: redis, store: redis, prefix, logger, metrics: metrics.cache, opTimeoutMs: 10_000, leaseMs: 10_000, ...overrides });
    caches.push(cache);
    await cache.ready;
    return { cache, metrics, prefix };
  }

  /** A loader over one in-memory row that counts its calls. */
  function personLoader(row: Person | null) {
    const calls = { count: 0 };
    const load = async () => {
      calls.count += 1;
      return row && { ...row };
    };
    return { calls, load };
  }

  const key = (id: number): CacheKey => ({ namespace: 'person', id });
  const counter = async (metrics: Metrics, name: string) =>
    (await metrics.registry.getSingleMetric(`crewplots_cache_${name}`)!.get()).values.reduce((sum, v) => sum + v.value, 0);

  it('stores an entry under <prefix><namespace>:<id>, and a hit sends the very bytes the miss did', async () => {
    const { cache, prefix } = await open();
    const { calls, load } = personLoader({ id: 7, name: 'Zoë “Z” Ng', updatedAt: '2030-01-07T09:00:00.000Z' });

    const miss = await cache.getOrLoad({ key: key(7), ttl: 'MEDIUM', schema: Person, load });
    const hit = await cache.getOrLoad({ key: key(7), ttl: 'MEDIUM', schema: Person, load });

    expect(calls.count).toBe(1);
    // A hit is the bytes Redis sent, a miss the string the load made: the same UTF-8.
    expect(Buffer.isBuffer(hit!.json)).toBe(true);
    expect(Buffer.from(hit!.json).equals(Buffer.from(miss!.json))).toBe(true);
    expect(hit!.value()).toEqual(miss!.value());
    expect(miss!.value()).toEqual({ id: 7, name: 'Zoë “Z” Ng', updatedAt: '2030-01-07T09:00:00.000Z' });
    expect(await redis.exists(`${prefix}person:7`)).toBe(1);
  });

  it('remembers that an id does not exist, until that id is invalidated', async () => {
    const { cache } = await open();
    const { calls, load } = personLoader(null);

    for (let i = 0; i < 5; i += 1) {
      expect(await cache.getOrLoad({ key: key(404), ttl: 'MEDIUM', schema: Person, load })).toBeNull();
    }
    expect(calls.count).toBe(1);

    await cache.invalidate([key(404)]);
    expect(await cache.getOrLoad({ key: key(404), ttl: 'MEDIUM', schema: Person, load })).toBeNull();
    expect(calls.count).toBe(2);
  });

  it('reloads after an invalidation and serves the new row', async () => {
    const { cache } = await open();
    let row: Person = { id: 3, name: 'Before', updatedAt: '2030-01-07T09:00:00.000Z' };
    const load = async () => row;

    expect((await cache.getOrLoad({ key: key(3), ttl: 'SHORT', schema: Person, load }))!.value().name).toBe('Before');
    row = { ...row, name: 'After' };
    await cache.invalidate([key(3), key(999)]);
    expect((await cache.getOrLoad({ key: key(3), ttl: 'SHORT', schema: Person, load }))!.value().name).toBe('After');
  });

  it.each([
    ['garbage', () => 'not an envelope at all'],
    ['an older schema version', (epoch: number) => encodeEnvelope(1, epoch, { head: '', json: JSON.stringify({ id: 5, name: 'Old shape' }) })],
    ['JSON that no longer parses as the schema', (epoch: number) => encodeEnvelope(2, epoch, { head: '', json: JSON.stringify({ id: 5, fullName: 'Renamed field' }) })],
    ['truncated JSON', (epoch: number) => encodeEnvelope(2, epoch, { head: '', json: '{"id":5,"na' })],
    ['an entry of the layout before heads', (epoch: number) => `2|${epoch}|${JSON.stringify({ id: 5, name: 'Old layout', updatedAt: '2030-01-07T09:00:00.000Z' })}`],
    ['an entry from before the current epoch', (epoch: number) => encodeEnvelope(2, epoch - 1, { head: '', json: JSON.stringify({ id: 5, name: 'Retired', updatedAt: '2030-01-07T09:00:00.000Z' }) })],
  ])('treats %s under the key as a miss, not an error, and replaces it', async (_what, entry) => {
    const { cache, prefix, metrics } = await open();
    const { calls, load } = personLoader({ id: 5, name: 'Current', updatedAt: '2030-01-07T09:00:00.000Z' });
    await redis.set(entryKey(prefix, key(5)), entry(cache.status().epoch!), 'EX', 60);

    const read = () => cache.getOrLoad({ key: key(5), ttl: 'MEDIUM', schema: Person, version: 2, load });
    expect((await read())!.value().name).toBe('Current');
    expect((await read())!.value().name).toBe('Current');
    expect(calls.count).toBe(1);
    expect(await counter(metrics, 'hits_total')).toBe(1);
  });

  describe('with a head', () => {
    const PersonHead = Person.pick({ id: true, name: true });

    it('a hit carries the head, sends the bytes of the miss, and parses the body only when asked', async () => {
      const { cache, prefix } = await open();
      const { calls, load } = personLoader({ id: 9, name: 'Head Person', updatedAt: '2030-01-07T09:00:00.000Z' });
      const read = () => cache.getOrLoad({ key: key(9), ttl: 'MEDIUM', schema: Person, head: PersonHead, load });

      const miss = await read();
      const hit = await read();
      expect(calls.count).toBe(1);
      expect(hit!.head).toEqual({ id: 9, name: 'Head Person' });
      expect(miss!.head).toEqual(hit!.head);
      expect(String(hit!.json)).toBe(miss!.json);
      expect(hit!.value()).toEqual(miss!.value());
      expect(await redis.get(entryKey(prefix, key(9)))).toMatch(/^\d+\|\d+\|\{"id":9,"name":"Head Person"\}\n\{"id":9,/);
    });

    it('a head that no longer parses is a miss; a good head over a bad body fails value() once, then reloads', async () => {
      const { cache, prefix } = await open();
      const { calls, load } = personLoader({ id: 10, name: 'Current', updatedAt: '2030-01-07T09:00:00.000Z' });
      const request = { key: key(10), ttl: 'MEDIUM' as const, schema: Person, head: PersonHead, version: 3, load };
      const epoch = cache.status().epoch!;

      await redis.set(entryKey(prefix, key(10)), encodeEnvelope(3, epoch, { head: '{"id":"ten"}', json: '{}' }), 'EX', 60);
      expect((await cache.getOrLoad(request))!.head.name).toBe('Current');
      expect(calls.count).toBe(1);

      await redis.set(entryKey(prefix, key(10)), encodeEnvelope(3, epoch, { head: '{"id":10,"name":"Forged"}', json: '{"id":10' }), 'EX', 60);
      const forged = await cache.getOrLoad(request);
      expect(forged!.head.name).toBe('Forged');
      expect(() => forged!.value()).toThrow(CacheShapeError);
      // The unreadable entry is dropped: the next read loads afresh.
      for (let i = 0; i < 50 && (await redis.exists(entryKey(prefix, key(10)))) === 1; i += 1) await new Promise((r) => setTimeout(r, 10));
      expect((await cache.getOrLoad(request))!.value().name).toBe('Current');
      expect(calls.count).toBe(2);
    });
  });

  it('treats a value of another Redis type under the key as a miss', async () => {
    const { cache, prefix } = await open();
    const { calls, load } = personLoader({ id: 6, name: 'Current', updatedAt: '2030-01-07T09:00:00.000Z' });
    await redis.hset(entryKey(prefix, key(6)), 'name', 'a hash');
    await redis.expire(entryKey(prefix, key(6)), 60);

    expect((await cache.getOrLoad({ key: key(6), ttl: 'MEDIUM', schema: Person, load }))!.value().name).toBe('Current');
    expect((await cache.getOrLoad({ key: key(6), ttl: 'MEDIUM', schema: Person, load }))!.value().name).toBe('Current');
    expect(calls.count).toBe(1);
  });

  it('refuses, and stores nothing for, a loader whose value its schema rejects', async () => {
    const { cache, prefix } = await open();
    const load = async () => ({ id: 8, name: 'No timestamp' }) as unknown as Person;

    await expect(cache.getOrLoad({ key: key(8), ttl: 'MEDIUM', schema: Person, load })).rejects.toThrow(CacheShapeError);
    expect(await redis.exists(entryKey(prefix, key(8)))).toBe(0);
    expect(await redis.exists(leaseKey(prefix, entryKey(prefix, key(8))))).toBe(0);
  });

  it('passes a loader error to every concurrent reader and frees the lease for the next read', async () => {
    const { cache, prefix, metrics } = await open();
    let fail = true;
    let calls = 0;
    const load = async () => {
      calls += 1;
      // Fails only once all twenty readers have had their answer from Redis and joined this load.
      while (fail && (await counter(metrics, 'misses_total')) < 20) await new Promise((r) => setTimeout(r, 2));
      if (fail) throw new Error('database said no');
      return { id: 9, name: 'Recovered', updatedAt: '2030-01-07T09:00:00.000Z' };
    };

    const results = await Promise.allSettled(Array.from({ length: 20 }, () => cache.getOrLoad({ key: key(9), ttl: 'MEDIUM', schema: Person, load })));
    expect(results.every((r) => r.status === 'rejected' && /database said no/.test(String(r.reason)))).toBe(true);
    expect(calls).toBe(1);

    // The failed load's release is sent without waiting for it; on a Cluster node that has not
    // run the script yet it takes a second round trip (NOSCRIPT, then EVAL), so this check may
    // overtake it. Wait for it, a bounded while: a lease left behind fails here.
    const lease = leaseKey(prefix, entryKey(prefix, key(9)));
    for (let i = 0; i < 100 && (await redis.exists(lease)) === 1; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await redis.exists(lease)).toBe(0);
    fail = false;
    expect((await cache.getOrLoad({ key: key(9), ttl: 'MEDIUM', schema: Person, load }))!.value().name).toBe('Recovered');
    expect((await cache.getOrLoad({ key: key(9), ttl: 'MEDIUM', schema: Person, load }))!.value().name).toBe('Recovered');
    expect(calls).toBe(2);
  });

  it('gives every key it writes a TTL: entries by class with jitter, negative entries, leases, the epoch', async () => {
    const prefix = testPrefix('ttl');
    const { cache } = await open({ prefix });
    const row = (id: number) => async () => ({ id, name: 'T', updatedAt: '2030-01-07T09:00:00.000Z' });
    await cache.getOrLoad({ key: key(1), ttl: 'SHORT', schema: Person, load: row(1) });
    await cache.getOrLoad({ key: key(2), ttl: 'MEDIUM', schema: Person, load: row(2) });
    await cache.getOrLoad({ key: key(3), ttl: 'LONG', schema: Person, load: row(3) });
    await cache.getOrLoad({ key: key(4), ttl: 'LONG', schema: Person, load: async () => null });
    // A load still running holds a lease: the loader runs only once the lease is taken.
    let finish!: () => void;
    let started!: () => void;
    const loading = new Promise<void>((resolve) => (started = resolve));
    const slow = cache.getOrLoad({
      key: key(5),
      ttl: 'MEDIUM',
      schema: Person,
      load: () => {
        started();
        return new Promise<null>((resolve) => (finish = () => resolve(null)));
      },
    });
    await loading;

    const ttls = new Map<string, number>();
    for (const k of await keysMatching(redis, `${prefix}*`)) ttls.set(k.slice(prefix.length), await redis.pttl(k));
    finish();
    await slow;

    expect([...ttls.keys()].sort()).toEqual(
      ['cache:epoch', `lease:{${prefix}person:5}`, 'person:1', 'person:2', 'person:3', 'person:4'].sort(),
    );
    for (const [k, ms] of ttls) expect([k, ms > 0]).toEqual([k, true]);
    const within = (k: string, seconds: number) => {
      expect(ttls.get(k)).toBeGreaterThan(seconds * 0.9 * 1000 - 5_000);
      expect(ttls.get(k)).toBeLessThanOrEqual(seconds * 1.1 * 1000);
    };
    within('person:1', 60);
    within('person:2', 300);
    within('person:3', 3600);
    within('person:4', 30);
    expect(ttls.get(`lease:{${prefix}person:5}`)).toBeLessThanOrEqual(10_000);
  });

  it('spreads the TTLs of entries written together', async () => {
    const prefix = testPrefix('jitter');
    const { cache } = await open({ prefix });
    const ttls = new Set<number>();
    for (let id = 1; id <= 20; id += 1) {
      await cache.getOrLoad({ key: key(id), ttl: 'LONG', schema: Person, load: async () => ({ id, name: 'J', updatedAt: '2030-01-07T09:00:00.000Z' }) });
      ttls.add(Math.round((await redis.pttl(entryKey(prefix, key(id)))) / 1000));
    }
    expect(ttls.size).toBeGreaterThan(5);
  });

  it('reads a lost epoch counter as "everything changed", never as "nothing did"', async () => {
    const prefix = testPrefix('epoch');
    const { cache } = await open({ prefix });
    const { calls, load } = personLoader({ id: 1, name: 'E', updatedAt: '2030-01-07T09:00:00.000Z' });
    await cache.getOrLoad({ key: key(1), ttl: 'LONG', schema: Person, load });
    const before = cache.status().epoch!;

    await redis.del(epochKey(prefix));
    // The next instance to start re-creates it, ahead of every epoch handed out before, and says so.
    await open({ prefix });
    const deadline = Date.now() + 5_000;
    while (cache.status().epoch === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));

    expect(cache.status().epoch).toBeGreaterThan(before);
    await cache.getOrLoad({ key: key(1), ttl: 'LONG', schema: Person, load });
    expect(calls.count).toBe(2);
  });

  it('with CACHE_DISABLED calls the loader every time and writes nothing to Redis', async () => {
    const prefix = testPrefix('disabled');
    const { cache } = await open({ prefix, disabled: true });
    const { calls, load } = personLoader({ id: 1, name: 'Direct', updatedAt: '2030-01-07T09:00:00.000Z' });

    const first = await cache.getOrLoad({ key: key(1), ttl: 'MEDIUM', schema: Person, load });
    const second = await cache.getOrLoad({ key: key(1), ttl: 'MEDIUM', schema: Person, load });
    await cache.invalidate([key(1)]);

    expect(calls.count).toBe(2);
    expect(String(second!.json)).toBe(String(first!.json));
    expect(await keysMatching(redis, `${prefix}*`)).toEqual([]);
  });

  it('rejects names that would leave its key layout', async () => {
    const { cache } = await open();
    const load = async () => null;
    for (const bad of [
      { namespace: 'Person', id: 1 },
      { namespace: 'lease', id: 1 },
      { namespace: 'sess', id: 1 },
      { namespace: 'person', id: '{tag}' },
      { namespace: 'person', id: 'a*' },
      { namespace: 'person', id: 1.5 },
    ]) {
      await expect(cache.getOrLoad({ key: bad, ttl: 'SHORT', schema: Person, load })).rejects.toThrow(TypeError);
    }
  });

  it('counts hits, misses and loads per namespace in its registry', async () => {
    const { cache, metrics } = await open();
    const load = async () => ({ id: 1, name: 'M', updatedAt: '2030-01-07T09:00:00.000Z' });
    await cache.getOrLoad({ key: key(1), ttl: 'SHORT', schema: Person, load });
    await cache.getOrLoad({ key: key(1), ttl: 'SHORT', schema: Person, load });
    await cache.getOrLoad({ key: { namespace: 'other', id: 1 }, ttl: 'SHORT', schema: Person, load });

    const text = await metrics.registry.metrics();
    expect(text).toContain('crewplots_cache_hits_total{namespace="person"} 1');
    expect(text).toContain('crewplots_cache_misses_total{namespace="person"} 1');
    expect(text).toContain('crewplots_cache_loads_total{namespace="other"} 1');
    expect(text).toContain('crewplots_cache_load_duration_seconds_count{namespace="person"} 1');
    expect(text).toContain('crewplots_cache_breaker_state 0');
  });
});
