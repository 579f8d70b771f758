import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import { bounded } from '../redis/bounded.js';

/**
 * Counts attempts in Redis so every instance shares the count. An attempt is reserved before the
 * password is checked (atomically: read, compare and increment in one script), so a burst of
 * concurrent guesses cannot all slip in under the limit; a success gives its reservation back.
 * Each key lives one window from its first attempt (a fixed window).
 */
const RESERVE = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]); ttl = tonumber(ARGV[2]) end
  return ttl
end
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2], 'NX')
return -1`;

/** Gives one back, unless the window ended meanwhile (a DECR then would leave a key with no TTL). */
const RELEASE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end
return 0`;

interface LimiterRedis extends Redis {
  attemptReserve(key: string, limit: number, windowMs: number): Promise<number>;
  attemptRelease(key: string): Promise<number>;
}

export interface Limit {
  /** Names the counter in its key and in the 429's detail. */
  name: string;
  max: number;
  windowMs: number;
}

export const LOGIN_PER_ACCOUNT: Limit = { name: 'login:account', max: 5, windowMs: 15 * 60_000 };
export const LOGIN_PER_ADDRESS: Limit = { name: 'login:address', max: 50, windowMs: 15 * 60_000 };
export const PASSWORD_CHANGE_PER_USER: Limit = { name: 'password:user', max: 5, windowMs: 15 * 60_000 };

/** Keys never hold an email address in the clear. */
const digest = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 22);

/** `timeoutMs`: how long a login may wait on each of the limiter's Redis calls (see bounded()). */
export function createAttemptLimiter(redis: Redis, prefix: string, timeoutMs: number) {
  if (!('attemptReserve' in redis)) {
    redis.defineCommand('attemptReserve', { numberOfKeys: 1, lua: RESERVE });
    redis.defineCommand('attemptRelease', { numberOfKeys: 1, lua: RELEASE });
  }
  const r = redis as LimiterRedis;
  const key = (limit: Limit, subject: string) => `${prefix}ratelimit:${limit.name}:${digest(subject)}`;

  return {
    /** Reserves one attempt under each limit, in order; 429 (nothing kept) if any is spent. */
    async reserve(...counters: Array<[Limit, string]>): Promise<void> {
      const taken: string[] = [];
      for (const [limit, subject] of counters) {
        const k = key(limit, subject);
        const retryMs = await bounded(r.attemptReserve(k, limit.max, limit.windowMs), timeoutMs);
        if (retryMs >= 0) {
          await bounded(Promise.all(taken.map((t) => r.attemptRelease(t))), timeoutMs);
          throw new AppError('rate_limited', 'Too many failed attempts. Try again later.', { retryAfter: retryMs / 1000 });
        }
        taken.push(k);
      }
    },

    /** A successful attempt: it does not count, and it clears the per-account counter. */
    async succeeded(returned: Array<[Limit, string]>, cleared: Array<[Limit, string]>): Promise<void> {
      await bounded(
        Promise.all([
          ...returned.map(([limit, subject]) => r.attemptRelease(key(limit, subject))),
          ...cleared.map(([limit, subject]) => r.del(key(limit, subject))),
        ]),
        timeoutMs,
      );
    },
  };
}

export type AttemptLimiter = ReturnType<typeof createAttemptLimiter>;
