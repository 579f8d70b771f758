import type { Redis } from 'ioredis';
import { bounded } from './bounded.js';

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
