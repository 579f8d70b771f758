import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { StartupError } from '../startup-error.js';
import * as schema from './schema.js';

/** What the rest of the server sees: the same Drizzle API whichever driver is underneath. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;
/** The same API inside a transaction; repositories take one where a write must share it. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

export interface DatabaseHandle {
  db: Database;
  kind: 'postgres' | 'pglite';
  /** The connection string, for tools that need a connection of their own (migrations). */
  url?: string;
  /** Round-trips `select 1`; rejects if Postgres does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `DATABASE_URL` set: a node-postgres pool. Unset: an embedded PGlite under `DATA_DIR`, so the app
 * runs on a machine with no Postgres at all. Both run the same migrations and the same queries.
 */
export async function openDatabase(config: Pick<Config, 'database'>, logger: Logger): Promise<DatabaseHandle> {
  if (config.database.url) return openPostgres(config.database.url, logger);
  return openPglite(path.resolve(config.database.dataDir, 'pglite'), logger);
}

function openPostgres(url: string, logger: Logger): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'crewplots',
  });
  // No session state is set up here (a zone, a search path): through a transaction-mode pooler
  // it would hold for one transaction only. Instants are read whatever the session's zone (instant.ts).
  // An idle client that loses its server emits here; without a listener it would crash the process.
  pool.on('error', (err) => logger.warn({ err }, 'idle Postgres connection failed'));
  const db = drizzlePg(pool, { schema });
  const { host, port, database } = parseConnectionString(url);
  logger.info({ host, port, database }, 'using Postgres');
  return {
    db,
    kind: 'postgres',
    url,
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: () => pool.end(),
  };
}

/**
 * The embedded Postgres is one process's files: a second process (a server, `npm run seed`)
 * opening the same folder would write over the first one's data unseen. A lock file holding the
 * owner's pid keeps it to one; a lock left by a process that has died is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  const lockFile = `${dataDir}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return () => {
        if (readLockOwner(lockFile) === process.pid) rmSync(lockFile, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readLockOwner(lockFile);
      if (owner !== undefined && owner !== process.pid && isRunning(owner)) {
        throw new StartupError(
          `The embedded Postgres in ${path.dirname(dataDir)} is in use by process ${owner} (a running server?): ` +
            'stop it first, or start the server with SEED_DEMO=true to load the demo data, or set DATABASE_URL.',
        );
      }
      rmSync(lockFile, { force: true });
    }
  }
  throw new StartupError(`Could not lock the embedded Postgres in ${path.dirname(dataDir)}: remove ${lockFile} if no server is running.`);
}

function readLockOwner(lockFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(lockFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function openPglite(dataDir: string, logger: Logger): Promise<DatabaseHandle> {
  // Loaded on demand: a server on real Postgres never pays for the WebAssembly build.
  const [{ PGlite }, { btree_gist }, { drizzle: drizzlePglite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/btree_gist'),
    import('drizzle-orm/pglite'),
  ]);
  mkdirSync(dataDir, { recursive: true });
  const unlock = lockDataDir(dataDir);
  let client: InstanceType<typeof PGlite>;
  try {
    client = await PGlite.create(dataDir, { extensions: { btree_gist } });
  } catch (err) {
    unlock();
    throw err;
  }
  const db = drizzlePglite(client, { schema }) as unknown as Database;
  logger.info({ dataDir }, 'DATABASE_URL is not set: using embedded Postgres (PGlite); set DATABASE_URL to use a Postgres server');
  return {
    db,
    kind: 'pglite',
    ping: async () => {
      await client.query('select 1');
    },
    close: async () => {
      try {
        await client.close();
      } finally {
        unlock();
      }
    },
  };
}
