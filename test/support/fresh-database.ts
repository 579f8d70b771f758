import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../../server/db/client.js';
import { runMigrations } from '../../server/db/migrate.js';
import { testLogger } from './logs.js';
import { assertTestDatabase, databaseUrl } from './test-env.js';

/**
 * A brand-new, migrated database for a test that needs an empty one (first-admin bootstrap, demo
 * seed), dropped afterwards. Its name says "test", like every database the suites touch.
 */
export async function withFreshDatabase<T>(fn: (handle: DatabaseHandle, url: string) => Promise<T>): Promise<T> {
  const name = `crewplots_test_${randomBytes(4).toString('hex')}`;
  const url = databaseUrl(name);
  assertTestDatabase(url);
  const admin = new pg.Client({ connectionString: databaseUrl('postgres') });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const handle = await openDatabase({ database: { url, dataDir: '.data' } }, testLogger('warn'));
  try {
    await runMigrations(handle, testLogger('warn'));
    return await fn(handle, url);
  } finally {
    await handle.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}
