import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { SEQUENCE_NEXT, SEQUENCE_TTL_MS, STREAM_CAP, STREAM_TTL_MS, type LiveBatch, type LiveKeys } from './live.keys.js';
import type { LiveMetrics } from './live.metrics.js';
import type { LiveChange, LivePublisher } from './live.types.js';

interface SequenceRedis extends Redis {
  liveSequenceNext(key: string, ttlMs: number): Promise<[number, number]>;
}

/** A message on the live channel: a batch of changes, or word that a person's sessions were revoked. */
export type LiveMessage = LiveBatch | { revoked: number };

/**
 * Publishes committed changes (LivePublisher) and session revocations. A batch is numbered
 * first, then appended to the replay stream of every location and person it touched, and only
 * then announced on the channel: an instance that hears of batch N can find it, and everything
 * numbered before it, in the replay streams (live.replay.ts relies on this).
 */
export interface LiveUpdatesPublisher extends LivePublisher {
  /** A person's sessions were revoked (logout, deactivation, password change): their streams re-check theirs. */
  revoked(userId: number): void;
}

export function createLivePublisher(redis: Redis, keys: LiveKeys, logger: Logger, metrics: LiveMetrics): LiveUpdatesPublisher {
  if (!('liveSequenceNext' in redis)) redis.defineCommand('liveSequenceNext', { numberOfKeys: 1, lua: SEQUENCE_NEXT });
  const client = redis as SequenceRedis;

  /** Which replay streams a batch goes to, with the changes each needs. */
  function targets(changes: readonly LiveChange[]): Map<string, { cap: number; changes: LiveChange[] }> {
    const out = new Map<string, { cap: number; changes: LiveChange[] }>();
    const add = (key: string, cap: number, change: LiveChange) => {
      const entry = out.get(key) ?? { cap, changes: [] };
      entry.changes.push(change);
      out.set(key, entry);
    };
    for (const change of changes) {
      if (change.kind === 'user' || change.kind === 'notification') {
        // A notification is one person's: it goes to their replay stream only, not to `all`.
        add(keys.user(change.userId), STREAM_CAP.user, change);
      } else {
        add(keys.location(change.schedule.locationId), STREAM_CAP.location, change);
        add(keys.all, STREAM_CAP.all, change);
      }
    }
    return out;
  }

  return {
    async publish(changes) {
      if (changes.length === 0) return;
      try {
        const [g, t] = (await client.liveSequenceNext(keys.seq, SEQUENCE_TTL_MS)).map(Number) as [number, number];
        // One command per key (no MULTI, no pipeline across keys): each may sit in its own Cluster slot.
        await Promise.all(
          [...targets(changes)].map(async ([key, target]) => {
            const entry: LiveBatch = { g, t, changes: target.changes };
            await client.xadd(key, 'MAXLEN', '~', target.cap, '*', 'b', JSON.stringify(entry));
            await client.pexpire(key, STREAM_TTL_MS);
          }),
        );
        const batch: LiveBatch = { g, t, changes };
        await client.publish(keys.channel, JSON.stringify(batch));
      } catch (err) {
        // The write committed; an instance sees the gap this leaves in the sequence and resets its streams.
        metrics.publishFailures.inc();
        logger.warn({ err: (err as Error).message, changes: changes.length }, 'live update not published; open streams will reset');
      }
    },

    revoked(userId) {
      const message: LiveMessage = { revoked: userId };
      client.publish(keys.channel, JSON.stringify(message)).catch((err: unknown) => {
        // Streams still find out at their next heartbeat, when each re-reads its session.
        metrics.publishFailures.inc();
        logger.warn({ err: (err as Error).message, userId }, 'session revocation not announced to event streams');
      });
    },
  };
}
