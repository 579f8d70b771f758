import type { LiveChange } from './live.types.js';

/**
 * Where live updates live in Redis, all under the app prefix (API.md, Redis key layout):
 * - `live:seq`: the event sequence, one INCR per committed change batch;
 * - `live:loc:<locationId>`, `live:user:<userId>`, `live:all`: capped replay streams (XADD
 *   MAXLEN ~) of the batches that touched a location, a person, or any schedule (what admins
 *   see), each with a TTL renewed by every append;
 * - the pub/sub channel `live:events`, one message per batch, which every instance subscribes to.
 * Every command touches one key, so all of this works on Redis Cluster as on one server.
 */
export function liveKeys(prefix: string) {
  return {
    seq: `${prefix}live:seq`,
    channel: `${prefix}live:events`,
    location: (id: number) => `${prefix}live:loc:${id}`,
    user: (id: number) => `${prefix}live:user:${id}`,
    all: `${prefix}live:all`,
  };
}

export type LiveKeys = ReturnType<typeof liveKeys>;

/** API.md: a reconnect within this long gets every event it missed; older, a `reset`. */
export const REPLAY_WINDOW_MS = 5 * 60_000;
/** Replay streams outlive their last append by more than the window, so none expires inside it. */
export const STREAM_TTL_MS = REPLAY_WINDOW_MS + 2 * 60_000;
/** The sequence outlives idle weeks; when it does expire, it restarts ahead of every id issued (see SEQUENCE_NEXT). */
export const SEQUENCE_TTL_MS = 30 * 24 * 3600_000;

/**
 * Entries kept per replay stream. A location or a person sees far fewer batches than this in five
 * minutes; `all` (every schedule change, for admins) is the busiest. A stream that reached its cap
 * may have dropped entries, and replay then checks that none it needed went (live.replay.ts).
 */
export const STREAM_CAP = { location: 2000, user: 500, all: 20_000 } as const;

/** A batch as published and as stored in a replay stream: its sequence number, Redis's time, the changes. */
export interface LiveBatch {
  g: number;
  t: number;
  changes: readonly LiveChange[];
}

/**
 * An event id, `<sequence>-<ms>`: ordered by the sequence, which every instance shares, and
 * carrying Redis's time of the batch so a stale `Last-Event-ID` is recognised without a lookup.
 */
export const eventId = (g: number, t: number) => `${g}-${t}`;

export function parseEventId(raw: string | undefined): { g: number; t: number } | 'absent' | 'invalid' {
  if (raw === undefined || raw === '') return 'absent';
  const match = /^(\d{1,16})-(\d{1,15})$/.exec(raw.trim());
  if (!match) return 'invalid';
  const g = Number(match[1]);
  const t = Number(match[2]);
  return Number.isSafeInteger(g) && Number.isSafeInteger(t) ? { g, t } : 'invalid';
}

/**
 * The next sequence number and Redis's clock in ms, in one step on one key. A sequence that
 * expired (or was lost with a Redis) starts again from the clock × 1000, ahead of every number it
 * ever issued, so an id never repeats and instances see the jump as missed events (a `reset`).
 */
export const SEQUENCE_NEXT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local g = redis.call('INCR', KEYS[1])
if g == 1 then
  g = now * 1000
  redis.call('SET', KEYS[1], g)
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return {g, now}`;
