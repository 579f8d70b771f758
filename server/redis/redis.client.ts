import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { describeConnection, type RedisConnection } from './redis.topology.js';
import { createReplicaAck, type ReplicaAck } from './replicas.js';

export type { Redis };

/**
 * The options of the integration guide (retries, connect timeout, back-off), plus what it lacks:
 * `commandTimeout` bounds how long any one command can keep a request waiting, whether Redis is
 * down, restarting or just stalled. Without it a command issued while Redis is unreachable sits
 * in ioredis's offline queue across reconnect attempts, which is how requests hang for seconds.
 * It is twice REDIS_COMMAND_TIMEOUT_MS: the reads every request makes (the session, the cache)
 * have their own bound of REDIS_COMMAND_TIMEOUT_MS, which unlike this plain timer does not fire
 * while a reply waits unread behind a busy event loop (redis/bounded.ts); this is the outer limit.
 * It also caps that bound's allowance for a busy loop: a session read held up for longer than
 * twice the bound fails here, since every other command (session saves, rate limits) must not
 * wait on a stalled Redis for longer than about a second.
 */
export function redisOptions(config: Pick<Config, 'redis'>): RedisOptions {
  return {
    maxRetriesPerRequest: 3,
    connectTimeout: 10_000,
    retryStrategy: (times: number) => Math.min(times * 50, 2000),
    commandTimeout: config.redis.commandTimeoutMs * 2,
    // A client closed while Redis is down or still connecting (quitRedis below) half-closes a socket
    // that may never answer; ioredis destroys it after this long, on a timer that holds the process
    // meanwhile (a shutting-down server, a test worker): 2 s by default. Nothing is left to flush then.
    disconnectTimeout: 100,
    // Commands issued in one event-loop turn (the session reads and cache reads of concurrent
    // requests) go out in one write and come back in one read: fewer system calls per request,
    // which on a busy server cost more than the commands (bench/README.md).
    enableAutoPipelining: true,
    // Keys are prefixed by hand (config.redis.prefix) rather than with ioredis's keyPrefix, so the
    // same names work in Lua scripts and SCAN patterns, which ioredis does not prefix.
  };
}

/**
 * A write that reached a replica (after a failover, or a stale address) answers READONLY: drop
 * the connection and reconnect, which on Sentinel asks the sentinels for the master again, and
 * re-send the command there (2) rather than fail it. On Cluster ioredis follows MOVED itself.
 */
function reconnectOnError(err: Error): 2 | false {
  return /^(READONLY|MASTERDOWN)/.test(err.message) ? 2 : false;
}

function connectionOptions(connection: RedisConnection): RedisOptions {
  return {
    username: connection.username,
    password: connection.password,
    // An empty object: Node's defaults (verify the certificate against the system's CAs).
    tls: connection.tls ? {} : undefined,
    reconnectOnError,
  };
}

/**
 * The ioredis client for a connection, typed as `Redis` throughout the server. A `Cluster` serves
 * the same commands (each routed to the slot of its first key); where the two differ (duplicate,
 * WAIT, node roles) callers go through the helpers below.
 */
function clientFor(connection: RedisConnection, opts: RedisOptions): Redis {
  const own = connectionOptions(connection);
  switch (connection.kind) {
    case 'single':
      return new Redis({ ...opts, ...own, host: connection.host, port: connection.port, db: connection.db });
    case 'sentinel':
      return new Redis({
        ...opts,
        ...own,
        sentinels: connection.sentinels.map((s) => ({ ...s })),
        name: connection.masterName,
        role: 'master',
        sentinelPassword: connection.sentinelPassword,
        enableTLSForSentinelMode: connection.tls,
        sentinelTLS: connection.tls ? {} : undefined,
        // Learn of a +switch-master from the sentinels at once, not only when the old master fails us.
        failoverDetector: true,
        sentinelRetryStrategy: (times: number) => Math.min(times * 100, 2000),
      });
    case 'cluster': {
      const { retryStrategy, enableAutoPipelining, ...perNode } = opts;
      const clusterOptions: ClusterOptions = {
        redisOptions: { ...perNode, ...own },
        clusterRetryStrategy: retryStrategy === null ? null : (times: number) => (retryStrategy ? retryStrategy(times) : Math.min(times * 50, 2000)),
        enableAutoPipelining,
        // Reads from masters: a session read right after its login must see it.
        scaleReads: 'master',
        enableReadyCheck: true,
        // A failover takes the cluster a moment: MOVED, TRYAGAIN and CLUSTERDOWN are retried for
        // about as long as a command may wait anyway, then surface (a 503, see isRedisUnavailable).
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        retryDelayOnTryAgain: 100,
        maxRedirections: 8,
        // A replica that restarts without a slot change must be reconnected, not forgotten.
        clusterNodeRetryStrategy: (times: number) => Math.min(times * 100, 2000),
      };
      return refreshingSlots(new Cluster(connection.nodes.map((n) => ({ ...n })), clusterOptions)) as unknown as Redis;
    }
  }
}

/** How often a Cluster client asks for the slot map (see refreshingSlots). */
const SLOTS_REFRESH_MS = 1_000;

/**
 * A Cluster client that reads the slot map every second. When a master dies, its connection
 * keeps retrying and its slots' commands wait for it: no MOVED ever comes to tell ioredis (which
 * has no periodic refresh by default) that a replica took over. Logins answered 503 for ~13 s
 * after a master `kill -9`, until something else refreshed the slots; one CLUSTER SLOTS a second
 * finds the new master within a second of its promotion. The timer is ours, not ioredis's
 * `slotsRefreshInterval`: that one is re-armed when a refresh in flight finishes, even after
 * quit(), and kept a closed client's process alive. Ours is unref'd and stops at 'end'.
 */
function refreshingSlots(cluster: Cluster): Cluster {
  const timer = setInterval(() => {
    if (cluster.status === 'ready') cluster.refreshSlotsCache();
  }, SLOTS_REFRESH_MS);
  timer.unref();
  cluster.once('end', () => clearInterval(timer));
  return cluster;
}

export function isCluster(client: Redis): boolean {
  return (client as unknown as { isCluster?: boolean }).isCluster === true;
}

/** Connections this process closed on purpose (quitRedis): the only ones that may stay closed. */
const closing = new WeakSet<Redis>();

/**
 * On Sentinel, ioredis gives up on a connection for good (status `end`) when its attempt to
 * reach the master is cut short: the failover detector hears `+switch-master` and drops the
 * connection while it is still asking the sentinels where the master is, which is what a killed
 * master leads to (bench:failover, kill -9 of the Sentinel master: instances stayed unhealthy).
 * Such a connection is started again; one closed by quitRedis is not.
 */
function keepConnecting(client: Redis): Redis {
  if (isCluster(client) || !client.options.sentinels?.length) return client;
  client.on('end', () => {
    const timer = setTimeout(() => {
      if (!closing.has(client) && client.status === 'end') client.connect().catch(() => {});
    }, 100);
    timer.unref();
  });
  return client;
}

/** A second connection like `client` (to the same server, master or cluster), with `overrides`. */
export function duplicateClient(client: Redis, overrides: RedisOptions): Redis {
  if (isCluster(client)) {
    const cluster = client as unknown as Cluster;
    const { enableAutoPipelining, ...perNode } = overrides;
    return refreshingSlots(
      cluster.duplicate(undefined, {
        ...cluster.options,
        ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
        redisOptions: { ...cluster.options.redisOptions, ...perNode },
      }),
    ) as unknown as Redis;
  }
  return keepConnecting(client.duplicate(overrides));
}

/**
 * Calls `resync` whenever a subscriber connection may have come back without its messages: on
 * 'ready', and on a Cluster also when a node leaves or joins. ioredis's Cluster keeps its one
 * subscriber connection on some node and, when that node goes, moves it and its subscriptions
 * elsewhere without a new 'ready'; whatever was published meanwhile is lost, so the caller
 * subscribes and re-reads then rather than at its next periodic read.
 */
export function onSubscriberResumed(subscriber: Redis, resync: () => void): void {
  subscriber.on('ready', resync);
  if (isCluster(subscriber)) {
    subscriber.on('-node', resync);
    subscriber.on('+node', resync);
  }
}

export interface CreateRedisOptions {
  /** Which connection this is, in every log line ("main", "cache", "subscriber"). */
  role: string;
  /** Where it goes; the main connection of the configuration when not given. */
  connection?: RedisConnection;
  extra?: RedisOptions;
}

/**
 * One ioredis connection with the guide's event logging. An outage is logged once when it begins
 * (with how to start Redis) and once when it ends; the reconnect attempts in between go to debug
 * so a long outage does not flood the log.
 */
export function createRedis(config: Pick<Config, 'redis'>, logger: Logger, options: CreateRedisOptions): Redis {
  const connection = options.connection ?? config.redis.main;
  const client = keepConnecting(clientFor(connection, { ...redisOptions(config), ...options.extra }));
  const where = describeConnection(connection);
  const log = logger.child({ redis: options.role });
  const startCommand =
    connection.kind !== 'single'
      ? undefined
      : connection.port === 6379
        ? 'redis-server --daemonize yes'
        : `redis-server --port ${connection.port} --daemonize yes`;
  let down = false;

  client.on('connect', () => log.debug({ where }, 'Redis client connected'));
  client.on('ready', () => {
    if (down) log.info({ where }, 'Redis is reachable again');
    else log.info({ where }, 'Redis client ready');
    down = false;
  });
  client.on('error', (err: Error) => {
    if (down) {
      log.debug({ err: err.message }, 'Redis client error');
      return;
    }
    down = true;
    const advice = startCommand
      ? `Start one with \`${startCommand}\` (or \`docker compose up -d redis\`), or set REDIS_URL / REDIS_HOST and REDIS_PORT`
      : 'Check that the servers named in REDIS_SENTINELS / REDIS_CLUSTER_NODES are up and reachable';
    log.warn({ where, err: err.message }, `Redis at ${where} is unreachable; the app keeps serving what it can. ${advice}`);
  });
  client.on('reconnecting', (delay: number) => log.debug({ delay }, 'Redis client reconnecting'));
  // A Cluster reports trouble with one node separately; the client as a whole may still serve.
  client.on('node error', (err: Error, node: string) => log.debug({ node, err: err.message }, 'Redis cluster node error'));
  return client;
}

/** The main connection (sessions, rate limits, cache coordination) and, if configured, a cache one. */
export interface RedisClients {
  main: Redis;
  cache: Redis;
  /** Waits for the main connection's writes to reach a replica (logins, revocations). */
  replicaAck: ReplicaAck;
  close(): Promise<void>;
}

export function createRedisClients(config: Pick<Config, 'redis'>, logger: Logger): RedisClients {
  const main = createRedis(config, logger, { role: 'main' });
  const cache = config.redis.cache ? createRedis(config, logger, { role: 'cache', connection: config.redis.cache }) : main;
  const replicaAck = createReplicaAck(main, logger, { waitMs: config.redis.replicaWaitMs, commandTimeoutMs: config.redis.commandTimeoutMs });
  return {
    main,
    cache,
    replicaAck,
    close: async () => {
      await Promise.all([replicaAck.close(), ...[...new Set([main, cache])].map((c) => quitRedis(c))]);
    },
  };
}

/**
 * A Sentinel client that is still connecting sets up its failover detector (three more
 * connections) once its socket connects, even after a `disconnect()`; closing it half-way leaves
 * those open. So a close first lets a connection under way finish (or fail), briefly.
 */
async function settled(client: Redis): Promise<void> {
  if (isCluster(client) || !['connecting', 'connect'].includes(client.status)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off('ready', done);
      client.off('end', done);
      client.off('error', done);
      resolve();
    };
    const timer = setTimeout(done, 2_000);
    client.once('ready', done);
    client.once('end', done);
    client.once('error', done);
  });
}

/**
 * QUIT when connected (lets pending replies arrive), then disconnect: on Sentinel only
 * `disconnect()` closes the connections to the sentinels that listen for failovers
 * (`failoverDetector`), which a QUIT leaves open, keeping the process alive.
 */
export async function quitRedis(client: Redis): Promise<void> {
  closing.add(client);
  await settled(client);
  if (client.status === 'ready') {
    try {
      await client.quit();
    } catch {
      // disconnect below
    }
  }
  client.disconnect();
}

/**
 * Outages, and the states a failover passes through: a replica that refuses writes (READONLY), a
 * master that lost its link (MASTERDOWN), a cluster that is resharding or lost a master (TRYAGAIN,
 * CLUSTERDOWN, and redirections still bouncing once ioredis stops following them), or no node
 * reachable at all.
 */
const UNAVAILABLE =
  /did not answer within|Command timed out|Connection is closed|Stream isn't writeable|enableOfflineQueue|ECONNREFUSED|ECONNRESET|ETIMEDOUT|LOADING|READONLY|MASTERDOWN|NOREPLICAS|TRYAGAIN|CLUSTERDOWN|^MOVED|^ASK|Too many Cluster redirections|Failed to refresh slots cache|None of startup nodes is available|Cluster isn't ready|All sentinels are unreachable|max retries per request|not reached the replicas/i;

/** True for the errors of a Redis that is down, restarting or unreachable: worth a 503, not a 500. */
export function isRedisUnavailable(err: unknown): boolean {
  const { name, message } = (err ?? {}) as { name?: unknown; message?: unknown };
  return name === 'MaxRetriesPerRequestError' || (typeof message === 'string' && UNAVAILABLE.test(message));
}
