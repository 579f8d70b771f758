import { isIP } from 'node:net';
import { parse as parseConnectionString } from 'pg-connection-string';
import { z } from 'zod';
import { StartupError } from './startup-error.js';
import { parseEndpoint, resolveTopology, type RedisConnection, type TopologyVariables } from './redis/redis.topology.js';

/**
 * The environment, parsed once. Everything the server reads from `process.env` is named here,
 * coerced and defaulted, so the rest of the code gets typed values and a bad value stops the
 * process at boot with the variable's name instead of failing later in a request.
 */

const DEV_SESSION_SECRET = 'crewplots-development-secret-not-for-production';

const booleanString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const commaList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

/** An entry of a `trust proxy` list as Express's proxy-addr reads it: an address, a subnet, or a named range. */
function isProxyAddress(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address = '', range, ...rest] = entry.split('/');
  const family = isIP(address);
  if (!family || rest.length > 0) return false;
  if (range === undefined) return true;
  if (/^\d{1,3}$/.test(range)) return Number(range) <= (family === 4 ? 32 : 128);
  return family === 4 && isIP(range) === 4; // a netmask, 255.255.255.0
}

/** Express's `trust proxy`: a boolean, a hop count, or a list of addresses/subnets. */
const trustProxy = z
  .string()
  .trim()
  .transform((v, ctx): boolean | number | string[] => {
    if (v === 'true') return true;
    if (v === 'false' || v === '') return false;
    if (/^\d+$/.test(v)) return Number(v);
    const list = v.split(',').map((s) => s.trim());
    const bad = list.filter((entry) => !isProxyAddress(entry));
    if (bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `"${bad.join('", "')}" is not true, false, a hop count, an address or a subnet` });
      return z.NEVER;
    }
    return list;
  });

/** A connection URL: the right scheme, and one its driver can read (`parse`: Node's URL by default). */
const serviceUrl = (scheme: RegExp, what: string, parse: (v: string) => unknown = (v) => new URL(v)) =>
  z
    .string()
    .regex(scheme, `must be a ${what} URL`)
    .refine((v) => {
      try {
        parse(v);
        return true;
      } catch {
        return false;
      }
    }, 'is not a valid URL (check the host and port)');

/** `host:port,host:port`: the sentinels, or any nodes of a cluster. */
const endpointList = commaList.transform((entries, ctx) => {
  const bad = entries.filter((entry) => !parseEndpoint(entry));
  if (bad.length > 0 || entries.length === 0) {
    ctx.addIssue({ code: 'custom', message: `${bad.length ? `"${bad.join('", "')}" is not` : 'must be'} host:port (a list: host:port,host:port)` });
    return z.NEVER;
  }
  return entries.map((entry) => parseEndpoint(entry)!);
});

const redisUrl = serviceUrl(/^rediss?:\/\//, 'redis:// or rediss://');

/** The topology variables of one connection, under `REDIS_` or `REDIS_CACHE_` (API.md, Redis topologies). */
const topologyVariables = <P extends string>(prefix: P) =>
  ({
    [`${prefix}SENTINELS`]: endpointList.optional(),
    [`${prefix}SENTINEL_MASTER`]: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be the master\'s name (letters, digits, _.-)').optional(),
    [`${prefix}SENTINEL_PASSWORD`]: z.string().optional(),
    [`${prefix}CLUSTER_NODES`]: endpointList.optional(),
    [`${prefix}USERNAME`]: z.string().optional(),
    [`${prefix}PASSWORD`]: z.string().optional(),
    [`${prefix}TLS`]: booleanString.optional(),
  }) as Record<`${P}${'SENTINELS' | 'CLUSTER_NODES'}`, z.ZodOptional<typeof endpointList>> &
    Record<`${P}${'SENTINEL_MASTER' | 'SENTINEL_PASSWORD' | 'USERNAME' | 'PASSWORD'}`, z.ZodOptional<z.ZodString>> &
    Record<`${P}TLS`, z.ZodOptional<typeof booleanString>>;

/** The variables of one connection, with their prefix taken off. */
function topologyOf(env: Record<string, unknown>, prefix: string): TopologyVariables {
  const names = ['URL', 'HOST', 'PORT', 'SENTINELS', 'SENTINEL_MASTER', 'SENTINEL_PASSWORD', 'CLUSTER_NODES', 'USERNAME', 'PASSWORD', 'TLS'] as const;
  return Object.fromEntries(names.filter((n) => env[`${prefix}${n}`] !== undefined).map((n) => [n, env[`${prefix}${n}`]])) as TopologyVariables;
}

const DEFAULT_REDIS = { host: '127.0.0.1', port: 6379 };

const origin = z.string().transform((v, ctx) => {
  try {
    return new URL(v).origin;
  } catch {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not an origin such as https://crew.example.com` });
    return z.NEVER;
  }
});

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(5000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

    // node-postgres's own reading, which also takes a socket folder: postgres://user@/db?host=/var/run/postgresql
    DATABASE_URL: serviceUrl(/^postgres(ql)?:\/\//, 'postgres://', parseConnectionString).optional(),
    DATA_DIR: z.string().min(1).default('.data'),

    REDIS_URL: redisUrl.optional(),
    REDIS_HOST: z.string().min(1).optional(),
    REDIS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    ...topologyVariables('REDIS_'),
    REDIS_CACHE_URL: redisUrl.optional(),
    ...topologyVariables('REDIS_CACHE_'),
    REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_.:{}-]+:$/, 'must be letters, digits or _.:{}- and end with ":"')
      .default('crewplots:'),
    REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(50).max(10_000).default(500),
    REDIS_REPLICA_WAIT_MS: z.coerce.number().int().min(10).max(5_000).default(200),

    SESSION_SECRET: commaList
      .pipe(z.array(z.string().min(32, 'each secret must be at least 32 characters')).min(1))
      .optional(),
    COOKIE_SECURE: booleanString.optional(),
    TRUST_PROXY: trustProxy.default(false),
    APP_ORIGINS: commaList.pipe(z.array(origin)).default([]),
    METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),

    CACHE_DISABLED: booleanString.default(false),
    CURRENCY: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR').default('EUR'),
    SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).max(60_000).optional(),

    LIVE_HEARTBEAT_MS: z.coerce.number().int().min(100).max(25_000).default(20_000),
    LIVE_BUFFER_BYTES: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(64 * 1024),

    ADMIN_EMAIL: z.email().optional(),
    ADMIN_PASSWORD: z.string().min(12, 'must be 12 to 256 characters').max(256).optional(),
    SEED_DEMO: booleanString.default(false),
  })
  .superRefine((env, ctx) => {
    for (const [prefix, fallback] of [['REDIS_', DEFAULT_REDIS], ['REDIS_CACHE_', undefined]] as const) {
      for (const { variable, message } of resolveTopology(topologyOf(env, prefix), prefix, fallback).problems) {
        ctx.addIssue({ code: 'custom', path: [variable], message });
      }
    }
    if (env.NODE_ENV === 'production' && !env.SESSION_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['SESSION_SECRET'], message: 'is required when NODE_ENV=production' });
    }
    if (env.NODE_ENV === 'production' && env.SEED_DEMO) {
      ctx.addIssue({
        code: 'custom',
        path: ['SEED_DEMO'],
        message: 'demo data is never loaded in production; run `npm run seed -- --allow-production` on purpose instead',
      });
    }
    if (Boolean(env.ADMIN_EMAIL) !== Boolean(env.ADMIN_PASSWORD)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.ADMIN_EMAIL ? 'ADMIN_PASSWORD' : 'ADMIN_EMAIL'],
        message: 'ADMIN_EMAIL and ADMIN_PASSWORD are set together or not at all',
      });
    }
  });

export type Config = Readonly<{
  env: 'development' | 'production' | 'test';
  isProduction: boolean;
  port: number;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  database: Readonly<{ url: string | undefined; dataDir: string }>;
  redis: Readonly<{
    /** Sessions, rate limits, cache coordination: one server, Sentinel or Cluster. */
    main: Readonly<RedisConnection>;
    /** A separate instance for cache entries (see docs/decisions/002); unset means the main one. */
    cache: Readonly<RedisConnection> | undefined;
    prefix: string;
    commandTimeoutMs: number;
    /** How long a login or revocation waits for its writes to reach a replica (redis/replicas.ts). */
    replicaWaitMs: number;
  }>;
  session: Readonly<{ secrets: readonly string[]; usingDevelopmentSecret: boolean; secureCookie: boolean }>;
  trustProxy: boolean | number | readonly string[];
  appOrigins: readonly string[];
  metricsToken: string | undefined;
  /** Every cache read goes straight to Postgres (benchmarks, diagnosis). */
  cacheDisabled: boolean;
  /** ISO 4217 code of hourly rates and labor costs. */
  currency: string;
  live: Readonly<{
    /** How often an idle event stream gets a comment line (API.md: at least every 25 s). */
    heartbeatMs: number;
    /** Bytes an event stream may have waiting in its socket before the client counts as too slow and is dropped. */
    bufferBytes: number;
  }>;
  bootstrapAdmin: Readonly<{ email: string; password: string }> | undefined;
  seedDemo: boolean;
  /** After SIGTERM, how long readiness answers 503 while requests are still served, before the listener closes. */
  shutdownDelayMs: number;
}>;

export class ConfigError extends StartupError {
  override name = 'ConfigError';
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Parses an environment (default: `process.env`); throws ConfigError naming each bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", as in most shells' `FOO= cmd`.
  const env = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`);
    throw new ConfigError(`Invalid environment: ${lines.join('; ')}`);
  }
  const e = parsed.data;
  return deepFreeze({
    env: e.NODE_ENV,
    isProduction: e.NODE_ENV === 'production',
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    database: { url: e.DATABASE_URL, dataDir: e.DATA_DIR },
    redis: {
      main: resolveTopology(topologyOf(e, 'REDIS_'), 'REDIS_', DEFAULT_REDIS).connection!,
      cache: resolveTopology(topologyOf(e, 'REDIS_CACHE_'), 'REDIS_CACHE_', undefined).connection,
      prefix: e.REDIS_PREFIX,
      commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
      replicaWaitMs: e.REDIS_REPLICA_WAIT_MS,
    },
    session: {
      secrets: e.SESSION_SECRET ?? [DEV_SESSION_SECRET],
      usingDevelopmentSecret: !e.SESSION_SECRET,
      secureCookie: e.COOKIE_SECURE ?? e.NODE_ENV === 'production',
    },
    trustProxy: e.TRUST_PROXY,
    appOrigins: e.APP_ORIGINS,
    metricsToken: e.METRICS_TOKEN,
    cacheDisabled: e.CACHE_DISABLED,
    currency: e.CURRENCY,
    live: { heartbeatMs: e.LIVE_HEARTBEAT_MS, bufferBytes: e.LIVE_BUFFER_BYTES },
    bootstrapAdmin: e.ADMIN_EMAIL && e.ADMIN_PASSWORD ? { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD } : undefined,
    seedDemo: e.SEED_DEMO,
    // Long enough for a balancer checking every second to see two failed checks (deploy/haproxy.cfg).
    shutdownDelayMs: e.SHUTDOWN_DELAY_MS ?? (e.NODE_ENV === 'production' ? 3_000 : 0),
  });
}
