import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { bounded } from './bounded.js';
import { isCluster } from './redis.client.js';

/**
 * True only when Redis answers PING with PONG, as the integration guide's health route expects.
 * A stalled Redis reads as unhealthy within `timeoutMs` (REDIS_COMMAND_TIMEOUT_MS's default), well
 * inside a probe's usual one-second timeout, not as a hang.
 */
export async function checkRedisConnection(client: Redis, timeoutMs = 500): Promise<boolean> {
  try {
    return (await bounded(client.ping(), timeoutMs)) === 'PONG';
  } catch {
    return false;
  }
}

/** Why Redis cannot serve the server's writes, or undefined when it can. */
export async function unwritableBecause(client: Redis, probeKey: string, timeoutMs = 500): Promise<string | undefined> {
  try {
    if (!(await checkRedisConnection(client, timeoutMs))) return 'Redis does not answer PING';
    // A replica answers PING but refuses writes (READONLY): the probe is a write.
    await bounded(client.set(probeKey, String(Date.now()), 'PX', 60_000), timeoutMs);
    if (isCluster(client)) {
      // One write reaches one slot's master; the cluster's own view covers every slot.
      const info = await bounded(client.cluster('INFO'), timeoutMs);
      const state = /cluster_state:(\w+)/.exec(String(info))?.[1];
      if (state !== 'ok') return `the Redis cluster's state is ${state ?? 'unknown'}`;
    }
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Redis health as API.md defines it: healthy only while the server can write (not connected to a
 * replica, not a cluster that is down). The cause of a change is logged once, when it changes,
 * not on every probe.
 */
export function createRedisHealth(client: Redis, options: { prefix: string; logger: Logger; timeoutMs?: number }) {
  const probeKey = `${options.prefix}health:write`;
  let lastCause: string | undefined;
  let known = false;
  return async function healthy(): Promise<boolean> {
    const cause = await unwritableBecause(client, probeKey, options.timeoutMs);
    if (!known || cause !== lastCause) {
      if (cause && cause !== lastCause) options.logger.warn({ cause }, 'Redis is unhealthy: the server cannot write to it');
      else if (!cause && known && lastCause) options.logger.info('Redis is healthy again: writes succeed');
      known = true;
      lastCause = cause;
    }
    return cause === undefined;
  };
}
