import { Redis } from 'ioredis';

/**
 * After every suite has run: no KEYS command was ever sent (compared with the count global setup
 * saw), and every key this run wrote under its prefix carries a TTL. Then the run's keys are
 * removed (SCAN over the run's own prefix; never KEYS, never FLUSH).
 */
export default async function globalTeardown(): Promise<void> {
  const prefix = process.env.REDIS_PREFIX;
  if (!prefix?.startsWith('crewplots-test-')) return;
  const redis = new Redis({ host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) });
  const problems: string[] = [];
  try {
    const keysCalls = Number(/cmdstat_keys:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
    const before = Number(process.env.CREWPLOTS_TEST_KEYS_CALLS ?? 0);
    if (keysCalls > before) problems.push(`KEYS was called ${keysCalls - before} time(s) during the run`);

    let cursor = '0';
    const found: string[] = [];
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
    const ttls = found.length ? await Promise.all(found.map((k) => redis.pttl(k))) : [];
    const forever = found.filter((_, i) => ttls[i] === -1);
    if (forever.length) problems.push(`keys without a TTL: ${forever.slice(0, 20).join(', ')}`);
    for (let i = 0; i < found.length; i += 500) await redis.unlink(...found.slice(i, i + 500));
  } finally {
    redis.disconnect();
  }
  if (problems.length) throw new Error(`Redis hygiene check failed: ${problems.join('; ')}`);
  process.stdout.write(`redis hygiene: no KEYS calls; every key of this run had a TTL\n`);
}
