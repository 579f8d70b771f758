import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import * as schema from './schema.js';

/** What the rest of the server sees: the same Drizzle API whichever driver is underneath. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

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
    // Instants come back as text with the session's offset; in UTC that offset is always `+00`,
    // whatever zone the server is set to (some zones' old dates carry offsets like +00:19:32).
    options: '-c TimeZone=UTC',
  });
  // An idle client that loses its server emits here; without a listener it would crash the process.
  pool.on('error', (err) => logger.warn({ err }, 'idle Postgres connection failed'));
  const db = drizzlePg(pool, { schema });
  const { host, port, pathname } = new URL(url);
  logger.info({ host, port, database: pathname.slice(1) }, 'using Postgres');
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

async function openPglite(dataDir: string, logger: Logger): Promise<DatabaseHandle> {
  // Loaded on demand: a server on real Postgres never pays for the WebAssembly build.
  const [{ PGlite }, { btree_gist }, { drizzle: drizzlePglite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/btree_gist'),
    import('drizzle-orm/pglite'),
  ]);
  mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir, { extensions: { btree_gist } });
  await client.exec(`set time zone 'UTC'`); // as the pool's sessions do; PGlite has one session
  const db = drizzlePglite(client, { schema }) as unknown as Database;
  logger.info({ dataDir }, 'DATABASE_URL is not set: using embedded Postgres (PGlite); set DATABASE_URL to use a Postgres server');
  return {
    db,
    kind: 'pglite',
    ping: async () => {
      await client.query('select 1');
    },
    close: () => client.close(),
  };
}
