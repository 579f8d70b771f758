import { Redis } from 'ioredis';

/** Removes this run's Redis keys (SCAN over the run's own prefix; never KEYS, never FLUSH). */
export default async function globalTeardown(): Promise<void> {
  const prefix = process.env.REDIS_PREFIX;
  if (!prefix?.startsWith('crewplots-test-')) return;
  const redis = new Redis({ host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
