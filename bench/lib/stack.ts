import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { appLogin, cookieOf, request } from './http.js';
import { BUILD, LOGS, REPO, RUN_ID, SERVER_CORE, WORK, freePort, run, startProc, waitFor, type Proc } from './proc.js';
import { PASSWORD, migrate, seed, type Seeded } from './seed.js';
import { BENCH_PREFIX, SHARED_PG, createDatabase, deleteByPrefix, dropDatabase, startPrivateRedis, type PrivateRedis } from './services.js';

/**
 * Everything a benchmark run talks to: a database of its own on the shared Postgres (seeded),
 * a Redis of its own, the app (compiled, NODE_ENV=production) in up to three instances, and the
 * three baseline servers. Servers are pinned to the server core; logs go to bench/results/logs.
 */

/** A database of this run's own on the shared Postgres (concurrent runs must not drop each other's). */
export const DB_NAME = process.env.BENCH_DB_NAME ?? `crewplots_bench_${RUN_ID}`;
export const SESSIONS = 8;
export const METRICS_TOKEN = `bench-metrics-${randomBytes(12).toString('hex')}`;
const SESSION_SECRET = randomBytes(32).toString('hex');

export type AppName = 'app' | 'app2' | 'nocache';
export type BaselineName = 'bare' | 'memory' | 'guide';

export interface Server {
  name: string;
  url: string;
  proc: Proc;
}

export interface Stack {
  dbUrl: string;
  redis: PrivateRedis;
  redisClient: Redis;
  seeded: Seeded;
  /** By name: app, app2, nocache, bare, memory, guide, and any variant. */
  servers: Record<string, Server>;
  /** Session cookies: the app's (valid on every app instance), and each baseline's own. */
  cookies: Record<'app' | 'memory' | 'guide', string[]>;
  /** The ~2 KB user JSON every GET-user scenario answers with. */
  userJson: string;
  userPath: string;
  schedulePath: string;
  /**
   * Signs in again for every app session that is gone (401 on /api/auth/me); returns how many.
   * A session can disappear under load: see bench/README.md, finding 4.
   */
  renewLostSessions(): Promise<number>;
  /** Stops servers, deletes the benchmark's Redis keys (SCAN), removes Redis and the database. */
  close(options?: { keepDatabase?: boolean }): Promise<LogSummary>;
}

export interface LogSummary {
  /** Warn and error lines, the first few errors, and each distinct warn/error message with its count. */
  [server: string]: { warn: number; error: number; firstErrors: string[]; messages: Record<string, number> };
}

export interface StackOptions {
  apps: AppName[];
  baselines: BaselineName[];
  /** Extra node flags per server (e.g. --cpu-prof). */
  nodeArgs?: Partial<Record<string, string[]>>;
  /** More app instances from other builds (bench/variants.ts): name, compiled tree, extra env. */
  variants?: Array<{ name: string; build: string; env?: Record<string, string> }>;
  log?: (line: string) => void;
}

function appEnv(port: number, dbUrl: string, redisPort: number, extra: Record<string, string> = {}): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    PORT: String(port),
    LOG_LEVEL: 'info',
    SESSION_SECRET,
    COOKIE_SECURE: 'false',
    DATABASE_URL: dbUrl,
    REDIS_HOST: '127.0.0.1',
    REDIS_PORT: String(redisPort),
    REDIS_PREFIX: BENCH_PREFIX,
    METRICS_TOKEN,
    ...extra,
  };
}

async function startServer(name: string, script: string, env: Record<string, string | undefined>, readyPath: string, nodeArgs: string[] = []): Promise<Server> {
  const url = `http://127.0.0.1:${env.PORT}`;
  const proc = startProc(name, process.execPath, [...nodeArgs, script], { env, core: SERVER_CORE });
  await waitFor(`${name} on ${url}`, async () => (await request(`${url}${readyPath}`)).status < 500, 60_000, proc);
  return { name, url, proc };
}

async function baselineLogin(url: string): Promise<string> {
  const res = await request(`${url}/login`, { method: 'POST' });
  if (res.status !== 200) throw new Error(`baseline login at ${url} answered ${res.status}`);
  return cookieOf(res, 'crewplots.sid');
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  mkdirSync(LOGS, { recursive: true });

  log(`database ${DB_NAME}: create, migrate, seed`);
  const dbUrl = await createDatabase(SHARED_PG, DB_NAME);
  migrate(dbUrl);
  const seeded = await seed(dbUrl);

  const redis = await startPrivateRedis('redis');
  const redisClient = redis.client();
  const servers: Stack['servers'] = {};
  const stack: Stack = {
    dbUrl,
    redis,
    redisClient,
    seeded,
    servers,
    cookies: { app: [], memory: [], guide: [] },
    userJson: '',
    userPath: `/api/users/${seeded.profileUserId}`,
    schedulePath: `/api/schedules/${seeded.bigScheduleId}`,
    renewLostSessions: async () => {
      const app = servers.app ?? servers.nocache ?? Object.values(servers).find((x) => !/^(bare|memory|guide)$/.test(x.name));
      if (!app) return 0;
      let renewed = 0;
      for (let i = 0; i < stack.cookies.app.length; i++) {
        const me = await request(`${app.url}/api/auth/me`, { headers: { cookie: stack.cookies.app[i]! } });
        if (me.status !== 401) continue;
        stack.cookies.app[i] = await appLogin(app.url, seeded.adminEmails[i % seeded.adminEmails.length]!, PASSWORD);
        renewed++;
      }
      return renewed;
    },
    close: async ({ keepDatabase = false } = {}) => {
      await Promise.allSettled(Object.values(servers).map((s) => s.proc.stop()));
      const logs = summariseLogs(Object.values(servers));
      await deleteByPrefix(redisClient, BENCH_PREFIX).catch(() => 0);
      await redis.destroy();
      if (!keepDatabase) await dropDatabase(SHARED_PG, DB_NAME);
      return logs;
    },
  };

  try {
    for (const name of options.apps) {
      const port = await freePort();
      const extra: Record<string, string> = name === 'nocache' ? { CACHE_DISABLED: 'true' } : {};
      log(`start ${name} (compiled, NODE_ENV=production${name === 'nocache' ? ', CACHE_DISABLED=true' : ''}) on :${port}, core ${SERVER_CORE}`);
      servers[name] = await startServer(name, path.join(BUILD, 'server/index.js'), appEnv(port, dbUrl, redis.port, extra), '/api/health/live', options.nodeArgs?.[name]);
    }
    for (const v of options.variants ?? []) {
      const port = await freePort();
      log(`start variant ${v.name} on :${port}, core ${SERVER_CORE}`);
      servers[v.name] = await startServer(v.name, path.join(v.build, 'server/index.js'), appEnv(port, dbUrl, redis.port, v.env), '/api/health/live', options.nodeArgs?.[v.name]);
    }
    const app = servers.app ?? servers.nocache ?? Object.values(servers)[0];
    if (!app) throw new Error('the stack needs at least one app instance');
    for (let i = 0; i < SESSIONS; i++) stack.cookies.app.push(await appLogin(app.url, seeded.adminEmails[i % seeded.adminEmails.length]!, PASSWORD));
    const user = await request(`${app.url}${stack.userPath}`, { headers: { cookie: stack.cookies.app[0]! } });
    if (user.status !== 200) throw new Error(`GET ${stack.userPath} answered ${user.status}`);
    stack.userJson = user.body;
    const userFile = path.join(WORK, 'user.json');
    writeFileSync(userFile, user.body);

    for (const name of options.baselines) {
      const port = await freePort();
      const script = path.join(REPO, 'bench/baselines', name === 'bare' ? 'bare.mjs' : name === 'memory' ? 'session-memory.mjs' : 'guide.mjs');
      log(`start baseline ${name} on :${port}, core ${SERVER_CORE}`);
      servers[name] = await startServer(
        name,
        script,
        {
          PATH: process.env.PATH,
          NODE_ENV: 'production',
          PORT: String(port),
          USER_JSON: userFile,
          SESSION_SECRET,
          REDIS_HOST: '127.0.0.1',
          REDIS_PORT: String(redis.port),
          BENCH_PREFIX,
          DATABASE_URL: dbUrl,
          BUILD,
        },
        '/',
        options.nodeArgs?.[name],
      );
      if (name !== 'bare') for (let i = 0; i < SESSIONS; i++) stack.cookies[name].push(await baselineLogin(servers[name]!.url));
    }

    // Every GET-user scenario must send the same bytes, or the ratios compare different work; so
    // must the guide's schedule (1d) and the app's (3c).
    for (const name of options.baselines) {
      const cookie = name === 'bare' ? undefined : stack.cookies[name][0];
      const res = await request(`${servers[name]!.url}${stack.userPath}`, { headers: cookie ? { cookie } : {} });
      if (res.status !== 200 || res.body !== stack.userJson) throw new Error(`baseline ${name} answered ${res.status} with a different body`);
    }
    if (options.baselines.includes('guide')) {
      const [ours, guide] = await Promise.all([
        request(`${app.url}${stack.schedulePath}`, { headers: { cookie: stack.cookies.app[0]! } }),
        request(`${servers.guide!.url}${stack.schedulePath}`, { headers: { cookie: stack.cookies.guide[0]! } }),
      ]);
      if (ours.status !== 200 || guide.status !== 200 || ours.body !== guide.body) throw new Error(`the guide's schedule (${guide.status}) differs from the app's (${ours.status})`);
    }
    return stack;
  } catch (err) {
    await stack.close().catch(() => {});
    throw err;
  }
}

/** Warn/error lines per server log; big access logs are deleted once summarised (BENCH_KEEP_LOGS=1 keeps them). */
function summariseLogs(servers: Server[]): LogSummary {
  const out: LogSummary = {};
  for (const s of servers) {
    const count = (level: number) => {
      try {
        return Number(run('grep', ['-c', `"level":${level}`, s.proc.log]).trim());
      } catch {
        return 0;
      }
    };
    let firstErrors: string[] = [];
    try {
      firstErrors = run('grep', ['-m', '5', '"level":50', s.proc.log]).trim().split('\n').filter(Boolean).map((l) => l.slice(0, 400));
    } catch {
      // none
    }
    const messages: Record<string, number> = {};
    try {
      for (const line of run('grep', ['-E', '"level":(40|50)', s.proc.log]).split('\n')) {
        const msg = /"msg":"([^"]*)"/.exec(line)?.[1];
        if (msg) messages[msg] = (messages[msg] ?? 0) + 1;
      }
    } catch {
      // none
    }
    out[s.name] = { warn: count(40), error: count(50), firstErrors, messages };
    if (!process.env.BENCH_KEEP_LOGS && !/^(bare|memory|guide|redis)$/.test(s.name)) rmSync(s.proc.log, { force: true });
  }
  return out;
}
