import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import { bounded } from '../redis/bounded.js';

/**
 * Counts failed attempts in Redis, so every instance shares the count (docs/decisions/009).
 *
 * Each counter is one sorted set whose members stop counting at their score (Redis time, ms):
 * `f:<attempt>` is a failure, counted for the limit's window (a sliding window); `p:<attempt>`
 * is an attempt in flight, held by a lease. An attempt is let in while failures plus
 * attempts in flight stay under the limit; when failures alone reach it, the answer is a 429
 * until the oldest of them leaves the window; when attempts in flight fill the rest, it waits
 * for them to end. So a burst of guesses never gets more than the limit's tries, and a burst of
 * correct logins all get through (each one's lease is handed back, not counted).
 *
 * Every script touches the one key it is given (Redis Cluster-safe) and reads the time from
 * Redis, so instances with skewed clocks agree.
 */
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** ARGV: max, leaseMs, attempt. → 0 admitted; -1 wait (attempts in flight); > 0 ms until a failure expires. */
const ADMIT = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local max = tonumber(ARGV[1])
local failures, inFlight = {}, 0
for i = 1, #entries, 2 do
  if string.sub(entries[i], 1, 2) == 'f:' then failures[#failures + 1] = tonumber(entries[i + 1]) else inFlight = inFlight + 1 end
end
if #failures >= max then return math.max(1, failures[#failures - max + 1] - now) end
if #failures + inFlight >= max then return -1 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), 'p:' .. ARGV[3])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
return 0`;

/** ARGV: attempt, windowMs. The lease becomes a failure, counted for the window from now. */
const FAIL = `${NOW}
redis.call('ZREM', KEYS[1], 'p:' .. ARGV[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), 'f:' .. ARGV[1])
redis.call('PEXPIREAT', KEYS[1], now + tonumber(ARGV[2]))
return 1`;

/** ARGV: attempt, clear. The lease is handed back; with clear = 1 the failures go too. */
const END = `
redis.call('ZREM', KEYS[1], 'p:' .. ARGV[1])
if ARGV[2] == '1' then
  local members = redis.call('ZRANGE', KEYS[1], 0, -1)
  for _, member in ipairs(members) do
    if string.sub(member, 1, 2) == 'f:' then redis.call('ZREM', KEYS[1], member) end
  end
end
return 1`;

interface LimiterRedis extends Redis {
  attemptAdmit(key: string, max: number, leaseMs: number, attempt: string): Promise<number>;
  attemptFail(key: string, attempt: string, windowMs: number): Promise<number>;
  attemptEnd(key: string, attempt: string, clear: '0' | '1'): Promise<number>;
}

export interface Limit {
  /** Names the counter in its key. */
  name: string;
  max: number;
  windowMs: number;
}

const FIFTEEN_MINUTES = 15 * 60_000;
export const LOGIN_PER_ACCOUNT: Limit = { name: 'login:account', max: 5, windowMs: FIFTEEN_MINUTES };
export const LOGIN_PER_ADDRESS: Limit = { name: 'login:address', max: 50, windowMs: FIFTEEN_MINUTES };
export const LOGIN_PER_DEVICE: Limit = { name: 'login:device', max: 5, windowMs: FIFTEEN_MINUTES };
export const PASSWORD_CHANGE_PER_USER: Limit = { name: 'password:user', max: 5, windowMs: FIFTEEN_MINUTES };
/** Wrong, used or expired tokens of one-time links and of the setup link, per client address. */
export const ONE_TIME_LINK_PER_ADDRESS: Limit = { name: 'link:address', max: 20, windowMs: FIFTEEN_MINUTES };

export type Counter = readonly [Limit, string];

/** One admitted attempt: it ends as a failure, a success, or (an error on the way) as nothing. */
export interface Attempt {
  /** Counts as a failure under every counter it was admitted by. */
  failed(): Promise<void>;
  /** Leaves no trace; the counters of `clearing` also forget their failures. */
  succeeded(clearing: readonly Limit[]): Promise<void>;
  /** For a `finally`: an attempt that neither failed nor succeeded hands its leases back. */
  end(): Promise<void>;
}

export interface AttemptLimiterOptions {
  /** Redis calls each wait at most this long (see bounded()). */
  timeoutMs: number;
  /**
   * How long an attempt in flight holds its place: far longer than a password check takes even
   * on a starved machine, since an attempt still running when its lease ends lets one more in.
   * A lease left by a crashed instance only takes one place of the limit until then.
   */
  leaseMs?: number;
  /** How long an attempt waits for others in flight before it is refused. */
  maxWaitMs?: number;
}

/** Keys never hold an email address or a client address in the clear. */
const digest = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 22);

const refused = (retryAfterMs: number) =>
  new AppError('rate_limited', 'Too many failed attempts. Try again later.', { retryAfter: retryAfterMs / 1000 });

export function createAttemptLimiter(redis: Redis, prefix: string, options: AttemptLimiterOptions) {
  const { timeoutMs, leaseMs = 60_000, maxWaitMs = 10_000 } = options;
  if (!('attemptAdmit' in redis)) {
    redis.defineCommand('attemptAdmit', { numberOfKeys: 1, lua: ADMIT });
    redis.defineCommand('attemptFail', { numberOfKeys: 1, lua: FAIL });
    redis.defineCommand('attemptEnd', { numberOfKeys: 1, lua: END });
  }
  const r = redis as LimiterRedis;
  const keyOf = (limit: Limit, subject: string) => `${prefix}failures:${limit.name}:${digest(subject)}`;

  /** Admits under every counter or under none: 0 admitted, -1 wait, > 0 refused for that long. */
  async function admit(attempt: string, keys: ReadonlyArray<readonly [Limit, string]>): Promise<number> {
    const taken: string[] = [];
    for (const [limit, key] of keys) {
      const answer = await bounded(r.attemptAdmit(key, limit.max, leaseMs, attempt), timeoutMs);
      if (answer !== 0) {
        await bounded(Promise.all(taken.map((k) => r.attemptEnd(k, attempt, '0'))), timeoutMs);
        return answer;
      }
      taken.push(key);
    }
    return 0;
  }

  return {
    /**
     * Admits one attempt under each counter, waiting while attempts in flight fill what the
     * limit has left; a 429 (with how long to wait) once the failures alone fill it. A refusal
     * costs a Redis call per counter and nothing else.
     */
    async begin(counters: readonly Counter[]): Promise<Attempt> {
      const attempt = randomUUID();
      const keys = counters.map(([limit, subject]) => [limit, keyOf(limit, subject)] as const);
      const deadline = Date.now() + maxWaitMs;
      for (let pause = 10; ; pause = Math.min(pause * 2, 100)) {
        const answer = await admit(attempt, keys);
        if (answer > 0) throw refused(answer);
        if (answer === 0) break;
        if (Date.now() + pause > deadline) throw refused(1000);
        await new Promise((resolve) => setTimeout(resolve, pause));
      }

      let settled = false;
      const settle = async (each: (limit: Limit, key: string) => Promise<unknown>) => {
        settled = true;
        await bounded(Promise.all(keys.map(([limit, key]) => each(limit, key))), timeoutMs);
      };
      return {
        failed: () => settle((limit, key) => r.attemptFail(key, attempt, limit.windowMs)),
        succeeded: (clearing) => settle((limit, key) => r.attemptEnd(key, attempt, clearing.includes(limit) ? '1' : '0')),
        end: async () => {
          if (!settled) await settle((_limit, key) => r.attemptEnd(key, attempt, '0'));
        },
      };
    },
  };
}

export type AttemptLimiter = ReturnType<typeof createAttemptLimiter>;
