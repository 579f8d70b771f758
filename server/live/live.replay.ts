import type { Redis } from 'ioredis';
import type { Actor } from '../access/actor.js';
import { REPLAY_WINDOW_MS, STREAM_CAP, type LiveBatch, type LiveKeys } from './live.keys.js';

/** Clocks of Redis Cluster nodes may differ: replay reads stream entries from this long before the id's time. */
const CLOCK_SKEW_MS = 60_000;

interface Source {
  key: string;
  cap: number;
}

/**
 * The batches a reconnecting stream missed: numbered after `from` (its Last-Event-ID) and up to
 * `upTo` (the instance's watermark, above which batches come live), from the replay streams of
 * what the viewer may see now, in sequence order. 'reset' when that cannot be told exactly: an
 * id older than the window or ahead of the sequence, or a stream trimmed past it.
 */
export async function readReplay(
  redis: Redis,
  keys: LiveKeys,
  viewer: Actor,
  from: { g: number; t: number },
  upTo: number,
): Promise<LiveBatch[] | 'reset'> {
  const [current, [seconds, micros]] = await Promise.all([redis.get(keys.seq), redis.time()]);
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  if (from.g > Number(current ?? 0) || from.t > now + CLOCK_SKEW_MS) return 'reset';
  if (from.t < now - REPLAY_WINDOW_MS) return 'reset';
  if (from.g >= upTo) return [];

  const sources: Source[] = [{ key: keys.user(viewer.userId), cap: STREAM_CAP.user }];
  if (viewer.role === 'admin') sources.push({ key: keys.all, cap: STREAM_CAP.all });
  else for (const id of viewer.locationIds) sources.push({ key: keys.location(id), cap: STREAM_CAP.location });

  const start = `${Math.max(0, from.t - CLOCK_SKEW_MS)}-0`;
  const read = await Promise.all(
    sources.map(async ({ key, cap }) => {
      const [length, first, entries] = await Promise.all([redis.xlen(key), redis.xrange(key, '-', '+', 'COUNT', 1), redis.xrange(key, start, '+')]);
      // Trimming keeps at least `cap` entries; a stream this long may have dropped some, and if
      // its oldest left is already past `from`, one the client needs may be among them.
      const oldest = first[0] ? parse(first[0][1]) : undefined;
      if (length >= cap && (!oldest || oldest.g > from.g)) return 'reset' as const;
      return entries.map(([, fields]) => parse(fields));
    }),
  );

  const byNumber = new Map<number, { g: number; t: number; changes: LiveBatch['changes'][number][] }>();
  for (const entries of read) {
    if (entries === 'reset') return 'reset';
    for (const entry of entries) {
      if (!entry) return 'reset';
      if (entry.g <= from.g || entry.g > upTo) continue;
      const batch = byNumber.get(entry.g) ?? { g: entry.g, t: entry.t, changes: [] };
      batch.changes.push(...entry.changes);
      byNumber.set(entry.g, batch);
    }
  }
  return [...byNumber.values()].sort((a, b) => a.g - b.g);
}

/** A stream entry (`b` holds the batch's JSON), or undefined if it is not one this code wrote. */
function parse(fields: string[]): LiveBatch | undefined {
  const at = fields.indexOf('b');
  if (at < 0 || at + 1 >= fields.length) return undefined;
  try {
    const batch = JSON.parse(fields[at + 1]!) as LiveBatch;
    return Number.isSafeInteger(batch.g) && Number.isSafeInteger(batch.t) && Array.isArray(batch.changes) ? batch : undefined;
  } catch {
    return undefined;
  }
}
