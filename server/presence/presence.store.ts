import type { Redis } from 'ioredis';
import { Id } from '../../shared/schemas/common.js';
import { PRESENCE_TTL_MS } from '../../shared/schemas/presence.js';
import { runScript, script } from '../cache/cache.scripts.js';
import { bounded } from '../redis/bounded.js';

/**
 * Who has which week open in the planner, in Redis (docs/decisions/036): one sorted set per
 * schedule, `<prefix>presence:schedule:<id>`, whose members are user ids scored with the moment
 * (Redis time, ms) their presence ends. The key itself expires with its last member, so a week
 * nobody has open leaves nothing behind. Each operation touches that one key (Redis Cluster-safe).
 */
export const presenceKey = (prefix: string, scheduleId: number) => `${prefix}presence:schedule:${scheduleId}`;

/**
 * KEYS: the week's set. ARGV: user id, ms the entry lasts. Drops the entries that have ended,
 * adds or renews the caller's, keeps the key until the last entry ends, and answers every user id
 * still present (the caller's included), in one step.
 */
const ENTER = script(
  1,
  `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
return redis.call('ZRANGE', KEYS[1], 0, -1)
`,
);

export interface PresenceStoreOptions {
  /** How long each call may wait for Redis (see bounded()). */
  timeoutMs: number;
  /** How long an entry lasts without being renewed (default PRESENCE_TTL_MS). */
  ttlMs?: number;
}

export function createPresenceStore(redis: Redis, prefix: string, { timeoutMs, ttlMs = PRESENCE_TTL_MS }: PresenceStoreOptions) {
  return {
    /** Marks the user present on the week until `ttlMs` from now; answers the ids of everyone present. */
    async enter(scheduleId: number, userId: number): Promise<number[]> {
      const members = await bounded(runScript(redis, ENTER, [presenceKey(prefix, scheduleId)], [userId, ttlMs]), timeoutMs);
      // What Redis holds is parsed like any read back from it: a member that is not an id is skipped.
      return (Array.isArray(members) ? members : []).flatMap((member) => {
        const id = Id.safeParse(Number(member));
        return id.success ? [id.data] : [];
      });
    },

    /** The user no longer has the week open. */
    async leave(scheduleId: number, userId: number): Promise<void> {
      await bounded(redis.zrem(presenceKey(prefix, scheduleId), String(userId)), timeoutMs);
    },
  };
}

export type PresenceStore = ReturnType<typeof createPresenceStore>;
