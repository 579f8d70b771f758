import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { loadConfig } from '../config.js';
import { createMetrics, type Metrics } from '../metrics/metrics.js';
import { createRedis, quitRedis } from '../redis/redis.client.js';
import { logEntries, testLogger } from '../../test/support/logs.js';
import { startPrivateRedis, type PrivateRedis } from '../../test/support/redis-server.js';
import { createCache, type Cache, type CacheKey } from './cache.js';
import { entryKey, epochChannel, epochKey } from './cache.keys.js';
import { BUMP_EPOCH } from './cache.scripts.js';

/**
 * DESIGN rule 6 on a Redis this suite owns: stopped, restarted from its append-only file (so
 * entries written before the outage come back with it), and stalled. The caches run with the
 * production breaker (3 failures, a probe every second) and a 300 ms operation bound: still under
 * the client's own 500 ms commandTimeout, with room for a busy test machine.
 */
const Shift = z.strictObject({ id: z.number().int(), version: z.string() });
const shiftKey = (id: number): CacheKey => ({ namespace: 'shift', id });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves once Redis has stopped answering: a PING still unanswered 50 ms after it was sent
 * (Redis answers one in well under a millisecond). Throws if Redis keeps answering for 2 s.
 */
async function untilStalled(probe: Redis): Promise<void> {
  for (const deadline = Date.now() + 2_000; Date.now() < deadline; ) {
    const answered = await Promise.race([probe.ping().then(() => true), sleep(50).then(() => false)]);
    if (!answered) return;
  }
  throw new Error('Redis went on answering');
}

/** Log lines of one cache instance matching `msg`. */
const logged = (instance: string, msg: RegExp) => logEntries().filter((e) => e.instance === instance && msg.test(String(e.msg))).length;

async function total(metrics: Metrics, name: string, op?: string): Promise<number> {
  const { values } = await metrics.registry.getSingleMetric(`crewplots_cache_${name}`)!.get();
  return values.filter((v) => op === undefined || v.labels.op === op).reduce((sum, v) => sum + v.value, 0);
}

type Name = 'a' | 'b';

describe('the cache while its Redis fails', () => {
  let redis: PrivateRedis;
  let prefix: string;
  const clients: Redis[] = [];
  const instances = new Map<Name, { cache: Cache; metrics: Metrics }>();
  const cache = (name: Name) => instances.get(name)!.cache;
  const table = new Map<number, string>();
  let loads = 0;

  const read = (name: Name, id: number) =>
    cache(name).getOrLoad({
      key: shiftKey(id),
      ttl: 'LONG',
      schema: Shift,
      load: async () => {
        loads += 1;
        return { id, version: table.get(id)! };
      },
    });

  beforeAll(async () => {
    redis = await startPrivateRedis({ appendonly: true, extraArgs: ['--enable-debug-command', 'yes'] });
    const config = loadConfig({ ...process.env, REDIS_PORT: String(redis.port) });
    prefix = `${config.redis.prefix}outage-${randomBytes(3).toString('hex')}:`;
    for (const name of ['a', 'b'] as const) {
      const logger = testLogger('info').child({ instance: name });
      const client = createRedis(config, logger, { role: `outage-${name}` });
      clients.push(client);
      const metrics = createMetrics({ processMetrics: false });
      // The periodic epoch re-read is pushed out of the way, so the epoch tests see pub/sub and reconnects.
      const c = createCache({ main: client, store: client, prefix, logger, metrics: metrics.cache, opTimeoutMs: 300, epochRefreshMs: 60_000 });
      instances.set(name, { cache: c, metrics });
      await c.ready;
    }
  });
  afterAll(async () => {
    await Promise.all([...instances.values()].map((i) => i.cache.close()));
    await Promise.all(clients.map((c) => quitRedis(c)));
    await redis.destroy();
  });

  /** Reads from both instances until both trust Redis again, checking every answer on the way. */
  async function readUntilRecovered(id: number, expected: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const name of ['a', 'b'] as const) expect((await read(name, id))!.value().version).toBe(expected);
      const statuses = [...instances.values()].map((i) => i.cache.status());
      if (statuses.every((s) => s.breaker === 'closed' && !s.pendingEpochBump)) return;
      if (Date.now() > deadline) throw new Error(`cache did not recover: ${JSON.stringify(statuses)}`);
      await sleep(50);
    }
  }

  /** Reads until the instance answers from Redis again (a hit), checking every answer. */
  async function readUntilHit(name: Name, id: number, expected: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const { metrics } = instances.get(name)!;
    for (;;) {
      const hits = await total(metrics, 'hits_total');
      expect((await read(name, id))!.value().version).toBe(expected);
      if ((await total(metrics, 'hits_total')) > hits) return;
      if (Date.now() > deadline) throw new Error(`no hit from ${name}: ${JSON.stringify(cache(name).status())}`);
      await sleep(50);
    }
  }

  it('keeps answering from the loader while Redis is down, logs the outage once, then resumes hits by itself', async () => {
    table.set(1, 'v1');
    await readUntilHit('a', 1, 'v1');
    await readUntilHit('b', 1, 'v1');
    const openedBefore = { a: logged('a', /^cache unavailable/), b: logged('b', /^cache unavailable/) };

    await redis.stop();
    const durations: number[] = [];
    const timed = async (name: Name) => {
      const started = Date.now();
      expect((await read(name, 1))!.value().version).toBe('v1');
      durations.push(Date.now() - started);
    };
    for (let i = 0; i < 10; i += 1) await timed(i % 2 ? 'a' : 'b');
    expect(cache('a').status().breaker).not.toBe('closed');
    expect(cache('b').status().breaker).not.toBe('closed');

    // Once the breaker is open, reads do not go near Redis: no more failures, only bypasses.
    const failures = await total(instances.get('a')!.metrics, 'errors_total', 'read');
    const bypasses = await total(instances.get('a')!.metrics, 'bypasses_total');
    for (let i = 0; i < 30; i += 1) await timed('a');
    expect(await total(instances.get('a')!.metrics, 'errors_total', 'read')).toBe(failures);
    expect((await total(instances.get('a')!.metrics, 'bypasses_total')) - bypasses).toBe(30);
    expect(Math.max(...durations)).toBeLessThan(1_000);

    // A write during the outage: its invalidation cannot reach Redis, and must not be forgotten.
    table.set(1, 'v2');
    const started = Date.now();
    await cache('a').invalidate([shiftKey(1)]);
    expect(Date.now() - started).toBeLessThan(500);
    expect(cache('a').status().pendingEpochBump).toBe(true);

    // One line per instance for the whole outage, however many reads it served meanwhile.
    for (const name of ['a', 'b'] as const) expect([name, logged(name, /^cache unavailable/) - openedBefore[name]]).toEqual([name, 1]);

    await redis.start();
    // The entry written before the outage came back from disk, still saying v1...
    const raw = new Redis({ port: redis.port, host: '127.0.0.1' });
    try {
      expect(await raw.get(entryKey(prefix, shiftKey(1)))).toMatch(/"version":"v1"/);
    } finally {
      raw.disconnect();
    }
    // ...and is never served: every read, during recovery and after it, says v2.
    await readUntilRecovered(1, 'v2');
    for (const name of ['a', 'b'] as const) {
      await readUntilHit(name, 1, 'v2');
      // Every opening was logged once, and so was every closing.
      expect([name, logged(name, /^cache available again/)]).toEqual([name, logged(name, /^cache unavailable/)]);
    }
  });

  it('a write on an instance whose breaker opened while Redis was fine still deletes the entry the others read', async () => {
    table.set(5, 'v1');
    await readUntilHit('a', 5, 'v1');
    await readUntilHit('b', 5, 'v1');
    // What a busy event loop does: a's breaker opens although Redis serves b as usual.
    clients[0]!.emit('reconnecting', 0);
    expect(cache('a').status().breaker).not.toBe('closed');

    table.set(5, 'v2');
    await cache('a').invalidate([shiftKey(5)]);
    expect((await read('b', 5))!.value().version).toBe('v2');
    expect((await read('a', 5))!.value().version).toBe('v2');
    await readUntilRecovered(5, 'v2');
  });

  it('stops waiting on a stalled Redis after a few bounded operations, and recovers when it answers', async () => {
    table.set(2, 'v1');
    await readUntilRecovered(2, 'v1');
    await readUntilHit('a', 2, 'v1');
    const failures = await total(instances.get('a')!.metrics, 'errors_total', 'read');

    const admin = new Redis({ port: redis.port, host: '127.0.0.1' });
    const probe = new Redis({ port: redis.port, host: '127.0.0.1' });
    await Promise.all([admin.ping(), probe.ping()]);
    const stalled = admin.call('DEBUG', 'SLEEP', '2');
    const stallLog = logEntries().length;
    await untilStalled(probe);
    const durations: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const started = Date.now();
      expect((await read('a', 2))!.value().version).toBe('v1');
      durations.push(Date.now() - started);
    }
    const failed = (await total(instances.get('a')!.metrics, 'errors_total', 'read')) - failures;
    const openedDuringStall = logEntries()
      .slice(stallLog)
      .filter((e) => e.instance === 'a' && /^cache unavailable/.test(String(e.msg)));
    await stalled;
    admin.disconnect();
    probe.disconnect();

    // The cache's own bound, not the client's commandTimeout, ended each wait on the 2 s stall...
    expect(Math.max(...durations)).toBeLessThan(1_000);
    expect(openedDuringStall).toEqual([expect.objectContaining({ reason: 'Redis did not answer within 300 ms' })]);
    // ...and after a few of them (three in a row open it) the breaker stopped sending reads to
    // Redis at all: the other reads of the twenty never touched it.
    expect(failed).toBeGreaterThanOrEqual(3);
    expect(failed).toBeLessThanOrEqual(6);

    await readUntilRecovered(2, 'v1');
    await readUntilHit('a', 2, 'v1');
  });

  describe('the epoch every instance must agree on', () => {
    /** Bumps the epoch as another instance would; optionally drops every subscriber first, atomically. */
    async function bumpElsewhere(options: { dropSubscribers: boolean }): Promise<number> {
      const raw = new Redis({ port: redis.port, host: '127.0.0.1' });
      try {
        const tx = raw.multi();
        if (options.dropSubscribers) tx.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
        tx.eval(BUMP_EPOCH.lua, 1, epochKey(prefix), 60_000, epochChannel(prefix), 0);
        const results = await tx.exec();
        return Number(results!.at(-1)![1]);
      } finally {
        raw.disconnect();
      }
    }

    async function untilEveryInstanceKnows(epoch: number, timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while ([...instances.values()].some((i) => (i.cache.status().epoch ?? 0) < epoch)) {
        if (Date.now() > deadline) throw new Error(`epoch ${epoch} not learned: ${JSON.stringify([...instances.values()].map((i) => i.cache.status()))}`);
        await sleep(10);
      }
    }

    it('is learned from pub/sub when another instance bumps it, and retires older entries', async () => {
      table.set(3, 'v1');
      await readUntilRecovered(3, 'v1');
      await readUntilHit('a', 3, 'v1');
      await readUntilHit('b', 3, 'v1');
      const before = loads;

      await untilEveryInstanceKnows(await bumpElsewhere({ dropSubscribers: false }), 5_000);

      await read('a', 3);
      await read('b', 3);
      expect(loads - before).toBe(1);
    });

    it('is re-read when the subscriber reconnects, since pub/sub dropped the bump meanwhile', async () => {
      await untilEveryInstanceKnows(await bumpElsewhere({ dropSubscribers: true }), 10_000);
    });
  });
});

describe('a cache started while its Redis is down', () => {
  it('serves from the loader at once, logs one outage, and starts caching when Redis appears', async () => {
    const redis = await startPrivateRedis();
    await redis.stop();
    const config = loadConfig({ ...process.env, REDIS_PORT: String(redis.port) });
    const logger = testLogger('info').child({ instance: 'cold-start' });
    const client = createRedis(config, logger, { role: 'cold-start' });
    const metrics = createMetrics({ processMetrics: false });
    const cache = createCache({ main: client, store: client, prefix: `${config.redis.prefix}cold-${randomBytes(3).toString('hex')}:`, logger, metrics: metrics.cache });
    let loads = 0;
    const read = () =>
      cache.getOrLoad({
        key: shiftKey(1),
        ttl: 'SHORT',
        schema: Shift,
        load: async () => {
          loads += 1;
          return { id: 1, version: 'v1' };
        },
      });
    try {
      await cache.ready;
      for (let i = 0; i < 10; i += 1) expect((await read())!.value().version).toBe('v1');
      expect(loads).toBe(10);
      expect(await total(metrics, 'bypasses_total')).toBe(10);
      expect(await total(metrics, 'errors_total', 'read')).toBe(0);
      expect(logged('cold-start', /^cache unavailable/)).toBe(1);

      await redis.start();
      const deadline = Date.now() + 15_000;
      while ((await total(metrics, 'hits_total')) === 0) {
        if (Date.now() > deadline) throw new Error(`no recovery: ${JSON.stringify(cache.status())}`);
        expect((await read())!.value().version).toBe('v1');
        await sleep(50);
      }
      expect(logged('cold-start', /^cache available again/)).toBe(logged('cold-start', /^cache unavailable/));
    } finally {
      await cache.close();
      await quitRedis(client);
      await redis.destroy();
    }
  });
});
