import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import pg from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import type { Logger } from '../logger.js';
import { StartupError } from '../startup-error.js';
import type { DatabaseHandle } from './client.js';

/** The committed migrations folder, found from this file whether it runs from source or dist/. */
export function migrationsFolder(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'migrations');
    if (existsSync(path.join(candidate, 'meta', '_journal.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('migrations/meta/_journal.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** Any constant both instances agree on; it names the lock in pg_locks. */
const MIGRATION_LOCK_KEY = 7_311_004;

/**
 * Applies every committed migration not yet applied. Several instances starting together queue
 * on an advisory lock and the later ones find nothing left to do.
 *
 * On a Postgres server this is Drizzle's migrator done in one transaction, whose lock is
 * transaction-scoped: through a transaction-mode pooler (PgBouncer) consecutive statements outside
 * a transaction may run on different server connections, so a session lock could be taken on one
 * and left there for good, with the migration's own statements running elsewhere. Drizzle reads
 * what is applied before it opens its transaction, so its migrator cannot take such a lock. Its
 * bookkeeping is kept as it is (`drizzle.__drizzle_migrations`, same hashes and timestamps).
 */
export async function runMigrations(handle: DatabaseHandle, logger: Logger): Promise<void> {
  const folder = migrationsFolder();
  const started = performance.now();
  if (handle.kind === 'pglite') {
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    // Same Drizzle session API; the PGlite migrator only needs the db object.
    await migrate(handle.db as never, { migrationsFolder: folder });
  } else {
    const client = new pg.Client({ connectionString: handle.url, application_name: 'crewplots-migrate' });
    try {
      await client.connect();
    } catch (err) {
      // The first connection of a start: a setup problem, said once, in a line that says what to do.
      const { host, port, database } = parseConnectionString(handle.url!);
      const where = `Postgres at ${host ?? 'localhost'}:${port || 5432}/${database ?? ''}`;
      const { code, message } = err as { code?: string; message: string };
      // A five-character SQLSTATE is the server's answer (wrong password, no such database): say it.
      if (code && /^[0-9A-Z]{5}$/.test(code)) throw new StartupError(`${where} refused the connection (${message}): fix DATABASE_URL.`);
      throw new StartupError(
        `${where} cannot be reached (${code ?? message}): start it, fix DATABASE_URL, or unset DATABASE_URL to use the embedded Postgres.`,
      );
    }
    try {
      await applyInOneTransaction(client, folder);
    } finally {
      await client.end();
    }
  }
  logger.info({ ms: Math.round(performance.now() - started) }, 'database migrations applied');
}

async function applyInOneTransaction(client: pg.Client, folder: string): Promise<void> {
  const migrations = readMigrationFiles({ migrationsFolder: folder });
  await client.query('begin');
  try {
    await client.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query('create schema if not exists drizzle');
    await client.query('create table if not exists drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)');
    const { rows } = await client.query<{ created_at: string }>('select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1');
    const last = rows[0] ? Number(rows[0].created_at) : -Infinity;
    for (const migration of migrations) {
      if (migration.folderMillis <= last) continue;
      for (const statement of migration.sql) await client.query(statement);
      await client.query('insert into drizzle.__drizzle_migrations (hash, created_at) values ($1, $2)', [migration.hash, migration.folderMillis]);
    }
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  }
}
