import type { Redis } from 'ioredis';
import { isCluster } from '../../server/redis/redis.client.js';

/**
 * Every key matching `pattern`, by SCAN (never KEYS). On a Cluster a SCAN sees one node's keys
 * only, so every master is scanned.
 */
export async function keysMatching(client: Redis, pattern: string): Promise<string[]> {
  const nodes = isCluster(client) ? (client as unknown as { nodes(role: 'master'): Redis[] }).nodes('master') : [client];
  const found: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
  }
  return found;
}
