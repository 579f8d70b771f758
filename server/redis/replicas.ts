import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { bounded } from './bounded.js';
import { duplicateClient, isCluster, quitRedis } from './redis.client.js';

/**
 * Waits for writes to reach a replica before they are acknowledged (DESIGN.md, "High availability
 * and scale-out"; docs/decisions/021-replica-acknowledged-writes.md). Redis replicates
 * asynchronously: a login whose session is on the master alone is lost if the master fails before
 * passing it on. `WAIT <n> <ms>` returns once every write this connection made so far reached n
 * replicas, or after `ms` with fewer. n is every online replica of the master, not one: during a
 * Sentinel failover the old master goes on taking writes for a moment after a replica was
 * promoted, and a write acknowledged then by the replica that was not promoted is lost when both
 * resync from the new master. The promoted replica no longer acknowledges, so waiting for all
 * refuses that write (503) instead.
 *
 * Only where a master has a replica: WAIT against a master without one would always time out, so
 * each master's online replicas are counted (INFO replication) when the connection becomes ready,
 * every REFRESH_MS, and whenever a WAIT comes back short. On a Cluster every master with a replica
 * is waited on at once (its connection carried this process's writes to its slots); a master
 * this process did not write to answers at once.
 *
 * WAIT covers the writes of the connection it runs on, and holds that connection until it
 * returns. So the writes that must survive go on a connection of their own (`client`), and their
 * WAIT holds up only other such writes, never the session and cache reads of every request on
 * the main connection: a slow replica would otherwise hold those reads past the cache's bound,
 * and enough of them in a row switch the cache off (its breaker).
 */
export interface ReplicaAck {
  /** The connection for writes that must reach a replica before they are acknowledged. */
  readonly client: Redis;
  /** Resolves once earlier writes reached a replica (or there is none); rejects when they did not in time. */
  confirm(): Promise<void>;
  /** Masters last seen and their online replicas, for health and tests. */
  replicas(): ReadonlyMap<string, number>;
  close(): Promise<void>;
}

const REFRESH_MS = 5_000;
/**
 * A master that just lost a replica may be one a failover is about to demote: the replica that
 * left may be the one promoted, and Sentinel re-points the others to it one by one. For this long
 * the master is still waited on for as many replicas as it had, so a write that only the replicas
 * still attached acknowledge (and which they drop when they resync from the new master) is
 * refused rather than acknowledged and then lost. Longer than a failover takes.
 */
const LOST_REPLICAS_GRACE_MS = 10_000;

export class ReplicaWaitError extends Error {
  override name = 'ReplicaWaitError';
}

/** Online replicas in an `INFO replication` reply (a replica still syncing does not count). */
export function onlineReplicas(info: string): number {
  if (!/^role:master/m.test(info)) return 0;
  return [...info.matchAll(/^slave\d+:.*\bstate=online\b/gm)].length;
}

export interface ReplicaAckOptions {
  waitMs: number;
  commandTimeoutMs: number;
  /** Tests shorten it; LOST_REPLICAS_GRACE_MS otherwise. */
  lostReplicasGraceMs?: number;
}

export function createReplicaAck(main: Redis, logger: Logger, options: ReplicaAckOptions): ReplicaAck {
  const log = logger.child({ component: 'replica-ack' });
  const client = duplicateClient(main, {});
  client.on('error', (err: Error) => log.debug({ err: err.message }, 'replica-acknowledged connection error'));
  let known: Map<string, number> | undefined;
  let refreshing: Promise<Map<string, number>> | undefined;
  let closed = false;
  let lastShort = 0;
  const graceMs = options.lostReplicasGraceMs ?? LOST_REPLICAS_GRACE_MS;
  /** Per master: the most replicas it had within the grace, and when it last had that many. */
  const highest = new Map<string, { count: number; at: number }>();

  /** How many replicas a master's writes must reach: what it has now, or more if it had more a moment ago. */
  const effective = (name: string, count: number): number => {
    const now = Date.now();
    const last = highest.get(name);
    if (last && count < last.count && now - last.at < graceMs) return last.count;
    highest.set(name, { count, at: now });
    return count;
  };

  const masters = (): Array<[string, Redis]> => {
    if (!isCluster(client)) return [['master', client]];
    const nodes = (client as unknown as { nodes(role: 'master'): Redis[] }).nodes('master');
    return nodes.map((node) => [`${node.options.host}:${node.options.port}`, node]);
  };

  const refresh = (): Promise<Map<string, number>> => {
    refreshing ??= (async () => {
      const counts = new Map<string, number>();
      await Promise.all(
        masters().map(async ([name, node]) => {
          counts.set(name, effective(name, onlineReplicas(await bounded(node.info('replication'), options.commandTimeoutMs))));
        }),
      );
      const before = known;
      known = counts;
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      const totalBefore = before ? [...before.values()].reduce((a, b) => a + b, 0) : undefined;
      if (totalBefore !== total) {
        log.info({ replicas: Object.fromEntries(counts) }, total > 0 ? 'writes that must survive a failover wait for a replica' : 'no replica: writes are acknowledged without waiting');
      }
      return counts;
    })().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };

  const timer = setInterval(() => {
    if (!closed) refresh().catch(() => {});
  }, REFRESH_MS);
  timer.unref();
  const onReady = () => {
    refresh().catch(() => {});
  };
  client.on('ready', onReady);
  // A Cluster gains and loses masters without a new 'ready'.
  client.on('+node', onReady);
  client.on('-node', onReady);

  return {
    client,
    async confirm() {
      const counts = known ?? (await refresh());
      const waitOn = masters().filter(([name]) => (counts.get(name) ?? 0) > 0);
      if (waitOn.length === 0) return;
      const acked = await Promise.all(
        waitOn.map(async ([name, node]) => {
          const replicas = counts.get(name)!;
          return (await bounded(node.wait(replicas, options.waitMs), options.waitMs + options.commandTimeoutMs)) >= replicas;
        }),
      );
      if (acked.every(Boolean)) return;
      // A replica went away or lags: learn which, and say so once in a while rather than per request.
      // On a Cluster a master that failed stays in the client's node list (and is waited on, so
      // logins answer 503) until its next slot refresh; ask for one now.
      if (isCluster(client)) (client as unknown as { refreshSlotsCache(): void }).refreshSlotsCache();
      refresh().catch(() => {});
      if (Date.now() - lastShort > 30_000) {
        lastShort = Date.now();
        log.warn({ waitMs: options.waitMs }, 'a write did not reach a replica in time: answering 503 until replicas keep up or are gone');
      }
      throw new ReplicaWaitError(`the write has not reached the replicas within ${options.waitMs} ms`);
    },
    replicas: () => known ?? new Map(),
    async close() {
      closed = true;
      clearInterval(timer);
      client.off('ready', onReady);
      client.off('+node', onReady);
      client.off('-node', onReady);
      await quitRedis(client);
    },
  };
}
