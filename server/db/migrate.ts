import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
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
 * Applies every committed migration not yet applied. Drizzle's migrator takes no lock, so on a
 * Postgres server several instances starting together queue on an advisory lock and the later
 * ones find nothing left to do.
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
      await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      await migratePg(drizzle(client), { migrationsFolder: folder });
    } finally {
      // Ending the connection releases the lock even if the unlock is never reached.
      await client.end();
    }
  }
  logger.info({ ms: Math.round(performance.now() - started) }, 'database migrations applied');
}
