import type { Redis } from 'ioredis';

/**
 * True only when Redis answers PING with PONG, as the integration guide's health route expects.
 * The client's commandTimeout bounds the wait, so a stalled Redis reads as unhealthy, not as a hang.
 */
export async function checkRedisConnection(client: Redis): Promise<boolean> {
  try {
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  }
}
