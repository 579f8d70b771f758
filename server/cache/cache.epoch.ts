import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { duplicateClient, onSubscriberResumed, quitRedis } from '../redis/redis.client.js';
import { epochChannel, epochKey } from './cache.keys.js';
import { BUMP_EPOCH, READ_EPOCH, runScript } from './cache.scripts.js';

/**
 * The global cache epoch: every entry carries the epoch its load started under, and entries older
 * than the epoch an instance knows read as misses. Bumping it invalidates the whole cache at once,
 * which is how an invalidation lost while Redis was unreachable is made good afterwards.
 *
 * Instances learn it at start, from pub/sub on every bump, on every reconnect of the subscriber
 * (pub/sub drops messages while disconnected) and every `refreshMs` as a backstop.
 */
export interface EpochTracker {
  /** The newest epoch this instance knows; `undefined` until it has asked Redis once. */
  current(): number | undefined;
  refresh(): Promise<number>;
  bump(): Promise<number>;
  close(): Promise<void>;
}

export interface EpochOptions {
  main: Redis;
  prefix: string;
  logger: Logger;
  /** Runs one Redis operation under the cache's timeout and breaker accounting. */
  run<T>(op: string, fn: () => Promise<T>): Promise<T>;
}

/** Far longer than any entry lives; refreshed on every read, so it only lapses in a long silence. */
const EPOCH_TTL_MS = 7 * 24 * 3600 * 1000;
const RESYNC_RETRY_MS = 500;

export function createEpochTracker(options: EpochOptions): EpochTracker {
  const { main, prefix, logger, run } = options;
  const key = epochKey(prefix);
  const channel = epochChannel(prefix);
  let known: number | undefined;
  let closed = false;

  const adopt = (value: number) => {
    if (!Number.isSafeInteger(value)) return;
    if (known === undefined || value > known) known = value;
  };

  const bump = async (): Promise<number> => {
    const reply = await run('epoch', () => runScript(main, BUMP_EPOCH, [key], [EPOCH_TTL_MS, channel, known ?? 0]));
    adopt(Number(reply));
    logger.info({ epoch: known }, 'cache epoch bumped: entries written before now read as misses');
    return known!;
  };

  const refresh = async (): Promise<number> => {
    // Compared with what was known when asking: pub/sub may announce a newer bump meanwhile.
    const asked = known;
    const remote = Number(await run('epoch', () => runScript(main, READ_EPOCH, [key], [EPOCH_TTL_MS, channel])));
    // Behind what this instance already saw (the counter was lost and re-created): move it forward
    // rather than accept entries stamped with an epoch that an earlier bump retired.
    if (asked !== undefined && remote < asked) return bump();
    adopt(remote);
    return known!;
  };

  // A connection of its own: one in subscriber mode cannot run the commands the cache needs.
  // Plain pub/sub, on every topology: on a Cluster a PUBLISH reaches every node and ioredis keeps
  // one subscriber connection, moving it (and its subscription) when that node goes; the move
  // (a node leaving) triggers a resync, so a bump published meanwhile is read then. Bumps are
  // rare, so sharded pub/sub's saving (no broadcast) is not worth a connection per master.
  const subscriber = duplicateClient(main, { autoResubscribe: false, enableAutoPipelining: false });
  let resyncTimer: NodeJS.Timeout | undefined;

  // Subscribe first, then read: a bump between the two is seen by one or the other. Until this
  // succeeds, a bump published while the subscriber was away goes unseen, so it is retried soon
  // rather than left to the periodic re-read.
  const resync = () => {
    clearTimeout(resyncTimer);
    if (closed || subscriber.status !== 'ready') return;
    subscriber
      .subscribe(channel)
      .then(() => refresh())
      .catch((err: unknown) => {
        logger.debug({ err: (err as Error).message }, 'cache epoch resync failed; retrying');
        resyncTimer = setTimeout(resync, RESYNC_RETRY_MS);
        resyncTimer.unref();
      });
  };

  subscriber.on('error', (err: Error) => logger.debug({ err: err.message }, 'cache epoch subscriber error'));
  subscriber.on('message', (from: string, message: string) => {
    if (from === channel) adopt(Number(message));
  });
  onSubscriberResumed(subscriber, resync);

  return {
    current: () => known,
    refresh,
    bump,
    async close() {
      closed = true;
      clearTimeout(resyncTimer);
      await quitRedis(subscriber);
    },
  };
}
