import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The Lua the cache runs, and planner presence beside it on the same connection (presence.store.ts).
 * Scripts are sent by SHA and re-sent in full only when Redis answers NOSCRIPT (after a restart or
 * SCRIPT FLUSH); they are not registered with `defineCommand` because the main connection is
 * shared with sessions and rate limiting.
 */
export interface LuaScript {
  readonly lua: string;
  readonly sha: string;
  readonly keys: number;
}

export function script(keys: number, lua: string): LuaScript {
  return { lua, keys, sha: createHash('sha1').update(lua).digest('hex') };
}

export async function runScript(client: Redis, s: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  try {
    return await client.evalsha(s.sha, s.keys, ...keys, ...args);
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return client.eval(s.lua, s.keys, ...keys, ...args);
    throw err;
  }
}

/**
 * KEYS: entry, lease. ARGV: token, lease ms, schema version, lowest acceptable epoch, ignore entry (0/1).
 * A usable entry is returned as a hit. Otherwise the caller gets the lease (and will load and
 * fill), or learns who holds it. Taking the lease in the same step as the miss matters: the
 * load starts only after the lease exists, so an invalidation during the load deletes it.
 * Returns {'hit', envelope} | {'lease', why} | {'held', token, why}; why is 'none', 'old' or 'bad'.
 */
export const READ = script(
  2,
  `
local why = 'none'
if ARGV[5] == '0' then
  local v = redis.pcall('GET', KEYS[1])
  if type(v) == 'string' then
    local sv, ep = string.match(v, '^(%d+)|(%d+)|')
    if sv == ARGV[3] and tonumber(ep) >= tonumber(ARGV[4]) then return {'hit', v} end
    if sv == ARGV[3] then why = 'old' else why = 'bad' end
  elseif type(v) == 'table' then
    why = 'bad'
  end
end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'lease', why} end
return {'held', redis.call('GET', KEYS[2]), why}
`,
);

/**
 * KEYS: entry, lease. ARGV: token, envelope, ttl ms. Writes only while the caller's lease is
 * still there: an invalidation since the lease was taken deleted it, and then the loaded value
 * may predate the write. Returns 1 when filled, 0 when refused.
 */
export const FILL = script(
  2,
  `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[2])
return 1
`,
);

/** Test-only twin of FILL without the lease check, to prove the race tests can see the race. */
export const UNGUARDED_FILL = script(
  2,
  `
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1
`,
);

/** KEYS: lease. ARGV: token. Lets waiting instances take over at once when a load fails. */
export const RELEASE = script(
  1,
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`,
);

/**
 * KEYS: epoch. ARGV: ttl ms, channel. Reads the epoch and extends its TTL. A missing epoch (first
 * start, or expired after a long quiet spell) starts at Redis's clock in ms: greater than any
 * epoch handed out before, so a lost counter reads as "everything changed", never as "nothing did".
 */
export const READ_EPOCH = script(
  1,
  `
local v = redis.call('GET', KEYS[1])
if v then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  return v
end
local t = redis.call('TIME')
v = string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
redis.call('SET', KEYS[1], v, 'PX', ARGV[1])
redis.call('PUBLISH', ARGV[2], v)
return v
`,
);

/**
 * KEYS: epoch. ARGV: ttl ms, channel, floor. Moves the epoch past the current one, Redis's clock
 * and the caller's floor, and tells every instance.
 */
export const BUMP_EPOCH = script(
  1,
  `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = string.format('%d', math.max(cur + 1, now, tonumber(ARGV[3])))
redis.call('SET', KEYS[1], v, 'PX', ARGV[1])
redis.call('PUBLISH', ARGV[2], v)
return v
`,
);
