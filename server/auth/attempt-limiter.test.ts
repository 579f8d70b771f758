import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import { createAttemptLimiter, type Limit } from './attempt-limiter.js';
import { clientNetwork } from './client-network.js';

/** The limiter against the run's Redis, each test under a prefix of its own. */
let redis: Redis;
beforeAll(() => {
  redis = new Redis({ host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379), lazyConnect: false });
});
afterAll(() => redis.quit());

const FIVE: Limit = { name: 'test:five', max: 5, windowMs: 60_000 };
const ONE: Limit = { name: 'test:one', max: 1, windowMs: 60_000 };

function limiter(options: { leaseMs?: number; maxWaitMs?: number } = {}) {
  const prefix = `${process.env.REDIS_PREFIX ?? 'crewplots-test:'}limiter-${randomUUID()}:`;
  return { prefix, limiter: createAttemptLimiter(redis, prefix, { timeoutMs: 2_000, ...options }) };
}

/** One attempt: admitted or refused (with its retry-after, in seconds). */
async function attempt(l: ReturnType<typeof limiter>['limiter'], outcome: 'fail' | 'succeed', subject = 'someone'): Promise<number | 'admitted'> {
  try {
    const a = await l.begin([[FIVE, subject]]);
    if (outcome === 'fail') await a.failed();
    else await a.succeeded([]);
    return 'admitted';
  } catch (err) {
    if (err instanceof AppError && err.code === 'rate_limited') return err.retryAfter!;
    throw err;
  }
}

describe('the attempt limiter', () => {
  it('counts failures, not attempts: 12 concurrent successes are all let in', async () => {
    const { limiter: l } = limiter();
    const answers = await Promise.all(Array.from({ length: 12 }, () => attempt(l, 'succeed')));
    expect(answers).toEqual(Array(12).fill('admitted'));
    // And they left nothing behind: five failures still fit.
    const failures = await Promise.all(Array.from({ length: 5 }, () => attempt(l, 'fail')));
    expect(failures).toEqual(Array(5).fill('admitted'));
  });

  it('lets no more than the limit of concurrent failures in: the rest wait for them, then are refused', async () => {
    const { limiter: l } = limiter();
    const answers = await Promise.all(Array.from({ length: 12 }, () => attempt(l, 'fail')));
    expect(answers.filter((a) => a === 'admitted')).toHaveLength(5);
    const refused = answers.filter((a): a is number => a !== 'admitted');
    expect(refused).toHaveLength(7);
    for (const seconds of refused) {
      expect(seconds).toBeGreaterThan(50);
      expect(seconds).toBeLessThanOrEqual(60);
    }
  });

  it('keeps each subject apart', async () => {
    const { limiter: l } = limiter();
    for (let i = 0; i < 5; i++) await attempt(l, 'fail', 'a');
    expect(typeof (await attempt(l, 'fail', 'a'))).toBe('number');
    expect(await attempt(l, 'fail', 'b')).toBe('admitted');
  });

  it('a success that clears its limit forgets the failures; one that does not, keeps them', async () => {
    const { limiter: l } = limiter();
    for (let i = 0; i < 4; i++) await attempt(l, 'fail');
    await (await l.begin([[FIVE, 'someone']])).succeeded([]);
    expect(await attempt(l, 'fail')).toBe('admitted');
    expect(typeof (await attempt(l, 'fail'))).toBe('number');

    const { limiter: m } = limiter();
    for (let i = 0; i < 4; i++) await attempt(m, 'fail');
    await (await m.begin([[FIVE, 'someone']])).succeeded([FIVE]);
    for (let i = 0; i < 5; i++) expect(await attempt(m, 'fail')).toBe('admitted');
  });

  it('an attempt that ends in an error (end() without an outcome) counts for nothing', async () => {
    const { limiter: l } = limiter();
    for (let i = 0; i < 10; i++) {
      const a = await l.begin([[FIVE, 'someone']]);
      await a.end();
    }
    for (let i = 0; i < 5; i++) expect(await attempt(l, 'fail')).toBe('admitted');
  });

  it('admits under every counter or none: refused by the second, the first keeps no lease', async () => {
    const { limiter: l } = limiter();
    await (await l.begin([[ONE, 'locked']])).failed();
    await expect(l.begin([[FIVE, 'free'], [ONE, 'locked']])).rejects.toMatchObject({ code: 'rate_limited' });
    // The refused attempt held nothing under `free`: five failures still fit there.
    for (let i = 0; i < 5; i++) expect(await attempt(l, 'fail', 'free')).toBe('admitted');
  });

  it('a lease left by an attempt that never ended (a crashed instance) runs out, and waiting attempts go on', async () => {
    const { limiter: l } = limiter({ leaseMs: 300, maxWaitMs: 5_000 });
    await l.begin([[ONE, 'someone']]); // never settled
    const next = await l.begin([[ONE, 'someone']]);
    await next.succeeded([]);
  });

  it('an attempt that waits longer than it may is refused, with a short Retry-After', async () => {
    const { limiter: l } = limiter({ leaseMs: 60_000, maxWaitMs: 200 });
    const first = await l.begin([[ONE, 'someone']]);
    await expect(l.begin([[ONE, 'someone']])).rejects.toMatchObject({ code: 'rate_limited', retryAfter: 1 });
    await first.end();
    await (await l.begin([[ONE, 'someone']])).succeeded([]);
  });

  it('keeps one sorted set per counter, under the prefix, with no email in its name, expiring with its last entry', async () => {
    const { limiter: l, prefix } = limiter();
    const a = await l.begin([[FIVE, 'Someone@Example.com']]);
    await a.failed();
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      keys.push(...found);
      cursor = next;
    } while (cursor !== '0');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}failures:test:five:[A-Za-z0-9_-]{22}$`));
    expect(keys[0]).not.toMatch(/someone|example/i);
    expect(await redis.type(keys[0]!)).toBe('zset');
    const ttl = await redis.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(FIVE.windowMs);
  });
});

describe('the client network a per-address limit counts by', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:aa:bb:1:2:3:4', '2001:db8:aa:bb::/64'],
    ['2001:db8:aa:bb:ffff::9', '2001:db8:aa:bb::/64'],
    ['2001:DB8:0:0::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
  ])('%s counts as %s', (address, network) => {
    expect(clientNetwork(address)).toBe(network);
  });
});
