import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { LOAD_CORE, freePort, run, runAsync, sleep, startProc, waitFor, type Proc } from './proc.js';

/**
 * The services a benchmark uses. The machine's shared Postgres (127.0.0.1:5432) and Redis
 * (127.0.0.1:6379) are never stopped, flushed or filled: benchmarks use a database of their own
 * on the shared Postgres (created and dropped here), and Redis servers of their own.
 */

export const BENCH_PREFIX = 'crewplots-bench:';
export const SHARED_PG = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

// ---- Redis ------------------------------------------------------------------------------------

export interface PrivateRedis {
  port: number;
  url: string;
  dir: string;
  start(): Promise<void>;
  /** SIGTERM: with AOF on, Redis writes what it has and exits. */
  stop(): Promise<void>;
  destroy(): Promise<void>;
  client(): Redis;
}

/**
 * A redis-server of our own on a free port (pinned beside the load generator, so the server's
 * core measures the Node process alone). `aof` mirrors production's main instance (decision 002:
 * appendonly, everysec), so sessions survive a restart in the fault run.
 */
export async function startPrivateRedis(name: string, options: { aof?: boolean; core?: string } = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crewplots-bench-redis-'));
  let proc: Proc | undefined;
  const clients: Redis[] = [];
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--maxmemory-policy', 'noeviction'];
  if (options.aof) args.push('--appendonly', 'yes', '--appendfsync', 'everysec');
  else args.push('--appendonly', 'no');
  const ping = async () => {
    const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => {});
    try {
      await c.connect();
      return (await c.ping()) === 'PONG';
    } finally {
      c.disconnect();
    }
  };
  const self: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    async start() {
      proc = startProc(name, 'redis-server', args, { core: options.core ?? LOAD_CORE });
      await waitFor(`redis-server :${port}`, ping, 10_000, proc);
    },
    async stop() {
      await proc?.stop();
      proc = undefined;
    },
    async destroy() {
      for (const c of clients) c.disconnect();
      await self.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    client() {
      const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
      c.on('error', () => {});
      clients.push(c);
      return c;
    },
  };
  await self.start();
  return self;
}

/** Deletes every key under `prefix` with SCAN (never KEYS, never FLUSH). Returns how many. */
export async function deleteByPrefix(client: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await client.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

// ---- Postgres ---------------------------------------------------------------------------------

export function databaseUrl(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Creates (after dropping any leftover of an earlier run) a database of the benchmark's own. */
export async function createDatabase(base: string, name: string): Promise<string> {
  if (!/bench/.test(name)) throw new Error(`refusing to create/drop "${name}": a benchmark database's name contains "bench"`);
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return databaseUrl(base, name);
}

export async function dropDatabase(base: string, name: string): Promise<void> {
  if (!/bench/.test(name)) throw new Error(`refusing to drop "${name}"`);
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end();
  }
}

export interface PrivatePostgres {
  port: number;
  url: string;
  dir: string;
  /** `pg_ctl restart -m fast`: every connection is cut, the server comes back on the same port. */
  restart(): Promise<{ downAt: number; upAt: number }>;
  destroy(): Promise<void>;
}

function postgresIds(): { uid: number; gid: number } {
  const uid = Number(run('id', ['-u', 'postgres']).trim());
  const gid = Number(run('id', ['-g', 'postgres']).trim());
  return { uid, gid };
}

function pgBin(name: string): string {
  for (const dir of ['/usr/local/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/15/bin']) {
    try {
      run('test', ['-x', path.join(dir, name)]);
      return path.join(dir, name);
    } catch {
      // next
    }
  }
  return name;
}

/**
 * A throwaway Postgres cluster (initdb as the `postgres` user in a temp dir, trust auth on
 * 127.0.0.1, a free port), for the fault run, which restarts it. Never the shared one.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  if (process.getuid?.() !== 0) throw new Error('the private Postgres is started as the postgres user: run as root');
  const { uid, gid } = postgresIds();
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crewplots-bench-pg-'));
  chmodSync(dir, 0o755);
  const data = path.join(dir, 'data');
  const as = { uid, gid, env: { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8' } as NodeJS.ProcessEnv };
  run('chown', [`${uid}:${gid}`, dir]);
  run(pgBin('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], as);
  const opts = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=on -c max_connections=50`;
  const ctlArgs = (args: string[]) => ['-D', data, '-l', path.join(dir, 'postgres.log'), '-o', opts, '-w', '-t', '30', ...args];
  const pgctl = (args: string[]) => run(pgBin('pg_ctl'), ctlArgs(args), as);
  const pgctlAsync = (args: string[]) => runAsync(pgBin('pg_ctl'), ctlArgs(args), as);
  pgctl(['start']);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await waitFor(`postgres :${port}`, async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.end();
    return true;
  });
  return {
    port,
    url,
    dir,
    async restart() {
      const downAt = Date.now();
      await pgctlAsync(['stop', '-m', 'fast']);
      await sleep(200);
      await pgctlAsync(['start']);
      return { downAt, upAt: Date.now() };
    },
    async destroy() {
      try {
        pgctl(['stop', '-m', 'immediate']);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
