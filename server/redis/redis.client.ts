import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

export type { Redis };

export interface RedisTarget {
  url?: string;
  host: string;
  port: number;
}

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
    // Commands issued in one event-loop turn (the session reads and cache reads of concurrent
    // requests) go out in one write and come back in one read: fewer system calls per request,
    // which on a busy server cost more than the commands (bench/README.md).
    enableAutoPipelining: true,
    // Keys are prefixed by hand (config.redis.prefix) rather than with ioredis's keyPrefix, so the
    // same names work in Lua scripts and SCAN patterns, which ioredis does not prefix.
  };
}

export interface CreateRedisOptions {
  /** Which connection this is, in every log line ("main", "cache", "subscriber"). */
  role: string;
  target?: RedisTarget;
  extra?: RedisOptions;
}

/**
 * One ioredis connection with the guide's event logging. An outage is logged once when it begins
 * (with how to start Redis) and once when it ends; the reconnect attempts in between go to debug
 * so a long outage does not flood the log.
 */
export function createRedis(config: Pick<Config, 'redis'>, logger: Logger, options: CreateRedisOptions): Redis {
  const target = options.target ?? { url: config.redis.url, host: config.redis.host, port: config.redis.port };
  const opts = { ...redisOptions(config), ...options.extra };
  const client = target.url ? new Redis(target.url, opts) : new Redis({ ...opts, host: target.host, port: target.port });
  const where = target.url ? redactUrl(target.url) : `${target.host}:${target.port}`;
  const log = logger.child({ redis: options.role });
  const port = target.url ? Number(new URL(target.url).port || 6379) : target.port;
  const startCommand = port === 6379 ? 'redis-server --daemonize yes' : `redis-server --port ${port} --daemonize yes`;
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
    log.warn(
      { where, err: err.message },
      `Redis at ${where} is unreachable; the app keeps serving what it can. Start one with ` +
        `\`${startCommand}\` (or \`docker compose up -d redis\`), or set REDIS_URL / REDIS_HOST and REDIS_PORT`,
    );
  });
  client.on('reconnecting', (delay: number) => log.debug({ delay }, 'Redis client reconnecting'));
  return client;
}

function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** The main connection (sessions, rate limits, cache coordination) and, if configured, a cache one. */
export interface RedisClients {
  main: Redis;
  cache: Redis;
  close(): Promise<void>;
}

export function createRedisClients(config: Pick<Config, 'redis'>, logger: Logger): RedisClients {
  const main = createRedis(config, logger, { role: 'main' });
  const cache = config.redis.cacheUrl
    ? createRedis(config, logger, { role: 'cache', target: { url: config.redis.cacheUrl, host: '', port: 0 } })
    : main;
  return {
    main,
    cache,
    close: async () => {
      await Promise.all([...new Set([main, cache])].map((c) => quitRedis(c)));
    },
  };
}

/** QUIT when connected (lets pending replies arrive), otherwise just drop the socket. */
export async function quitRedis(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // fall through to disconnect
    }
  }
  client.disconnect();
}

const UNAVAILABLE = /did not answer within|Command timed out|Connection is closed|Stream isn't writeable|enableOfflineQueue|ECONNREFUSED|ECONNRESET|ETIMEDOUT|LOADING|READONLY|max retries per request/i;

/** True for the errors of a Redis that is down, restarting or unreachable: worth a 503, not a 500. */
export function isRedisUnavailable(err: unknown): boolean {
  const { name, message } = (err ?? {}) as { name?: unknown; message?: unknown };
  return name === 'MaxRetriesPerRequestError' || (typeof message === 'string' && UNAVAILABLE.test(message));
}
